#!/usr/bin/env python3
"""HTTP load benchmark: latency percentiles, throughput and errors for one endpoint.

    scripts/perf_bench.py --host http://127.0.0.1:8000 --iters 2000 --concurrency 16 --path /health
    scripts/perf_bench.py --path /chat --payload '{"message": "hello"}' --json

With ``--payload`` the request is a JSON POST. ``--payload-file FILE`` sends one JSON line of the
file per request (cycling), so every request can carry a different question.

The client runs on the machine it measures, so it is kept lean: each client thread writes a
prepared HTTP/1.1 request on a fresh connection (``Connection: close``: gunicorn's sync workers
close every connection anyway) and reads the response to its end, checking its status line and
``Content-Length``. http.client spent ~0.35 ms of a core per request on building and parsing
headers, taken from the two cores the server under test runs on; this client spends about a
third of that. The report includes the client's own CPU time per request.
"""

from __future__ import annotations

import argparse
import json
import socket
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


def _request(host: str, port: int, path: str, body: bytes | None) -> bytes:
    """The bytes of one request for ``path`` (a JSON POST when there is a body)."""
    head = [f"{'GET' if body is None else 'POST'} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
    if body is not None:
        head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode("ascii") + (body or b"")


def response_status(response: bytes) -> int:
    """The status of a whole response read to the connection's end; 0 when it is not one (no
    status line, no end of headers, or a body shorter than its ``Content-Length``)."""
    head, found, payload = response.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if not found or len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        return 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and (
            not value.strip().isdigit() or len(payload) < int(value.strip())
        ):
            return 0
    return int(parts[1])


def _exchange(address: tuple[str, int], request: bytes) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(30)
        sock.connect(address)
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return response_status(b"".join(chunks))


def _worker(
    address: tuple[str, int], requests: Sequence[bytes], jobs: list[int], result: Result, lock: threading.Lock
) -> None:
    local = Result()
    for job in jobs:
        request = requests[job % len(requests)]
        started = time.perf_counter()
        try:
            status = _exchange(address, request)
        except OSError:
            status = 0
        local.latencies_ms.append((time.perf_counter() - started) * 1000)
        local.statuses[status] = local.statuses.get(status, 0) + 1
        if status == 0 or status >= 400:
            local.errors += 1
    with lock:
        result.latencies_ms.extend(local.latencies_ms)
        result.errors += local.errors
        for status, count in local.statuses.items():
            result.statuses[status] = result.statuses.get(status, 0) + count


def run(url: str, path: str, iters: int, concurrency: int, bodies: Sequence[bytes | None]) -> dict[str, object]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    address = (socket.gethostbyname(host), port)
    requests = [_request(host, port, path, body) for body in bodies]
    result, lock = Result(), threading.Lock()
    shares = [list(range(i, iters, concurrency)) for i in range(concurrency)]
    threads = [threading.Thread(target=_worker, args=(address, requests, share, result, lock)) for share in shares]
    cpu_started, started = time.process_time(), time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    client_cpu_ms = (time.process_time() - cpu_started) * 1000
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
        # This process's CPU (the load generator's, on the cores the server runs on) per request.
        "client_cpu_ms": round(client_cpu_ms / iters, 3) if iters else 0.0,
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
