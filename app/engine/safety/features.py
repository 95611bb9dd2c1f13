"""Stable hashed features shared by the trained models (PII tagger and injection classifier).

Hashing uses CRC32 so feature indices are identical across processes and machines (Python's own
``hash`` is salted per process). Raises nothing.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Collection

import numpy as np
import numpy.typing as npt

TOKEN_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)?|\n|[^\w\s]")


def hash_feature(feature: str, n_buckets: int) -> int:
    """Bucket index of a feature string."""
    return zlib.crc32(feature.encode("utf-8")) % n_buckets


def hash_features(features: Collection[str], n_buckets: int) -> npt.NDArray[np.int64]:
    """The distinct bucket indices of ``features`` (as :func:`hash_feature` gives them), sorted.
    Hashing in place is faster than looking the features up in a cache of earlier ones (one that
    grew to 400,000 strings per worker): over 2,000 XQuAD questions the injection detector's score
    took 0.19 ms per question against 0.25-0.26 ms, and the gap widens right after a model call, when
    a large cache is cold. For a few hundred features a set and a sort also cost less than
    ``np.unique``."""
    crc32 = zlib.crc32
    return np.array(sorted({crc32(f.encode("utf-8")) % n_buckets for f in features}), dtype=np.int64)


def shape(token: str) -> str:
    """Collapsed word shape: 'Müller' -> 'Xx', 'A1b' -> 'XdX'-like, '12' -> 'd'."""
    out: list[str] = []
    for ch in token[:12]:
        code = "X" if ch.isupper() else "x" if ch.isalpha() else "d" if ch.isdigit() else ch
        if not out or out[-1] != code:
            out.append(code)
    return "".join(out)
