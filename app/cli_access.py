"""``flask tenants``, ``flask tokens`` and ``flask audit``: operator commands for access control.

``tokens create`` prints the secret once; nothing else ever shows a secret or a hash. Every
change is written to the audit log with actor ``cli``.
"""

from __future__ import annotations

import json
from datetime import datetime

import click
from flask.cli import AppGroup

from app.cli import fail
from app.engine.access import CLI_ACTOR, ROLES, AccessError, Actor, parse_duration
from app.request_context import current_config, current_services
from app.storage.models import MAX_ROW_ID

tenants_cli = AppGroup("tenants", help="Tenants: each has its own tokens, quota, knowledge and conversations.")
tokens_cli = AppGroup("tokens", help="API tokens (stored only as keyed hashes).")
audit_cli = AppGroup("audit", help="The audit log of admin actions and operator commands.")

_CLI = Actor(CLI_ACTOR)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else "-"


@tenants_cli.command("create")
@click.argument("name")
@click.option("--quota", default="", help='e.g. "1000/day;60/minute" (default: auth.default_tenant_quota).')
def tenants_create(name: str, quota: str) -> None:
    """Create tenant NAME."""
    services = current_services()
    try:
        tenant = services.access.create_tenant(name, quota)
    except AccessError as exc:
        fail(str(exc))
    services.audit.record(_CLI, "tenant.create", tenant.name, {"quota": tenant.quota})
    click.echo(f"tenant {tenant.name} created (quota: {tenant.quota or 'default'})")


@tenants_cli.command("list")
def tenants_list() -> None:
    """Every tenant with its quota."""
    default = current_config().auth.default_tenant_quota
    tenants = current_services().access.tenants()
    if not tenants:
        click.echo("no tenants")
    for tenant in tenants:
        quota = tenant.quota or f"{default} (default)"
        click.echo(f"{tenant.name}\tquota {quota}\tcreated {_when(tenant.created_at)}")


@tokens_cli.command("create")
@click.option("--tenant", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--expires", default=None, help="Lifetime such as 90m, 12h or 30d (default: no expiry).")
@click.option("--quota", default="", help="A quota of this token alone, on top of the tenant's.")
def tokens_create(tenant: str, role: str, expires: str | None, quota: str) -> None:
    """Mint a token and print it once: it cannot be shown again."""
    services = current_services()
    try:
        lifetime = parse_duration(expires) if expires else None
        info, secret = services.access.create_token(tenant, role, lifetime, quota)
    except AccessError as exc:
        fail(str(exc))
    services.audit.record(Actor(CLI_ACTOR, tenant), "token.create", str(info.id),
                          {"role": role, "expires_at": _when(info.expires_at), "quota": info.quota})
    click.echo(f"token id {info.id} (tenant {info.tenant}, role {info.role}, expires {_when(info.expires_at)})")
    click.echo("store it now, it is not shown again:")
    click.echo(secret)


@tokens_cli.command("revoke")
@click.argument("token_id", type=click.IntRange(1, MAX_ROW_ID))
def tokens_revoke(token_id: int) -> None:
    """Revoke token TOKEN_ID (refused on every worker within auth.token_cache_seconds)."""
    services = current_services()
    try:
        info = services.access.revoke_token(token_id)
    except AccessError as exc:
        fail(str(exc))
    services.audit.record(Actor(CLI_ACTOR, info.tenant), "token.revoke", str(token_id))
    click.echo(f"token {token_id} revoked")


@tokens_cli.command("list")
@click.option("--tenant", default=None)
def tokens_list(tenant: str | None) -> None:
    """Tokens without their secrets: id, tenant, role, created, expires, revoked, hint."""
    tokens = current_services().access.tokens(tenant)
    if not tokens:
        click.echo("no tokens")
    for t in tokens:
        click.echo(f"{t.id}\t{t.tenant}\t{t.role}\tcreated {_when(t.created_at)}\texpires {_when(t.expires_at)}"
                   f"\trevoked {_when(t.revoked_at)}\tlast used {_when(t.last_used)}\t{t.display}")


@audit_cli.command("list")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1))
@click.option("--tenant", default=None)
@click.option("--json", "as_json", is_flag=True, help="JSON lines.")
def audit_list(limit: int, tenant: str | None, as_json: bool) -> None:
    """The most recent audit records first."""
    entries = current_services().audit.entries(limit, tenant)
    if not entries and not as_json:
        click.echo("no audit records")
    for e in entries:
        if as_json:
            click.echo(json.dumps({"id": e.id, "created_at": e.created_at.isoformat(), "actor": e.actor,
                                   "tenant": e.tenant, "action": e.action, "target": e.target,
                                   "details": e.details, "request_id": e.request_id}, ensure_ascii=False))
        else:
            click.echo(f"{_when(e.created_at)}\t{e.actor}\t{e.tenant or '-'}\t{e.action}\t{e.target or '-'}"
                       f"\t{e.request_id or '-'}\t{json.dumps(e.details, ensure_ascii=False)}")
