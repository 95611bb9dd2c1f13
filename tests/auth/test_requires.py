"""``@requires``: every route declares what it needs, and roles are enforced."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.auth import REQUIREMENT_ATTR, requires
from tests.conftest import bearer, issue_token


def test_every_route_declares_its_requirement(app: Flask) -> None:
    undeclared = [
        f"{rule.rule} ({rule.endpoint})"
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and getattr(app.view_functions[rule.endpoint], REQUIREMENT_ATTR, None) is None
    ]
    assert undeclared == []
    levels = {rule.rule: getattr(app.view_functions[rule.endpoint], REQUIREMENT_ATTR)
              for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    assert levels["/health"] == "public" and levels["/chat"] == "user"
    assert levels["/admin/kb/documents"] == "admin" and levels["/metrics"] == "metrics"


def test_unknown_levels_are_refused_at_import_time() -> None:
    with pytest.raises(ValueError, match="unknown access level"):
        requires("root")  # type: ignore[arg-type]


ADMIN_ROUTES = [
    ("get", "/admin/kb/documents"),
    ("post", "/admin/kb/documents"),
    ("delete", "/admin/kb/documents/1"),
    ("post", "/admin/kb/reindex"),
    ("get", "/admin/kb/status"),
    ("get", "/admin/conversations?session_id=abc"),
    ("delete", "/admin/conversations/abc"),
]


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
def test_admin_routes_refuse_users_and_anonymous_callers(
    app: Flask, client: FlaskClient, method: str, path: str
) -> None:
    user = issue_token(app, "acme", "user")
    for headers in ({}, bearer(user)):
        response = getattr(client, method)(path, headers=headers)
        assert response.status_code == 403, (path, headers)
        assert response.get_json()["code"] == "forbidden"
    audit = app.extensions["services"].audit.entries()
    assert audit == []  # refused before the admin service ran
