"""Small talk: recognise greetings, thanks, goodbyes and "what can you do" and answer from templates.

A message counts as small talk only when ALL of it is made of trigger phrases (plus a few filler words
such as "ok" or an addressee such as "bot"): "hello!" and "thanks a lot" are small talk, "hi, can you
tell me when Warsaw was founded?" is a question and goes on to retrieval. Triggers of the message's
language are tried first, then those of every other language, so a German "danke" in an English session
is still thanks. Replies come in the message's language, or in the default language when there are no
templates for it. Reply choice is deterministic (a stable hash of the session id).

Raises nothing beyond what `Messages.load` raises (LocaleError) when built from locale files.
"""

from __future__ import annotations

import unicodedata
import zlib
from dataclasses import dataclass

from app.engine.language import count_words
from app.engine.messages import INTENTS, Messages

# When a message mixes intents ("hi, what can you do?", "thanks, bye") the most specific one answers.
_PRIORITY = {
    name: rank for rank, name in enumerate(("acknowledgement", "greeting", "thanks", "goodbye", "help"), start=1)
}
assert set(_PRIORITY) == set(INTENTS)
_FILLER = 0
# Fillers that accompany small talk in any language (emoji and punctuation are stripped anyway).
_UNIVERSAL_FILLERS = ("ok", "okay", "bot", "chatbot")
# Diacritics under these scripts are often omitted when typing ("gracias" vs "grácias", "cam on",
# "ευχαριστω", Arabic without harakat), so they are folded away on both sides of the comparison.
_FOLD_SCRIPT_PREFIXES = ("LATIN", "GREEK", "CYRILLIC", "ARABIC")
_TATWEEL = "\u0640"


def _unspaced(char: str) -> bool:
    """Characters of scripts written without spaces (CJK, kana, Thai, Lao, Khmer, Myanmar)."""
    point = ord(char)
    return (0x0E00 <= point <= 0x0EFF or 0x1000 <= point <= 0x109F or 0x1780 <= point <= 0x17FF
            or 0x3040 <= point <= 0x30FF or 0x3400 <= point <= 0x9FFF or 0xF900 <= point <= 0xFAFF
            or 0xFF66 <= point <= 0xFF9F or 0x20000 <= point <= 0x2FA1F)


def normalize(text: str) -> str:
    """NFKC, case-folded, punctuation and symbols replaced by spaces, foldable diacritics removed."""
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text).casefold())
    out: list[str] = []
    base_script = ""
    for char in decomposed:
        category = unicodedata.category(char)
        if category == "Mn":
            if base_script.startswith(_FOLD_SCRIPT_PREFIXES):
                continue
            out.append(char)
        elif category[0] in "PSZC" or char == _TATWEEL:
            out.append(" ")
            base_script = ""
        else:
            out.append(char)
            base_script = unicodedata.name(char, "")
    return " ".join(unicodedata.normalize("NFC", "".join(out)).split())


@dataclass(frozen=True)
class SmallTalkReply:
    """A small-talk answer: the intent, the reply text, the reply language and the trigger's language."""

    intent: str
    text: str
    language: str
    trigger_language: str


class SmallTalk:
    """Matches small-talk messages against the localized triggers of every language."""

    def __init__(self, messages: Messages, *, max_words: int = 8, max_chars: int = 80) -> None:
        self.messages = messages
        self.max_words = max_words
        self.max_chars = max_chars
        self._vocab: dict[str, dict[str, int]] = {}
        self._intent_names = {rank: name for name, rank in _PRIORITY.items()}
        for language, locale in messages.locales.items():
            vocab = {normalize(w): _FILLER for w in (*_UNIVERSAL_FILLERS, *locale.fillers)}
            for name, intent in locale.intents.items():
                for trigger in intent.triggers:
                    key = normalize(trigger)
                    if key:
                        vocab[key] = max(vocab.get(key, _FILLER), _PRIORITY[name])
            vocab.pop("", None)
            self._vocab[language] = vocab
        self._longest = max((len(k) for v in self._vocab.values() for k in v), default=0)
        # Every language's pieces at once: a message no language's pieces can make up (most
        # questions) is told apart with one segmentation instead of one per language.
        self._any_language: dict[str, int] = {}
        for vocab in self._vocab.values():
            for piece, rank in vocab.items():
                self._any_language[piece] = max(rank, self._any_language.get(piece, rank))

    @classmethod
    def load(cls, default_language: str = "en") -> SmallTalk:
        """A matcher over the locale files shipped with the package."""
        return cls(Messages.load(default_language=default_language))

    def match(self, text: str, language: str | None, *, session_id: str | None = None) -> SmallTalkReply | None:
        """The small-talk reply for *text*, or None when it is not (only) small talk."""
        if len(text) > self.max_chars * 2 or count_words(text) > self.max_words:
            return None
        normalized = normalize(text)
        if not normalized or len(normalized) > self.max_chars:
            return None
        if self._segment(normalized, self._any_language) <= _FILLER:
            return None
        for candidate in self._search_order(language):
            rank = self._segment(normalized, self._vocab[candidate])
            if rank > _FILLER:
                intent = self._intent_names[rank]
                reply_language = self.messages.reply_language(language)
                replies = self.messages.locales[reply_language].intents[intent].replies
                index = zlib.crc32(session_id.encode("utf-8")) % len(replies) if session_id else 0
                return SmallTalkReply(intent, replies[index], reply_language, candidate)
        return None

    def _search_order(self, language: str | None) -> list[str]:
        first = [lang for lang in (language, self.messages.default_language) if lang and lang in self._vocab]
        return list(dict.fromkeys(first + sorted(self._vocab)))

    def _segment(self, text: str, vocab: dict[str, int]) -> int:
        """Highest intent rank over a split of *text* into vocabulary pieces; -1 when there is none."""
        n = len(text)
        cuts = {0, n}
        for k, char in enumerate(text):
            if char == " ":
                cuts.update((k, k + 1))
            elif k and (_unspaced(char) or _unspaced(text[k - 1])):
                cuts.add(k)
        # best[j]: highest rank along a segmentation of text[:j] (-1 = unreachable); ranks combine by max.
        best = dict.fromkeys(cuts, -1)
        best[0] = _FILLER
        ordered = sorted(cuts)
        for j in ordered[1:]:
            for i in ordered:
                if i >= j:
                    break
                if best[i] < 0 or j - i > self._longest + 1:
                    continue
                piece = text[i:j].strip()
                rank = _FILLER if not piece else vocab.get(piece, -1)
                if rank >= 0:
                    best[j] = max(best[j], best[i], rank)
        return best[n]
