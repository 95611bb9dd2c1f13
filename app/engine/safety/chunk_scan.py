"""Retrieved knowledge is untrusted input: documents can carry injected instructions.

``ChunkSanitiser`` drops the sentences of a chunk that the injection detector flags and keeps the
rest. Its ``signature`` names the detector (model weights, rules, threshold), so a verdict stored
at ingest is reused by chat turns only while the same detector would reach it. Raises nothing.
"""

from __future__ import annotations

from app.engine.knowledge.chunking import split_sentences
from app.engine.safety.injection import InjectionDetector


class ChunkSanitiser:
    def __init__(self, detector: InjectionDetector) -> None:
        self._detector = detector

    @property
    def signature(self) -> str:
        return self._detector.signature

    def clean(self, text: str) -> str:
        """``text`` itself when nothing is flagged, else its unflagged sentences (possibly "")."""
        detector = self._detector
        if not detector.score(text).flagged:
            return text
        pieces = [sentence for line in text.splitlines() for sentence in split_sentences(line)]
        return "\n".join(sentence for sentence in pieces if not detector.score(sentence).flagged)
