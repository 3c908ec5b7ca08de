"""Telegram groups moved to a supergroup; a lane's unsent outbox rows found by index

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "chat_moves",
        sa.Column("old_chat_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("new_chat_id", sa.BigInteger(), nullable=False),
        sa.Column("moved_at", WHEN, nullable=False),
    )
    op.create_index("ix_outbox_lane_status", "outbox", ["lane", "status"])


def downgrade() -> None:
    op.drop_index("ix_outbox_lane_status", table_name="outbox")
    op.drop_table("chat_moves")
