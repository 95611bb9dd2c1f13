"""Exception hierarchy of the knowledge base.

``KnowledgeError`` is the root; callers (CLI, views, /ready) catch it or a subclass:

- ``IngestError``: an ingest request cannot proceed at all (bad root, nothing to read).
- ``UnsafePathError(IngestError)``: a path escapes the allowed roots (``..`` or a symlink).
- ``ParseError(IngestError)``: one file is malformed; ingest reports it and goes on.
- ``IndexMismatchError``: the index was built with another embedding model or dimension.
- ``IndexNotReadyError``: no usable index yet (nothing ingested, or the build failed).
"""

from __future__ import annotations


class KnowledgeError(Exception):
    """Base class of every knowledge-base error."""


class IngestError(KnowledgeError):
    """An ingest request cannot proceed."""


class UnsafePathError(IngestError):
    """A path resolves outside the directories it must stay in."""


class ParseError(IngestError):
    """A file could not be parsed; carries the path for the one-line report."""


class IndexMismatchError(KnowledgeError):
    """The stored index and the loaded embedding model disagree (model name or dimension)."""


class IndexNotReadyError(KnowledgeError):
    """There is no usable index to search."""
