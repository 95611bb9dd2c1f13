"""Knowledge-base fixtures (the ``engine`` fixture for SQLite and PostgreSQL lives in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.storage import make_engine, upgrade_database


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'kb.db'}")
    upgrade_database(eng)
    yield eng
    eng.dispose()
