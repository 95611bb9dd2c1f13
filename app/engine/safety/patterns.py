"""Rule-based PII detectors with validation: e-mail, phone, card, IBAN, IP, SSN, national IDs, secrets.

Each detector takes the text and returns :class:`~app.engine.safety.findings.Detection` objects.
Checksums (Luhn, mod-97, stdnum validators) and the ``phonenumbers`` library keep precision high.
Raises nothing: malformed candidates are skipped.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator

import phonenumbers
from stdnum import iban as std_iban
from stdnum import luhn
from stdnum.es import dni as es_dni
from stdnum.es import nie as es_nie
from stdnum.fr import nir as fr_nir
from stdnum.it import codicefiscale as it_cf

from app.engine.safety.findings import Detection

_AT_MARK = r"(?:@|\s*[\[\(\{<]\s*(?:at|@|ät|arroba|arobase)\s*[\]\)\}>]\s*)"
_AT_WORD = r"\s+(?:at|arroba|arobase)\s+"
_DOT_SPELLED = r"(?:\s*[\[\(\{<]\s*(?:dot|punkt|punto|point|\.)\s*[\]\)\}>]\s*|\s+(?:dot|punkt|punto|point)\s+)"
_DOT = rf"(?:\.|{_DOT_SPELLED})"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
# A real address ("jane.doe@acme-robotics.example", "a.b@mail.server.co.uk") is matched first and
# always masked whole; the obfuscated forms ("john [at] example [dot] com", "john at example dot com")
# only where no real address overlaps, and never right before an "@" (in "email at jane.doe@acme.example"
# the words "email at jane.doe" look obfuscated but are the prefix of a real address).
PLAIN_EMAIL_RE = re.compile(
    rf"(?<![\w.+@-])[a-z0-9][a-z0-9._%+-]{{0,63}}@{_LABEL}(?:\.{_LABEL})*\.[a-z]{{2,24}}(?![\w@-])",
    re.IGNORECASE,
)
# A bare "at" needs a spelled-out last dot too ("john at example dot com"): "listed at
# creativecommons.org" and "find us at acme.example" are where a site is, not an address.
EMAIL_RE = re.compile(
    rf"(?<![\w.+@-])[a-z0-9][a-z0-9._%+-]{{0,63}}"
    rf"(?:{_AT_MARK}{_LABEL}(?:{_DOT}{_LABEL})*{_DOT}|{_AT_WORD}{_LABEL}(?:{_DOT}{_LABEL})*{_DOT_SPELLED})"
    rf"[a-z]{{2,24}}(?![\w@-])",
    re.IGNORECASE,
)
# Digits with single separators; 12-19 digits for cards.
CARD_RE = re.compile(r"(?<![\d-])\d(?:[ -]?\d){11,18}(?![\d-])")
IBAN_RE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ -]?[A-Za-z0-9]){10,30}(?![A-Za-z0-9])")
IPV4_RE = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.]|\.\d)")
IPV6_RE = re.compile(r"(?<![\w:])(?:[0-9a-f]{0,4}:){2,7}(?:[0-9a-f]{0,4}|(?:\d{1,3}\.){3}\d{1,3})(?![\w:])",
                     re.IGNORECASE)
SSN_RE = re.compile(r"(?<![\d-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\d-])")
SSN_CONTEXT_RE = re.compile(r"(?:ssn|social security)[^\d\n]{0,20}(\d{9})(?!\d)", re.IGNORECASE)
# Phone candidates: an optional "+CC", an optional "(0)" / "(99)" area part, then up to seven digit
# groups joined by single separators, and an optional extension. Bounded quantifiers and the
# lookbehinds (no start inside a digit run or right after "digit + separator") keep the scan linear
# even on inputs like "1 1 1 1 ...".
PHONE_CANDIDATE_RE = re.compile(
    r"(?<![\w+])(?<!\d[ .\-/])(?<!\d\))"
    r"(?:\(?\+[ ]?\d{1,4}\)?[ .-]?)?"  # +CC, (+CC)
    r"(?:(?:\d{1,3}[ .-]?)?\(\d{1,5}\)[ ]?[.\-/]?[ ]?)?"  # (0), (99), 1 (959), 8 (350), (49)/
    r"\d{1,15}(?:(?:[ ]?[.\-/][ ]?|[ ])\d{1,10}){0,6}"
    r"(?:[ ]?(?:x|ext\.?|extension|poste|durchwahl|dw\.?)[ ]?\d{1,6})?"
    r"(?![^\W_]|[ ]?[.\-/][ ]?\d|[ ]\d)",
    re.IGNORECASE,
)
_EXTENSION_RE = re.compile(r"[ ]?(?:x|ext\.?|extension|poste|durchwahl|dw\.?)[ ]?\d{1,6}$", re.IGNORECASE)
# Words that announce a phone number; they let short or unseparated local numbers through.
PHONE_CONTEXT_RE = re.compile(
    r"(?<!\w)(?:phone|ph|tel|tél|tele|telephone|téléphone|teléfono|telefono|telefon|telefone|fon|call|"
    r"called|calling|ring|fax|mobile|mobil|mob|cell|cellphone|handy|portable|móvil|movil|celular|"
    r"whatsapp|sms|text|desk|office|home|work|direct|hotline|number|nummer|numéro|número|num|no|nr)"
    r"\.?\s*(?:(?:me|us|him|her)\s+)?(?:[:#(]|is|at|on|number|nummer|no\.?|nr\.?|\)|-)?\s*$",
    re.IGNORECASE,
)
DATE_LIKE_RE = re.compile(r"^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4})$")
NATIONAL_ID_RE = re.compile(r"(?<![\w])(?:[XYZ]?\d{7,8}[-]?[A-Z]|[12][ ]?\d{2}(?:[ ]?\d{2}){2}(?:[ ]?\d{3}){2}"
                            r"[ ]?\d{2}|[A-Z]{6}\d{2}[A-Z]\d{2}[A-Z]\d{3}[A-Z])(?![\w])")
PHONE_REGIONS = ("US", "GB", "DE", "FR", "ES", "IT", "CH", "AT", "NL", "BE", "BR", "AU", "IN", "MX")

_SECRET_PATTERNS = [
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)",
    r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
    r"\bgh[pousr]_[A-Za-z0-9]{30,255}\b",
    r"\bgithub_pat_[A-Za-z0-9_]{40,255}\b",
    r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b",
    r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}\b",
    r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}\b",
    r"\bAIza[0-9A-Za-z_-]{35}\b",
    r"\bglpat-[A-Za-z0-9_-]{20,}\b",
    r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b",
    r"(?<=://)[^\s:/@]+:[^\s/@]+(?=@)",
    r"(?i:(?<=bearer ))[A-Za-z0-9._~+/-]{16,}=*",
    r"(?i:(?<=password)|(?<=passwd)|(?<=pwd)|(?<=api_key)|(?<=api-key)|(?<=apikey)|(?<=secret)|(?<=token)"
    r"|(?<=passwort)|(?<=contraseña)|(?<=mot de passe))\s*[:=]\s*[\"']?[^\s\"',;]{4,}",
]
SECRET_RE = re.compile("|".join(f"(?:{p})" for p in _SECRET_PATTERNS))
# What each secret pattern cannot match without: nearly no text holds any of them, and checking
# for them costs a few microseconds where the patterns cost ~100 (they run on every question,
# reply and snippet).
_SECRET_LITERALS = (
    "-----BEGIN ", "AKIA", "ASIA", "gh", "github_pat_", "xox", "sk-", "k_live_", "k_test_", "AIza", "glpat-",
    "eyJ", "://",
)
_SECRET_WORDS_RE = re.compile(r"(?i:bearer |passw|pwd|api[_-]?key|secret|token|contraseña|mot de passe)")


def may_hold_secret(text: str) -> bool:
    """False only for text that no secret pattern can match."""
    return any(literal in text for literal in _SECRET_LITERALS) or _SECRET_WORDS_RE.search(text) is not None


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def find_emails(text: str) -> Iterator[Detection]:
    plain = [m.span() for m in PLAIN_EMAIL_RE.finditer(text)] if "@" in text else []
    for start, end in plain:
        yield Detection("EMAIL", start, end, text[start:end])
    for m in EMAIL_RE.finditer(text):
        if any(m.start() < e and s < m.end() for s, e in plain):
            continue
        yield Detection("EMAIL", m.start(), m.end(), m.group())


def find_credit_cards(text: str) -> Iterator[Detection]:
    for m in CARD_RE.finditer(text):
        digits = _digits(m.group())
        # Mixed separators ("1234 5678-9...") are rarely cards; a consistent one is the real shape.
        if len(set(re.findall(r"[ -]", m.group()))) > 1:
            continue
        if 12 <= len(digits) <= 19 and luhn.is_valid(digits) and len(set(digits)) > 1:
            yield Detection("CREDIT_CARD", m.start(), m.end(), m.group())


def find_ibans(text: str) -> Iterator[Detection]:
    for m in IBAN_RE.finditer(text):
        value = m.group()
        compact = re.sub(r"[ -]", "", value).upper()
        # Trailing words glued by a space can make a candidate too long: shrink from the right.
        for cut in range(len(compact), 14, -1):
            if std_iban.is_valid(compact[:cut]):
                end = _span_end_for(value, cut) + m.start()
                yield Detection("IBAN", m.start(), end, text[m.start():end])
                break


def _span_end_for(value: str, n_chars: int) -> int:
    seen = 0
    for i, ch in enumerate(value):
        if ch not in " -":
            seen += 1
            if seen == n_chars:
                return i + 1
    return len(value)


def _identifies_no_one(address: str) -> bool:
    """Loopback and unspecified addresses (127.0.0.1, ::1, 0.0.0.0) are the same on every machine:
    documentation quotes them, and masking them only breaks instructions."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return parsed.is_loopback or parsed.is_unspecified


def find_ip_addresses(text: str) -> Iterator[Detection]:
    for m in IPV4_RE.finditer(text):
        if all(int(p) <= 255 for p in m.group().split(".")) and not _identifies_no_one(m.group()):
            yield Detection("IP_ADDRESS", m.start(), m.end(), m.group())
    for m in IPV6_RE.finditer(text):
        value = m.group()
        if value.count(":") < 2 or (re.fullmatch(r"[\d:]+", value) and "::" not in value):
            continue  # times like 12:30:45 are not addresses
        try:
            ipaddress.IPv6Address(value)
        except ValueError:
            continue
        if not _identifies_no_one(value):
            yield Detection("IP_ADDRESS", m.start(), m.end(), value)


def find_ssns(text: str) -> Iterator[Detection]:
    for m in SSN_RE.finditer(text):
        area, group, serial = m.group(1), m.group(3), m.group(4)
        if area in ("000", "666") or area.startswith("9") or group == "00" or serial == "0000":
            continue
        yield Detection("US_SSN", m.start(), m.end(), m.group())
    for m in SSN_CONTEXT_RE.finditer(text):
        yield Detection("US_SSN", m.start(1), m.end(1), m.group(1))


_NATIONAL_VALIDATORS: tuple[Callable[[str], bool], ...] = (
    es_dni.is_valid, es_nie.is_valid, fr_nir.is_valid, it_cf.is_valid,
)


def find_national_ids(text: str) -> Iterator[Detection]:
    for m in NATIONAL_ID_RE.finditer(text):
        value = m.group()
        if any(valid(value) for valid in _NATIONAL_VALIDATORS):
            yield Detection("NATIONAL_ID", m.start(), m.end(), value)


def find_secrets(text: str) -> Iterator[Detection]:
    if not may_hold_secret(text):
        return
    for m in SECRET_RE.finditer(text):
        yield Detection("SECRET", m.start(), m.end(), m.group())


def _has_phone_context(text: str, start: int, end: int) -> bool:
    """A phone cue word ends right before the number (or labels it right after, as in "… office")."""
    if PHONE_CONTEXT_RE.search(text[max(0, start - 30):start]):
        return True
    after = re.match(r"[ \t]*-?[ \t]*(?:office|fax|mobile|cell|home|work|tel|phone|desk)\b", text[end:end + 20], re.I)
    return after is not None


def _valid_in_some_region(candidate: str) -> bool:
    for region in PHONE_REGIONS:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return True
    return False


_DATE_INSIDE_RE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}(?!\d)|(?<!\d)\d{1,2}[-./]\d{1,2}[-./]\d{4}")
_YEAR_RANGE_RE = re.compile(r"(\d{3,4})[ ]?[-/][ ]?(\d{3,4})")
_THOUSANDS_RE = re.compile(r"\d{1,3}(?:\.\d{3})+|\d{1,3}(?:[ ]\d{3})*[ ]000")
# A count grouped by spaces from a short head and followed by what it counts ("17 786 419 habitantes"):
# the same shape alone is a phone number as often ("They're not answering at 78 651 450").
_SPACE_GROUPED_RE = re.compile(r"\d{1,2}(?:[ ]\d{3}){2,}")
_COUNTED_WORD_RE = re.compile(r"[ \u00a0]+[^\W\d_]")


def _looks_like_quantity(core: str, after: str) -> bool:
    """Year ranges (1629-1631), dates and amounts with thousand separators (7.000.000, 2 700 000,
    17 786 419 habitantes); ``after`` is the text following the number."""
    if _DATE_INSIDE_RE.search(core) or _THOUSANDS_RE.fullmatch(core):
        return True
    if _SPACE_GROUPED_RE.fullmatch(core) and _COUNTED_WORD_RE.match(after):
        return True
    m = _YEAR_RANGE_RE.fullmatch(core)
    return m is not None and 100 <= int(m.group(1)) <= int(m.group(2)) <= 2100


def _is_phone(text: str, start: int, end: int) -> bool:
    value = text[start:end]
    core = _EXTENSION_RE.sub("", value)
    digits = _digits(core)
    n = len(digits)
    if n < 5 or n > 15 or DATE_LIKE_RE.match(core.strip()):
        return False
    separated = bool(re.search(r"[ .()/-]", core))
    if core.lstrip("(").startswith("+"):
        if separated and n >= 7:
            return True  # "+CC" and digit groups: a phone even when the plan says otherwise
        try:
            number = phonenumbers.parse(core.replace("(", "").replace(")", ""), None)
        except phonenumbers.NumberParseException:
            return False
        return phonenumbers.is_possible_number(number)
    context = _has_phone_context(text, start, end)
    if context:
        return n >= 6 or separated
    groups = re.findall(r"\d+", core)
    if _looks_like_quantity(core, text[end:end + 3]) or (len(groups) > 1 and len(set(groups)) == 1):
        return False  # quantities, and one group repeated ("42 42 42 42") without a phone cue
    if n >= 7 and (separated or value != core):
        return True
    # A lone run of digits is as likely an order number as a phone: only numbers valid in a region.
    return n >= 8 and not separated and _valid_in_some_region(core)


def find_phones(text: str) -> Iterator[Detection]:
    for m in PHONE_CANDIDATE_RE.finditer(text):
        if _is_phone(text, m.start(), m.end()):
            yield Detection("PHONE", m.start(), m.end(), m.group())


# Every entity type the detectors below report.
PATTERN_ENTITY_TYPES = frozenset(
    {"EMAIL", "CREDIT_CARD", "IBAN", "IP_ADDRESS", "US_SSN", "NATIONAL_ID", "SECRET", "PHONE"}
)
DETECTORS: tuple[Callable[[str], Iterator[Detection]], ...] = (
    find_secrets, find_emails, find_ibans, find_credit_cards, find_ssns,
    find_national_ids, find_ip_addresses, find_phones,
)


def detect_patterns(text: str) -> list[Detection]:
    """Run every rule-based detector over ``text`` (overlaps are resolved by the caller)."""
    found: list[Detection] = []
    for detector in DETECTORS:
        found.extend(detector(text))
    return found
