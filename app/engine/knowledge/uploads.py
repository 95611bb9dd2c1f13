"""Uploaded content (admin API) parsed from bytes: no file path is ever taken from the uploader.

The sanitised file name only chooses the parser (by extension) and labels the document; the
stored source is ``upload:<tenant>/<random id>/<name>``. Raises ``ParseError`` for malformed or
unsupported content.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from app.engine.knowledge.errors import ParseError
from app.engine.knowledge.ingest import UPLOAD_SCHEME
from app.engine.knowledge.loaders import PARSERS, ParsedDocument, parse_file


@dataclass(frozen=True)
class Upload:
    """One uploaded file: its sanitised name (a label, never a path) and its bytes."""

    name: str
    data: bytes


def upload_source(tenant: str, name: str) -> str:
    return f"{UPLOAD_SCHEME}{tenant or '-'}/{uuid.uuid4().hex}/{name}"


def parse_upload(upload: Upload, source: str) -> list[ParsedDocument]:
    """Documents of an upload, with sources below ``source`` (fragments kept for FAQ entries)."""
    label = Path(upload.name)
    if label.suffix.lower() not in PARSERS or label.name != upload.name:
        raise ParseError(f"{upload.name}: unsupported file type")
    # The parsers only read the name's stem and suffix from the path; nothing is opened.
    docs = parse_file(label, upload.data)
    prefix = str(label)
    for doc in docs:
        fragment = doc.source[len(prefix):] if doc.source.startswith(prefix) else ""
        doc.source = source + fragment
    return docs
