"""File parsers: Markdown, plain text, HTML, JSON FAQ lists and SQuAD JSON.

Each parser turns one file into ``ParsedDocument`` items with a stable ``source`` key (the path,
plus a fragment for multi-document files). Raises ``ParseError`` for a malformed file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.engine.knowledge.chunking import SECTION_BREAK
from app.engine.knowledge.errors import ParseError
from app.engine.safety.normalize import strip_control_characters
from app.engine.unicode_text import holds_lone_surrogate


@dataclass
class ParsedDocument:
    """One document extracted from a file, before chunking."""

    source: str
    title: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    visibility: str = "public"


def _decode(data: bytes, path: Path) -> str:
    """The file's text without control characters: they are no text (a stray NUL, or a form feed the
    Markdown parser would take for its own section mark), and PostgreSQL cannot store NUL. JSON
    strings can escape them too ("\\u0000"); its parsers strip the strings they keep."""
    try:
        return strip_control_characters(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ParseError(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})") from exc


def _front_title(text: str, path: Path) -> str:
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("#"):
            return line.lstrip("#").strip()
        if line:
            return line[:120]
    return path.stem


_EMPHASIS = re.compile(r"(?<!\w)[*_]{1,3}(?=\S)|(?<=\S)[*_]{1,3}(?!\w)")


_BLOCK_START = re.compile(r"^\s{0,3}(#{1,6}\s|[-*+>|]\s?|\d+[.)]\s|```|<)")
# Comments are not shown to readers, so they are not knowledge (and a favourite hiding place for
# injected instructions).
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def unwrap_paragraphs(text: str) -> str:
    """Join the hard-wrapped lines of a paragraph: a line break inside a paragraph is not the end of a
    sentence, while blank lines, headings, list items, quotes and tables still start a new line."""
    out: list[str] = []
    for line in text.splitlines():
        joinable = out and out[-1].strip() and line.strip() and not _BLOCK_START.match(line)
        if (joinable and not _BLOCK_START.match(out[-1])) or (joinable and _is_list_continuation(out[-1], line)):
            out[-1] = f"{out[-1].rstrip()} {line.strip()}"
        else:
            out.append(line)
    return "\n".join(out)


def _is_list_continuation(previous: str, line: str) -> bool:
    """An indented line under a list item continues the item."""
    return bool(re.match(r"^\s{0,3}([-*+]|\d+[.)])\s", previous)) and line.startswith((" ", "\t"))


def parse_markdown(path: Path, data: bytes) -> list[ParsedDocument]:
    text = _decode(data, path)
    # Keep link text, drop markup that would pollute tokens.
    plain = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", unwrap_paragraphs(_HTML_COMMENT.sub("", text)))
    plain = re.sub(r"^[ \t]{0,3}#{1,6}[ \t]*", SECTION_BREAK, plain, flags=re.MULTILINE)
    plain = re.sub(r"^[ \t]{0,3}([-*+>]|\d+\.)[ \t]*", "", plain, flags=re.MULTILINE)
    plain = plain.replace("`", "")
    # Emphasis markers open or close a word; underscores inside one ("turn_id", "snake_case") stay.
    plain = _EMPHASIS.sub("", plain)
    return [ParsedDocument(str(path), _front_title(text, path), plain.strip())]


def parse_text(path: Path, data: bytes) -> list[ParsedDocument]:
    text = _decode(data, path)
    return [ParsedDocument(str(path), _front_title(text, path), text.strip())]


def parse_html(path: Path, data: bytes) -> list[ParsedDocument]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_decode(data, path), "html.parser")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    title_tag = soup.find("title") or soup.find("h1")
    title = title_tag.get_text(" ", strip=True) if title_tag else path.stem
    body = soup.body or soup
    blocks = [b.strip() for b in body.get_text("\n").split("\n")]
    text = "\n".join(b for b in blocks if b)
    return [ParsedDocument(str(path), title, text)]


def _parse_faq(path: Path, items: list[Any]) -> list[ParsedDocument]:
    docs = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("question"), str) or not isinstance(
            item.get("answer"), str
        ):
            raise ParseError(f"{path}: FAQ item {i} needs string 'question' and 'answer'")
        tags = item.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise ParseError(f"{path}: FAQ item {i} has 'tags' that is not a list of strings")
        visibility = item.get("visibility", "public")
        if visibility not in ("public", "internal"):
            raise ParseError(f"{path}: FAQ item {i} has visibility {visibility!r}")
        docs.append(
            ParsedDocument(
                source=f"{path}#faq{i}",
                title=strip_control_characters(item["question"]).strip(),
                text=strip_control_characters(item["answer"]).strip(),
                metadata={"kind": "faq", "question": item["question"]},
                tags=list(tags),
                visibility=visibility,
            )
        )
    return docs


def _parse_squad(path: Path, payload: dict[str, Any]) -> list[ParsedDocument]:
    docs = []
    try:
        for a, article in enumerate(payload["data"]):
            title = strip_control_characters(str(article.get("title", path.stem))).replace("_", " ")
            for p, para in enumerate(article["paragraphs"]):
                context = para["context"]
                if not isinstance(context, str) or not context.strip():
                    raise ParseError(f"{path}: article {a} paragraph {p} has an empty context")
                qids = [q["id"] for q in para.get("qas", []) if isinstance(q, dict) and "id" in q]
                docs.append(
                    ParsedDocument(
                        source=f"{path}#{a}.{p}",
                        title=title,
                        text=strip_control_characters(context).strip(),
                        metadata={"kind": "squad", "article": a, "paragraph": p, "question_ids": qids},
                    )
                )
    except (KeyError, TypeError) as exc:
        raise ParseError(f"{path}: not SQuAD format ({exc.__class__.__name__}: {exc})") from exc
    return docs


def parse_json(path: Path, data: bytes) -> list[ParsedDocument]:
    try:
        payload = json.loads(_decode(data, path))
    except json.JSONDecodeError as exc:
        raise ParseError(f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    except RecursionError:
        raise ParseError(f"{path}: invalid JSON: nested too deeply") from None
    if holds_lone_surrogate(payload):
        raise ParseError(f"{path}: not Unicode text (a string escapes half of a surrogate pair on its own)")
    if isinstance(payload, list):
        return _parse_faq(path, payload)
    if isinstance(payload, dict) and isinstance(payload.get("data"), list):
        return _parse_squad(path, payload)
    raise ParseError(f"{path}: JSON is neither a FAQ list nor SQuAD format")


PARSERS = {
    ".md": parse_markdown,
    ".markdown": parse_markdown,
    ".txt": parse_text,
    ".html": parse_html,
    ".htm": parse_html,
    ".json": parse_json,
}


def parse_file(path: Path, data: bytes) -> list[ParsedDocument]:
    """Documents in ``path`` (whose bytes are ``data``); raises ``ParseError`` if malformed or empty."""
    parser = PARSERS.get(path.suffix.lower())
    if parser is None:
        raise ParseError(f"{path}: unsupported file type {path.suffix!r}")
    docs = [d for d in parser(path, data) if d.text.strip()]
    if not docs:
        raise ParseError(f"{path}: no text found")
    return docs
