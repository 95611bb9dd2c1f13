"""BM25 lexical index on bm25s; top-k is taken here from ``get_scores`` (much faster than bm25s'
own retrieve at 100k passages). Filters enter as a weight mask, so they act inside the scoring.
Raises nothing beyond bm25s/IO errors.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import numpy.typing as npt

Scores = npt.NDArray[np.float32]
Mask = npt.NDArray[np.bool_]


class LexicalIndex:
    """BM25 scores for every chunk, in chunk order."""

    def __init__(self, retriever: object | None, size: int) -> None:
        self._retriever = retriever
        self.size = size

    @classmethod
    def build(cls, corpus_tokens: list[list[str]]) -> LexicalIndex:
        import bm25s

        if not corpus_tokens:
            return cls(None, 0)
        retriever = bm25s.BM25()
        retriever.index(corpus_tokens, show_progress=False)
        return cls(retriever, len(corpus_tokens))

    def save(self, directory: Path) -> None:
        if self._retriever is not None:
            self._retriever.save(str(directory), show_progress=False)  # type: ignore[attr-defined]

    @classmethod
    def load(cls, directory: Path, size: int) -> LexicalIndex:
        import bm25s

        if size == 0 or not directory.is_dir():
            return cls(None, size)
        return cls(bm25s.BM25.load(str(directory), show_progress=False, verbosity=0), size)

    def coverage(self, query_tokens: list[str]) -> float:
        """Share of distinct query tokens the corpus contains at all.

        A question in a language the corpus lacks shares only stray tokens with it (names, "de",
        "el"), and BM25 would still crown some passage; callers scale the lexical weight by this.
        """
        if self._retriever is None or not query_tokens:
            return 0.0
        vocab = self._retriever.vocab_dict  # type: ignore[attr-defined]
        distinct = set(query_tokens)
        return sum(1 for t in distinct if t in vocab) / len(distinct)

    def idf(self, tokens: list[str]) -> dict[str, float]:
        """BM25 inverse document frequency of each token over the corpus (unseen tokens weigh most)."""
        if self._retriever is None:
            return {}
        vocab = self._retriever.vocab_dict  # type: ignore[attr-defined]
        indptr = self._retriever.scores["indptr"]  # type: ignore[attr-defined]
        weights: dict[str, float] = {}
        for token in set(tokens):
            index = vocab.get(token)
            frequency = int(indptr[index + 1] - indptr[index]) if index is not None else 0
            weights[token] = math.log(1.0 + (self.size - frequency + 0.5) / (frequency + 0.5))
        return weights

    def scores(self, query_tokens: list[str], mask: Mask | None = None) -> Scores:
        """BM25 score of each chunk; masked-out chunks score 0."""
        if self._retriever is None or not query_tokens:
            return np.zeros(self.size, dtype=np.float32)
        weight = None if mask is None else mask.astype(np.float32)
        out = self._retriever.get_scores(query_tokens, weight_mask=weight)  # type: ignore[attr-defined]
        return np.asarray(out, dtype=np.float32)


def top_k(scores: Scores, k: int, mask: Mask | None = None) -> tuple[npt.NDArray[np.int64], Scores]:
    """Indices and scores of the ``k`` best positive-scoring allowed entries, best first."""
    if mask is not None:
        scores = np.where(mask, scores, np.float32(-np.inf))
    k = min(k, scores.shape[0])
    if k <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    idx = np.argpartition(-scores, k - 1)[:k]
    idx = idx[np.argsort(-scores[idx], kind="stable")]
    keep = scores[idx] > 0
    return idx[keep].astype(np.int64), scores[idx][keep].astype(np.float32)
