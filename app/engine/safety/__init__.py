"""Safety layer of the chatbot: input normalisation, injection guard, PII redaction, leak guard.

Plain Python, no Flask. Importing this package loads nothing heavy: models are read lazily or in
constructors. Errors raised on purpose derive from :class:`SafetyError`.
"""

from app.engine.safety.access import can_quote, filter_quotable
from app.engine.safety.chunk_scan import ChunkSanitiser
from app.engine.safety.errors import InputTooLong, ModelArtifactError, SafetyError
from app.engine.safety.findings import Finding
from app.engine.safety.injection import InjectionDetector, InjectionVerdict, InputGuard
from app.engine.safety.leak import LeakGuard, LeakVerdict, embed_canary, new_canary
from app.engine.safety.log_filter import PiiRedactingFilter
from app.engine.safety.normalize import normalize_input, strip_control_characters
from app.engine.safety.redactor import RedactionContext, RedactionResult, Redactor, redact
from app.engine.safety.settings import SafetySettings

__all__ = [
    "ChunkSanitiser", "Finding", "InjectionDetector", "InjectionVerdict", "InputGuard", "InputTooLong", "LeakGuard",
    "LeakVerdict", "ModelArtifactError", "PiiRedactingFilter", "RedactionContext", "RedactionResult",
    "Redactor", "SafetyError", "SafetySettings", "can_quote", "embed_canary", "filter_quotable",
    "new_canary", "normalize_input", "redact", "strip_control_characters",
]
