#!/usr/bin/env python3
"""/chat throughput and latency against its irreducible cost, the query embedding, in one run.

    scripts/chat_bench.py [--data ../shared/data] [--questions 400] [--repeats 3] [--instance DIR] [--json]

Ingests the whole 12-language XQuAD development set into a fresh instance folder (or reuses
``--instance`` when it already holds it), starts gunicorn (2 workers), then sends distinct XQuAD
questions (no cache hits) at concurrency 2 and 8 and one repeated question (FAQ traffic, cache hits).
Questions are dealt round-robin, so every pass has the same language mix. Every pass is repeated
``--repeats`` times with fresh questions; the figures are medians over the repeats.

Before each repeat, with the server idle, this process times the query embedding over a sample of
the questions the run sends (its median sets that repeat's limit, workers x 1000 / embedding ms): on
a shared machine the embedding's cost drifts by several per cent within minutes, so a limit measured
once at the start misjudges later passes. The ratio printed is the median over repeats of each
pass's throughput over its own repeat's limit.

Each distinct-question pass is followed by the same questions sent to a second server under the
same gunicorn settings that only embeds them (``scripts/embedding_floor_app.py``): what any server
that must make the model call reaches on this machine with this load generator. Chat throughput and
p95 are also shown as ratios to that floor.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

import perf_bench  # noqa: E402
from bench_all import median_run, server  # noqa: E402

# Serves the same questions doing nothing but embedding them: the floor on this machine.
FLOOR_APP = "scripts.embedding_floor_app:app"

if TYPE_CHECKING:
    from app.engine.knowledge.embedder import Embedder


def _questions(data: Path, limit: int) -> list[str]:
    questions: list[str] = []
    for path in sorted((data / "xquad").glob("xquad.*.dev.json")):
        payload = json.loads(path.read_text(encoding="utf-8"))
        questions += [qa["question"] for article in payload["data"] for p in article["paragraphs"] for qa in p["qas"]]
    step = max(1, len(questions) // limit)
    return questions[::step][:limit]


def _prepare(instance: Path, data: Path) -> Embedder:
    """Migrate and ingest into ``instance``; return the query embedder (loaded in this process)."""
    os.environ.update({"APP_ENV": "testing", "APP_INSTANCE_PATH": str(instance), "OMP_NUM_THREADS": "1"})
    from app import create_app
    from app.storage.migrate import upgrade_database

    app = create_app()
    services = app.extensions["services"]
    upgrade_database(services.engine)
    started = time.perf_counter()
    report = services.knowledge.ingest([data / "xquad"], progress=False, roots=[data / "xquad"])
    print(f"ingest: {report.summary()} (wall {time.perf_counter() - started:.1f} s)", flush=True)
    from app.engine.knowledge.e5_engine import built_engine

    print(f"e5 engine: {built_engine() or 'the packaged one (no build for this machine)'}", flush=True)
    services.knowledge.close()
    embedder: Embedder = services.knowledge.embedder
    return embedder


def _embedding_ms(embedder: Embedder, sample: list[str]) -> tuple[float, float]:
    """Median and mean time (ms) of embedding each question of ``sample``, one at a time."""
    samples = []
    for question in sample:
        t = time.perf_counter()
        embedder.embed_query(question)
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples), statistics.fmean(samples)


def _with_ratios(run: dict[str, object], limits: tuple[float, ...]) -> dict[str, object]:
    """``run`` with its throughput over its repeat's limits (from the median and mean embedding)."""
    throughput = float(str(run["throughput_rps"]))
    run["ratio_to_limit"], run["ratio_to_mean_limit"] = (throughput / limit for limit in limits)
    return run


def _served_embedding(base: str) -> dict[str, float]:
    """The query embedding as the server paid for it during the distinct passes so far (its
    ``chat_stage_ms{stage="embed"}`` percentiles): under load, with the rest of each turn between
    model calls, it runs slower than in the tight loop of ``_prepare``."""
    with urllib.request.urlopen(base + "/metrics", timeout=10) as response:
        report = json.load(response)
    summary = report["observations"].get('chat_stage_ms{stage="embed"}', {})
    return {"p50": float(summary.get("p50") or 0.0), "avg": float(summary.get("avg") or 0.0)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--questions", type=int, default=400, help="distinct questions per pass and repeat")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--instance", type=Path,
                        help="instance folder to reuse (ingest skips what it holds; its metrics are reset)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not (args.data / "xquad").is_dir():
        sys.exit(f"needs XQuAD under {args.data}/xquad")
    with tempfile.TemporaryDirectory() as tmp:
        instance = args.instance or Path(tmp) / "instance"
        # Fresh questions for every pass of every repeat (a question seen before would hit the cache),
        # dealt round-robin so every pass has the same mix of languages, and so does the embedding
        # sample that sets the limit: question length, and so embedding cost, differs by language.
        passes = 2 * args.repeats
        questions = _questions(args.data, args.questions * passes)
        share = len(questions) // passes
        dealt = [questions[n::passes][:share] for n in range(passes)]
        embedder = _prepare(instance, args.data)
        sample = questions[:: max(1, len(questions) // 300)]
        embedding: list[tuple[float, float]] = []  # (median, mean) ms before each repeat
        # A reused instance keeps an earlier run's metrics within their window; the served embedding
        # figure below reads them, so every run starts from none.
        for stale in instance.glob("metrics.sqlite3*"):
            stale.unlink()
        # Logging as in production: the access line and the chat_turn event of every request are
        # formatted and written (to /dev/null here); the testing profile would skip both.
        env = {"APP_ENV": "testing", "APP_INSTANCE_PATH": str(instance), "APP__RATELIMIT__ENABLED": "false",
               "APP__LOGGING__LEVEL": "INFO", "APP__LOGGING__ACCESS_LOG": "true"}
        runs: dict[tuple[str, int], list[dict[str, object]]] = {}
        served = {"p50": 0.0, "avg": 0.0}
        floor_env = {"EMBEDDING_FLOOR_MODEL": embedder.name}
        with server(env, args.workers) as base, server(floor_env, args.workers, FLOOR_APP) as floor:
            perf_bench.run(base, "/chat", 10, 1, [json.dumps({"message": "hello"}).encode()])  # load models
            for repeat in range(args.repeats):
                embedding.append(_embedding_ms(embedder, sample))
                limits = tuple(args.workers * 1000 / ms for ms in embedding[-1])
                for n, concurrency in enumerate((2, 8)):
                    bodies = [json.dumps({"message": q}).encode() for q in dealt[2 * repeat + n]]
                    chat = _with_ratios(perf_bench.run(base, "/chat", share, concurrency, bodies), limits)
                    # The same questions, straight after, to the server that only embeds them.
                    only = _with_ratios(perf_bench.run(floor, "/embed", share, concurrency, bodies), limits)
                    chat["ratio_to_floor"] = float(str(chat["throughput_rps"])) / float(str(only["throughput_rps"]))
                    chat["p95_to_floor"] = float(str(chat["p95_ms"])) / float(str(only["p95_ms"]))
                    runs.setdefault(("distinct questions", concurrency), []).append(chat)
                    runs.setdefault(("embedding only", concurrency), []).append(only)
                if repeat == 0:
                    served = _served_embedding(base)  # before cache hits skip the model call
                repeated = [json.dumps({"message": questions[repeat]}).encode()]
                runs.setdefault(("one repeated question", 2), []).append(
                    _with_ratios(perf_bench.run(base, "/chat", 400, 2, repeated), limits)
                )
    # The headline limit uses the median embedding, as the issue states it. Long questions make the
    # mean higher, and a core's throughput is bounded by the mean, so the ratio to that limit is shown too.
    embed_ms = statistics.median(median for median, _ in embedding)
    embed_mean_ms = statistics.median(mean for _, mean in embedding)
    limit_rps, mean_limit_rps = args.workers * 1000 / embed_ms, args.workers * 1000 / embed_mean_ms
    rows = []
    for (traffic, _), found in runs.items():
        row: dict[str, object] = {"traffic": traffic, **median_run(found)}
        for key in ("ratio_to_limit", "ratio_to_mean_limit", "ratio_to_floor", "p95_to_floor"):
            if key in found[0]:
                row[key] = round(statistics.median(float(str(r[key])) for r in found), 3)
        rows.append(row)
    result = {"embedding_ms_median": round(embed_ms, 2), "embedding_ms_mean": round(embed_mean_ms, 2),
              "embedding_ms_per_repeat": [round(median, 2) for median, _ in embedding],
              "limit_rps": round(limit_rps, 1), "mean_limit_rps": round(mean_limit_rps, 1),
              "served_embedding_ms": served, "runs": rows}
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"query embedding median {embed_ms:.2f} ms -> limit {limit_rps:.1f} turns/s on {args.workers} workers "
          f"(mean {embed_mean_ms:.2f} ms -> {mean_limit_rps:.1f} turns/s); medians over the repeats, "
          f"per repeat {', '.join(f'{median:.2f}' for median, _ in embedding)} ms")
    print(f"in the server under load the query embedding took p50 {served['p50']:.2f} ms, "
          f"mean {served['avg']:.2f} ms (first repeat)")
    print(f"medians over {args.repeats} repeats (ratios: of each pass to its own repeat's limit)")
    for row in rows:
        floor = (f"; of the embedding-only server: throughput {row['ratio_to_floor']}, p95 {row['p95_to_floor']}"
                 if "ratio_to_floor" in row else "")
        print(f"{row['traffic']:22} c={row['concurrency']}: {row['throughput_rps']} req/s "
              f"(ratio {row['ratio_to_limit']}; to the mean limit {row['ratio_to_mean_limit']}{floor}), "
              f"p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms, p99 {row['p99_ms']} ms, errors {row['errors']}; "
              f"load generator {row['client_cpu_ms']} ms of CPU per request")
    return 0


if __name__ == "__main__":
    sys.exit(main())
