"""PII redaction with deterministic, per-conversation placeholders.

``redact(text, context)`` finds PII (rule-based detectors plus the PERSON/STREET_ADDRESS tagger) and
replaces each span by a placeholder such as ``[EMAIL_1]``. The same value gets the same placeholder
within one :class:`RedactionContext`; the context stores only keyed HMAC digests of values, never the
values, and round-trips through a plain dict so the pipeline can keep it per session. With a pseudonym
key the placeholder is ``[EMAIL_3fa2c19b]``, stable across conversations (no random salt).

Raises :class:`~app.engine.safety.errors.SafetyError` subclasses only from :meth:`RedactionContext.from_dict`
(``ValueError`` for malformed dicts is wrapped as :class:`ContextFormatError`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from app.engine.safety.errors import SafetyError
from app.engine.safety.findings import Detection, Finding, resolve_overlaps
from app.engine.safety.patterns import detect_patterns

PLACEHOLDER_RE = re.compile(r"\[[A-Z_]+_[0-9a-f]{1,16}\]")
_NUMERIC_TYPES = frozenset({"PHONE", "CREDIT_CARD", "IBAN", "US_SSN", "NATIONAL_ID"})


class ContextFormatError(SafetyError):
    """A stored redaction context dict is malformed."""


def _canonical(entity_type: str, value: str) -> str:
    """Spelling-independent form, so '4111 1111…' and '4111-1111…' share a placeholder."""
    if entity_type in _NUMERIC_TYPES:
        return re.sub(r"[^0-9A-Za-z]", "", value).upper()
    return " ".join(value.split()).casefold()


@dataclass
class RedactionContext:
    """Per-conversation placeholder memory; serialisable with :meth:`to_dict` / :meth:`from_dict`.

    ``key`` keys the digests (pass the deployment secret; it is not serialised). ``pseudonym_key``
    switches to cross-conversation pseudonyms derived from an HMAC of the value.
    """

    key: bytes = field(default=b"", repr=False)
    pseudonym_key: bytes | None = field(default=None, repr=False)
    mapping: dict[str, str] = field(default_factory=dict, repr=False)
    counters: dict[str, int] = field(default_factory=dict)

    def _digest(self, entity_type: str, value: str) -> str:
        msg = f"{entity_type}\x00{_canonical(entity_type, value)}".encode()
        return hmac.new(self.key, msg, hashlib.sha256).hexdigest()

    def placeholder_for(self, entity_type: str, value: str) -> str:
        """Return the placeholder of ``value``, allocating the next number on first sight."""
        if self.pseudonym_key is not None:
            msg = f"{entity_type}\x00{_canonical(entity_type, value)}".encode()
            tag = hmac.new(self.pseudonym_key, msg, hashlib.sha256).hexdigest()[:8]
            return f"[{entity_type}_{tag}]"
        digest = self._digest(entity_type, value)
        existing = self.mapping.get(digest)
        if existing is not None:
            return existing
        number = self.counters.get(entity_type, 0) + 1
        self.counters[entity_type] = number
        placeholder = f"[{entity_type}_{number}]"
        self.mapping[digest] = placeholder
        return placeholder

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (digests and counters only, never raw values or keys)."""
        return {"version": 1, "mapping": dict(self.mapping), "counters": dict(self.counters)}

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], *, key: bytes = b"", pseudonym_key: bytes | None = None
    ) -> RedactionContext:
        """Rebuild a context stored by :meth:`to_dict`; raises :class:`ContextFormatError`."""
        try:
            mapping = {str(k): str(v) for k, v in dict(data.get("mapping", {})).items()}
            counters = {str(k): int(v) for k, v in dict(data.get("counters", {})).items()}
        except (TypeError, ValueError, AttributeError) as exc:
            raise ContextFormatError(f"malformed redaction context: {exc}") from exc
        return cls(key=key, pseudonym_key=pseudonym_key, mapping=mapping, counters=counters)


@dataclass(frozen=True)
class RedactionResult:
    """Redacted text and the findings (type, span in the input, placeholder; never the value)."""

    text: str
    findings: tuple[Finding, ...]

    def __iter__(self) -> Any:
        # Lets callers unpack ``text, findings = redact(...)`` as the issue describes it.
        return iter((self.text, self.findings))


@dataclass
class Redactor:
    """Configurable redactor; :func:`redact` uses a default instance."""

    person: bool = True
    street_address: bool = True
    entity_types: frozenset[str] | None = None
    # False for text whose pattern types (emails, phones, ...) were all masked already.
    patterns: bool = True

    def detect(self, text: str) -> list[Detection]:
        """All detections in ``text`` after overlap merging, skipping existing placeholders."""
        found = detect_patterns(text) if self.patterns else []
        if self.person or self.street_address:
            from app.engine.safety.tagger import detect_names_and_addresses

            found.extend(
                d for d in detect_names_and_addresses(text)
                if (d.entity_type == "PERSON" and self.person)
                or (d.entity_type == "STREET_ADDRESS" and self.street_address)
            )
        if self.entity_types is not None:
            found = [d for d in found if d.entity_type in self.entity_types]
        protected = [(m.start(), m.end()) for m in PLACEHOLDER_RE.finditer(text)]
        found = [d for d in found if not any(d.start < e and s < d.end for s, e in protected)]
        return resolve_overlaps(found, text)

    def redact(self, text: str, context: RedactionContext) -> RedactionResult:
        """Replace every detected span by its placeholder."""
        return self.apply(text, self.detect(text), context)

    @staticmethod
    def apply(text: str, detections: Iterable[Detection], context: RedactionContext) -> RedactionResult:
        """Replace the spans :meth:`detect` found in ``text`` by their placeholders: detections
        are a function of the text alone, placeholders of the conversation (``context``)."""
        parts: list[str] = []
        findings: list[Finding] = []
        pos = 0
        for det in detections:
            placeholder = context.placeholder_for(det.entity_type, det.value)
            parts.append(text[pos:det.start])
            parts.append(placeholder)
            findings.append(Finding(det.entity_type, det.start, det.end, placeholder))
            pos = det.end
        parts.append(text[pos:])
        return RedactionResult("".join(parts), tuple(findings))


_DEFAULT = Redactor()


def redact(text: str, context: RedactionContext | None = None) -> RedactionResult:
    """Redact ``text`` with the default redactor; a fresh context is used when none is given."""
    return _DEFAULT.redact(text, context if context is not None else RedactionContext())
