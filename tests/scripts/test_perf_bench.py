"""The benchmarks' load generator: a lean HTTP/1.1 client that still checks every response."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import perf_bench


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # quiet
        return None

    def _answer(self) -> None:
        size = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(size) if size else b"{}"
        if self.path == "/fail":
            self.send_response(500)
        else:
            self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if self.path == "/short":  # announces more than it sends
            self.send_header("Content-Length", str(len(body) + 10))
        else:
            self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    do_GET = _answer
    do_POST = _answer


@pytest.fixture
def base_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_every_request_is_answered_and_counted(base_url: str) -> None:
    bodies = [b'{"message": "one"}', b'{"message": "two"}']
    report = perf_bench.run(base_url, "/chat", 20, 4, bodies)
    assert report["errors"] == 0
    assert report["statuses"] == {"200": 20}
    assert float(str(report["throughput_rps"])) > 0
    assert float(str(report["client_cpu_ms"])) >= 0


@pytest.mark.parametrize("path", ["/fail", "/short"])
def test_failed_and_truncated_responses_are_errors(base_url: str, path: str) -> None:
    report = perf_bench.run(base_url, path, 6, 2, [None])
    assert report["errors"] == 6


def test_an_unreachable_server_counts_errors_instead_of_raising() -> None:
    report = perf_bench.run("http://127.0.0.1:9", "/health", 3, 1, [None])
    assert report["errors"] == 3
    assert report["statuses"] == {"0": 3}


@pytest.mark.parametrize(
    ("response", "status"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", 200),
        (b"HTTP/1.0 429 Too Many Requests\r\n\r\n", 429),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n{}", 0),  # cut short
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n", 0),  # no end of headers
        (b"HTTP/1.1 200 OK\r\nContent-Length: two\r\n\r\n{}", 0),
        (b"", 0),
        (b"SSH-2.0-OpenSSH\r\n\r\n", 0),
    ],
)
def test_response_status(response: bytes, status: int) -> None:
    assert perf_bench.response_status(response) == status
