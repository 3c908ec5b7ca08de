"""public_questions (anonymous figures at /public), content_curators and content_changes

Revision ID: 0005
Revises: 0004 (the lead re-chains at merge)
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    # No text, no address: what was asked about, where, and whether a person had to answer.
    # contact_id only counts distinct people; it is erased with the contact (OUBLIE).
    op.create_table(
        "public_questions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "contact_id",
            sa.Integer(),
            sa.ForeignKey("contacts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("topic", sa.String(length=30), nullable=False),
        sa.Column("quartier", sa.String(length=60), nullable=True),
        sa.Column("place_id", sa.String(length=120), nullable=True),
        sa.Column("handed_off", sa.Boolean(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
    )
    op.create_index("ix_public_questions_created_at", "public_questions", ["created_at"])
    # Mediators who may edit content/ from the inbox, and the log of what each one changed.
    op.create_table(
        "content_curators",
        sa.Column(
            "mediator_id",
            sa.Integer(),
            sa.ForeignKey("mediators.id", ondelete="CASCADE"),
            primary_key=True,
        ),
    )
    op.create_table(
        "content_changes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("who", sa.String(length=60), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("content_changes")
    op.drop_table("content_curators")
    op.drop_index("ix_public_questions_created_at", "public_questions")
    op.drop_table("public_questions")
