#!/usr/bin/env python3
"""``make bench``: start gunicorn, run the HTTP benchmarks against it, stop it; then the offline benches.

Each HTTP scenario runs on a fresh server with its own instance folder: the embedded default
(memory:// limits, SQLite metrics) and, when Redis answers, the scaled-out one (Redis limits and
metrics). ``/health`` is exempt from limits; ``/info`` is rate-limited, so it shows the limiter's cost.
Medians over ``--repeats`` runs are printed as one table.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

import perf_bench  # noqa: E402

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(env: dict[str, str], workers: int, target: str = "wsgi:app") -> Iterator[str]:
    """Serve ``target`` under the deployment's gunicorn settings; yields the base URL once it answers."""
    port = _free_port()
    full = {**os.environ, **env, "HOST": "127.0.0.1", "PORT": str(port), "WORKERS": str(workers)}
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", target],
        cwd=REPO, env=full, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(base + "/health", timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("server did not start") from None
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


def http_scenarios(args: argparse.Namespace) -> list[dict[str, object]]:
    scenarios: list[tuple[str, dict[str, str]]] = [("embedded (memory limits, sqlite metrics)", {})]
    if _redis_answers(args.redis_url):
        scenarios.append(("redis (redis limits + metrics)", {"REDIS_URL": args.redis_url}))
    rows: list[dict[str, object]] = []
    for name, extra in scenarios:
        with tempfile.TemporaryDirectory() as tmp:
            env = {
                "APP_ENV": "testing",
                "APP_INSTANCE_PATH": tmp,
                "APP__RATELIMIT__DEFAULT": "1000000/minute",
                "APP__RATELIMIT__KEY_PREFIX": f"bench-{uuid.uuid4().hex[:8]}",
                **extra,
            }
            with server(env, args.workers) as base:
                for path in args.paths:
                    runs = [
                        perf_bench.run(base, path, args.iters, args.concurrency, [None]) for _ in range(args.repeats)
                    ]
                    rows.append({"scenario": name, **median_run(runs)})
    return rows


def median_run(runs: list[dict[str, object]]) -> dict[str, object]:
    """Medians over repeated runs of one scenario; errors are summed, never averaged away."""
    merged: dict[str, object] = dict(runs[0])
    for key in ("throughput_rps", "avg_ms", "p50_ms", "p95_ms", "p99_ms", "client_cpu_ms"):
        merged[key] = round(statistics.median(float(str(r[key])) for r in runs), 3)
    merged["errors"] = sum(int(str(r["errors"])) for r in runs)
    merged["repeats"] = len(runs)
    return merged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iters", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--paths", nargs="+", default=["/health", "/info"])
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    rows = http_scenarios(args)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"HTTP, gunicorn {args.workers} workers, concurrency {args.concurrency}, "
          f"{args.iters} requests, median of {args.repeats}")
    print(f"{'scenario':44} {'path':8} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>6}")
    for row in rows:
        print(f"{row['scenario']!s:44} {row['path']!s:8} {row['throughput_rps']!s:>8} {row['p50_ms']!s:>8} "
              f"{row['p95_ms']!s:>8} {row['p99_ms']!s:>8} {row['errors']!s:>6}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
