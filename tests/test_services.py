"""Worker start-up: gunicorn runs the app's worker hooks, and warming up loads what a first turn needs."""

from __future__ import annotations

import gc
import logging
import runpy
import socket
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask

REPO = Path(__file__).resolve().parent.parent


def test_gunicorn_runs_the_worker_hooks_once_the_worker_holds_the_app() -> None:
    conf = runpy.run_path(str(REPO / "deploy" / "gunicorn.conf.py"))
    calls: list[str] = []
    app = SimpleNamespace(extensions={"worker_init": [lambda: calls.append("a"), lambda: calls.append("b")]})
    assert gc.get_freeze_count() == 0
    try:
        conf["post_worker_init"](SimpleNamespace(wsgi=app))
        assert calls == ["a", "b"]
        # The worker's long-lived objects are out of the collector's way.
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_gunicorn_runs_the_before_fork_hooks_in_the_master_once_it_holds_the_app() -> None:
    conf = runpy.run_path(str(REPO / "deploy" / "gunicorn.conf.py"))
    calls: list[str] = []
    app = SimpleNamespace(extensions={"before_fork": [lambda: calls.append("loaded")]})
    conf["when_ready"](SimpleNamespace(app=SimpleNamespace(wsgi=lambda: app)))
    assert calls == ["loaded"]


def test_gunicorn_leaves_access_lines_to_the_app() -> None:
    conf = runpy.run_path(str(REPO / "deploy" / "gunicorn.conf.py"))
    logger = object.__new__(conf["logger_class"])  # no set-up: it would reconfigure this process's logging
    lines: list[object] = []
    # What a logconfig_dict alone does to gunicorn's own logger: access lines on.
    logger._access_log_enabled = True
    logger.access_log = SimpleNamespace(info=lambda *args, **_kw: lines.append(args))
    logger.cfg = SimpleNamespace(access_log_format="%(h)s", is_ssl=False)
    logger.access(SimpleNamespace(status="200 OK", headers=[], sent=0), SimpleNamespace(), {}, None)
    assert lines == []


def test_the_app_registers_connection_reset_and_warm_up(app: Flask) -> None:
    services = app.extensions["services"]
    assert app.extensions["worker_init"] == [services.after_fork, services.warm_up]
    assert app.extensions["before_fork"] == [services.before_fork]


def test_before_fork_loads_the_query_model_the_workers_then_use(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = app.extensions["services"]
    services.before_fork()

    def no_second_load(variant: str) -> None:
        raise AssertionError(f"the {variant} model was loaded again after the fork")

    monkeypatch.setattr("app.engine.knowledge.embedder.open_model", no_second_load)
    services.warm_up()  # what each forked worker runs: the master's model serves it
    assert services.knowledge.embed_query("Who founded the company?").shape == (384,)


def test_a_model_that_cannot_load_before_the_fork_is_left_to_the_workers(
    app: Flask, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(variant: str) -> None:
        raise OSError("no space left on device")

    monkeypatch.setattr("app.engine.knowledge.embedder.open_model", broken)
    with caplog.at_level(logging.WARNING, logger="app.services"):
        app.extensions["services"].before_fork()  # must not stop the server
    assert "each worker loads it" in caplog.text


def test_warm_up_loads_the_index(app_factory: Callable[..., Flask], tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "tea.md").write_text("# Tea\n\nGreen tea originated in China.", encoding="utf-8")
    app = app_factory()
    services = app.extensions["services"]
    services.knowledge.ingest([docs], progress=False, roots=[docs])
    fresh = app_factory()  # a new process's view: nothing loaded yet
    knowledge = fresh.extensions["services"].knowledge
    assert knowledge.loaded_version is None
    fresh.extensions["services"].warm_up()
    assert knowledge.loaded_version is not None


def test_warm_up_never_stops_a_worker(
    app_factory: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    app = app_factory(migrate=False)  # no tables: the knowledge base cannot load
    with caplog.at_level(logging.WARNING, logger="app.services"):
        app.extensions["services"].warm_up()
    assert any("not warmed up" in record.getMessage() for record in caplog.records)


def test_gunicorn_writes_its_refusals_with_the_apps_response(monkeypatch: pytest.MonkeyPatch) -> None:
    from gunicorn import util

    monkeypatch.setattr(util, "write_error", util.write_error)  # restored after the test
    conf = runpy.run_path(str(REPO / "deploy" / "gunicorn.conf.py"))
    app = SimpleNamespace(extensions={"refused_request_response": lambda status: b"refused %d" % status})
    conf["when_ready"](SimpleNamespace(app=SimpleNamespace(wsgi=lambda: app)))
    server_side, client_side = socket.socketpair()
    with server_side, client_side:
        util.write_error(server_side, 431, "Request Header Fields Too Large", "quoted input")
        assert client_side.recv(100) == b"refused 431"


def test_gunicorns_own_lines_use_the_apps_format_and_the_request_text_filter() -> None:
    conf = runpy.run_path(str(REPO / "deploy" / "gunicorn.conf.py"))
    logging_config = conf["logconfig_dict"]
    assert logging_config["filters"]["request_text"] == {"()": "app.logging.WithholdRequestText"}
    assert logging_config["formatters"]["json"] == {"()": "app.logging.json_formatter"}  # the app's format
    assert logging_config["handlers"]["stdout"]["filters"] == ["request_text"]
    handlers = {logging_config["loggers"][name]["handlers"][0] for name in ("gunicorn.error", "gunicorn.access")}
    assert handlers == {"stdout"} and logging_config["root"]["handlers"] == ["stdout"]
