"""The chat pipeline: the one module that knows the order of the stages of a turn.

normalise -> language -> input guard -> small talk -> retrieve (with history, feedback boosts and
chunk scanning) -> answer -> output guard -> memory -> observer. Each stage is timed.

Raises:
    InputTooLong: the message exceeds the configured limit (from the safety layer).
    ValueError: an explicit language that is not an ISO 639-1 code.
    SessionNotFound / TurnNotFound: feedback or history for an unknown id (from memory/feedback).
    KnowledgeError: the knowledge index cannot be used (from the knowledge base).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from app.engine.answer import Passage, Responder, SentenceSimilarity
from app.engine.chat_settings import ChatSettings
from app.engine.feedback import FeedbackLearner, FeedbackResult
from app.engine.gaps import GapRecorder
from app.engine.knowledge import KnowledgeBase, SearchHit
from app.engine.knowledge.cache import QueryCache, text_key
from app.engine.knowledge.search import content_terms
from app.engine.knowledge.tokenize import tokenize
from app.engine.language import Detection, LanguageDetector
from app.engine.memory import ConversationStore, NewTurn, SessionState, StoredTurn, new_session_id
from app.engine.messages import Messages
from app.engine.query_context import focus, retrieval_query
from app.engine.safety import (
    ChunkSanitiser,
    InputGuard,
    LeakGuard,
    RedactionContext,
    Redactor,
    can_quote,
    strip_control_characters,
)
from app.engine.safety.findings import Detection as PiiSpan
from app.engine.safety.leak import LeakVerdict
from app.engine.safety.redactor import PLACEHOLDER_RE
from app.engine.smalltalk import SmallTalk
from app.engine.stemming import stems
from app.engine.stopwords import content_weights

Vector = npt.NDArray[np.float32]
_CHUNK_SCAN_CACHE = 50_000
# 4,096 sentence vectors of 384 floats: about 6 MB.
_SENTENCE_VECTOR_CACHE = 4_096
# Replies (and snippets) checked per process: mostly empty detections, well under 1 MB.
_REPLY_CHECK_CACHE = 8_192
T = TypeVar("T")


@dataclass(frozen=True)
class Caller:
    """Who is asking: tenant scope and roles (anonymous callers have no roles)."""

    tenant: str = ""
    roles: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ChatRequest:
    message: str
    session_id: str | None = None
    language: str | None = None
    filters: dict[str, Any] | None = None
    caller: Caller = field(default_factory=Caller)


@dataclass(frozen=True)
class SourceRef:
    id: str
    document_id: int
    title: str
    snippet: str
    score: float
    language: str


@dataclass
class TurnFlags:
    refused: bool = False
    redacted: bool = False
    fallback: bool = False
    smalltalk: bool = False
    leak_blocked: bool = False

    def public(self) -> dict[str, bool]:
        return {"refused": self.refused, "redacted": self.redacted, "fallback": self.fallback}


@dataclass
class ChatResult:
    reply: str
    language: str
    detected_language: str
    session_id: str
    turn_id: str
    sources: list[SourceRef]
    flags: TurnFlags
    stage_ms: dict[str, float] = field(default_factory=dict)
    block_reason: str = ""
    injected_chunks: int = 0
    redactions: int = 0
    query_vector: Vector | None = None
    # The language the question is read in (retrieval, answer sentences); see ChatPipeline.handle.
    content_language: str = ""


class TurnObserver(Protocol):
    """Receives every finished turn (metrics, logs); must not raise."""

    def on_turn(self, result: ChatResult, request: ChatRequest) -> None: ...

    def on_feedback(self, rating: str) -> None: ...


@dataclass
class ChatComponents:
    settings: ChatSettings
    language: LanguageDetector
    messages: Messages
    smalltalk: SmallTalk
    input_guard: InputGuard
    # None turns the scan of retrieved chunks off (``safety.scan_retrieved_chunks``).
    chunk_scanner: ChunkSanitiser | None
    reply_redactor: Redactor
    storage_redactor: Redactor
    # Stores replies, which the output guard has redacted with ``reply_redactor`` already.
    stored_reply_redactor: Redactor
    leak_guard: LeakGuard
    knowledge: KnowledgeBase
    responder: Responder
    memory: ConversationStore
    feedback: FeedbackLearner
    gaps: GapRecorder
    redaction_key: bytes = b""
    pseudonym_key: bytes | None = None
    redact_stored_turns: bool = True
    observers: list[TurnObserver] = field(default_factory=list)


class _Stages:
    """Stage timer: ``with timer("retrieve"): ...`` records milliseconds per stage. A plain class,
    not a generator context manager: a turn enters a dozen stages."""

    def __init__(self) -> None:
        self.ms: dict[str, float] = {}
        self._open: list[tuple[str, float]] = []

    def __call__(self, name: str) -> _Stages:
        self._open.append((name, time.perf_counter()))
        return self

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        name, started = self._open.pop()
        self.ms[name] = round(self.ms.get(name, 0.0) + (time.perf_counter() - started) * 1000, 3)


@dataclass
class _Retrieval:
    passages: list[Passage]
    hits: list[SearchHit]
    query_vector: Vector | None
    confident: bool
    injected: int


def _blend(current: Vector, previous: Vector) -> Vector:
    """A follow-up's query vector leans on the previous question's (stored redacted as text)."""
    if previous.shape != current.shape:
        return current
    mixed = current + 0.7 * previous
    norm = float(np.linalg.norm(mixed))
    return (mixed / norm).astype(np.float32) if norm > 0 else current


def _shares_a_word(top: list[SearchHit], query: str, language: str, speaks_language: bool) -> bool:
    """Whether the best passages share a content word with the question, or a form of one (in
    Russian or Turkish the exact word often differs). A passage that merely stands out from the
    query's background (the margin rule) is an answer only then: any question, even one about the
    weather on Mars, stands out against something. When the pool holds nothing in the question's
    language (a Japanese question over English documents), no shared word can be expected and the
    margin alone decides."""
    if not speaks_language or any(h.term_overlap > 0 for h in top):
        return True
    # Exact words are already counted (term_overlap); stems are compared only on this rare path.
    roots = set(stems(content_terms(query, language), language))
    return any(not roots.isdisjoint(stems(tokenize(h.text), language)) for h in top if h.language == language)


class _ReplyMemo(Generic[T]):
    """A check of reply text remembered per text: the extractive responder's replies and snippets
    are knowledge-base sentences and templates, and the same ones are shown again and again (two in
    five replies to 1,800 distinct XQuAD questions repeat an earlier one). Keyed by digest; the
    check must depend on the text alone. Erasing a session clears it too, as it does the query
    caches, in case a responder's reply echoes the user's words."""

    def __init__(self, check: Callable[[str], T]) -> None:
        self._check = check
        self._known: QueryCache[T] = QueryCache(_REPLY_CHECK_CACHE)

    def __call__(self, text: str) -> T:
        key = text_key(text)
        found = self._known.get(key)
        if found is None:
            found = self._check(text)
            self._known.put(key, found)
        return found

    def clear(self) -> None:
        self._known.clear()


class ChatPipeline:
    def __init__(self, components: ChatComponents) -> None:
        c = self.c = components
        self._chunk_scans: QueryCache[str] = QueryCache(_CHUNK_SCAN_CACHE)
        # Keyed by knowledge-base sentences, never by question text.
        self._sentence_vectors: QueryCache[Vector] = QueryCache(_SENTENCE_VECTOR_CACHE)
        self._leak_verdict: _ReplyMemo[LeakVerdict] = _ReplyMemo(c.leak_guard.check)
        self._shown_pii: _ReplyMemo[tuple[PiiSpan, ...]] = _ReplyMemo(lambda t: tuple(c.reply_redactor.detect(t)))
        self._stored_pii: _ReplyMemo[tuple[PiiSpan, ...]] = _ReplyMemo(
            lambda t: tuple(c.stored_reply_redactor.detect(t))
        )

    # ---- public API ----------------------------------------------------------------------------

    def handle(self, request: ChatRequest) -> ChatResult:
        c, timer = self.c, _Stages()
        started = time.perf_counter()
        with timer("normalize"):
            text, verdict = c.input_guard.check(request.message)
        with timer("memory_load"):
            state = (
                c.memory.load(request.session_id, request.caller.tenant, c.settings.history_turns)
                if request.session_id else None
            )
        session_id = request.session_id or new_session_id()
        with timer("language"):
            detection = c.language.resolve(
                text, explicit=request.language, session_language=state.language if state else None
            )
            reply_language = c.messages.reply_language(detection.language)
        flags = TurnFlags()
        result = ChatResult("", reply_language, detection.language, session_id, "", [], flags)
        result.content_language = self._reading_language(text, detection)
        if verdict.flagged:
            flags.refused = True
            result.block_reason = verdict.reason
            result.reply = c.messages.text("refusal", reply_language)
        else:
            with timer("smalltalk"):
                small = c.smalltalk.match(text, detection.language, session_id=session_id)
                if small is not None and detection.method == "default" and small.trigger_language != result.language:
                    # "danke" opening a conversation: too short to detect, but the phrase itself is German.
                    result.language = result.detected_language = small.trigger_language
                    result.content_language = small.trigger_language
                    small = c.smalltalk.match(text, small.trigger_language, session_id=session_id)
            if small is not None:
                flags.smalltalk = True
                result.reply = small.text
            else:
                self._answer(text, request, state, result, timer)
        # One placeholder memory for the whole conversation: the question as stored, the reply as
        # shown and stored, and the snippets number their values alike ("[EMAIL_2]" is the same
        # address in every one), the question's first, as it came first.
        context = RedactionContext.from_dict(
            state.redaction_state if state else {}, key=c.redaction_key, pseudonym_key=c.pseudonym_key
        )
        with timer("memory_store"):
            user_text = c.storage_redactor.redact(text, context).text if c.redact_stored_turns else text
        with timer("output_guard"):
            self._guard_output(result, context)
        with timer("memory_store"):
            self._remember(user_text, request, result, context)
        result.stage_ms = timer.ms
        result.stage_ms["total"] = round((time.perf_counter() - started) * 1000, 3)
        for observer in c.observers:
            observer.on_turn(result, request)
        return result

    def _reading_language(self, text: str, detection: Detection) -> str:
        """The language the question is read in: retrieval prefers passages in it, and answer
        sentences in it are picked by their words (another language's are embedded, ~200 ms).

        A sure detection decides. An unsure one (a short first message replied to in the default
        language, "Was ist Sepsis?"; German read as Luxembourgish at 0.56) asks the knowledge base
        which of the languages it holds the question is in, as search does for a question without
        one: "Ce este Internet2?" is Romanian among XQuAD's languages but Spanish among all. Its
        answer counts only where the detector allows it (``Detection.allows``): a short Russian
        question over English documents is not English. Failing that, the detector's guess when at least
        ``chat.min_guess_confidence`` sure, else the detected (or default) language."""
        c = self.c
        unsure = detection.method == "default" or (
            detection.method.startswith("py3langid") and detection.confidence < c.language.settings.confidence_threshold
        )
        if not unsure:
            return detection.language
        held = c.knowledge.question_language(text)
        if held and detection.allows(held):
            return held
        guessed = detection.method == "default" and detection.confidence >= c.settings.min_guess_confidence
        return detection.guess if guessed and detection.guess else detection.language

    def warm_up(self) -> None:
        """Load the lazily loaded models of the language and redaction stages, then fill the
        per-chunk caches of ranking and answering for up to ``chat.warm_up_seconds``, so a worker's
        first turns cost what its later ones do."""
        c = self.c
        c.language.resolve("warm up", explicit=None, session_language=None)
        c.storage_redactor.redact("Jane Doe lives at 12 Main Street.", RedactionContext())
        deadline = time.monotonic() + c.settings.warm_up_seconds
        c.knowledge.warm_chunk_terms(deadline)
        c.responder.warm_up(
            (Passage(0, 0, title, text, language, 0.0) for title, text, language in c.knowledge.quotable_chunks()),
            deadline,
        )

    def rate(self, turn_id: str, caller: Caller, rating: str, comment: str) -> FeedbackResult:
        context = RedactionContext(key=self.c.redaction_key, pseudonym_key=self.c.pseudonym_key)
        comment = strip_control_characters(comment)  # PostgreSQL text cannot store NUL
        clean_comment = self.c.storage_redactor.redact(comment, context).text if comment else ""
        result = self.c.feedback.rate(turn_id, caller.tenant, rating, clean_comment)
        for observer in self.c.observers:
            observer.on_feedback(rating)
        return result

    def session_turns(self, session_id: str, caller: Caller) -> list[StoredTurn]:
        return self.c.memory.turns(session_id, caller.tenant)

    def erase_session(self, session_id: str, tenant: str) -> bool:
        """Erase a session everywhere this process keeps it: the database (turns, feedback, boosts,
        gaps) and the caches derived from its questions and replies (keyed by digests, never by text)."""
        erased = self.c.memory.erase(session_id, tenant)
        if erased:
            self.c.knowledge.clear_caches()
            self.c.feedback.forget(tenant)
            for memo in (self._leak_verdict, self._shown_pii, self._stored_pii):
                memo.clear()
        return erased

    # ---- stages --------------------------------------------------------------------------------

    def _answer(
        self, text: str, request: ChatRequest, state: SessionState | None, result: ChatResult,
        timer: _Stages,
    ) -> None:
        c = self.c
        with timer("retrieve"):
            retrieval = self._retrieve(text, request, state, result.content_language, timer)
        result.injected_chunks = retrieval.injected
        result.query_vector = retrieval.query_vector
        if not retrieval.confident:
            self._fall_back(result)
            return
        with timer("answer"):
            language = result.content_language
            weights = content_weights(c.knowledge.term_weights(text, language), language)
            composed = c.responder.compose(text, retrieval.passages, weights, self._similarity(retrieval), language)
        if not composed.text:
            self._fall_back(result)
            return
        result.reply = composed.text
        by_doc = {hit.document_id: hit for hit in retrieval.hits}
        result.sources = [
            SourceRef(
                id=f"{p.document_id}:{p.chunk_id}", document_id=p.document_id, title=p.title,
                snippet=by_doc[p.document_id].snippet if p.document_id in by_doc else p.text[:240],
                score=round(p.score, 4), language=p.language,
            )
            for p in composed.cited
        ]

    def _fall_back(self, result: ChatResult) -> None:
        """"I don't know that yet": never an invented answer when retrieval is not confident."""
        result.flags.fallback = True
        result.reply = self.c.messages.text("fallback", result.language)

    def _retrieve(
        self, text: str, request: ChatRequest, state: SessionState | None, language: str, timer: _Stages
    ) -> _Retrieval:
        c, s = self.c, self.c.settings
        # Personal data in a question (a phone number, an email) says nothing about the topic.
        searchable = PLACEHOLDER_RE.sub(" ", c.reply_redactor.redact(text, RedactionContext()).text)
        history = [PLACEHOLDER_RE.sub(" ", h) for h in state.recent_user_messages] if state else []
        query = retrieval_query(
            searchable, history, follow_up_max_words=s.follow_up_max_words,
            token_budget=s.history_token_budget, max_chars=s.query_max_chars,
        )
        with timer("embed"):  # part of "retrieve": the model call that bounds throughput
            vector = c.knowledge.embed_query(query)
        if query != focus(searchable, s.query_max_chars) and state is not None and state.last_query_vector:
            vector = _blend(vector, np.frombuffer(state.last_query_vector, dtype=np.float32))
        filters = dict(request.filters or {})
        # Set, never merged: whatever the request says, a caller sees its tenant's documents and the
        # shared ones (tenant NULL/""). Being part of the filters, the tenant is part of the
        # search mask and of the query-result cache key.
        filters["tenant"] = sorted({"", request.caller.tenant})
        if not can_quote("internal", request.caller.roles):
            filters["visibility"] = "public"
        pool = c.knowledge.search(query, lang=language, top_k=max(s.confidence_pool, s.top_k), filters=filters,
                                  query_vector=vector)
        confident = bool(pool) and self._confident(pool, query, language)
        hits, injected = self._sanitise(pool[: s.top_k + 2])
        adjustments = c.feedback.adjustments(request.caller.tenant, vector)
        if adjustments:
            for hit in hits:
                hit.score += adjustments.get(hit.document_id, 0.0)
            hits.sort(key=lambda h: -h.score)
        hits = hits[: s.top_k]
        passages = [
            Passage(h.document_id, h.chunk_id, h.title, h.text, h.language, h.score, h.term_overlap) for h in hits
        ]
        return _Retrieval(passages, hits, vector, confident, injected)

    def _similarity(self, retrieval: _Retrieval) -> SentenceSimilarity | None:
        """Sentence similarity to the query by embedding. The responder calls it only for passages in
        another language and for close calls. Sentence vectors are cached by text (a vector depends
        only on the text and the model): popular passages are asked about again and again."""
        vector = retrieval.query_vector
        if vector is None or not retrieval.passages:
            return None
        embedder, cache = self.c.knowledge.embedder, self._sentence_vectors

        def similarity(sentences: list[str]) -> list[float]:
            found = {s: v for s in dict.fromkeys(sentences) if (v := cache.get(s)) is not None}
            missing = [s for s in dict.fromkeys(sentences) if s not in found]
            if missing:
                for sentence, row in zip(missing, embedder.embed_passages(missing), strict=True):
                    found[sentence] = row
                    cache.put(sentence, row)
            return [float(found[s] @ vector) for s in sentences]

        return similarity

    def _confident(self, pool: list[SearchHit], query: str, language: str) -> bool:
        s = self.c.settings
        best = max(pool[:3], key=lambda h: h.dense_score)
        margin = best.dense_score - float(np.median([h.dense_score for h in pool]))
        return (
            best.dense_score >= s.min_dense_score
            or (margin >= s.min_margin and best.dense_score >= s.margin_min_dense
                and _shares_a_word(pool[:3], query, language, any(h.language == language for h in pool)))
            or (pool[0].term_overlap >= s.min_term_overlap and pool[0].dense_score >= s.overlap_min_dense)
        )

    def _sanitise(self, hits: list[SearchHit]) -> tuple[list[SearchHit], int]:
        """Drop the sentences of retrieved chunks that carry injected instructions, keep the rest.
        The verdict stored at ingest is used when the same detector made it; otherwise each chunk
        is scanned once per process (chunks do not change within an index version)."""
        scanner = self.c.chunk_scanner
        if scanner is None:
            return hits, 0
        clean, removed = [], 0
        for hit in hits:
            if hit.scan_signature == scanner.signature:
                kept = hit.text if hit.scanned_text is None else hit.scanned_text
            else:
                kept = self._scan_once(scanner, hit)
            if kept != hit.text:
                removed += 1
            if kept:
                hit.text = kept
                clean.append(hit)
        return clean, removed

    def _scan_once(self, scanner: ChunkSanitiser, hit: SearchHit) -> str:
        key = f"{hit.chunk_id}:{hash(hit.text)}"
        kept = self._chunk_scans.get(key)
        if kept is None:
            kept = scanner.clean(hit.text)
            self._chunk_scans.put(key, kept)
        return kept

    def _guard_output(self, result: ChatResult, context: RedactionContext) -> None:
        """Everything the caller sees (reply and source snippets) is leak-checked and redacted."""
        c = self.c
        shown = [result.reply, *(source.snippet for source in result.sources)]
        verdict = next((v for v in map(self._leak_verdict, shown) if v.leaked), None)
        if verdict is not None:
            result.flags.leak_blocked = True
            result.block_reason = f"leak_{verdict.reason}"
            result.reply = c.messages.text("leak_blocked", result.language)
            result.sources = []
            return
        if result.flags.refused or result.flags.smalltalk:
            return
        reply = Redactor.apply(result.reply, self._shown_pii(result.reply), context)
        snippets = [Redactor.apply(source.snippet, self._shown_pii(source.snippet), context)
                    for source in result.sources]
        result.redactions += len(reply.findings) + sum(len(s.findings) for s in snippets)
        result.flags.redacted = result.redactions > 0
        result.reply = reply.text
        result.sources = [
            SourceRef(source.id, source.document_id, source.title, snippet.text, source.score, source.language)
            for source, snippet in zip(result.sources, snippets, strict=True)
        ]

    def _remember(self, user_text: str, request: ChatRequest, result: ChatResult, context: RedactionContext) -> None:
        """Store the turn: ``user_text`` as it is to be stored (masked already, unless stored turns
        are not redacted), the reply masked further for storage with the same ``context``."""
        c = self.c
        reply = result.reply
        if c.redact_stored_turns:
            reply = Redactor.apply(reply, self._stored_pii(reply), context).text
        vector = result.query_vector
        turn = NewTurn(
            user_text=user_text, reply=reply, language=result.language,
            sources=[{"id": s.id, "document_id": s.document_id, "title": s.title, "score": s.score}
                     for s in result.sources],
            flags=result.flags.public(),
            query_embedding=vector.astype(np.float32).tobytes() if vector is not None else None,
        )
        result.turn_id = c.memory.append(result.session_id, request.caller.tenant, turn, result.language,
                                         context.to_dict(), new_session=request.session_id is None)
        if result.flags.fallback:
            c.gaps.record(request.caller.tenant, result.detected_language, user_text)
