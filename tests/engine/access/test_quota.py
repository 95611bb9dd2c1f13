"""Quota strings in Flask-Limiter notation."""

from __future__ import annotations

import pytest

from app.engine.access import InvalidQuota, normalise_quota, parse_quota


def test_quota_strings_parse_to_limits() -> None:
    limits = parse_quota("1000/day;60/minute")
    assert [(item.amount, item.get_expiry()) for item in limits] == [(1000, 86400), (60, 60)]
    assert parse_quota("") == []


def test_quotas_are_stored_normalised() -> None:
    assert normalise_quota(" 1000/day ; 60/minute ") == "1000/day;60/minute"


@pytest.mark.parametrize("text", ["lots", "10/fortnight", "x" * 300])
def test_bad_quotas_are_refused(text: str) -> None:
    with pytest.raises(InvalidQuota):
        parse_quota(text)
