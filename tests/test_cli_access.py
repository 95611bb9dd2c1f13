"""``flask tenants``, ``flask tokens`` and ``flask audit``."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.storage.access_models import ApiToken
from tests.conftest import bearer


def test_tenants_create_and_list(runner: FlaskCliRunner) -> None:
    created = runner.invoke(args=["tenants", "create", "acme", "--quota", "1000/day;60/minute"])
    assert created.exit_code == 0, created.output
    assert runner.invoke(args=["tenants", "create", "globex"]).exit_code == 0
    duplicate = runner.invoke(args=["tenants", "create", "acme"])
    assert duplicate.exit_code == 1 and "exists already" in duplicate.output
    bad_quota = runner.invoke(args=["tenants", "create", "initech", "--quota", "lots"])
    assert bad_quota.exit_code == 1 and "not a quota" in bad_quota.output
    listed = runner.invoke(args=["tenants", "list"]).output.splitlines()
    assert listed[0].startswith("acme\tquota 1000/day;60/minute")
    assert listed[1].startswith("globex\tquota 1000/day;60/minute (default)")


def test_tokens_create_list_revoke(app: Flask, runner: FlaskCliRunner) -> None:
    runner.invoke(args=["tenants", "create", "acme"])
    created = runner.invoke(args=["tokens", "create", "--tenant", "acme", "--role", "admin", "--expires", "30d"])
    assert created.exit_code == 0, created.output
    secret = created.output.strip().splitlines()[-1]
    assert secret.startswith("cbt_") and "token id 1" in created.output
    client = app.test_client()
    assert client.get("/admin/kb/documents", headers=bearer(secret)).status_code == 200

    listed = runner.invoke(args=["tokens", "list"]).output
    with Session(app.extensions["services"].engine) as db:
        stored_hash = db.scalars(select(ApiToken.token_hash)).one()
    assert secret not in listed and stored_hash not in listed
    assert "acme\tadmin" in listed and "revoked -" in listed and secret[:8] in listed

    assert runner.invoke(args=["tokens", "revoke", "1"]).exit_code == 0
    assert "revoked 20" in runner.invoke(args=["tokens", "list"]).output
    missing = runner.invoke(args=["tokens", "revoke", "99"])
    assert missing.exit_code == 1 and "no token" in missing.output


def test_tokens_create_checks_its_input(runner: FlaskCliRunner) -> None:
    unknown = runner.invoke(args=["tokens", "create", "--tenant", "nobody", "--role", "user"])
    assert unknown.exit_code == 1 and "no tenant" in unknown.output
    runner.invoke(args=["tenants", "create", "acme"])
    bad_role = runner.invoke(args=["tokens", "create", "--tenant", "acme", "--role", "root"])
    assert bad_role.exit_code == 2
    bad_expiry = runner.invoke(args=["tokens", "create", "--tenant", "acme", "--role", "user", "--expires", "1w"])
    assert bad_expiry.exit_code == 1 and "s, m, h or d" in bad_expiry.output


def test_audit_list_shows_operator_and_admin_actions(app: Flask, runner: FlaskCliRunner) -> None:
    runner.invoke(args=["tenants", "create", "acme"])
    secret = runner.invoke(args=["tokens", "create", "--tenant", "acme", "--role", "admin"]).output.split()[-1]
    app.test_client().get("/admin/kb/status", headers={**bearer(secret), "X-Request-ID": "audit-me"})
    lines = runner.invoke(args=["audit", "list"]).output.splitlines()
    assert [line.split("\t")[3] for line in lines] == ["kb.status", "token.create", "tenant.create"]
    assert lines[0].split("\t")[1:3] == ["token:1", "acme"] and "audit-me" in lines[0]
    assert lines[2].split("\t")[1] == "cli"
    as_json = runner.invoke(args=["audit", "list", "--json", "--limit", "1"]).output.splitlines()
    assert len(as_json) == 1 and '"request_id": "audit-me"' in as_json[0]
