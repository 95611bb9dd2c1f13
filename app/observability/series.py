"""Metric series keys: a metric name plus sorted labels, in Prometheus' own notation.

Raises:
    ValueError: ``parse_series`` on a key that is not in that notation.
"""

from __future__ import annotations

import re

_SERIES = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def series_key(name: str, labels: dict[str, str] | None = None) -> str:
    """``name{a="1",b="2"}`` with labels sorted, so the same labels always give the same key."""
    if not labels:
        return name
    body = ",".join(f'{k}="{_escape(str(v))}"' for k, v in sorted(labels.items()))
    return f"{name}{{{body}}}"


def parse_series(key: str) -> tuple[str, dict[str, str]]:
    match = _SERIES.match(key)
    if match is None:
        raise ValueError(f"not a series key: {key!r}")
    labels = {k: _unescape(v) for k, v in _LABEL.findall(match.group(2) or "")}
    return match.group(1), labels


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _unescape(value: str) -> str:
    return value.replace("\\n", "\n").replace('\\"', '"').replace("\\\\", "\\")
