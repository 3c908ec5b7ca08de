"""hardening: login attempts counted in the database, outbox lanes, failed turns, erased ids

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "login_attempts",
        sa.Column("key", sa.String(length=120), primary_key=True),  # "name:anne", "ip:192.0.2.1"
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("window_start", WHEN, nullable=False),
    )
    op.create_index("ix_login_attempts_window_start", "login_attempts", ["window_start"])
    # The destination a row goes to (channel and keyed hash of the address): each is paced
    # on its own. Rows queued before this migration have none and are each their own lane.
    op.add_column("outbox", sa.Column("lane", sa.String(length=40), nullable=True))
    # A message whose turn failed is tried again after a backoff, and given up after a few.
    op.add_column(
        "messages",
        sa.Column("turn_attempts", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column("messages", sa.Column("retry_at", WHEN, nullable=True))
    # Platform ids of erased messages, for two days: a retried OUBLIE is not answered twice.
    op.create_table(
        "erased_messages",
        sa.Column("channel", sa.String(length=20), primary_key=True),
        sa.Column("platform_id", sa.String(length=100), primary_key=True),
        sa.Column("erased_at", WHEN, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("erased_messages")
    op.drop_column("messages", "retry_at")
    op.drop_column("messages", "turn_attempts")
    op.drop_column("outbox", "lane")
    op.drop_table("login_attempts")
