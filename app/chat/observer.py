"""Turns finished chat turns into metrics and one ``chatbot`` log event each.

Raw user text is never logged unless ``chat.log_user_text`` is on, and then only redacted.
"""

from __future__ import annotations

import logging

from app.engine.pipeline import ChatRequest, ChatResult
from app.engine.safety import RedactionContext, Redactor
from app.extensions import metrics
from app.request_context import current_request_id

chat_log = logging.getLogger("chatbot.turns")
# The turn event's message: a constant, so the PII log filter need not scan it.
TURN_EVENT = "chat_turn"


class MetricsAndLogObserver:
    def __init__(self, log_user_text: bool, redactor: Redactor) -> None:
        self._log_user_text = log_user_text
        self._redactor = redactor

    def on_turn(self, result: ChatResult, request: ChatRequest) -> None:
        flags = result.flags
        metrics.inc("chat_turns_total", language=result.language)
        if flags.fallback:
            metrics.inc("chat_fallbacks_total", language=result.language)
        if flags.refused:
            metrics.inc("chat_refusals_total")
            metrics.inc("safety_blocked_total", reason=result.block_reason or "unknown")
        if flags.leak_blocked:
            metrics.inc("safety_blocked_total", reason=result.block_reason or "leak")
        if result.injected_chunks:
            metrics.inc("safety_blocked_total", float(result.injected_chunks), reason="injected_chunk")
        if flags.redacted:
            metrics.inc("chat_redactions_total", float(result.redactions))
        if flags.smalltalk:
            metrics.inc("chat_smalltalk_total", language=result.language)
        for stage, ms in result.stage_ms.items():
            metrics.observe("chat_stage_ms", ms, stage=stage)
        event = {
            "request_id": current_request_id(),
            "session_id": result.session_id,
            "turn_id": result.turn_id,
            "language": result.language,
            "detected_language": result.detected_language,
            "latency_ms": result.stage_ms,
            "flags": {**flags.public(), "smalltalk": flags.smalltalk, "leak_blocked": flags.leak_blocked},
            "source_ids": [s.id for s in result.sources],
        }
        if self._log_user_text:
            event["user_text"] = self._redactor.redact(request.message, RedactionContext()).text
        chat_log.info(TURN_EVENT, extra=event)

    def on_feedback(self, rating: str) -> None:
        metrics.inc("chat_feedback_total", rating=rating)
