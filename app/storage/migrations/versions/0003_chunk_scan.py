"""Chunk scan verdicts: the injection scan made at ingest, stored with each chunk.

Revision ID: 0003_chunk_scan
Revises: 0002_conversations
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_chunk_scan"
down_revision = "0002_conversations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("kb_chunks") as batch:
        batch.add_column(sa.Column("scan_signature", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("scanned_text", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("kb_chunks") as batch:
        batch.drop_column("scanned_text")
        batch.drop_column("scan_signature")
