"""The service's one configuration object: typed sections, layered loading, validation.

Load order (later wins): defaults in code -> profile for ``APP_ENV`` -> ``instance/config.yaml`` ->
environment variables (``APP__SECTION__KEY`` and a few conventional names) -> overrides passed to
``create_app``. Nested mappings merge; scalars and lists replace.

Raises:
    ConfigError: unknown keys, wrong types, unparsable environment values or an unknown profile.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import yaml

from app.config_schema import ConfigError as ConfigError
from app.config_schema import build, coerce_text, merge, resolve_path, to_dict
from app.engine.access.errors import InvalidQuota
from app.engine.access.quota import parse_quota
from app.engine.chat_settings import ChatSettings
from app.engine.knowledge.settings import RetrievalSettings
from app.engine.language_settings import LanguageSettings
from app.engine.safety.settings import SafetySettings
from app.engine.setting_bounds import at_least

PROFILES = ("development", "testing", "staging", "production")
DEFAULT_SECRET_KEY = "dev-insecure-change-me"
MASK = "********"


@dataclass
class AppSection:
    name: str = "chatbot"
    env: str = "development"
    debug: bool = False
    testing: bool = False
    version: str = "0.1.0"


@dataclass
class ServerSection:
    max_body_bytes: int = at_least(1, 64 * 1024)
    trusted_proxies: int = 0
    workers: int = at_least(1, 1)


@dataclass
class SecuritySection:
    secret_key: str = DEFAULT_SECRET_KEY
    cors_origins: list[str] = field(default_factory=list)
    api_csp: str = "default-src 'none'; frame-ancestors 'none'"
    page_csp: str = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
    frame_options: str = "DENY"
    referrer_policy: str = "no-referrer"
    permissions_policy: str = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
    hsts_enabled: bool = False
    hsts_max_age: int = 63072000
    hsts_include_subdomains: bool = True
    api_keys: list[str] = field(default_factory=list)


@dataclass
class RateLimitSection:
    enabled: bool = True
    storage_uri: str = ""
    default: str = "120/minute;2000/hour"
    key_prefix: str = "chatbot"
    on_storage_error: Literal["open", "closed"] = "open"
    strategy: str = "fixed-window"


@dataclass
class AuthSection:
    # Requests without a token: allowed (role user, no tenant, per-IP limits) or refused with 401.
    # Off by default; the development and testing profiles turn it on.
    allow_anonymous: bool = False
    # How long a worker trusts a verified token before asking the database again (revocation delay).
    token_cache_seconds: float = 5.0
    # Quota of a tenant created without --quota (Flask-Limiter notation).
    default_tenant_quota: str = "1000/day;60/minute"
    # Quota of each anonymous client IP across all routes, on top of ratelimit.default per route.
    anonymous_quota: str = "1000/hour"
    # Requests with a wrong token per client IP; beyond it the address gets 429 before any lookup.
    failed_auth_quota: str = "30/minute;300/hour"
    # Who may read /metrics: "public", "user" or "admin".
    metrics_access: Literal["public", "user", "admin"] = "admin"
    upload_max_bytes: int = at_least(1, 1024 * 1024)
    upload_types: list[str] = field(default_factory=lambda: [".md", ".markdown", ".txt", ".html", ".htm", ".json"])


@dataclass
class LoggingSection:
    level: str = "INFO"
    dir: str = ""
    access_log: bool = True
    json: bool = True


@dataclass
class MetricsSection:
    enabled: bool = True
    window_seconds: int = at_least(1, 300)
    backend: Literal["auto", "sqlite", "redis"] = "auto"


@dataclass
class StorageSection:
    database_url: str = ""
    redis_url: str = ""
    redis_key_prefix: str = "chatbot"


@dataclass
class VoiceSection:
    enabled: bool = False


@dataclass
class Config:
    app: AppSection = field(default_factory=AppSection)
    server: ServerSection = field(default_factory=ServerSection)
    security: SecuritySection = field(default_factory=SecuritySection)
    ratelimit: RateLimitSection = field(default_factory=RateLimitSection)
    auth: AuthSection = field(default_factory=AuthSection)
    logging: LoggingSection = field(default_factory=LoggingSection)
    metrics: MetricsSection = field(default_factory=MetricsSection)
    storage: StorageSection = field(default_factory=StorageSection)
    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    language: LanguageSettings = field(default_factory=LanguageSettings)
    safety: SafetySettings = field(default_factory=SafetySettings)
    chat: ChatSettings = field(default_factory=ChatSettings)
    voice: VoiceSection = field(default_factory=VoiceSection)

    def secrets(self) -> list[str]:
        """Every configured secret value, for log scrubbing and leak checks."""
        values = [self.security.secret_key, *self.security.api_keys]
        values += [url for url in (self.storage.database_url, self.storage.redis_url) if url]
        values += [_url_password(u) for u in (self.storage.database_url, self.storage.redis_url)]
        return [v for v in values if v and len(v) >= 6]


PROFILE_LAYERS: dict[str, dict[str, Any]] = {
    "development": {
        "app": {"debug": True},
        "security": {"cors_origins": ["*"]},
        "auth": {"allow_anonymous": True, "metrics_access": "public"},
        "logging": {"level": "DEBUG"},
    },
    "testing": {
        "app": {"testing": True},
        "security": {"cors_origins": ["*"]},
        "auth": {"allow_anonymous": True, "metrics_access": "public"},
        "logging": {"level": "WARNING", "access_log": False},
    },
    "staging": {"security": {"hsts_enabled": True}},
    "production": {"security": {"hsts_enabled": True}, "logging": {"level": "INFO"}},
}

# Conventional variable names operators already know, mapped onto the nested keys.
CONVENTIONAL_ENV = {
    "SECRET_KEY": "security.secret_key",
    "REDIS_URL": "storage.redis_url",
    "DATABASE_URL": "storage.database_url",
    "CORS_ORIGINS": "security.cors_origins",
    "RATELIMIT_STORAGE_URI": "ratelimit.storage_uri",
    "WORKERS": "server.workers",
}


def load_config(
    env: Mapping[str, str],
    instance_path: Path,
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """Load and validate the effective configuration; raise ConfigError listing every problem."""
    profile = env.get("APP_ENV", "development")
    if profile not in PROFILES:
        raise ConfigError([f"APP_ENV: expected one of {', '.join(PROFILES)}, got {profile!r}"])
    layered: dict[str, Any] = merge({"app": {"env": profile}}, PROFILE_LAYERS[profile])
    layered = merge(layered, _read_yaml(instance_path / "config.yaml"))
    layered = merge(layered, env_layer(env))
    layered = merge(layered, dict(overrides or {}))
    config = build(Config, layered)
    problems = []
    for section in (config.language, config.retrieval):
        try:
            section.validate()
        except ValueError as exc:
            problems.append(str(exc))
    if problems:
        raise ConfigError(problems)
    _validate_auth(config.auth)
    _resolve_derived(config)
    return config


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError([f"{path.name}: not valid YAML ({exc.__class__.__name__})"]) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError([f"{path.name}: expected a mapping at the top level"])
    return data


def env_layer(env: Mapping[str, str]) -> dict[str, Any]:
    """Environment variables as a nested mapping, each value parsed to its key's type."""
    problems: list[str] = []
    layer: dict[str, Any] = {}
    assignments: list[tuple[str, list[str], str]] = []
    for name, dotted in CONVENTIONAL_ENV.items():
        if env.get(name):
            assignments.append((name, dotted.split("."), env[name]))
    for name, value in sorted(env.items()):
        if name.startswith("APP__"):
            assignments.append((name, [k for k in name[5:].split("__") if k], value))
    for name, keys, text in assignments:
        resolved = resolve_path(Config, keys)
        if resolved is None:
            problems.append(f"{name}: no configuration key {'.'.join(k.lower() for k in keys)}")
            continue
        tp, dotted = resolved
        try:
            value = coerce_text(tp, text, dotted)
        except ConfigError as exc:
            problems.extend(f"{name}: {p}" for p in exc.problems)
            continue
        layer = merge(layer, _nest(dotted.split("."), value))
    if problems:
        raise ConfigError(problems)
    return layer


def _nest(keys: list[str], value: Any) -> dict[str, Any]:
    nested: dict[str, Any] = {keys[-1]: value}
    for key in reversed(keys[:-1]):
        nested = {key: nested}
    return nested


def _validate_auth(auth: AuthSection) -> None:
    problems = []
    for key in ("default_tenant_quota", "anonymous_quota", "failed_auth_quota"):
        try:
            parse_quota(getattr(auth, key))
        except InvalidQuota as exc:
            problems.append(f"auth.{key}: {exc}")
    if problems:
        raise ConfigError(problems)


def _resolve_derived(config: Config) -> None:
    # An empty storage URI means "share limits through Redis when the deployment has Redis".
    if not config.ratelimit.storage_uri:
        config.ratelimit.storage_uri = config.storage.redis_url or "memory://"


def database_url(config: Config, instance_path: Path) -> str:
    """The effective database URL: DATABASE_URL, or SQLite under the instance folder."""
    return config.storage.database_url or f"sqlite:///{instance_path / 'chatbot.db'}"


def production_problems(config: Config) -> list[str]:
    """Settings that are unsafe for the config's profile (one line each); empty when fine."""
    problems: list[str] = []
    strict = config.app.env in ("staging", "production")
    if not strict:
        return problems
    if config.app.debug:
        problems.append("app.debug: must be false in " + config.app.env)
    if not config.security.secret_key or config.security.secret_key == DEFAULT_SECRET_KEY:
        problems.append("security.secret_key: missing or the development default; set SECRET_KEY")
    elif len(config.security.secret_key) < 32:
        problems.append("security.secret_key: shorter than 32 characters")
    if "*" in config.security.cors_origins:
        problems.append("security.cors_origins: allow-all ('*') is not allowed; list the origins")
    if config.ratelimit.storage_uri.startswith("memory://") and config.server.workers > 1:
        problems.append(
            "ratelimit.storage_uri: memory:// with more than one worker counts limits per worker; use Redis"
        )
    if not config.security.hsts_enabled:
        problems.append("security.hsts_enabled: HSTS must be on in " + config.app.env)
    if config.auth.allow_anonymous:
        problems.append("auth.allow_anonymous: anonymous access must be off in " + config.app.env)
    return problems


_SECRET_KEY_NAME = re.compile(r"(secret|password|passwd|token|api_?key|credential|private)", re.I)


def masked(config: Config) -> dict[str, Any]:
    """The configuration as plain data with every secret masked, for display."""
    tree: dict[str, Any] = _mask_tree(to_dict(config))
    return tree


def _mask_tree(node: Any, key: str = "") -> Any:
    if isinstance(node, dict):
        return {k: _mask_tree(v, str(k)) for k, v in node.items()}
    if isinstance(node, list):
        return [_mask_tree(v, key) for v in node]
    if isinstance(node, str) and node:
        if _SECRET_KEY_NAME.search(key):
            return MASK
        return mask_url_credentials(node)
    return node


def mask_url_credentials(text: str) -> str:
    """``scheme://user:pass@host`` -> ``scheme://user:********@host``; other text unchanged."""
    if "://" not in text or "@" not in text:
        return text
    parts = urlsplit(text)
    if parts.password is None:
        return text
    netloc = parts.netloc.replace(f":{parts.password}@", f":{MASK}@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _url_password(url: str) -> str:
    try:
        return urlsplit(url).password or "" if url else ""
    except ValueError:
        return ""


def section_names() -> list[str]:
    return [f.name for f in dataclasses.fields(Config)]
