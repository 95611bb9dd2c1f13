#!/usr/bin/env python3
"""Language-identification benchmark: accuracy, latency and memory of each candidate method.

Usage: OMP_NUM_THREADS=1 .venv/bin/python scripts/langid_bench.py [--data DIR] [--json] [--limit N]
       [--methods a,b,...] [--write-results]

Reads the lingua-py test items in DIR (default ../shared/data/langid: sentences/, word-pairs/,
single-words/, one file per ISO 639-1 code) and reports, per method and item type, the accuracy over
all languages and over the 17 supported ones, the per-call latency p50/p95 and the resident memory the
method adds. Each method runs in its own subprocess so memory figures do not mix. lingua is measured
only when installed. Raises SystemExit when the data folder is missing.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from app.engine.language import LanguageDetector, normalize_code  # noqa: E402
from app.engine.language_settings import DETECTION_LANGUAGES, SUPPORTED_LANGUAGES, LanguageSettings  # noqa: E402

KINDS = ("sentences", "word-pairs", "single-words")
METHODS = (
    "langdetect", "langdetect-17", "py3langid", "py3langid-17", "py3langid-wide",
    "detector", "detector+langdetect", "lingua-17", "lingua-wide",
)
THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
Classifier = Callable[[str], tuple[str, float]]


def rss_mib() -> float:
    """Current resident set size of this process in MiB (Linux /proc; falls back to peak RSS)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_items(data: Path, limit: int) -> dict[str, list[tuple[str, str]]]:
    items: dict[str, list[tuple[str, str]]] = {}
    for kind in KINDS:
        rows: list[tuple[str, str]] = []
        for path in sorted((data / kind).glob("*.txt")):
            lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
            rows.extend((path.stem, line) for line in lines[: limit or None])
        items[kind] = rows
    return items


def _langdetect(restrict: bool) -> Classifier:
    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
    from langdetect.lang_detect_exception import LangDetectException

    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    factory.set_seed(0)
    prior = {c: 1.0 for c in factory.get_lang_list() if normalize_code(c) in SUPPORTED_LANGUAGES}

    def classify(text: str) -> tuple[str, float]:
        detector = factory.create()
        if restrict:
            detector.set_prior_map(prior)
        detector.append(text)
        try:
            best = detector.get_probabilities()[0]
        except (LangDetectException, IndexError):
            return "und", 0.0
        return normalize_code(best.lang), float(best.prob)

    return classify


def _py3langid(languages: tuple[str, ...] | None) -> Classifier:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    if languages is not None:
        known = set(identifier.labels)
        identifier.set_languages(sorted({"no" if c == "nb" else c for c in languages} & known))

    def classify(text: str) -> tuple[str, float]:
        code, prob = identifier.classify(text)
        return normalize_code(code), float(prob)

    return classify


def _detector(second_opinion: bool) -> Classifier:
    detector = LanguageDetector(LanguageSettings(second_opinion=second_opinion))

    def classify(text: str) -> tuple[str, float]:
        found = detector.detect(text)
        return found.language, found.confidence

    return classify


def _lingua(languages: tuple[str, ...]) -> Classifier:
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    wanted = []
    for code in languages:
        try:
            wanted.append(Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())))
        except (AttributeError, ValueError):
            continue
    detector = LanguageDetectorBuilder.from_languages(*wanted).with_preloaded_language_models().build()

    def classify(text: str) -> tuple[str, float]:
        values = detector.compute_language_confidence_values(text)
        if not values:
            return "und", 0.0
        best = values[0]
        return best.language.iso_code_639_1.name.lower(), float(best.value)

    return classify


def build(method: str) -> Classifier:
    factories: dict[str, Callable[[], Classifier]] = {
        "langdetect": lambda: _langdetect(False),
        "langdetect-17": lambda: _langdetect(True),
        "py3langid": lambda: _py3langid(None),
        "py3langid-17": lambda: _py3langid(SUPPORTED_LANGUAGES),
        "py3langid-wide": lambda: _py3langid(DETECTION_LANGUAGES),
        "detector": lambda: _detector(False),
        "detector+langdetect": lambda: _detector(True),
        "lingua-17": lambda: _lingua(SUPPORTED_LANGUAGES),
        "lingua-wide": lambda: _lingua(DETECTION_LANGUAGES),
    }
    return factories[method]()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)] if ordered else 0.0


def run_method(method: str, data: Path, limit: int) -> dict[str, Any]:
    """Measure one method in this process (called in a fresh subprocess per method)."""
    items = load_items(data, limit)
    before = rss_mib()
    classify = build(method)
    classify("warm up the model")
    loaded = rss_mib()
    result: dict[str, Any] = {"method": method, "load_rss_mib": round(loaded - before, 1), "kinds": {}}
    latencies: list[float] = []
    short_conf: list[tuple[float, bool]] = []
    for kind, rows in items.items():
        ok_all = ok17 = n17 = 0
        for truth, text in rows:
            start = time.perf_counter()
            lang, conf = classify(text)
            latencies.append((time.perf_counter() - start) * 1e6)
            hit = lang == truth
            ok_all += hit
            if truth in SUPPORTED_LANGUAGES:
                n17 += 1
                ok17 += hit
                if kind != "sentences":
                    short_conf.append((conf, hit))
        result["kinds"][kind] = {"all": 100 * ok_all / max(len(rows), 1), "s17": 100 * ok17 / max(n17, 1),
                                 "n_all": len(rows), "n17": n17}
    result["p50_us"] = percentile(latencies, 0.50)
    result["p95_us"] = percentile(latencies, 0.95)
    result["rss_mib"] = round(rss_mib(), 1)
    result["calibration"] = [
        {"threshold": t, "coverage": 100 * sum(c >= t for c, _ in short_conf) / max(len(short_conf), 1),
         "precision": 100 * sum(h for c, h in short_conf if c >= t) / max(sum(c >= t for c, _ in short_conf), 1)}
        for t in THRESHOLDS
    ]
    return result


def available(method: str) -> bool:
    if not method.startswith("lingua"):
        return True
    try:
        import lingua  # noqa: F401
    except ImportError:
        return False
    return True


def render(results: list[dict[str, Any]], command: str) -> str:
    head = ("| method | sentences all / 17 | word pairs all / 17 | single words all / 17 | p50 µs | p95 µs "
            "| model RSS MiB | process RSS MiB |")
    lines = [head, "|" + "---|" * 8]
    for r in results:
        k = r["kinds"]
        cells = [f"{k[kind]['all']:.1f} / {k[kind]['s17']:.1f}" for kind in KINDS]
        lines.append(f"| {r['method']} | " + " | ".join(cells)
                     + f" | {r['p50_us']:.0f} | {r['p95_us']:.0f} | {r['load_rss_mib']:.0f} | {r['rss_mib']:.0f} |")
    calibrated = [r for r in results if r["method"].startswith("detector")]
    if calibrated:
        lines += ["", "Confidence calibration on word pairs + single words of the 17 languages "
                  "(coverage = share of items at or above the threshold, precision = accuracy on those):", "",
                  "| threshold | " + " | ".join(f"{r['method']} coverage / precision %" for r in calibrated) + " |",
                  "|---|" + "---|" * len(calibrated)]
        for i, threshold in enumerate(THRESHOLDS):
            cells = [f"{r['calibration'][i]['coverage']:.1f} / {r['calibration'][i]['precision']:.1f}"
                     for r in calibrated]
            lines.append(f"| {threshold} | " + " | ".join(cells) + " |")
    first = results[0]["kinds"] if results else {}
    counts = ", ".join(f"{kind} {first[kind]['n_all']} ({first[kind]['n17']} in the 17)" for kind in first)
    lines += ["", f"Items: {counts}. Command: `{command}`"]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "langid")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--limit", type=int, default=0, help="items per language file (0 = all)")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--write-results", action="store_true", help="write scripts/LANGID_RESULTS.md")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not (args.data / "word-pairs").is_dir():
        raise SystemExit(f"no language-ID data in {args.data}")
    if args.worker:
        print(json.dumps(run_method(args.worker, args.data, args.limit)))
        return 0
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    results = []
    for method in [m for m in args.methods.split(",") if m and available(m)]:
        cmd = [sys.executable, __file__, "--data", str(args.data), "--limit", str(args.limit), "--worker", method]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
        print(f"measured {method}", file=sys.stderr)
    command = "OMP_NUM_THREADS=1 .venv/bin/python scripts/langid_bench.py " + " ".join(
        a for a in sys.argv[1:] if a not in ("--json",))
    table = render(results, command.strip())
    print(json.dumps(results, indent=2) if args.json else table)
    if args.write_results:
        (REPO / "scripts" / "LANGID_RESULTS.md").write_text(
            "# Language identification: measured results\n\n" + table + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
