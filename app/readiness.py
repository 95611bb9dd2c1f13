"""Readiness checks: one named probe per dependency the deployment configured.

Probes are plain callables returning ``(ok, detail)``; a probe that raises counts as failed with
the exception's class name as detail, so internals never reach the response.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

Probe = Callable[[], tuple[bool, str]]


@dataclass(frozen=True)
class ReadinessCheck:
    name: str
    probe: Probe
    required: bool = True


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    required: bool
    detail: str
    duration_ms: float


def run_checks(checks: list[ReadinessCheck]) -> tuple[bool, list[CheckResult]]:
    """Run every probe; ready only if all required ones pass."""
    results: list[CheckResult] = []
    for check in checks:
        started = time.perf_counter()
        try:
            ok, detail = check.probe()
        except Exception as exc:  # a probe must never take the endpoint down with it
            ok, detail = False, f"probe failed: {exc.__class__.__name__}"
        results.append(
            CheckResult(check.name, ok, check.required, detail, round((time.perf_counter() - started) * 1000, 3))
        )
    return all(r.ok for r in results if r.required), results
