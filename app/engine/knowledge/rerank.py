"""Reranking stage behind an interface; the default is a cheap term-overlap reranker.

A model-based reranker (a cross-encoder, when one ships offline) implements ``Reranker`` and is
passed to the knowledge base. Raises nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from app.engine.knowledge.tokenize import tokenize


@dataclass
class Candidate:
    """A fused search candidate: ``row`` into the loaded index, score so far, and its text."""

    row: int
    score: float
    title: str
    text: str
    terms: frozenset[str] = frozenset()


class Reranker(Protocol):
    """Reorders (and may rescore) the top candidates for a query."""

    def rerank(self, query: str, candidates: list[Candidate]) -> list[Candidate]: ...


class TermOverlapReranker:
    """Adds ``weight`` x (share of distinct query terms found in title+text) to the fusion score.

    Why: fusion ranks by two noisy signals; exact coverage of the question's terms (names, numbers,
    CJK bigrams) is a cheap tie-breaker between near-duplicates such as parallel translations.
    """

    def __init__(self, weight: float = 0.1) -> None:
        self.weight = weight

    def rerank(self, query: str, candidates: list[Candidate]) -> list[Candidate]:
        terms = set(tokenize(query))
        if not terms or not candidates:
            return candidates
        for cand in candidates:
            found = terms & (cand.terms or set(tokenize(f"{cand.title} {cand.text}")))
            cand.score += self.weight * len(found) / len(terms)
        return sorted(candidates, key=lambda c: -c.score)


class NoopReranker:
    """Keeps the fusion order."""

    def rerank(self, query: str, candidates: list[Candidate]) -> list[Candidate]:
        return candidates
