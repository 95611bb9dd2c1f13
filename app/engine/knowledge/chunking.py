"""Sentence-aware chunking with overlap, for Latin, CJK, Thai, Devanagari and Arabic text.

Sizes are in characters so the same setting works for scripts without spaces. A sentence longer
than the chunk size is cut at whitespace (or hard-cut for CJK/Thai). Raises ``ValueError`` for
a non-positive size or an overlap not smaller than the size.
"""

from __future__ import annotations

import re

# Sentence ends: Latin/Greek/Cyrillic punctuation followed by space, CJK full stops (no space needed),
# Devanagari danda, Arabic question mark, and Thai, where a space is the sentence boundary.
_SENT_END = re.compile(
    # Not after a one- or two-digit number: "am 7. Januar", "le 1. mai" are ordinals, not sentence ends.
    r"(?<=[.!?;])(?<!\b\d\.)(?<!\b\d\d\.)\s+(?=\S)"
    r"|(?<=[。！？；])"
    r"|(?<=[।॥؟۔])\s*"
    r"|(?<=[\u0e00-\u0e7f])\s+(?=[\u0e00-\u0e7f])"
    r"|\n\s*\n"
)


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` with surrounding whitespace removed; empty pieces dropped."""
    return [s.strip() for s in _SENT_END.split(text) if s and s.strip()]


def _cut_long(sentence: str, size: int) -> list[str]:
    pieces: list[str] = []
    while len(sentence) > size:
        cut = sentence.rfind(" ", size // 2, size)
        cut = cut if cut > 0 else size
        pieces.append(sentence[:cut].strip())
        sentence = sentence[cut:].strip()
    if sentence:
        pieces.append(sentence)
    return pieces


def chunk_text(text: str, size: int = 1200, overlap: int = 200) -> list[str]:
    """Group sentences into chunks of at most ``size`` characters, repeating up to ``overlap``
    characters of trailing sentences at the start of the next chunk."""
    if size <= 0 or not 0 <= overlap < size:
        raise ValueError(f"bad chunking settings: size={size} overlap={overlap}")
    sentences: list[str] = []
    for sentence in split_sentences(text):
        sentences.extend(_cut_long(sentence, size))
    chunks: list[str] = []
    current: list[str] = []
    length = 0
    for sentence in sentences:
        if current and length + len(sentence) + 1 > size:
            chunks.append(" ".join(current))
            current, length = _overlap_tail(current, overlap)
            # The tail plus this sentence could still exceed the size; then drop the tail.
            if length + len(sentence) + 1 > size:
                current, length = [], 0
        current.append(sentence)
        length += len(sentence) + 1
    if current:
        chunks.append(" ".join(current))
    return chunks


def _overlap_tail(sentences: list[str], overlap: int) -> tuple[list[str], int]:
    tail: list[str] = []
    length = 0
    for sentence in reversed(sentences):
        if length + len(sentence) + 1 > overlap:
            break
        tail.insert(0, sentence)
        length += len(sentence) + 1
    return tail, length
