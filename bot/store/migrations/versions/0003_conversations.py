"""conversation memory, tickets left by the resident, acknowledged, late, urgent

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("conversations") as table:
        table.add_column(sa.Column("memory", sa.JSON(), nullable=True))
    with op.batch_alter_table("tickets") as table:
        table.add_column(sa.Column("urgency", sa.String(length=20), nullable=True))
        table.add_column(sa.Column("left_at", WHEN, nullable=True))
        table.add_column(sa.Column("acknowledged_at", WHEN, nullable=True))
        table.add_column(sa.Column("late_told_at", WHEN, nullable=True))
        table.add_column(sa.Column("last_activity_at", WHEN, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as table:
        for column in ("last_activity_at", "late_told_at", "acknowledged_at", "left_at", "urgency"):
            table.drop_column(column)
    with op.batch_alter_table("conversations") as table:
        table.drop_column("memory")
