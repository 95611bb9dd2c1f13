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
    r"(?<=[.!?])(?<!\b\d\.)(?<!\b\d\d\.)\s+(?=\S)"
    # A semicolon ends a sentence only in Greek, where it is the question mark; elsewhere it joins
    # two clauses of one sentence, and an answer cut there ended in "press Enter;".
    r"|(?<=[\u0370-\u03ff\u1f00-\u1fff];)\s+(?=\S)"
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
    characters of trailing sentences at the start of the next chunk. Paragraphs (and headings) stay
    on lines of their own, so a heading is never read as the start of the sentence after it."""
    if size <= 0 or not 0 <= overlap < size:
        raise ValueError(f"bad chunking settings: size={size} overlap={overlap}")
    sentences: list[str] = []
    starts: set[int] = set()  # indexes of sentences that open a paragraph
    sections: set[int] = set()  # ... or a section (SECTION_BREAK before a heading)
    for paragraph in _PARAGRAPH.split(text):
        if paragraph.lstrip(" \t\n").startswith(SECTION_BREAK):
            sections.add(len(sentences))
        pieces = [piece for sentence in split_sentences(paragraph.replace(SECTION_BREAK, ""))
                  for piece in _cut_long(sentence, size)]
        if pieces:
            starts.add(len(sentences))
            sentences.extend(pieces)
    chunks: list[str] = []
    current: list[int] = []
    length = 0
    for index, sentence in enumerate(sentences):
        if len(current) > 1 and index in sections:
            # A section starts a chunk of its own (one topic per chunk retrieves better), unless the
            # chunk so far is a lone heading, such as a document title over its first section.
            chunks.append(_join(current, sentences, starts))
            current, length = [], 0
        elif current and length + len(sentence) + 1 > size:
            chunks.append(_join(current, sentences, starts))
            current, length = _overlap_tail(current, sentences, overlap)
            # The tail plus this sentence could still exceed the size; then drop the tail.
            if length + len(sentence) + 1 > size:
                current, length = [], 0
        current.append(index)
        length += len(sentence) + 1
    if current:
        chunks.append(_join(current, sentences, starts))
    return chunks


_PARAGRAPH = re.compile(r"\n\s*\n")
# Loaders put this before a heading (Markdown ``#``, HTML ``<h1>``...): the chunker starts a new chunk there.
SECTION_BREAK = "\f"


def _join(indexes: list[int], sentences: list[str], starts: set[int]) -> str:
    parts = [("\n" if i in starts and n else " " if n else "") + sentences[i] for n, i in enumerate(indexes)]
    return "".join(parts)


def _overlap_tail(indexes: list[int], sentences: list[str], overlap: int) -> tuple[list[int], int]:
    tail: list[int] = []
    length = 0
    for index in reversed(indexes):
        if length + len(sentences[index]) + 1 > overlap:
            break
        tail.insert(0, index)
        length += len(sentences[index]) + 1
    return tail, length
