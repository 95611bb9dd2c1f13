"""Errors of the admin services; the HTTP layer maps them to 413, 415 and 422."""

from __future__ import annotations


class UploadError(ValueError):
    """An upload that cannot be ingested."""


class UploadTooLarge(UploadError):
    """More bytes than the configured upload limit."""


class UnsupportedUpload(UploadError):
    """A file type the knowledge base has no parser for (or the configuration does not allow)."""


class InvalidUpload(UploadError):
    """Content of a supported type that does not parse (bad UTF-8, malformed FAQ JSON, no text)."""


class EmptyUpload(InvalidUpload):
    """A file with nothing but whitespace in it."""
