"""Typed, schema-aware coercion of nested mappings into dataclass trees.

The configuration is a tree of dataclasses; this module turns plain mappings (from defaults,
profiles, YAML, environment variables and overrides) into that tree, and reports every unknown key
and wrong type with its dotted key path and the expected type.

Raises:
    ConfigError: carries the list of problems found (one line each).
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from collections.abc import Mapping
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

from app.engine.setting_bounds import MAXIMUM, MINIMUM

T = TypeVar("T")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class ConfigError(ValueError):
    """Invalid configuration; ``problems`` holds one human-readable line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def type_name(tp: Any) -> str:
    """A short, readable name for a type annotation (used in error messages)."""
    origin = get_origin(tp)
    if origin is Literal:
        return " | ".join(repr(a) for a in get_args(tp))
    if origin in (Union, types.UnionType):
        return " | ".join(type_name(a) for a in get_args(tp))
    if origin is not None:
        return f"{getattr(origin, '__name__', str(origin))}[{', '.join(type_name(a) for a in get_args(tp))}]"
    if tp is type(None):
        return "null"
    if dataclasses.is_dataclass(tp):
        return "mapping"
    return getattr(tp, "__name__", str(tp))


def merge(base: Mapping[str, Any], layer: Mapping[str, Any]) -> dict[str, Any]:
    """Recursive merge: nested mappings merge, scalars and lists replace."""
    merged = dict(base)
    for key, value in layer.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def to_dict(obj: Any) -> Any:
    """Dataclass tree to plain dicts/lists (for YAML output and merging)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, list | tuple):
        return [to_dict(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_dict(v) for k, v in obj.items()}
    return obj


def field_types(cls: type) -> dict[str, Any]:
    """Resolved annotations of a dataclass's fields."""
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def build(cls: type[T], data: Mapping[str, Any], path: str = "") -> T:
    """Build dataclass ``cls`` from ``data`` over its defaults, or raise ConfigError listing every problem."""
    problems: list[str] = []
    value = _build_dataclass(cls, data, path, problems)
    if problems:
        raise ConfigError(problems)
    return typing.cast(T, value)


def _build_dataclass(cls: type, data: Any, path: str, problems: list[str]) -> Any:
    if not isinstance(data, Mapping):
        problems.append(f"{path or '<root>'}: expected mapping, got {type(data).__name__}")
        return cls()
    types_ = field_types(cls)
    bounds = {f.name: f.metadata for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, raw in data.items():
        key_path = f"{path}.{key}" if path else str(key)
        if key not in types_:
            problems.append(f"{key_path}: unknown key")
            continue
        value = _coerce(types_[key], raw, key_path, problems, from_text=False)
        if _within(value, bounds[key], key_path, problems):
            kwargs[key] = value
    return cls(**kwargs)


def _within(value: Any, bounds: Mapping[str, Any], path: str, problems: list[str]) -> bool:
    """Whether a number respects the bounds its field declares (see app.engine.setting_bounds)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return True
    low, high = bounds.get(MINIMUM), bounds.get(MAXIMUM)
    if (low is None or value >= low) and (high is None or value <= high):
        return True
    expected = f"between {low} and {high}" if high is not None else f"at least {low}"
    problems.append(f"{path}: expected a number {expected}, got {value}")
    return False


def _coerce(tp: Any, raw: Any, path: str, problems: list[str], *, from_text: bool) -> Any:
    """Check ``raw`` against ``tp``; text from environment variables is parsed to the type first."""
    if dataclasses.is_dataclass(tp):
        if from_text and isinstance(raw, str):
            raw = _parse_json(raw, path, problems, tp)
        return _build_dataclass(typing.cast(type, tp), raw, path, problems)
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        return _coerce_union(tp, raw, path, problems, from_text=from_text)
    if origin is Literal:
        if raw in get_args(tp):
            return raw
        if isinstance(raw, str):  # a choice, never a secret: show what was asked for
            problems.append(f"{path}: expected {type_name(tp)}, got {raw[:40]!r}")
            return None
        return _fail(problems, path, tp, raw)
    if origin is list:
        return _coerce_list(tp, raw, path, problems, from_text=from_text)
    if origin is dict:
        return _coerce_dict(tp, raw, path, problems, from_text=from_text)
    return _coerce_scalar(tp, raw, path, problems, from_text=from_text)


def _coerce_union(tp: Any, raw: Any, path: str, problems: list[str], *, from_text: bool) -> Any:
    options = get_args(tp)
    if raw is None and type(None) in options:
        return None
    if from_text and raw in ("", "null", "none") and type(None) in options:
        return None
    for option in options:
        if option is type(None):
            continue
        attempt: list[str] = []
        value = _coerce(option, raw, path, attempt, from_text=from_text)
        if not attempt:
            return value
    return _fail(problems, path, tp, raw)


def _coerce_list(tp: Any, raw: Any, path: str, problems: list[str], *, from_text: bool) -> Any:
    (item_tp,) = get_args(tp) or (Any,)
    if from_text and isinstance(raw, str):
        stripped = raw.strip()
        if stripped.startswith("["):
            raw = _parse_json(stripped, path, problems, tp)
        else:
            raw = [part.strip() for part in stripped.split(",") if part.strip()]
    if not isinstance(raw, list | tuple):
        return _fail(problems, path, tp, raw)
    return [
        _coerce(item_tp, item, f"{path}[{i}]", problems, from_text=from_text) for i, item in enumerate(raw)
    ]


def _coerce_dict(tp: Any, raw: Any, path: str, problems: list[str], *, from_text: bool) -> Any:
    key_tp, value_tp = get_args(tp) or (str, Any)
    if from_text and isinstance(raw, str):
        raw = _parse_json(raw, path, problems, tp)
    if not isinstance(raw, Mapping):
        return _fail(problems, path, tp, raw)
    return {
        _coerce(key_tp, k, f"{path}.{k}", problems, from_text=from_text): _coerce(
            value_tp, v, f"{path}.{k}", problems, from_text=from_text
        )
        for k, v in raw.items()
    }


def _coerce_scalar(tp: Any, raw: Any, path: str, problems: list[str], *, from_text: bool) -> Any:
    value = _coerce_plain_scalar(tp, raw, path, problems, from_text=from_text)
    # Every number the service is configured with is a size, a count, a duration, a weight or a
    # threshold: a negative or non-finite one is a typo that would only fail later, at run time.
    if tp in (int, float) and isinstance(value, int | float) and not (0 <= value < math.inf):
        problems.append(f"{path}: expected a finite number of at least 0, got {raw}")
        return None
    return value


def _coerce_plain_scalar(tp: Any, raw: Any, path: str, problems: list[str], *, from_text: bool) -> Any:
    if tp is Any:
        return raw
    if from_text and isinstance(raw, str) and tp is not str:
        return _parse_scalar(tp, raw, path, problems)
    if tp is bool:
        return raw if isinstance(raw, bool) else _fail(problems, path, tp, raw)
    if tp is int:
        ok = isinstance(raw, int) and not isinstance(raw, bool)
        return raw if ok else _fail(problems, path, tp, raw)
    if tp is float:
        ok = isinstance(raw, int | float) and not isinstance(raw, bool)
        return float(raw) if ok else _fail(problems, path, tp, raw)
    if tp is str:
        return raw if isinstance(raw, str) else _fail(problems, path, tp, raw)
    return raw if isinstance(raw, tp) else _fail(problems, path, tp, raw)


def _parse_scalar(tp: Any, text: str, path: str, problems: list[str]) -> Any:
    lowered = text.strip().lower()
    if tp is bool:
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        return _fail(problems, path, tp, text)
    try:
        if tp is int:
            return int(lowered)
        if tp is float:
            return float(lowered)
    except ValueError:
        return _fail(problems, path, tp, text)
    return _fail(problems, path, tp, text)


def _parse_json(text: str, path: str, problems: list[str], tp: Any) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return _fail(problems, path, tp, text)


def _fail(problems: list[str], path: str, tp: Any, raw: Any) -> None:
    shown = raw if isinstance(raw, int | float | bool) or raw is None else type(raw).__name__
    problems.append(f"{path}: expected {type_name(tp)}, got {shown}")
    return None


def coerce_text(tp: Any, text: str, path: str) -> Any:
    """Parse one environment-variable string to ``tp``; raise ConfigError naming ``path`` on failure."""
    problems: list[str] = []
    value = _coerce(tp, text, path, problems, from_text=True)
    if problems:
        raise ConfigError(problems)
    return value


def resolve_path(root: type, keys: list[str]) -> tuple[Any, str] | None:
    """The annotation at ``keys`` (case-insensitive) below dataclass ``root``, and its canonical dotted path."""
    tp: Any = root
    canonical: list[str] = []
    for key in keys:
        if not dataclasses.is_dataclass(tp):
            return None
        by_lower = {name.lower(): (name, t) for name, t in field_types(typing.cast(type, tp)).items()}
        match = by_lower.get(key.lower())
        if match is None:
            return None
        canonical.append(match[0])
        tp = match[1]
    return tp, ".".join(canonical)
