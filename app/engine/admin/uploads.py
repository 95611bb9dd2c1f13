"""Checks on uploaded files before anything is parsed: size, type, and a safe display name.

The uploader's file name is only ever a label: ``safe_name`` keeps the last path component's
letters, digits, ``.``, ``_`` and ``-``. Raises ``UploadTooLarge`` and ``UnsupportedUpload``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from app.engine.admin.errors import UnsupportedUpload, UploadTooLarge

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_NAME_CHARS = 100


def safe_name(raw: str) -> str:
    """``../../etc/passwd.md`` -> ``passwd.md``; ``Café menu.md`` -> ``Cafe_menu.md``."""
    last = re.split(r"[/\\]", raw or "")[-1]
    ascii_only = unicodedata.normalize("NFKD", last).encode("ascii", "ignore").decode()
    cleaned = _UNSAFE.sub("_", ascii_only).strip("._-")
    cleaned = re.sub(r"\.{2,}", ".", cleaned)
    if len(cleaned) > MAX_NAME_CHARS:
        stem, dot, suffix = cleaned.rpartition(".")
        cleaned = (stem[: MAX_NAME_CHARS - len(suffix) - 1] + dot + suffix) if dot else cleaned[:MAX_NAME_CHARS]
    return cleaned


def check_upload(raw_name: str, size: int, allowed_types: Sequence[str], max_bytes: int) -> str:
    """The safe name of an acceptable upload; raises UploadTooLarge or UnsupportedUpload."""
    if size > max_bytes:
        raise UploadTooLarge(f"upload of {size} bytes exceeds the limit of {max_bytes}")
    name = safe_name(raw_name)
    suffix = "." + name.rpartition(".")[2].lower() if "." in name else ""
    if not name or suffix not in {t.lower() for t in allowed_types}:
        raise UnsupportedUpload(f"unsupported file type {suffix or '(none)'}; allowed: {', '.join(allowed_types)}")
    return name
