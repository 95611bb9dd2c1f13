"""PERSON and STREET_ADDRESS detection with a small trained token tagger plus context rules.

The tagger is a softmax regression over hashed token features (word, shape, affixes, neighbours,
membership in a first/last-name lexicon and a street-word lexicon). Its weights and lexicon live in
``data/`` and are loaded lazily on first use (see ``data/README.md`` for provenance and rebuild).
Explicit context rules ("my name is", "ich heiße", "je m'appelle", "me llamo", honorifics, street
patterns for en/de/fr/es) add recall in languages the training data barely covers.

Raises :class:`~app.engine.safety.errors.ModelArtifactError` if the artifact is missing or malformed.
"""

from __future__ import annotations

import bisect
import gzip
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from app.engine.safety.errors import ModelArtifactError
from app.engine.safety.features import TOKEN_RE, hash_feature, shape
from app.engine.safety.findings import Detection

DATA_DIR = Path(__file__).resolve().parent / "data"
TAGGER_FILE = DATA_DIR / "pii_tagger.npz"
LEXICON_FILE = DATA_DIR / "names.txt.gz"
LABELS = ("O", "PERSON", "STREET_ADDRESS")
N_BUCKETS = 1 << 17
MAX_GAP = 3

STREET_WORDS = frozenset(
    [
        "street",
        "st",
        "st.",
        "avenue",
        "ave",
        "road",
        "rd",
        "drive",
        "dr",
        "lane",
        "ln",
        "court",
        "ct",
        "boulevard",
        "blvd",
        "way",
        "place",
        "pl",
        "square",
        "sq",
        "terrace",
        "trail",
        "parkway",
        "pkwy",
        "highway",
        "hwy",
        "circle",
        "cir",
        "crescent",
        "close",
        "row",
        "alley",
        "bridge",
        "apt",
        "apt.",
        "suite",
        "unit",
        "box",
        "po",
        "psc",
        "floor",
        "fl",
        "straße",
        "strasse",
        "str",
        "str.",
        "weg",
        "gasse",
        "platz",
        "allee",
        "ring",
        "damm",
        "ufer",
        "chaussee",
        "rue",
        "avenue",
        "bd",
        "chemin",
        "impasse",
        "allée",
        "place",
        "quai",
        "cours",
        "route",
        "voie",
        "calle",
        "avenida",
        "av",
        "avda",
        "paseo",
        "plaza",
        "camino",
        "carrera",
        "carretera",
        "ronda",
        "travesía",
        "via",
        "viale",
        "piazza",
        "corso",
        "vicolo",
        "rua",
        "praça",
        "ul",
        "ulica",
        "utca",
        "tee",
        "katu",
        "gatan",
        "gata",
        "vej",
        "vei",
        "straat",
        "laan",
        "plein",
    ]
)
STREET_SUFFIXES = (
    "straße",
    "strasse",
    "str.",
    "weg",
    "gasse",
    "platz",
    "allee",
    "gatan",
    "katu",
    "vej",
    "straat",
    "laan",
    "utca",
    "väg",
    "vägen",
    "gade",
)


def is_street_word(low: str) -> bool:
    """Whether a lower-cased word names a street ("road", "hauptstraße")."""
    return low in STREET_WORDS or low.endswith(STREET_SUFFIXES)


_NAME_CUE = (
    r"(?i:my name is|my name's|call me|ich heiße|ich heisse|mein name ist|je m'appelle|je m’appelle|"
    r"mon nom est|me llamo|mi nombre es|mr\.?|mrs\.?|ms\.?|dr\.|herr|frau|mme\.?|mlle\.?|monsieur|madame|"
    r"sr\.|sra\.|srta\.|señor|señora|doña)"
)
_NAME_WORD = r"(?:[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ'’-]+|[A-Z]\.)"
NAME_CUE_RE = re.compile(rf"(?<!\w){_NAME_CUE}[ \t]+({_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{0,3}})")
_CAP = r"[A-ZÀ-ÖØ-Þ][\wÀ-ÿ'’.-]*"
STREET_RE = re.compile(
    r"(?<!\w)(?:\d{1,5}[a-zA-Z]?,?\s+(?:" + _CAP + r"\s+){0,3}"
    r"(?:Street|St\.?|Avenue|Ave\.?|Road|Rd\.?|Drive|Dr\.?|Lane|Ln\.?|Court|Ct\.?|Boulevard|Blvd\.?|Way|Place)"
    r"|(?:" + _CAP + r"(?:straße|strasse|str\.|weg|gasse|platz|allee)|(?:Rue|Avenue|Boulevard|Chemin|Impasse|Calle|"
    r"Avenida|Paseo|Plaza|Carrer|Via|Viale|Piazza)\s+(?:(?:de|del|de la|des|du|la|le)\s+)?"
    + _CAP
    + r"(?:\s+"
    + _CAP
    + r"){0,2})[ \t]*(?:,[ \t]*)?\d{1,5}[a-zA-Z]?)(?!\w)"
)


class Token(NamedTuple):
    """A token and its span (a tuple: every stored turn makes hundreds of them)."""

    text: str
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    return [Token(m.group(), m.start(), m.end()) for m in TOKEN_RE.finditer(text)]


@lru_cache(maxsize=1)
def load_lexicon() -> tuple[frozenset[str], frozenset[str]]:
    """First and last names (lower-cased) from the committed lexicon."""
    first: set[str] = set()
    last: set[str] = set()
    try:
        with gzip.open(LEXICON_FILE, "rt", encoding="utf-8") as fh:
            for line in fh:
                kind, _, name = line.rstrip("\n").partition("\t")
                (first if kind == "F" else last).add(name)
    except OSError as exc:
        raise ModelArtifactError(f"cannot read {LEXICON_FILE}: {exc}") from exc
    return frozenset(first), frozenset(last)


@lru_cache(maxsize=1 << 16)
def _shape(token: str) -> str:
    return shape(token)


def _bucket(feature: str) -> int:
    # Not cached: hashing costs less than a look-up in a large cache (see features.hash_features).
    return hash_feature(feature, N_BUCKETS)


@lru_cache(maxsize=1 << 16)
def _word_buckets(low: str) -> tuple[tuple[int, ...], int, int, int, int]:
    """Buckets of a word's own features, and of it as the word two before, one before, one after
    and two after another."""
    own = (_bucket(f"w={low}"), _bucket(f"p3={low[:3]}"), _bucket(f"x3={low[-3:]}"), _bucket(f"x2={low[-2:]}"))
    return own, _bucket(f"w-2={low}"), _bucket(f"w-1={low}"), _bucket(f"w+1={low}"), _bucket(f"w+2={low}")


@lru_cache(maxsize=1 << 12)
def _shape_buckets(token_shape: str) -> tuple[int, int, int]:
    return _bucket(f"s={token_shape}"), _bucket(f"s-1={token_shape}"), _bucket(f"s+1={token_shape}")


# The lexicon-flag buckets of a word: seen from the token after it, itself, and the token before.
_Flags = tuple[list[int], list[int], list[int]]


def _lexicon_flags(word: str, is_first: bool, is_last: bool) -> _Flags:
    """The lexicon-flag buckets of a word seen from the token after it, itself and the token before."""
    kinds = [name for name, on in (("fn", is_first), ("ln", is_last),
                                   ("st", is_street_word(word))) if on]
    before, itself, after = ([_bucket(f"{name}{tag}") for name in kinds] for tag in ("-1", "0", "1"))
    return before, itself, after


_LETTER_RUN_RE = re.compile(r"[^\W\d_]+")
_EMPTY_FLAGS: _Flags = ([], [], [])
# Words whose lexicon-flag buckets a tagger keeps (~100 bytes each).
_FLAGS_CACHE = 1 << 16
_BIAS = hash_feature("b", N_BUCKETS)
_LENGTH_BUCKETS = [hash_feature(f"len={n}", N_BUCKETS) for n in range(11)]
_DIGIT_BUCKETS = [hash_feature(f"nd={n}", N_BUCKETS) for n in range(7)]


def sentence_features(tokens: list[Token], first: frozenset[str], last: frozenset[str]) -> list[list[str]]:
    """Feature strings of every token (shared by training and inference).

    Words, shapes and lexicon flags are computed once per token and reused for the neighbours.
    """
    n = len(tokens)
    words = ["<s>", "<s>", *(t.text.lower() for t in tokens), "</s>", "</s>"]
    shapes = ["<s>", "<s>", *(_shape(t.text) for t in tokens), "<s>", "<s>"]
    flags: list[tuple[bool, bool, bool]] = [(False, False, False)] * 2
    for w in words[2:n + 2]:
        flags.append((w in first, w in last, is_street_word(w)))
    flags += [(False, False, False)] * 2
    out: list[list[str]] = []
    for i in range(n):
        k = i + 2
        tok = tokens[i].text
        low = words[k]
        sh, sp, sn = shapes[k], shapes[k - 1], shapes[k + 1]
        wp = words[k - 1]
        wn = words[k + 1]
        feats = [
            "b", f"w={low}", f"s={sh}", f"p3={low[:3]}", f"x3={low[-3:]}", f"x2={low[-2:]}",
            f"w-1={wp}", f"w-2={words[k - 2]}", f"w+1={wn}", f"w+2={words[k + 2]}",
            f"s-1={sp}", f"s+1={sn}", f"s-1s+1={sp}|{sn}", f"w-1s={wp}|{sh}", f"sw+1={sh}|{wn}",
            f"len={min(len(tok), 10)}",
        ]
        for j, tag in ((k - 1, "-1"), (k, "0"), (k + 1, "1")):
            is_first, is_last, is_street = flags[j]
            if is_first:
                feats.append(f"fn{tag}")
            if is_last:
                feats.append(f"ln{tag}")
            if is_street:
                feats.append(f"st{tag}")
        if tok.isdigit():
            feats.append(f"nd={min(len(tok), 6)}")
        out.append(feats)
    return out


def token_features(tokens: list[Token], i: int, first: frozenset[str], last: frozenset[str]) -> list[str]:
    """Feature strings of token ``i`` (see :func:`sentence_features`)."""
    return sentence_features(tokens[max(0, i - 2):i + 3], first, last)[min(i, 2)]


class _FeatureContext:
    """One text's padded words, shapes and lexicon flags, from which the bucket rows of any of its
    tokens are made (shapes are computed only around the tokens asked for)."""

    def __init__(self, tokens: list[Token], words: list[str], lexical: list[_Flags]) -> None:
        self.tokens = tokens
        self.words = words
        self.lexical = lexical
        self.shapes: list[str | None] = ["<s>", "<s>", *([None] * len(tokens)), "<s>", "<s>"]

    def _shape(self, k: int) -> str:
        found = self.shapes[k]
        if found is None:
            found = self.shapes[k] = _shape(self.tokens[k - 2].text)
        return found

    def rows(self, positions: Iterable[int]) -> list[list[int]]:
        # Every stored turn is tagged: the features of a word and of a shape are hashed once per
        # process (cached), and only the three pair features are formatted per token.
        words, lexical, tokens = self.words, self.lexical, self.tokens
        rows: list[list[int]] = []
        for i in positions:
            k = i + 2
            tok = tokens[i].text
            sh, sp, sn = self._shape(k), self._shape(k - 1), self._shape(k + 1)
            wp, wn = words[k - 1], words[k + 1]
            row = [
                _BIAS, *_word_buckets(words[k])[0], _shape_buckets(sh)[0],
                _word_buckets(wp)[2], _word_buckets(words[k - 2])[1], _word_buckets(wn)[3],
                _word_buckets(words[k + 2])[4], _shape_buckets(sp)[1], _shape_buckets(sn)[2],
                _bucket(f"s-1s+1={sp}|{sn}"), _bucket(f"w-1s={wp}|{sh}"), _bucket(f"sw+1={sh}|{wn}"),
                _LENGTH_BUCKETS[min(len(tok), 10)],
            ]
            row += lexical[k - 1][0]
            row += lexical[k][1]
            row += lexical[k + 1][2]
            if tok.isdigit():
                row.append(_DIGIT_BUCKETS[min(len(tok), 6)])
            rows.append(row)
        return rows


class PiiTagger:
    """Token tagger over hashed features; weights are loaded from ``path`` in the constructor."""

    def __init__(self, path: Path = TAGGER_FILE) -> None:
        try:
            with np.load(path) as data:
                self.weights: npt.NDArray[np.float32] = data["weights"].astype(np.float32)
                self.bias: npt.NDArray[np.float32] = data["bias"].astype(np.float32)
        except (OSError, KeyError, ValueError) as exc:
            raise ModelArtifactError(f"cannot load PII tagger {path}: {exc}") from exc
        if self.weights.shape != (N_BUCKETS, len(LABELS)):
            raise ModelArtifactError(f"PII tagger {path} has shape {self.weights.shape}")
        self.first, self.last = load_lexicon()
        self._flags: dict[str, _Flags] = {}
        self._anchors: dict[str, bool] = {}

    def feature_rows(self, tokens: list[Token], positions: Sequence[int] | None = None) -> list[list[int]]:
        """Bucket indices of :func:`sentence_features`, the same multiset per token (a test holds
        them equal), for the tokens at ``positions`` (all by default)."""
        return self._context(tokens).rows(range(len(tokens)) if positions is None else positions)

    def label_tokens(self, tokens: list[Token], positions: Sequence[int] | None = None) -> list[int]:
        """Most likely label index per token, or per token at ``positions`` (in that order). A
        token's label depends on its neighbours, so ``tokens`` is always the whole text."""
        return self._labels(self.feature_rows(tokens, positions))

    def _labels(self, rows: list[list[int]]) -> list[int]:
        if not rows:
            return []
        flat = np.fromiter((k for row in rows for k in row), dtype=np.int64)
        offsets = np.cumsum([0] + [len(row) for row in rows[:-1]])
        scores = np.add.reduceat(self.weights[flat], offsets, axis=0) + self.bias
        return [int(k) for k in scores.argmax(axis=1)]

    def _context(self, tokens: list[Token]) -> _FeatureContext:
        words = ["<s>", "<s>", *(t.text.lower() for t in tokens), "</s>", "</s>"]
        flags = self._flags
        lexical = [_EMPTY_FLAGS, _EMPTY_FLAGS]
        for w in words[2:-2]:
            found = flags.get(w)
            if found is None:
                found = _lexicon_flags(w, w in self.first, w in self.last)
                if len(flags) < _FLAGS_CACHE:
                    flags[w] = found
            lexical.append(found)
        lexical += [_EMPTY_FLAGS, _EMPTY_FLAGS]
        return _FeatureContext(tokens, words, lexical)

    def may_anchor_a_span(self, token: str) -> bool:
        """Whether a kept span could rest on this token: :func:`plausible_person` and
        :func:`plausible_address` both need a word in it that is capitalised, a lexicon name or
        a street word (a word never crosses tokens: tokens are whole letter-and-digit runs)."""
        found = self._anchors.get(token)
        if found is None:
            found = any(
                w[0].isupper() or (low := w.lower()) in self.first or low in self.last or is_street_word(low)
                for w in _LETTER_RUN_RE.findall(token)
            )
            if len(self._anchors) < _FLAGS_CACHE:
                self._anchors[token] = found
        return found

    def span_labels(self, tokens: list[Token]) -> list[int]:
        """Labels for :func:`_merge_labelled` that yield the same kept spans as labelling every
        token, computing only the labels those spans depend on. A span is kept only if it holds an
        anchor token (``may_anchor_a_span``), labelled or bridged over. So labels are computed at
        the anchors, then outwards from each labelled token (and each anchor the merge could
        bridge) over what the merge looks at (up to the next word, within ``MAX_GAP``), until no run
        grows; other tokens stay 0. Most tokens are no anchor (~3 of 27 in XQuAD questions and
        sentences), so most of the model's work is skipped. Tests hold the detections equal to
        labelling every token, on all of XQuAD among others."""
        n = len(tokens)
        labels = [0] * n
        known = [False] * n
        wanted = [i for i, t in enumerate(tokens) if self.may_anchor_a_span(t.text)]
        if not wanted:
            return labels
        context = self._context(tokens)
        # An unlabelled anchor that is no plain word ("Fransa'dan") can still be bridged into a run.
        bridgeable = {i for i in wanted if not tokens[i].text.isalnum()}
        while wanted:
            for i, label in zip(wanted, self._labels(context.rows(wanted)), strict=True):
                labels[i], known[i] = label, True
            grow: dict[int, None] = {}
            for i in wanted:
                if not labels[i] and i not in bridgeable:
                    continue
                for step in (1, -1):
                    k = i + step
                    while 0 <= k < n and abs(k - i) <= MAX_GAP + 1:
                        if not known[k]:
                            grow[k] = None
                        if tokens[k].text.isalnum():
                            break
                        k += step
            wanted = list(grow)
        return labels

    def spans(self, text: str) -> Iterator[Detection]:
        tokens = tokenize(text)
        labels = self.label_tokens(tokens)
        yield from _merge_labelled(text, tokens, labels)


def _merge_labelled(text: str, tokens: list[Token], labels: list[int]) -> Iterator[Detection]:
    """Join runs of equally labelled tokens, bridging short punctuation gaps ("Apt. 5,\nLyss").

    Bridging matters because a span counts as redacted only if none of its characters survive.
    """
    i = 0
    while i < len(tokens):
        label = labels[i]
        if label == 0:
            i += 1
            continue
        j = i
        while True:
            k = j + 1
            while k < len(tokens) and k - j <= MAX_GAP and labels[k] == 0 and not tokens[k].text.isalnum():
                k += 1
            if k < len(tokens) and labels[k] == label:
                j = k
                continue
            break
        start, end = tokens[i].start, tokens[j].end
        if any(ch.isalnum() for ch in text[start:end]):
            yield Detection(LABELS[label], start, end, text[start:end])
        i = j + 1


COMMON_WORDS = frozenset(
    [
        "again",
        "also",
        "and",
        "but",
        "hello",
        "hi",
        "thanks",
        "thank",
        "please",
        "yes",
        "no",
        "ok",
        "okay",
        "name",
        "date",
        "phone",
        "address",
        "email",
        "the",
        "this",
        "that",
        "hallo",
        "danke",
        "bitte",
        "ja",
        "nein",
        "bonjour",
        "merci",
        "oui",
        "non",
        "hola",
        "gracias",
        "sí",
    ]
)


def plausible_address(value: str) -> bool:
    """Addresses carry a number, a street word or a capitalised name; lone lower-case words do not,
    and neither does a bare number ("order 42")."""
    words = re.findall(r"[^\W_]+", value)
    # A number only makes an address together with a name or a street word ("order 42 and" is not one).
    return any(
        w[0].isupper() or is_street_word(w.lower())
        for w in words
        if not w.isdigit()
    )


def plausible_person(value: str, first: frozenset[str], last: frozenset[str]) -> bool:
    """Reject tagger PERSON spans that are single letters, common words or lower-case non-names."""
    words = [w for w in re.findall(r"[^\W\d_]+", value) if len(w) >= 2]
    if not words or (len(words) == 1 and words[0].lower() in COMMON_WORDS):
        return False
    return any(w[0].isupper() for w in words) or any(w.lower() in first or w.lower() in last for w in words)


_LOCK = threading.Lock()
_TAGGER: list[PiiTagger] = []


def get_tagger() -> PiiTagger:
    """The process-wide tagger, created on first use."""
    with _LOCK:
        if not _TAGGER:
            _TAGGER.append(PiiTagger())
        return _TAGGER[0]


def rule_detections(text: str) -> Iterator[Detection]:
    """Context-rule names and street patterns (multilingual, independent of the model)."""
    for m in NAME_CUE_RE.finditer(text):
        yield Detection("PERSON", m.start(1), m.end(1), m.group(1))
    for m in STREET_RE.finditer(text):
        yield Detection("STREET_ADDRESS", m.start(), m.end(), m.group())


# Words that open or continue an address line: units, boxes, floors (en/de/fr/es).
UNIT_WORDS = frozenset(
    [
        "apt", "apartment", "suite", "ste", "unit", "flat", "floor", "fl", "room", "rm", "box", "po", "p.o",
        "postbox", "bldg", "building", "dept", "no", "nr", "wohnung", "whg", "stock", "etage", "app", "appt",
        "bâtiment", "bat", "étage", "piso", "puerta", "depto", "dpto", "planta", "bis", "ter"
    ]
)
# Lower-case particles inside names and places ("van de Noort", "Bukovina u Decína", "rue de la Paix").
PARTICLES = frozenset(
    [
        "van", "von", "der", "den", "de", "del", "della", "di", "da", "das", "dos", "du", "des", "la", "le",
        "las", "los", "y", "e", "u", "z", "zu", "am", "an", "bin", "ibn", "al", "el", "st", "st.", "san",
        "santa", "sankt"
    ]
)
# Abbreviations after which a full stop does not end the address.
ABBREVIATIONS = frozenset([
    "st", "str", "ave", "av", "avda", "rd", "dr", "ln", "ct", "blvd", "pl", "sq", "u", "ul", "apt", "no",
    "nr", "hwy", "pkwy", "ste", "fl", "bd"
])
_CORNER_RE = re.compile(r"(?:\bthe\s+)?\bcorner\s+of\b", re.IGNORECASE)
_LINE_HEAD_RE = re.compile(r"[ \t]*\d{1,6}[A-Za-z]?(?:[ \t]+[^\W\d_][\w'’.-]{0,30}){0,3}[ \t]+")
MAX_ADDRESS_LINES = 4
MAX_EXTENSION_TOKENS = 16


def _is_cap(word: str) -> bool:
    return word[:1].isupper()


def _next_word(tokens: list[Token], i: int) -> Token | None:
    while i < len(tokens) and not tokens[i].text[:1].isalnum():
        if tokens[i].text == "\n":
            return None
        i += 1
    return tokens[i] if i < len(tokens) else None


def _address_start(text: str, tokens: list[Token], start: int, end: int, starts: list[int]) -> tuple[int, bool]:
    """Earlier start of an address (building numbers, "the corner of", a line head) and the corner flag."""
    i = bisect.bisect_left(starts, start) - 1
    # Backwards: building numbers on the same line ("6570 Jiřího z Poděbrad 1874"), "the corner of".
    while i >= 0 and start - tokens[i].end <= 1 and text[tokens[i].end:start].strip(" \t") == "":
        word = tokens[i].text
        if word.isdigit() or (word[:1].isdigit() and len(word) <= 6 and word.isalnum()):
            start = tokens[i].start
            i -= 1
            continue
        break
    corner = _CORNER_RE.search(text, max(0, start - 20), min(end, start + 20))
    if corner:
        start = min(start, corner.start())
    # Backwards over a line that opens with a building number: "0138 Brisas 6802".
    line_start = max(text.rfind("\n", 0, start) + 1, text.rfind(": ", 0, start) + 2, text.rfind("> ", 0, start) + 2)
    head = text[line_start:start]
    if head.strip() and _LINE_HEAD_RE.fullmatch(head):
        start = line_start + len(head) - len(head.lstrip())
    return start, corner is not None


def _extend_address(text: str, tokens: list[Token], det: Detection, starts: list[int]) -> Detection:
    """Grow an address span over its building number, unit, city, region, postcode and country lines."""
    start, corner = _address_start(text, tokens, det.start, det.end, starts)
    end = _address_end(text, tokens, det.end, starts, corner)
    if (start, end) == (det.start, det.end):
        return det
    return Detection(det.entity_type, start, end, text[start:end])


def _address_end(text: str, tokens: list[Token], end: int, starts: list[int], corner: bool) -> int:
    """Later end of an address: the unit, city, region, postcode and country tokens that follow it."""
    j = bisect.bisect_left(starts, end)
    lines = 0
    taken = 0
    cursor = end
    while j < len(tokens) and taken < MAX_EXTENSION_TOKENS:
        tok = tokens[j]
        word = tok.text
        gap = text[cursor:tok.start]
        cursor = tok.end
        if "\n" in gap or len(gap) > 4:
            break
        if word == "\n":
            lines += 1
            nxt = _next_word(tokens, j + 1)
            if lines > MAX_ADDRESS_LINES or nxt is None:
                break
            j += 1
            continue
        if word in (",", ">", "(", ")", "-", "#", "/"):
            j += 1
            continue
        if word == ".":
            prev = text[max(0, tok.start - 6):tok.start].rsplit(None, 1)
            prev_word = prev[-1].lower() if prev else ""
            nxt = _next_word(tokens, j + 1)
            unit_next = nxt is not None and (nxt.text.lower() in UNIT_WORDS or nxt.text[:1].isdigit())
            if nxt is None or prev_word in ABBREVIATIONS or unit_next:
                j += 1
                continue
            break
        if not word[:1].isalnum():
            break
        low = word.lower()
        nxt = _next_word(tokens, j + 1)
        label = nxt is not None and text[tok.end:nxt.start].strip(" \t") == ":"
        if text[tok.end:tok.end + 1] == ":" or label:
            break  # "Mobile:", "Desk:" start a new field
        good = (
            (any(ch.isdigit() for ch in word) and len(word) <= 10)
            or _is_cap(word)
            or low in UNIT_WORDS
            or low in STREET_WORDS
            or (corner and low in ("and", "y", "et", "und"))
            or (low in PARTICLES and nxt is not None and _is_cap(nxt.text))
        )
        if not good:
            break
        end = tok.end
        taken += 1
        j += 1
    return end


def _is_name_word(word: str, first: frozenset[str], last: frozenset[str], lower_case: bool) -> bool:
    low = word.lower()
    if not word[:1].isalpha() or word[-2:-1] in ("'", "’") or low in COMMON_WORDS or low in STREET_WORDS:
        return False
    if lower_case:
        return word.lower() in last or word.lower() in first
    return _is_cap(word)


def _extend_person(
    text: str, tokens: list[Token], det: Detection, starts: list[int],
    first: frozenset[str], last: frozenset[str],
) -> Detection:
    """Grow a name over adjacent initials, particles and further name words on the same line."""
    start, end = det.start, det.end
    lower_case = not any(_is_cap(w) for w in det.value.split())
    j = bisect.bisect_left(starts, end)
    taken = 0 if det.value[-2:-1] not in ("'", "’") else 3  # no growth after a possessive
    while j < len(tokens) and taken < 3:
        tok = tokens[j]
        gap = text[end:tok.start]
        if gap not in (" ", "", ". ") or (gap == "" and tok.text != "."):
            break
        word = tok.text
        if word == ".":
            if len(text[start:end].rsplit(None, 1)[-1]) == 1:  # initial "J."
                end = tok.end
                j += 1
                continue
            break
        nxt = tokens[j + 1] if j + 1 < len(tokens) else None
        initial = len(word) == 1 and word.isalpha()
        particle = word.lower() in PARTICLES
        if (initial or particle) and nxt is not None and _is_name_word(nxt.text, first, last, lower_case and initial):
            end = tok.end  # middle initial or particle ("van de Noort")
        elif _is_name_word(word, first, last, lower_case) and gap == " ":
            end = tok.end
        else:
            break
        taken += 1
        j += 1
    i = bisect.bisect_left(starts, start) - 1
    if i >= 0 and text[tokens[i].end:start] == " ":
        word = tokens[i].text
        if (word.lower() in first and (_is_cap(word) or lower_case)) or (len(word) == 1 and word.isupper()):
            start = tokens[i].start
    if (start, end) == (det.start, det.end):
        return det
    return Detection(det.entity_type, start, end, text[start:end])


def detect_names_and_addresses(text: str, tagger: PiiTagger | None = None) -> list[Detection]:
    """PERSON and STREET_ADDRESS detections from the tagger and the context rules, grown to full spans."""
    model = tagger if tagger is not None else get_tagger()
    tokens = tokenize(text)
    found = list(rule_detections(text))
    labels = model.span_labels(tokens)
    for det in _merge_labelled(text, tokens, labels):
        keep = (
            plausible_person(det.value, model.first, model.last)
            if det.entity_type == "PERSON"
            else plausible_address(det.value)
        )
        if keep:
            found.append(det)
    starts = [t.start for t in tokens]
    return [
        _extend_address(text, tokens, d, starts) if d.entity_type == "STREET_ADDRESS"
        else _extend_person(text, tokens, d, starts, model.first, model.last)
        for d in found
    ]
