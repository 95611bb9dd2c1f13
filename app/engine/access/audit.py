"""The audit log: who did what to which target, when, under which request id.

Admin API actions and operator commands append records; ``flask audit list`` reads them.
Raises nothing beyond database errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select

from app.storage.access_models import AuditRecord
from app.storage.db import session_factory

CLI_ACTOR = "cli"


@dataclass(frozen=True)
class Actor:
    """Who acts: ``token:<id>`` of ``tenant`` over the API, or ``cli``; with the request id if any."""

    actor: str
    tenant: str = ""
    request_id: str = ""


@dataclass(frozen=True)
class AuditEntry:
    id: int
    actor: str
    tenant: str
    action: str
    target: str
    details: dict[str, Any] = field(default_factory=dict)
    request_id: str = ""
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))


class AuditLog:
    def __init__(self, engine: Engine) -> None:
        self._maker = session_factory(engine)

    def record(self, who: Actor, action: str, target: str = "", details: dict[str, Any] | None = None) -> None:
        with self._maker.begin() as db:
            db.add(AuditRecord(actor=who.actor, tenant=who.tenant, action=action, target=target[:256],
                               details=dict(details or {}), request_id=who.request_id[:64],
                               created_at=datetime.now(UTC)))

    def entries(self, limit: int = 50, tenant: str | None = None) -> list[AuditEntry]:
        """The most recent entries first."""
        with self._maker() as db:
            stmt = select(AuditRecord).order_by(AuditRecord.id.desc()).limit(limit)
            if tenant is not None:
                stmt = stmt.where(AuditRecord.tenant == tenant)
            return [
                AuditEntry(r.id, r.actor, r.tenant, r.action, r.target, dict(r.details or {}), r.request_id,
                           r.created_at if r.created_at.tzinfo else r.created_at.replace(tzinfo=UTC))
                for r in db.scalars(stmt).all()
            ]
