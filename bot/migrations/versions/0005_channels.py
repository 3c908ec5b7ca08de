"""Telegram groups moved to a supergroup; resident's outbox rows looked up in order

Revision ID: 0005
Revises: 0003 (the lead re-chains it after the other branches' migrations)
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"
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
    op.create_index("ix_outbox_contact_status", "outbox", ["contact_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_outbox_contact_status", table_name="outbox")
    op.drop_table("chat_moves")
