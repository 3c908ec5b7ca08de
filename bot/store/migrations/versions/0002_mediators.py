"""mediators, inbox sessions, group posts, faq suggestions

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "mediators",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=60), nullable=False, unique=True),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("telegram_username", sa.String(length=60), nullable=True),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("quartiers", sa.JSON(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
    )
    op.create_table(
        "inbox_sessions",
        sa.Column("token_hash", sa.String(length=64), primary_key=True),
        sa.Column(
            "mediator_id",
            sa.Integer(),
            sa.ForeignKey("mediators.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
    )
    op.create_index("ix_inbox_sessions_expires_at", "inbox_sessions", ["expires_at"])
    op.create_table(
        "group_posts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "ticket_id", sa.Integer(), sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column(
            "outbox_id", sa.Integer(), sa.ForeignKey("outbox.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("chat_message_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
    )
    op.create_index("ix_group_posts_outbox_id", "group_posts", ["outbox_id"])
    op.create_index("ix_group_posts_chat_message_id", "group_posts", ["chat_message_id"])
    op.create_table(
        "faq_suggestions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "ticket_id", sa.Integer(), sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("topic", sa.String(length=30), nullable=True),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("suggested_by", sa.String(length=60), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
    )
    op.create_index("ix_faq_suggestions_created", "faq_suggestions", ["created_at"])


def downgrade() -> None:
    op.drop_table("faq_suggestions")
    op.drop_table("group_posts")
    op.drop_table("inbox_sessions")
    op.drop_table("mediators")
