"""Thread-safe LRU cache of query results keyed by normalised query, filters and index version.

Keys are digests, never question text: a conversation erased through the admin API must not live
on in any worker's cache. A version change simply makes old keys unreachable; ``clear`` drops
them eagerly on reindex. Hit/miss counters feed ``/metrics``. Raises nothing.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from typing import Any, Generic, TypeVar

from app.engine.knowledge.tokenize import normalise

T = TypeVar("T")


def cache_key(query: str, lang: str | None, top_k: int, filters: dict[str, Any] | None, version: int) -> str:
    return text_key(json.dumps([normalise(query), lang, top_k, filters or {}, version], sort_keys=True, default=str))


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class QueryCache(Generic[T]):
    """Bounded LRU with hit/miss counts; ``maxsize`` 0 disables caching."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[str, T] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> T | None:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                self.hits += 1
                return self._data[key]
            self.misses += 1
            return None

    def put(self, key: str, value: T) -> None:
        if self.maxsize <= 0:
            return
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"hits": self.hits, "misses": self.misses, "size": len(self._data), "maxsize": self.maxsize}
