"""``flask`` command groups for operators (``flask config check|show``; more groups join later).

``create_cli_app`` is the ``FLASK_APP`` entry point: when the configuration itself is invalid it
still starts, so ``flask config check`` can print the problems instead of a traceback.
"""

from __future__ import annotations

import sys

import click
import yaml
from flask import Flask
from flask.cli import AppGroup

from app.config import ConfigError, masked, production_problems
from app.request_context import current_config

config_cli = AppGroup("config", help="Inspect and validate the effective configuration.")


@config_cli.command("check")
def check_config() -> None:
    """Exit non-zero and print one line per problem with the effective configuration."""
    problems = production_problems(current_config())
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        sys.exit(1)
    click.echo(f"configuration ok ({current_config().app.env})")


@config_cli.command("show")
def show_config() -> None:
    """Print the effective configuration as YAML with every secret masked."""
    click.echo(yaml.safe_dump(masked(current_config()), sort_keys=False, allow_unicode=True), nl=False)


def _broken_config_app(error: ConfigError) -> Flask:
    app = Flask("app")
    # Plain click commands: an AppGroup would try to load the (unloadable) app again.
    broken = click.Group("config", help="Inspect and validate the effective configuration.")

    @broken.command("check")
    def report() -> None:
        for problem in error.problems:
            click.echo(problem, err=True)
        sys.exit(1)

    @broken.command("show")
    def show() -> None:
        report()

    app.cli.add_command(broken)
    return app


def create_cli_app() -> Flask:
    from app import create_app

    try:
        return create_app()
    except ConfigError as error:
        return _broken_config_app(error)
