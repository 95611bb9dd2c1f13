"""Stable hashed features shared by the trained models (PII tagger and injection classifier).

Hashing uses CRC32 so feature indices are identical across processes and machines (Python's own
``hash`` is salted per process). Raises nothing.
"""

from __future__ import annotations

import re
import zlib

import numpy as np
import numpy.typing as npt

TOKEN_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)?|\n|[^\w\s]")


def hash_feature(feature: str, n_buckets: int) -> int:
    """Bucket index of a feature string."""
    return zlib.crc32(feature.encode("utf-8")) % n_buckets


def shape(token: str) -> str:
    """Collapsed word shape: 'Müller' -> 'Xx', 'A1b' -> 'XdX'-like, '12' -> 'd'."""
    out: list[str] = []
    for ch in token[:12]:
        code = "X" if ch.isupper() else "x" if ch.isalpha() else "d" if ch.isdigit() else ch
        if not out or out[-1] != code:
            out.append(code)
    return "".join(out)


def char_ngram_indices(text: str, n_buckets: int, sizes: tuple[int, ...] = (3, 4, 5)) -> npt.NDArray[np.int64]:
    """Unique hashed character n-gram indices of ``text`` (lower-cased, space padded)."""
    padded = f" {' '.join(text.lower().split())} "
    grams = {padded[i:i + n] for n in sizes for i in range(len(padded) - n + 1)}
    return np.fromiter((zlib.crc32(g.encode("utf-8")) % n_buckets for g in grams), dtype=np.int64)
