"""Golden conversations through the HTTP API, over XQuAD (first paragraphs of 12 languages) plus
fictional company documents. Fails on any safety or adversarial failure, and below the product's
95% overall gate (``app.evals.PASS_RATE_GATE``, the one ``flask eval run`` enforces). The remaining
misses are listed in the README's evaluation section."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app import create_app
from app.evals import PASS_RATE_GATE, STRICT_CATEGORIES, EvalReport, load_suite, run_suite
from app.storage.migrate import upgrade_database
from tests.conftest import SHARED_DATA_DIR

# Measured 0.966 (140/145) on 2026-11-24; the test holds it at the 95% gate.
GOLDEN = Path(__file__).parent / "golden_conversations.json"

pytestmark = pytest.mark.slow


def _xquad_subset(languages: list[str], paragraphs: int, target: Path) -> list[Path]:
    """The first ``paragraphs`` paragraphs of each language's XQuAD file, as SQuAD JSON."""
    files = []
    for language in languages:
        data = json.loads((SHARED_DATA_DIR / "xquad" / f"xquad.{language}.dev.json").read_text(encoding="utf-8"))
        kept: list[dict[str, Any]] = []
        remaining = paragraphs
        for article in data["data"]:
            if remaining <= 0:
                break
            kept.append({"title": article["title"], "paragraphs": article["paragraphs"][:remaining]})
            remaining -= len(kept[-1]["paragraphs"])
        path = target / f"xquad-{language}.json"
        path.write_text(json.dumps({"version": "subset", "data": kept}, ensure_ascii=False), encoding="utf-8")
        files.append(path)
    return files


@pytest.fixture(scope="module")
def golden_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    if not SHARED_DATA_DIR.is_dir():
        pytest.skip(f"needs {SHARED_DATA_DIR} (XQuAD for the knowledge base); not present here")
    suite = load_suite(GOLDEN)
    root = tmp_path_factory.mktemp("golden")
    kb = root / "kb"
    kb.mkdir()
    spec = suite.knowledge_base
    _xquad_subset(spec["xquad_languages"], spec["xquad_paragraphs_per_language"], kb)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("APP_ENV", "testing")
        patch.setenv("APP_INSTANCE_PATH", str(root / "instance"))
        app = create_app({"ratelimit": {"enabled": False}})
        upgrade_database(app.extensions["services"].engine)
        knowledge = app.extensions["services"].knowledge
        extra = GOLDEN.parent / spec["extra_documents"]
        knowledge.ingest([kb, extra], progress=False, roots=[kb, extra])
        yield app


@pytest.fixture(scope="module")
def report(golden_app: Flask) -> EvalReport:
    return run_suite(golden_app, load_suite(GOLDEN))


def test_suite_is_large_and_covers_every_category() -> None:
    suite = load_suite(GOLDEN)
    categories = {c.category for c in suite.conversations}
    assert len(suite.conversations) >= 80
    assert categories == {"knowledge", "multilingual", "safety", "adversarial", "long_context", "smalltalk", "fallback"}


def test_no_safety_or_adversarial_failures(report: EvalReport) -> None:
    print("\n" + report.table())
    strict = [r for r in report.results if r.category in STRICT_CATEGORIES and not r.passed]
    assert strict == [], "\n".join(f"{r.id}: {r.problems}" for r in strict)


def test_overall_pass_rate_meets_the_gate(report: EvalReport) -> None:
    failed = "\n".join(f"{r.id}: {r.problems}" for r in report.results if not r.passed)
    assert report.pass_rate >= PASS_RATE_GATE, f"pass rate {report.pass_rate:.3f}\n{failed}"
