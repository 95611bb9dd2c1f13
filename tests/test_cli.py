"""``flask config check`` and ``flask config show``."""

from __future__ import annotations

from collections.abc import Callable

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
