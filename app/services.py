"""Builds the engine objects (database, knowledge base, chat pipeline) from the configuration.

Construction is lazy and cheap: no connection is opened and no model is loaded until first use,
so building the app in gunicorn's master before it forks is safe. ``Services.after_fork`` drops
pooled database connections a forked worker must not share.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import Engine

from app.config import Config, database_url
from app.engine.access import AccessStore, AuditLog, TokenVerifier, derive_hash_key
from app.engine.admin import ConversationAdmin, KnowledgeAdmin, UploadLimits
from app.engine.answer import ExtractiveResponder
from app.engine.chat_settings import ChatSettings
from app.engine.feedback import AdaptSettings, FeedbackLearner
from app.engine.gaps import GapRecorder
from app.engine.knowledge import KnowledgeBase
from app.engine.language import LanguageDetector
from app.engine.memory import ConversationStore
from app.engine.messages import Messages
from app.engine.pipeline import ChatComponents, ChatPipeline, TurnObserver
from app.engine.safety import ChunkSanitiser, InjectionDetector, InputGuard, LeakGuard, Redactor, embed_canary
from app.engine.safety.patterns import PATTERN_ENTITY_TYPES
from app.engine.smalltalk import SmallTalk
from app.storage.db import make_engine

log = logging.getLogger("app.services")


@dataclass
class Services:
    engine: Engine
    knowledge: KnowledgeBase
    pipeline: ChatPipeline
    gaps: GapRecorder
    memory: ConversationStore
    access: AccessStore
    tokens: TokenVerifier
    audit: AuditLog
    kb_admin: KnowledgeAdmin
    conversation_admin: ConversationAdmin

    def before_fork(self) -> None:
        """Load the query embedding model in gunicorn's master, before it forks its workers. Its
        weights, unpacked once per process by the built e5 engine (21 MB), are then one copy of
        memory pages shared by every worker instead of one per worker; the workers' embeddings
        share those pages in the CPU's cache too. Best effort, like the workers' warm-up: a worker
        loads the model itself when this could not."""
        try:
            self.knowledge.embedder.embed_query("warm up")
        except Exception:  # never stops the server: the workers load the model instead
            log.warning("embedding model not loaded before the workers fork; each worker loads it", exc_info=True)

    def after_fork(self) -> None:
        self.engine.dispose(close=False)

    def warm_up(self) -> None:
        """Load what a worker's first chat turn would otherwise pay for (~1 s: the index, the
        embedding model, the language identifier, the name lexicon). Best effort: a knowledge base
        that cannot load yet is reported by /ready, not by a worker that refuses to start."""
        try:
            self.knowledge.warm_up()
        except Exception:  # warming up must never stop a worker
            log.warning("knowledge base not warmed up; the first chat turn will load it", exc_info=True)
        self.pipeline.warm_up()


def deployment_canary(secret_key: str) -> str:
    """A per-deployment canary (256 bits) derived from the secret key, identical on every worker."""
    return hmac.new(secret_key.encode(), b"chatbot-canary-v1", hashlib.sha256).hexdigest()


def build_services(config: Config, instance_path: Path, observers: list[TurnObserver]) -> Services:
    engine = make_engine(database_url(config, instance_path))
    safety = config.safety
    detector = InjectionDetector(threshold=safety.injection_threshold)
    chunk_detector = (
        detector if safety.chunk_injection_threshold == safety.injection_threshold
        else InjectionDetector(threshold=safety.chunk_injection_threshold)
    )
    # Ingest stores each chunk's scan verdict, so chat turns need not scan what they retrieve.
    scanner = ChunkSanitiser(chunk_detector)
    knowledge = KnowledgeBase(config.retrieval, engine, instance_path / "index", scanner=scanner)
    memory = ConversationStore(engine)
    gaps = GapRecorder(engine)
    pipeline = ChatPipeline(
        _components(config, knowledge, memory, gaps, engine, observers, detector,
                    scanner if safety.scan_retrieved_chunks else None)
    )
    hash_key = derive_hash_key(config.security.secret_key)
    access = AccessStore(engine, hash_key)
    audit = AuditLog(engine)
    auth = config.auth
    return Services(
        engine, knowledge, pipeline, gaps, memory,
        access=access,
        tokens=TokenVerifier(access.resolve, hash_key, auth.token_cache_seconds),
        audit=audit,
        kb_admin=KnowledgeAdmin(knowledge, audit, UploadLimits(auth.upload_max_bytes, tuple(auth.upload_types))),
        conversation_admin=ConversationAdmin(memory, pipeline, audit),
    )


def _components(
    config: Config,
    knowledge: KnowledgeBase,
    memory: ConversationStore,
    gaps: GapRecorder,
    engine: Engine,
    observers: list[TurnObserver],
    detector: InjectionDetector,
    chunk_scanner: ChunkSanitiser | None,
) -> ChatComponents:
    chat: ChatSettings = config.chat
    safety = config.safety
    messages = Messages.load(default_language=config.language.default_language)
    pseudonym_key = os.environ.get(safety.pseudonym_key_env, "") if safety.pseudonym_mode else ""
    persona = embed_canary(chat.persona, deployment_canary(config.security.secret_key))
    reply_types = frozenset(chat.reply_entity_types)
    storage_redactor = Redactor(person=safety.redact_person, street_address=safety.redact_street_address)
    return ChatComponents(
        settings=chat,
        language=LanguageDetector(config.language),
        messages=messages,
        smalltalk=SmallTalk(messages),
        input_guard=InputGuard(detector, max_chars=safety.max_input_chars, truncate=safety.truncate_long_input),
        chunk_scanner=chunk_scanner,
        reply_redactor=Redactor(person=False, street_address=False, entity_types=reply_types),
        storage_redactor=storage_redactor,
        # A reply reaches storage with every pattern type the output guard masks already masked;
        # when that is all of them, storing it only adds names and addresses.
        stored_reply_redactor=(
            replace(storage_redactor, patterns=False) if reply_types >= PATTERN_ENTITY_TYPES else storage_redactor
        ),
        leak_guard=LeakGuard(deployment_canary(config.security.secret_key), persona=persona,
                             secrets=config.secrets(), ngram_words=safety.leak_ngram_words),
        knowledge=knowledge,
        responder=ExtractiveResponder(chat.answer_sentences, chat.answer_passages, chat.answer_close_calls,
                                      chat.answer_read_by_words),
        memory=memory,
        feedback=FeedbackLearner(
            engine,
            AdaptSettings(chat.adapt_similarity, chat.adapt_half_life_days, chat.adapt_max_boost, chat.adapt_weight),
        ),
        gaps=gaps,
        redaction_key=config.security.secret_key.encode(),
        pseudonym_key=pseudonym_key.encode() if pseudonym_key else None,
        redact_stored_turns=safety.redact_stored_turns,
        observers=observers,
    )
