"""Admin services without Flask: knowledge-base management and conversation export/erasure.

Each action takes an ``Actor`` (who, which tenant, which request) and is audited.
"""

from app.engine.admin.conversations import ConversationAdmin
from app.engine.admin.errors import InvalidUpload, UnsupportedUpload, UploadError, UploadTooLarge
from app.engine.admin.knowledge import KnowledgeAdmin, TenantKnowledgeStatus, UploadLimits, UploadResult

__all__ = [
    "ConversationAdmin",
    "InvalidUpload",
    "KnowledgeAdmin",
    "TenantKnowledgeStatus",
    "UnsupportedUpload",
    "UploadError",
    "UploadLimits",
    "UploadResult",
    "UploadTooLarge",
]
