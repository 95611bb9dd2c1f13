"""Engine construction, migrations and model constraints on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.orm import Session

from app.storage import Chunk, Document, make_engine, normalise_url, upgrade_database


def test_normalise_url_maps_plain_postgres_to_psycopg() -> None:
    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"


def test_unsupported_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        make_engine("mysql://u@h/db")


def test_sqlite_pragmas(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    engine.dispose()


def test_upgrade_is_idempotent_and_creates_tables(engine: Engine) -> None:
    upgrade_database(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"kb_documents", "kb_chunks", "kb_index_state", "alembic_version"} <= tables


def test_upgrade_accepts_a_url(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'b.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    assert "kb_documents" in inspect(engine).get_table_names()
    engine.dispose()


def test_deleting_a_document_cascades_to_chunks(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        doc = Document(source="s", path="p", title="t", body="b", content_hash="h", tenant=None,
                       metadata_={"k": 1}, tags=["a"])
        doc.chunks = [Chunk(position=0, text="x", embedding=b"\x00" * 8)]
        session.add(doc)
    with Session(engine) as session, session.begin():
        session.execute(text("DELETE FROM kb_documents"))
    with Session(engine) as session:
        assert session.scalars(select(Chunk)).all() == []


def test_json_and_binary_round_trip(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        doc = Document(source="s2", path="p", title="t", body="b", content_hash="h",
                       metadata_={"ñ": [1, 2]}, tags=["x", "y"], visibility="internal", tenant="acme")
        doc.chunks = [Chunk(position=0, text="x", embedding=b"\x01\x02")]
        session.add(doc)
    with Session(engine) as session:
        row = session.scalars(select(Document)).one()
        assert row.metadata_ == {"ñ": [1, 2]} and row.tags == ["x", "y"] and row.tenant == "acme"
        assert row.chunks[0].embedding == b"\x01\x02"


def test_upgrade_folds_stored_language_varieties_into_iso_codes(engine: Engine) -> None:
    """Rows stored before ingest folded detector labels (``wuu`` for Chinese) read as ISO 639-1."""
    from alembic import command

    from app.storage.migrate import alembic_config

    with engine.begin() as connection:
        cfg = alembic_config(engine)
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0004_tenants_tokens")
    with Session(engine) as session, session.begin():
        for n, label in enumerate(("wuu", "arz", "en")):
            doc = Document(source=f"s{n}", path="p", title="t", body="b", content_hash="h", language=label)
            doc.chunks = [Chunk(position=0, text="x", language=label)]
            session.add(doc)
    upgrade_database(engine)
    with Session(engine) as session:
        assert sorted(session.scalars(select(Document.language))) == ["ar", "en", "zh"]
        assert sorted(session.scalars(select(Chunk.language))) == ["ar", "en", "zh"]
