"""Derived search indexes: built from database rows into a version directory, loaded by every process.

A version directory ``<index_dir>/v000042/`` holds ``manifest.json`` (embedding model, dimension,
chunking settings, index version), ``embeddings.npy``, ``payload.json`` (what a hit shows), the
bm25s files and, above the ANN threshold, a usearch graph. Directories are written under a temporary
name and renamed into place, so a reader never sees a half-built version.
Raises ``IndexMismatchError`` when a manifest disagrees with the embedder, ``IndexNotReadyError``
when a version directory is missing or unreadable.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from app.engine.knowledge.errors import IndexMismatchError, IndexNotReadyError
from app.engine.knowledge.language import iso_language
from app.engine.knowledge.lexical import LexicalIndex
from app.engine.knowledge.settings import RetrievalSettings
from app.engine.knowledge.tokenize import tokenize
from app.engine.knowledge.vector import AnnVectorIndex, ExactVectorIndex, VectorIndex
from app.engine.stemming import stems

# 2: BM25 over word stems. The format is part of a version's directory name, so hosts running a
# newer format build their own copy from the database instead of reading an older one.
FORMAT = 2
KEEP_VERSIONS = 3
Mask = npt.NDArray[np.bool_]


@dataclass
class ChunkRecord:
    """What one chunk contributes to the derived index."""

    chunk_id: int
    document_id: int
    title: str
    text: str
    language: str
    source: str
    visibility: str
    tenant: str | None
    tags: list[str]
    metadata: dict[str, Any]
    # The ingest-time injection scan (see ``scanning``): detector signature and cleaned text.
    scan_signature: str = ""
    scanned_text: str | None = None

    def __post_init__(self) -> None:
        # Chunks labelled before detection folded varieties into their language ("wuu" for Chinese)
        # read as that language: migration 0005 folds the database rows, but an index version
        # published before it keeps the old labels in its payload until the next reindex.
        self.language = iso_language(self.language)


@dataclass
class LoadedIndex:
    """An immutable, searchable snapshot of one index version."""

    version: int
    manifest: dict[str, Any]
    records: list[ChunkRecord]
    vectors: VectorIndex
    lexical: LexicalIndex
    languages: npt.NDArray[np.str_]
    loaded_at: float = field(default_factory=time.time)
    _masks: dict[tuple[str, str], Mask] = field(default_factory=dict)
    _terms: dict[int, frozenset[str]] = field(default_factory=dict)
    _language_set: list[str] | None = None

    def terms(self, row: int) -> frozenset[str]:
        """Distinct tokens of a chunk with its title (cached: the reranker asks for them per query)."""
        found = self._terms.get(row)
        if found is None:
            rec = self.records[row]
            found = frozenset(tokenize(ranking_text(rec.title, rec.text)))
            self._terms[row] = found
        return found

    @property
    def size(self) -> int:
        return len(self.records)

    def language_set(self) -> list[str]:
        """Languages present (computed once per snapshot: it narrows query language detection)."""
        if self._language_set is None:
            self._language_set = sorted({str(x) for x in np.unique(self.languages)} - {"und"}) if self.size else []
        return self._language_set

    def field_mask(self, name: str, value: str) -> Mask:
        """Boolean mask of chunks whose ``name`` field matches ``value`` (cached per snapshot)."""
        key = (name, value)
        mask = self._masks.get(key)
        if mask is None:
            if name == "language":
                mask = self.languages == value
            elif name == "tags":
                mask = np.fromiter((value in r.tags for r in self.records), bool, self.size)
            elif name == "source":
                mask = np.fromiter((r.source.startswith(value) for r in self.records), bool, self.size)
            elif name == "visibility":
                mask = np.fromiter((r.visibility == value for r in self.records), bool, self.size)
            elif name == "tenant":
                # NULL and "" both mean "shared by every tenant".
                mask = np.fromiter(((r.tenant or "") == value for r in self.records), bool, self.size)
            elif name == "document_id":
                mask = np.fromiter((str(r.document_id) == value for r in self.records), bool, self.size)
            else:
                raise ValueError(f"unknown filter {name!r}")
            self._masks[key] = mask
        return mask


def version_dir(index_dir: Path, version: int) -> Path:
    return index_dir / f"v{version:06d}-f{FORMAT}"


def chunking_settings(settings: RetrievalSettings) -> dict[str, Any]:
    return {"chunk_size": settings.chunk_size, "chunk_overlap": settings.chunk_overlap}


def lexical_tokens(record: ChunkRecord) -> list[str]:
    """What BM25 indexes for a chunk: the stems of its words and its title's, in its language."""
    return stems(tokenize(ranking_text(record.title, record.text)), record.language)


def ranking_text(title: str, text: str) -> str:
    """The title travels with each chunk for ranking, lexical and dense alike."""
    return f"{title}\n{text}" if title else text


def write_index(
    index_dir: Path,
    version: int,
    records: list[ChunkRecord],
    matrix: npt.NDArray[np.float32],
    settings: RetrievalSettings,
    model: str,
) -> Path:
    """Build every derived structure for ``version`` and rename it into place (idempotent)."""
    final = version_dir(index_dir, version)
    if final.is_dir():
        return final
    index_dir.mkdir(parents=True, exist_ok=True)
    tmp = index_dir / f".tmp-v{version:06d}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        np.save(tmp / "embeddings.npy", matrix.astype(np.float32))
        LexicalIndex.build([lexical_tokens(r) for r in records]).save(tmp / "bm25")
        ann = len(records) >= settings.ann_threshold
        if ann:
            AnnVectorIndex.build(matrix, settings.ann_dtype, settings.ann_expansion_search).save(tmp / "ann.usearch")
        (tmp / "payload.json").write_text(
            json.dumps([r.__dict__ for r in records], ensure_ascii=False), encoding="utf-8"
        )
        manifest = {
            "format": FORMAT,
            "index_version": version,
            "embedding_model": model,
            "dimension": int(matrix.shape[1]) if matrix.ndim == 2 and matrix.shape[0] else 0,
            "chunking": chunking_settings(settings),
            "chunks": len(records),
            "vector_index": "ann" if ann else "exact",
            "created_at": time.time(),
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        try:
            os.rename(tmp, final)
        except OSError:
            # Another process published the same version first; theirs is equivalent.
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _prune_old(index_dir, version)
    return final


def _prune_old(index_dir: Path, current: int) -> None:
    for path in index_dir.glob("v*"):
        try:
            number = int(path.name[1:].split("-", 1)[0])
        except ValueError:
            continue
        if number <= current - KEEP_VERSIONS:
            shutil.rmtree(path, ignore_errors=True)


def read_manifest(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexNotReadyError(f"index manifest unreadable in {path}: {exc}") from exc
    return data


def check_manifest(manifest: dict[str, Any], model: str, dim: int) -> None:
    """Raise ``IndexMismatchError`` unless the manifest was built with this model and dimension."""
    if manifest.get("chunks", 0) == 0:
        return
    if manifest.get("dimension") != dim or manifest.get("embedding_model") != model:
        raise IndexMismatchError(
            f"index v{manifest.get('index_version')} was built with {manifest.get('embedding_model')} "
            f"(dimension {manifest.get('dimension')}) but the loaded model is {model} (dimension {dim}); "
            "run `flask kb reindex` to re-embed"
        )


def load_index(index_dir: Path, version: int, settings: RetrievalSettings) -> LoadedIndex:
    """Load a published version directory into memory."""
    path = version_dir(index_dir, version)
    manifest = read_manifest(path)
    try:
        matrix = np.load(path / "embeddings.npy", mmap_mode="r")
        payload = json.loads((path / "payload.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexNotReadyError(f"index v{version} unreadable: {exc}") from exc
    records = [ChunkRecord(**item) for item in payload]
    matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    vectors: VectorIndex
    if (path / "ann.usearch").is_file():
        vectors = AnnVectorIndex.load(path / "ann.usearch", matrix, settings.ann_expansion_search)
    else:
        vectors = ExactVectorIndex(matrix)
    lexical = LexicalIndex.load(path / "bm25", len(records))
    languages = np.array([r.language for r in records], dtype=str)
    return LoadedIndex(version, manifest, records, vectors, lexical, languages)


def build_in_memory(
    records: list[ChunkRecord], matrix: npt.NDArray[np.float32], settings: RetrievalSettings, model: str
) -> LoadedIndex:
    """A snapshot without touching disk (synthetic benchmarks and tests)."""
    ann = len(records) >= settings.ann_threshold
    vectors: VectorIndex = (
        AnnVectorIndex.build(matrix, settings.ann_dtype, settings.ann_expansion_search)
        if ann
        else ExactVectorIndex(matrix)
    )
    lexical = LexicalIndex.build([lexical_tokens(r) for r in records])
    manifest = {"index_version": 0, "embedding_model": model, "dimension": int(matrix.shape[1]),
                "chunks": len(records), "vector_index": vectors.kind}
    languages = np.array([r.language for r in records], dtype=str)
    return LoadedIndex(0, manifest, records, vectors, lexical, languages)
