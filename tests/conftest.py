"""Shared pytest fixtures: the app factory fixtures and access to ../shared/ test material."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Blueprint, Flask, Response, jsonify
from flask.testing import FlaskClient, FlaskCliRunner
from marshmallow import Schema, fields
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.exc import OperationalError

from app import create_app
from app.api import parse_json
from app.auth import requires
from app.storage.db import make_engine
from app.storage.migrate import upgrade_database
from tests.services import POSTGRES_URL, REDIS_URL

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA_DIR = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    """The ../shared/data folder; tests that need it skip with a clear reason on a clone without it."""
    if not SHARED_DATA_DIR.is_dir():
        pytest.skip(f"needs {SHARED_DATA_DIR} (the shared test material beside the repo); not present here")
    return SHARED_DATA_DIR


_CONFIG_ENV = ("SECRET_KEY", "REDIS_URL", "DATABASE_URL", "CORS_ORIGINS", "RATELIMIT_STORAGE_URI", "WORKERS")


@pytest.fixture
def app_factory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Flask]:
    """Builds apps in the testing profile with their own instance folder and a clean environment."""
    for name in list(os.environ):
        if name.startswith("APP__") or name in _CONFIG_ENV:
            monkeypatch.delenv(name)
    monkeypatch.setenv("APP_ENV", "testing")
    monkeypatch.setenv("APP_INSTANCE_PATH", str(tmp_path / "instance"))

    def build(overrides: dict[str, Any] | None = None, migrate: bool = True, **env: str) -> Flask:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        app = create_app(overrides)
        if migrate:
            upgrade_database(app.extensions["services"].engine)
        return app

    return build


@pytest.fixture
def app(app_factory: Callable[..., Flask]) -> Flask:
    return app_factory()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def redis_url() -> str:
    """The shared Redis server; every test gets its own key prefix (see ``redis_prefix``)."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis at {REDIS_URL} is not answering ({exc.__class__.__name__}); .ci/run starts it")
    return REDIS_URL


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"*{prefix}*", count=1000))
    if keys:
        client.delete(*keys)


class EchoSchema(Schema):
    name = fields.String(required=True)


def add_probe_routes(app: Flask) -> Flask:
    """Routes that exercise the shared machinery: a rate-limited GET, a JSON echo, and a crash."""
    bp = Blueprint("probe", __name__)

    @bp.get("/probe")
    @requires("user")
    def probe() -> Response:
        return jsonify({"ok": True})

    @bp.post("/echo")
    @requires("user")
    def echo() -> Response:
        return jsonify(parse_json(EchoSchema()))

    @bp.get("/boom")
    @requires("user")
    def boom() -> Response:
        raise RuntimeError("secret detail /etc/passwd SELECT * FROM users")

    app.register_blueprint(bp)
    return app


@pytest.fixture
def probe_app_factory(app_factory: Callable[..., Flask]) -> Callable[..., Flask]:
    def build(overrides: dict[str, Any] | None = None, **env: str) -> Flask:
        return add_probe_routes(app_factory(overrides, **env))

    return build


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database migrated to the current schema: a fresh SQLite file, or a private PostgreSQL schema."""
    if request.param == "sqlite":
        sqlite_engine = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
        upgrade_database(sqlite_engine)
        yield sqlite_engine
        sqlite_engine.dispose()
        return
    admin = make_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    try:
        with admin.connect():
            pass
    except OperationalError as exc:
        pytest.fail(f"PostgreSQL at {POSTGRES_URL} is not answering ({exc.__class__.__name__}); .ci/run starts it")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    pg_engine = make_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        upgrade_database(pg_engine)
        yield pg_engine
    finally:
        pg_engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def issue_token(app: Flask, tenant: str, role: str = "user", quota: str = "", tenant_quota: str = "",
                expires_in: timedelta | None = None) -> str:
    """A fresh token for ``tenant`` (created on first use) in ``app``'s database; returns the secret."""
    access = app.extensions["services"].access
    if access.tenant(tenant) is None:
        access.create_tenant(tenant, tenant_quota)
    _info, secret = access.create_token(tenant, role, expires_in, quota)
    return str(secret)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@contextmanager
def another_writer_first(engine: Engine, statement_start: str, write: Callable[[], object]) -> Iterator[list[str]]:
    """Runs ``write`` (a whole transaction of its own) once, just before the first statement on
    ``engine`` that starts with ``statement_start``: the losing side of a race between two workers,
    on demand. Yields the statements it stepped in before (empty if it never did)."""
    raced: list[str] = []

    def step_in(conn: Connection, cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith(statement_start) and not raced:
            raced.append(statement)
            write()

    event.listen(engine, "before_cursor_execute", step_in)
    try:
        yield raced
    finally:
        event.remove(engine, "before_cursor_execute", step_in)
