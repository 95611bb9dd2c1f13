"""Conversations: sessions, turns, feedback, learned source boosts, knowledge gaps.

Revision ID: 0002_conversations
Revises: 0001_knowledge_base
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_conversations"
down_revision = "0001_knowledge_base"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "chat_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("tenant", sa.String(128), nullable=False, server_default=""),
        sa.Column("language", sa.String(16), nullable=False, server_default=""),
        sa.Column("redaction_state", sa.JSON(), nullable=False),
        sa.Column("turn_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_index("ix_chat_sessions_tenant", "chat_sessions", ["tenant"])
    op.create_table(
        "chat_turns",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("session_id", sa.String(64), sa.ForeignKey("chat_sessions.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("user_text", sa.Text(), nullable=False),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("query_embedding", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_index("ix_chat_turns_session_position", "chat_turns", ["session_id", "position"])
    op.create_table(
        "chat_feedback",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("turn_id", sa.String(32), sa.ForeignKey("chat_turns.id", ondelete="CASCADE"), nullable=False),
        sa.Column("rating", sa.String(8), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False, server_default=""),
        sa.Column("created_at", _TS, nullable=False),
        sa.UniqueConstraint("turn_id", name="uq_chat_feedback_turn"),
    )
    op.create_table(
        "chat_source_boosts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("tenant", sa.String(128), nullable=False, server_default=""),
        sa.Column("turn_id", sa.String(32), sa.ForeignKey("chat_turns.id", ondelete="CASCADE"), nullable=False),
        sa.Column("document_id", sa.Integer(), sa.ForeignKey("kb_documents.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("query_embedding", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_index("ix_chat_source_boosts_tenant", "chat_source_boosts", ["tenant"])
    op.create_index("ix_chat_source_boosts_document_id", "chat_source_boosts", ["document_id"])
    op.create_table(
        "chat_knowledge_gaps",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("tenant", sa.String(128), nullable=False, server_default=""),
        sa.Column("question_key", sa.String(64), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("language", sa.String(16), nullable=False, server_default=""),
        sa.Column("count", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("first_seen", _TS, nullable=False),
        sa.Column("last_seen", _TS, nullable=False),
        sa.UniqueConstraint("tenant", "question_key", name="uq_chat_gaps_tenant_key"),
    )


def downgrade() -> None:
    for table in ("chat_knowledge_gaps", "chat_source_boosts", "chat_feedback", "chat_turns", "chat_sessions"):
        op.drop_table(table)
