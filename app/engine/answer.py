"""Composing replies from retrieved passages.

``Responder`` is the interface a generative backend can implement later; ``ExtractiveResponder``
is the default: it quotes the one or two sentences of the retrieved passages that best match the
question, with citation markers ``[n]`` that index the returned sources. It never writes a fact
that is not in a passage. Raises nothing.
"""

from __future__ import annotations

import itertools
import math
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import NamedTuple, Protocol

from app.engine.knowledge.chunking import split_sentences
from app.engine.knowledge.tokenize import token_set, tokenize
from app.engine.stemming import stem


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk the responder may quote."""

    document_id: int
    chunk_id: int
    title: str
    text: str
    language: str
    score: float
    # Share of the question's content words the passage contains (exact words).
    term_overlap: float = 0.0


@dataclass(frozen=True)
class ComposedAnswer:
    text: str
    cited: list[Passage]


SentenceSimilarity = Callable[[list[str]], list[float]]


class Responder(Protocol):
    def compose(
        self,
        question: str,
        passages: list[Passage],
        term_weights: Mapping[str, float] | None = None,
        similarity: SentenceSimilarity | None = None,
        language: str | None = None,
    ) -> ComposedAnswer: ...

    def warm_up(self, passages: Iterable[Passage], deadline: float) -> None:
        """Prepare for questions about ``passages`` until ``deadline`` (``time.monotonic``); may do nothing."""


@dataclass(frozen=True)
class _Words:
    """A sentence's words and the forms they match by; shared by every turn that reads the sentence."""

    tokens: frozenset[str]
    language: str

    @cached_property
    def prefixes(self) -> frozenset[str]:
        """Every word a question term may be a prefix-inflection of: each token cut by up to three
        characters (at least three kept), so ``_matches`` answers with set lookups."""
        return frozenset(t[:k] for t in self.tokens for k in range(max(3, len(t) - 3), len(t) + 1))

    @cached_property
    def stems(self) -> frozenset[str]:
        """Stems of the tokens, made once per sentence and only if a question word needs them."""
        return frozenset(stem(token, self.language) for token in self.tokens)


# Knowledge-base sentences recur across turns (several questions per passage); a few thousand of
# them keep tokenising and stemming out of most turns (their token sets are shared with snippets).
@lru_cache(maxsize=8192)
def _words(text: str, language: str) -> _Words:
    return _Words(token_set(text), language)


@dataclass(frozen=True)
class _Sentence:
    passage: int
    position: int
    text: str
    words: _Words

    @property
    def tokens(self) -> frozenset[str]:
        return self.words.tokens


_TITLE_LINE = re.compile(r"^\s*#+\s.*$", re.MULTILINE)
# Questions asking for a time or a quantity are answered by sentences that contain a number.
_NUMERIC_QUESTION = re.compile(
    r"\b(when|what year|how (many|much|long|old|far)|wann|wie (viele|viel|lange|alt)|in welchem jahr|"
    r"cu[áa]ndo|cu[áa]nt[oa]s?|en qu[ée] a[ñn]o|quand|combien|en quelle ann[ée]e|quando|quant[ioe]|"
    r"wanneer|hoeveel|kiedy|ile|когда|сколько|в каком году|ne zaman|ka[çc]|πότε|πόσ[οαε]|khi n[àa]o|"
    r"bao nhi[êe]u|năm n[àa]o|متى|كم|कब|कितन)\b|何时|什么时候|哪一年|多少|几|いつ|何年|いくつ|เมื่อไร|กี่",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")
# A line ending like this is a sentence, not a heading.
_SENTENCE_END = re.compile(r"[.!?;:。！？；：…)\]\"'»”]\s*$")
_MAX_SEMANTIC_SENTENCES = 12
# Passages whose sentence split is kept per process.
_PIECES_CACHE = 2048
# Same-language answers: sentences scoring at least this share of the best lexical score are too close
# for word counts to tell apart, and are read by meaning. On XQuAD (12 languages) results hardly moved
# for shares of 0.5-0.8 and 2-6 sentences read; reading wider did not help.
_CLOSE_CALL = 0.7
# e5 similarities are compressed: 0.02 of cosine is as telling as the whole lexical score of a close call.
_SIMILARITY_SCALE = 0.02
# Thai fragments are joined into units of about this many characters (replies as long as in other languages).
_THAI_UNIT = 100
_THAI_END = re.compile(r"[\u0e00-\u0e7f]$")
_THAI_START = re.compile(r"[\u0e00-\u0e7f]")


class ExtractiveResponder:
    """Picks answer sentences by question-term overlap, weighted by rarity and passage rank."""

    def __init__(
        self, max_sentences: int = 2, max_passages: int = 3, close_calls: int = 0, read_by_words: float = 0.75
    ) -> None:
        """``close_calls``: at most this many same-language sentences whose lexical scores are too
        close to call are compared by meaning (each costs a sentence embedding, ~10-30 ms on one
        core); below 2 the lexical order stands. ``read_by_words``: a top passage in another language
        holding at least this share of the question's words is read by words, not by meaning (which
        embeds each of its sentences); above 1 never."""
        self._max_sentences = max_sentences
        self._max_passages = max_passages
        self._close_calls = close_calls
        self._read_by_words = read_by_words

    def compose(
        self,
        question: str,
        passages: list[Passage],
        term_weights: Mapping[str, float] | None = None,
        similarity: SentenceSimilarity | None = None,
        language: str | None = None,
    ) -> ComposedAnswer:
        """``term_weights``: how telling each question word is (corpus IDF); local rarity otherwise.
        ``similarity``: semantic similarity of sentences to the question (costly: called only when
        needed). It reads the top passage when that is in another ``language`` than the question's
        (a German question answered from an English passage), and decides between the sentences
        whose word overlap is too close to call."""
        if not passages:
            return ComposedAnswer("", [])
        used = passages[: self._max_passages]
        best_score = max(used[0].score, 1e-6)
        # Passages count by their retrieval score relative to the best one.
        priors = [max(0.0, min(1.0, p.score / best_score)) ** 2 for p in used]
        sentences = self._sentences(used)
        if not sentences:
            return ComposedAnswer("", [])
        question_terms = set(tokenize(question))
        weights = dict(term_weights) if term_weights else _rarity(sentences)
        wants_number = bool(_NUMERIC_QUESTION.search(question))
        # Words of a passage's title name its topic, which every sentence of it shares; they pick the
        # passage (retrieval did that), not the sentence that answers.
        weighted = [_weighted_terms(question_terms, _untopical(weights, frozenset(tokenize(p.title)))) for p in used]
        scores = {id(s): _score(s, weighted[s.passage], wants_number, priors[s.passage]) for s in sentences}
        # A passage in another language that still holds most of the question's words (names,
        # numbers, a misdetected or closely related language) is read by its words like any other.
        across = (language is not None and used[0].language != language
                  and used[0].term_overlap < self._read_by_words)
        if similarity is not None and across:
            # Across languages only the top passage is read, by meaning; its rank already says it is the one.
            sentences = [s for s in sentences if s.passage == 0][:_MAX_SEMANTIC_SENTENCES]
            for sentence, value in zip(sentences, similarity([s.text for s in sentences]), strict=True):
                scores[id(sentence)] = value
        scored = sorted(sentences, key=lambda s: (-scores[id(s)], s.passage, s.position))
        if similarity is not None and not across and self._close_calls >= 2:
            scored = _settle_close_calls(scored, scores, similarity, self._close_calls)
        best = scored[0]
        chosen = [best]
        partner = self._partner(best, scored, question_terms, weights)
        if partner is not None:
            chosen.append(partner)
        chosen.sort(key=lambda s: (s.passage, s.position))
        cited_indexes = sorted({s.passage for s in chosen})
        cited = [used[i] for i in cited_indexes]
        marker = {index: n + 1 for n, index in enumerate(cited_indexes)}
        parts: list[str] = []
        for sentence in chosen:
            parts.append(f"{sentence.text} [{marker[sentence.passage]}]")
        return ComposedAnswer(" ".join(_merge_markers(parts)), cited)

    def warm_up(self, passages: Iterable[Passage], deadline: float) -> None:
        """Split, tokenise and stem passages ahead of the questions about them: the per-process
        caches a worker's first turns would otherwise fill (as many as they hold)."""
        for passage in itertools.islice(passages, _PIECES_CACHE):
            if time.monotonic() > deadline:
                return
            for sentence in self._sentences([passage]):
                sentence.words.prefixes  # noqa: B018 - computed and cached on first access
                sentence.words.stems  # noqa: B018

    def _sentences(self, passages: list[Passage]) -> list[_Sentence]:
        return [
            _Sentence(p_index, position, text, _words(text, passage.language))
            for p_index, passage in enumerate(passages)
            for position, text in _answer_pieces(passage.text, passage.title)
        ]

    def _partner(
        self, best: _Sentence, scored: list[_Sentence], question: set[str], weights: dict[str, float]
    ) -> _Sentence | None:
        """A second sentence: the next best from the same passage if it adds question terms,
        otherwise the sentence right after the best one (answers often continue there)."""
        if self._max_sentences < 2:
            return None
        covered = best.tokens & question
        for candidate in scored[1:]:
            if candidate.passage != best.passage:
                continue
            adds = (candidate.tokens & question) - covered
            if adds and sum(weights.get(t, 0.0) for t in adds) > 0.5:
                return candidate
            break
        following = [s for s in scored if s.passage == best.passage and s.position == best.position + 1]
        if following and len(best.text) < 160:
            return following[0]
        return None


def _settle_close_calls(
    scored: list[_Sentence], scores: dict[int, float], similarity: SentenceSimilarity, limit: int
) -> list[_Sentence]:
    """Reorders the sentences whose lexical scores are within reach of the best one by meaning.

    Word overlap cannot tell a sentence that uses the question's words in passing from the one that
    answers them ("सुपर बाउल XLIX किसने जीता?": the sentence about Elway winning Super Bowl XXXIII
    matches "won" and "Super Bowl" as well as the one naming the winner of XLIX). Only close calls
    are embedded, at most ``limit``, so a clear lexical winner costs nothing."""
    top = scores[id(scored[0])]
    if top <= 0:
        return scored
    close = [s for s in scored[:limit] if scores[id(s)] >= _CLOSE_CALL * top]
    if len(close) < 2:
        return scored
    values = similarity([s.text for s in close])
    best_value = max(values)
    combined = {
        id(s): scores[id(s)] / top + (value - best_value) / _SIMILARITY_SCALE
        for s, value in zip(close, values, strict=True)
    }
    ranked = sorted(close, key=lambda s: (-combined[id(s)], s.passage, s.position))
    return ranked + [s for s in scored if id(s) not in combined]


def _join_thai(pieces: list[str]) -> list[str]:
    """Thai puts spaces between clauses and inside names, not only between sentences, so the
    splitter's Thai pieces are fragments ("สี่", "ครั้ง"); consecutive ones are joined back into
    units of about a sentence's length, so an answer is not cut off mid-phrase."""
    out: list[str] = []
    for piece in pieces:
        if out and len(out[-1]) < _THAI_UNIT and _THAI_END.search(out[-1]) and _THAI_START.match(piece):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


@lru_cache(maxsize=_PIECES_CACHE)
def _answer_pieces(text: str, title: str) -> tuple[tuple[int, str], ...]:
    """(position, sentence) of a passage that may answer a question, title lines removed."""
    body = _TITLE_LINE.sub(" ", text).strip()
    if title and body.startswith(title):
        body = body[len(title):]
    # Line breaks end sentences too: headings and list items have no full stop.
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    pieces = [(s, _is_heading(line, n, len(lines))) for n, line in enumerate(lines)
              for s in _join_thai(split_sentences(line))]
    # A question inside a document (an FAQ heading) is never the answer to one, nor is a heading.
    return tuple(
        (position, piece) for position, (piece, heading) in enumerate(pieces)
        if len(piece) >= 3 and not heading and not piece.rstrip().endswith(("?", "？", "؟"))
    )


def _is_heading(line: str, number: int, total: int) -> bool:
    """A short line without final punctuation above more text: a section title, not an answer."""
    return number < total - 1 and len(line) <= 40 and len(line.split()) <= 5 and not _SENTENCE_END.search(line)


class _Term(NamedTuple):
    """A question word, its weight and the shorter forms of it a sentence word may be."""

    text: str
    weight: float
    # The term cut by one or two characters, keeping at least four ("founded" ~ "found").
    truncations: tuple[str, ...]


def _weighted_terms(question: set[str], weights: dict[str, float]) -> list[_Term]:
    """The question terms that weigh anything (the others add nothing to a sentence's score)."""
    return [
        _Term(t, w, tuple(t[:k] for k in range(max(4, len(t) - 2), len(t))))
        for t in question
        if (w := weights.get(t, 0.0))
    ]


def _matches(term: _Term, sentence: _Sentence) -> float:
    """1 for the word itself, 0.7 for an inflected or derived form: by prefix ("die" ~ "died", "year" ~
    "years") or by stem, which also catches changed endings and umlauts ("ölmüştür" ~ "öldü", "alt" ~
    "älteste", "долго" ~ "долгий")."""
    tokens, text = sentence.tokens, term.text
    if text in tokens:
        return 1.0
    # A sentence word that extends the term by up to three characters, or that the term extends
    # by up to two (the word keeping at least four).
    if len(text) >= 3 and text in sentence.words.prefixes:
        return 0.7
    if not tokens.isdisjoint(term.truncations):
        return 0.7
    if len(text) >= 3:
        root = stem(text, sentence.words.language)
        if len(root) >= 2 and root in sentence.words.stems:
            return 0.7
    return 0.0


def _score(sentence: _Sentence, terms: list[_Term], wants_number: bool, prior: float) -> float:
    overlap = sum(t.weight * _matches(t, sentence) for t in terms)
    if wants_number and _DIGIT.search(sentence.text):
        overlap += 0.5
    # Earlier sentences are slightly preferred as a tie-breaker.
    return prior * (overlap + 0.05) - 0.001 * sentence.position


def _untopical(weights: dict[str, float], topic: frozenset[str]) -> dict[str, float]:
    return {t: w * 0.3 if t in topic else w for t, w in weights.items()} if topic else weights


def _rarity(sentences: list[_Sentence]) -> dict[str, float]:
    """Inverse sentence frequency over the candidate sentences: common words weigh little."""
    frequency: Counter[str] = Counter()
    for sentence in sentences:
        frequency.update(sentence.tokens)
    total = len(sentences)
    return {token: math.log(1.0 + total / count) for token, count in frequency.items()}


def _merge_markers(parts: list[str]) -> list[str]:
    """``a [1] b [1]`` -> ``a b [1]``: one marker per run of sentences from the same source."""
    merged: list[str] = []
    for part in parts:
        text, _, marker = part.rpartition(" [")
        if merged and merged[-1].endswith(f" [{marker}"):
            previous = merged[-1][: -len(f" [{marker}")]
            merged[-1] = f"{previous} {text} [{marker}"
        else:
            merged.append(part)
    return merged
