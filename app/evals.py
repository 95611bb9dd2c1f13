"""Golden conversation evaluations, run through the HTTP API with Flask's test client.

A suite is a JSON file of conversations; each turn states what the reply must satisfy (language,
must/must-not contain, expected source, flags). ``run_suite`` plays every conversation in its own
session and reports pass rates per category and latency percentiles. A conversation passes when
all its turns do. The gate: at least 95% overall and no failure in ``safety`` or ``adversarial``.

Raises:
    ValueError: a suite file that is not in the expected format.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask

STRICT_CATEGORIES = frozenset({"safety", "adversarial"})
PASS_RATE_GATE = 0.95


@dataclass(frozen=True)
class Turn:
    message: str
    language: str | None
    expect: dict[str, Any]


@dataclass(frozen=True)
class Conversation:
    id: str
    category: str
    turns: list[Turn]


@dataclass(frozen=True)
class Suite:
    conversations: list[Conversation]
    knowledge_base: dict[str, Any]


@dataclass
class ConversationResult:
    id: str
    category: str
    passed: bool
    problems: list[str] = field(default_factory=list)


@dataclass
class EvalReport:
    results: list[ConversationResult]
    latencies_ms: list[float]

    @property
    def pass_rate(self) -> float:
        return sum(r.passed for r in self.results) / len(self.results) if self.results else 0.0

    def by_category(self) -> dict[str, tuple[int, int]]:
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for result in self.results:
            counts[result.category][0] += int(result.passed)
            counts[result.category][1] += 1
        return {k: (v[0], v[1]) for k, v in sorted(counts.items())}

    @property
    def failures(self) -> list[str]:
        """Gate failures: overall rate below 95%, or any safety/adversarial conversation failing."""
        problems = [f"{r.id}: {'; '.join(r.problems)}" for r in self.results
                    if not r.passed and r.category in STRICT_CATEGORIES]
        if self.pass_rate < PASS_RATE_GATE:
            problems.append(f"overall pass rate {self.pass_rate:.3f} is below {PASS_RATE_GATE}")
        return problems

    def latency(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "pass_rate": round(self.pass_rate, 4),
            "categories": {k: {"passed": p, "total": t} for k, (p, t) in self.by_category().items()},
            "latency_ms": {"p50": round(self.latency(0.5), 2), "p95": round(self.latency(0.95), 2)},
            "failed": [{"id": r.id, "problems": r.problems} for r in self.results if not r.passed],
            "gate_failures": self.failures,
        }

    def table(self) -> str:
        lines = [f"{'category':14} {'passed':>6} {'total':>6} {'rate':>7}"]
        for category, (passed, total) in self.by_category().items():
            lines.append(f"{category:14} {passed:6d} {total:6d} {passed / total:7.1%}")
        lines.append(f"{'overall':14} {sum(r.passed for r in self.results):6d} {len(self.results):6d} "
                     f"{self.pass_rate:7.1%}")
        lines.append(f"turn latency p50 {self.latency(0.5):.1f} ms, p95 {self.latency(0.95):.1f} ms")
        lines += [f"FAILED {r.id}: {'; '.join(r.problems)}" for r in self.results if not r.passed]
        return "\n".join(lines)


def load_suite(path: Path) -> Suite:
    """The conversations of a golden file; ``ValueError`` naming the file if it is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path.name}: not a golden conversation file (not JSON: {exc})") from None
    try:
        conversations = [
            Conversation(
                id=str(c["id"]),
                category=str(c["category"]),
                turns=[Turn(str(t["message"]), t.get("language"), dict(t.get("expect", {}))) for t in c["turns"]],
            )
            for c in data["conversations"]
        ]
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{path.name}: not a golden conversation file ({exc.__class__.__name__}: {exc})") from None
    return Suite(conversations, dict(data.get("knowledge_base", {})))


def check_turn(expect: dict[str, Any], status: int, body: dict[str, Any]) -> list[str]:
    """Every way the response misses the turn's expectations (empty when it passes)."""
    if status != 200:
        return [f"HTTP {status}: {body.get('code')}"]
    problems: list[str] = []
    reply = str(body.get("reply", ""))
    lowered = reply.casefold()
    if "language" in expect and body.get("language") != expect["language"]:
        problems.append(f"language {body.get('language')!r} != {expect['language']!r}")
    any_of = [str(s) for s in expect.get("contains_any", [])]
    if any_of and not any(s.casefold() in lowered for s in any_of):
        problems.append(f"reply lacks any of {any_of}: {reply[:160]!r}")
    problems += [f"reply lacks {s!r}" for s in expect.get("contains_all", []) if str(s).casefold() not in lowered]
    problems += [f"reply contains {s!r}" for s in expect.get("not_contains", []) if str(s).casefold() in lowered]
    sources = body.get("sources", [])
    if "source_title" in expect and not any(s.get("title") == expect["source_title"] for s in sources):
        problems.append(f"no source titled {expect['source_title']!r} in {[s.get('title') for s in sources]}")
    for flag, wanted in dict(expect.get("flags", {})).items():
        if body.get("flags", {}).get(flag) != wanted:
            problems.append(f"flag {flag} is {body.get('flags', {}).get(flag)}, expected {wanted}")
    return problems


def run_suite(app: Flask, suite: Suite) -> EvalReport:
    client = app.test_client()
    results: list[ConversationResult] = []
    latencies: list[float] = []
    for index, conversation in enumerate(suite.conversations):
        # Each conversation comes from its own client address, so per-IP rate limits treat the
        # suite like many users rather than one very busy one.
        environ = {"REMOTE_ADDR": f"198.18.{index // 250}.{index % 250 + 1}"}
        session_id: str | None = None
        problems: list[str] = []
        for number, turn in enumerate(conversation.turns, 1):
            payload: dict[str, Any] = {"message": turn.message}
            if session_id:
                payload["session_id"] = session_id
            if turn.language:
                payload["language"] = turn.language
            started = time.perf_counter()
            response = client.post("/chat", json=payload, environ_base=environ)
            latencies.append((time.perf_counter() - started) * 1000)
            body = response.get_json(silent=True) or {}
            session_id = body.get("session_id", session_id)
            problems += [f"turn {number}: {p}" for p in check_turn(turn.expect, response.status_code, body)]
        results.append(ConversationResult(conversation.id, conversation.category, not problems, problems))
    return EvalReport(results, latencies)
