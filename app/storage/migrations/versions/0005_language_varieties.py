"""Language labels of stored documents and chunks folded into ISO 639-1 (``wuu`` -> ``zh``).

Ingest once stored the detector's label as it came: Chinese text read as Wu or Cantonese, Arabic as
Moroccan or Egyptian. Ingest now folds them; this folds what was stored before (the loaded index
already read them folded, but ``/admin/kb/status`` counted them apart). The mapping is copied here,
not imported, so the migration keeps meaning what it meant when written.

Revision ID: 0005_language_varieties
Revises: 0004_tenants_tokens
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_language_varieties"
down_revision = "0004_tenants_tokens"
branch_labels = None
depends_on = None

_FOLDED = {"wuu": "zh", "yue": "zh", "ary": "ar", "arz": "ar", "uzs": "uz"}


def upgrade() -> None:
    for table in ("kb_documents", "kb_chunks"):
        for variety, language in _FOLDED.items():
            op.execute(
                sa.text(f"UPDATE {table} SET language = :language WHERE language = :variety")
                .bindparams(language=language, variety=variety)
            )


def downgrade() -> None:
    # Which rows carried a variety label is not kept; the folded labels are valid in every revision.
    pass
