"""Knowledge-base administration for one tenant's admins: upload, list, delete, reindex, status.

Every action is written to the audit log. Admins only see and delete their own tenant's
documents; shared documents (tenant NULL, e.g. the bundled guide) are managed with the CLI.
Raises ``UploadError`` subclasses for rejected uploads and ``KnowledgeError`` from the KB.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.engine.access import Actor, AuditLog
from app.engine.admin.errors import EmptyUpload, InvalidUpload
from app.engine.admin.uploads import check_upload
from app.engine.knowledge import DocumentInfo, KnowledgeBase, ParseError, ReindexReport, StaleDocument, Upload


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int
    allowed_types: Sequence[str]


@dataclass(frozen=True)
class UploadResult:
    name: str
    document_ids: list[int]
    added: int
    updated: int
    chunks: int
    index_version: int | None


@dataclass(frozen=True)
class DocumentPage:
    documents: list[DocumentInfo]
    # Where the next page starts (its ``before``); None on the last page.
    next_before: int | None


@dataclass(frozen=True)
class TenantKnowledgeStatus:
    documents: int
    index_version: int
    loaded_version: int | None
    embedding_model: str
    dimension: int
    stale: list[StaleDocument]
    error: str | None


class KnowledgeAdmin:
    def __init__(self, knowledge: KnowledgeBase, audit: AuditLog, limits: UploadLimits) -> None:
        self._kb = knowledge
        self._audit = audit
        self._limits = limits

    def upload(self, who: Actor, raw_name: str, data: bytes, tags: Sequence[str] = ()) -> UploadResult:
        name = check_upload(raw_name, len(data), self._limits.allowed_types, self._limits.max_bytes)
        if not data.strip():
            raise EmptyUpload(f"{name}: the file is empty")
        try:
            report, ids = self._kb.ingest_upload(Upload(name, data), who.tenant or None, tags)
        except ParseError:
            # The parser's message names the internal source; the uploader only needs the gist.
            raise InvalidUpload(f"{name}: the content could not be parsed (check encoding and format)") from None
        result = UploadResult(name, ids, report.added, report.updated, report.chunks, report.index_version)
        self._audit.record(who, "kb.upload", name, {"document_ids": ids, "bytes": len(data), "tags": list(tags)})
        return result

    def documents(self, who: Actor, limit: int, before: int | None = None) -> DocumentPage:
        """One page of the tenant's documents, newest first, from below document id ``before``."""
        docs = self._kb.documents(who.tenant or None, limit=limit + 1, before=before)
        page = DocumentPage(docs[:limit], docs[limit - 1].id if len(docs) > limit else None)
        self._audit.record(who, "kb.list", "", {"count": len(page.documents)})
        return page

    def delete(self, who: Actor, document_id: int) -> bool:
        deleted = self._kb.delete_document(document_id, who.tenant or None)
        if deleted:
            self._audit.record(who, "kb.delete", str(document_id))
        return deleted

    def reindex(self, who: Actor, full: bool = False) -> ReindexReport:
        """Reindex the admin's own documents (a tenant's admin never re-embeds another's)."""
        own = [doc.id for doc in self._kb.documents(who.tenant or None)]
        report = self._kb.reindex(full=full, document_ids=own)
        self._audit.record(who, "kb.reindex", "", {"full": full, "version": report.version,
                                                   "documents": report.reembedded_documents})
        return report

    def status(self, who: Actor) -> TenantKnowledgeStatus:
        own = {doc.id for doc in self._kb.documents(who.tenant or None)}
        status = self._kb.status(document_ids=own)  # reads only the admin's own sources
        self._audit.record(who, "kb.status")
        return TenantKnowledgeStatus(
            documents=len(own), index_version=status.index_version, loaded_version=status.loaded_version,
            embedding_model=status.embedding_model, dimension=status.dimension,
            stale=status.stale, error=status.error,
        )
