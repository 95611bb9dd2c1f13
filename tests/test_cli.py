"""The flask commands: ``config check`` and ``config show``, and how ``kb``, ``audit``, ``tokens`` and
``eval`` treat bad arguments."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskCliRunner

from app.cli import create_cli_app


def test_config_check_passes_in_testing(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["config", "check"])
    assert result.exit_code == 0
    assert "configuration ok" in result.output


def test_config_check_lists_production_problems(app_factory: Callable[..., Flask]) -> None:
    app = app_factory(APP_ENV="production", CORS_ORIGINS="*")
    result = app.test_cli_runner().invoke(args=["config", "check"])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert any(line.startswith("security.secret_key") for line in lines)
    assert any(line.startswith("security.cors_origins") for line in lines)


def test_config_show_masks_secrets(app_factory: Callable[..., Flask]) -> None:
    app = app_factory(
        migrate=False, SECRET_KEY="s3cr3t-value-that-is-long-enough", DATABASE_URL="postgresql://u:pw123@db/x"
    )
    result = app.test_cli_runner().invoke(args=["config", "show"])
    assert result.exit_code == 0
    assert "s3cr3t-value" not in result.output
    assert "pw123" not in result.output
    assert "ratelimit:" in result.output


def test_broken_configuration_is_reported_not_raised(
    app_factory: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APP__RATELIMIT__ENABLED", "perhaps")
    app = create_cli_app()
    result = CliRunner().invoke(app.cli, ["config", "check"])
    assert result.exit_code == 1
    assert "APP__RATELIMIT__ENABLED: ratelimit.enabled: expected bool" in result.output


def test_kb_gaps_shows_the_start_of_long_questions(app: Flask, runner: FlaskCliRunner) -> None:
    gaps = app.extensions["services"].gaps
    gaps.record("", "en", "Why " * 1000)
    gaps.record("", "en", "Where is\nthe moon?")
    lines = runner.invoke(args=["kb", "gaps"]).output.splitlines()
    assert any("Where is the moon?" in line for line in lines)
    long_line = next(line for line in lines if "Why" in line)
    assert "Why Why" in long_line and "…" in long_line and len(long_line) < 260


@pytest.mark.parametrize("args", [
    ["kb", "gaps", "--limit", "0"], ["audit", "list", "--limit", "-1"],
    ["tokens", "revoke", "99999999999999999999999"], ["tokens", "revoke", "0"],
])
def test_out_of_range_numbers_are_usage_errors(runner: FlaskCliRunner, args: list[str]) -> None:
    result = runner.invoke(args=args)
    assert result.exit_code == 2 and "Invalid value" in result.output and result.exception is not None
    assert "Traceback" not in result.output


def test_eval_run_refuses_a_file_that_is_not_a_suite(runner: FlaskCliRunner, tmp_path: Path) -> None:
    for name, content in (("notes.md", "# not JSON"), ("list.json", "[1, 2]")):
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        result = runner.invoke(args=["eval", "run", str(path)])
        assert result.exit_code == 1 and f"{name}: not a golden conversation file" in result.output
