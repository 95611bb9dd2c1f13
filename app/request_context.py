"""Per-request facts other modules read: the request id and the client's address."""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING

from flask import current_app, g, has_request_context, request

from app.config import Config

if TYPE_CHECKING:
    from app.engine.pipeline import Caller
    from app.services import Services

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")


def choose_request_id(inbound: str | None) -> str:
    """Keep a caller's X-Request-ID only if it is short and plain; otherwise mint one."""
    if inbound and _VALID_REQUEST_ID.match(inbound):
        return inbound
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    if not has_request_context():
        return None
    request_id: str | None = g.get("request_id")
    return request_id


def client_address() -> str:
    """The client's IP as seen after ProxyFix, which trusts only the configured number of proxy hops."""
    return request.remote_addr or "unknown"


def current_config() -> Config:
    """The validated configuration object of the app handling this request or CLI command."""
    config: Config = current_app.extensions["config"]
    return config


def current_services() -> Services:
    services: Services = current_app.extensions["services"]
    return services


def current_caller() -> Caller:
    """The caller of this request; anonymous until authentication assigns a tenant and roles."""
    from app.engine.pipeline import Caller

    caller: Caller | None = g.get("caller")
    return caller if caller is not None else Caller()
