"""Programmatic Alembic upgrade: ``upgrade_database`` brings any database to the current schema.

Errors from Alembic or the database propagate unchanged.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from app.storage.db import make_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    """An Alembic Config that points at our migrations and carries the engine to env.py."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade_database(url_or_engine: str | Engine, revision: str = "head") -> None:
    """Apply all pending migrations (idempotent)."""
    engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    try:
        with engine.begin() as connection:
            cfg = alembic_config(engine)
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, revision)
    finally:
        if isinstance(url_or_engine, str):
            engine.dispose()
