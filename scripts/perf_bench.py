#!/usr/bin/env python3
"""HTTP load benchmark: latency percentiles, throughput and errors for one endpoint.

    scripts/perf_bench.py --host http://127.0.0.1:8000 --iters 2000 --concurrency 16 --path /health
    scripts/perf_bench.py --path /chat --payload '{"message": "hello"}' --json

With ``--payload`` the request is a JSON POST. ``--payload-file FILE`` sends one JSON line of the
file per request (cycling), so every request can carry a different question. Uses only the
standard library, with one keep-alive connection per client thread.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Result:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)


def percentile(ordered: list[float], q: float) -> float:
    if not ordered:
        return 0.0
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _worker(
    host: str, port: int, path: str, bodies: Sequence[bytes | None], jobs: list[int], result: Result,
    lock: threading.Lock,
) -> None:
    conn = http.client.HTTPConnection(host, port, timeout=30)
    local = Result()
    for job in jobs:
        body = bodies[job % len(bodies)]
        headers = {"Content-Type": "application/json"} if body is not None else {}
        started = time.perf_counter()
        try:
            conn.request("POST" if body is not None else "GET", path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=30)
            status = 0
        local.latencies_ms.append((time.perf_counter() - started) * 1000)
        local.statuses[status] = local.statuses.get(status, 0) + 1
        if status == 0 or status >= 400:
            local.errors += 1
    conn.close()
    with lock:
        result.latencies_ms.extend(local.latencies_ms)
        result.errors += local.errors
        for status, count in local.statuses.items():
            result.statuses[status] = result.statuses.get(status, 0) + count


def run(url: str, path: str, iters: int, concurrency: int, bodies: Sequence[bytes | None]) -> dict[str, object]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    result, lock = Result(), threading.Lock()
    shares = [list(range(i, iters, concurrency)) for i in range(concurrency)]
    threads = [
        threading.Thread(target=_worker, args=(host, port, path, bodies, share, result, lock)) for share in shares
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    ordered = sorted(result.latencies_ms)
    return {
        "path": path,
        "iters": iters,
        "concurrency": concurrency,
        "seconds": round(elapsed, 3),
        "throughput_rps": round(iters / elapsed, 1) if elapsed else 0.0,
        "avg_ms": round(statistics.fmean(ordered), 3) if ordered else 0.0,
        "p50_ms": round(percentile(ordered, 0.50), 3),
        "p95_ms": round(percentile(ordered, 0.95), 3),
        "p99_ms": round(percentile(ordered, 0.99), 3),
        "errors": result.errors,
        "statuses": {str(k): v for k, v in sorted(result.statuses.items())},
    }


def _bodies(args: argparse.Namespace) -> list[bytes | None]:
    if args.payload_file:
        with open(args.payload_file, encoding="utf-8") as handle:
            lines = [line.strip() for line in handle if line.strip()]
        return [line.encode() for line in lines]
    if args.payload is not None:
        return [args.payload.encode()]
    return [None]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="http://127.0.0.1:8000", help="base URL of the server")
    parser.add_argument("--path", default="/health")
    parser.add_argument("--iters", type=int, default=1000, help="total requests")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--payload", help="JSON body; makes the request a POST")
    parser.add_argument("--payload-file", help="file with one JSON body per line, used in turn")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests first")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    bodies = _bodies(args)
    if args.warmup:
        run(args.host, args.path, args.warmup, 1, bodies)
    report = run(args.host, args.path, args.iters, args.concurrency, bodies)
    if args.json:
        print(json.dumps(report))
    else:
        print(
            f"{report['path']}: {report['iters']} requests, concurrency {report['concurrency']}: "
            f"{report['throughput_rps']} req/s, avg {report['avg_ms']} ms, p50 {report['p50_ms']} ms, "
            f"p95 {report['p95_ms']} ms, p99 {report['p99_ms']} ms, errors {report['errors']} "
            f"(statuses {report['statuses']})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
