"""Value types shared by the PII detectors and the redactor.

A :class:`Detection` is an internal candidate span (it holds the raw value and hides it from
``repr``); a :class:`Finding` is what leaves the redactor: type, span and placeholder, never the value.
Raises nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Higher wins when two detections overlap with the same length: validated patterns beat heuristics.
PRIORITY: dict[str, int] = {
    "SECRET": 90,
    "EMAIL": 80,
    "IBAN": 75,
    "CREDIT_CARD": 70,
    "US_SSN": 65,
    "NATIONAL_ID": 60,
    "IP_ADDRESS": 55,
    "PHONE": 50,
    "STREET_ADDRESS": 20,
    "PERSON": 10,
}


@dataclass(frozen=True)
class Detection:
    """A candidate PII span in the text that was scanned; ``value`` never appears in repr."""

    entity_type: str
    start: int
    end: int
    value: str = field(repr=False)


@dataclass(frozen=True)
class Finding:
    """One redacted span: entity type, its position in the original text and its placeholder."""

    entity_type: str
    start: int
    end: int
    placeholder: str


def resolve_overlaps(detections: list[Detection], text: str) -> list[Detection]:
    """Merge overlapping detections into one span typed by the highest-priority member.

    Merging (rather than dropping the loser) guarantees that no character of any detected span
    survives, which is what matters for redaction.
    """
    merged: list[Detection] = []
    for det in sorted(detections, key=lambda d: (d.start, -d.end)):
        if merged and det.start < merged[-1].end:
            last = merged[-1]
            winner = max((last, det), key=lambda d: PRIORITY.get(d.entity_type, 0))
            end = max(last.end, det.end)
            merged[-1] = Detection(winner.entity_type, last.start, end, text[last.start:end])
        else:
            merged.append(det)
    return merged
