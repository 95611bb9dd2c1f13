"""Safety benchmark: PII recall/precision, injection detection/false positives, guard latency.

Usage: ``python scripts/safety_bench.py [--data DIR] [--json]`` (default DIR: ../shared/data beside the
repo). Reads every ``*.jsonl`` in ``prompt-injections/`` and every ``*.json`` in ``jailbreaks/`` and
``pii/``. Exits with a message when DIR is missing. Not a test: run it with ``make bench``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from app.engine.safety.injection import InjectionDetector, InputGuard  # noqa: E402
from app.engine.safety.redactor import Redactor  # noqa: E402
from app.engine.safety.settings import SafetySettings  # noqa: E402

GOLD_TYPES = {"EMAIL_ADDRESS": "EMAIL", "PHONE_NUMBER": "PHONE", "CREDIT_CARD": "CREDIT_CARD", "IBAN_CODE": "IBAN",
              "US_SSN": "US_SSN", "IP_ADDRESS": "IP_ADDRESS", "PERSON": "PERSON", "STREET_ADDRESS": "STREET_ADDRESS"}
CV_FILE = REPO_ROOT / "app" / "engine" / "safety" / "data" / "cv_metrics.json"
TARGETS = {"EMAIL": 0.98, "PHONE": 0.98, "CREDIT_CARD": 0.98, "IBAN": 0.98, "US_SSN": 0.98, "IP_ADDRESS": 0.98,
           "PERSON": 0.90, "STREET_ADDRESS": 0.90}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def language_of(text: str) -> str:
    try:
        import py3langid  # optional: only for per-language rows

        return str(py3langid.classify(text)[0])
    except ImportError:
        return "und"


def bench_pii(data: Path, redactor: Redactor) -> dict[str, Any]:
    found: dict[str, list[int]] = {t: [0, 0] for t in TARGETS}
    masked_total = masked_outside = 0
    times: list[float] = []
    for path in sorted((data / "pii").glob("*.json")):
        for row in json.loads(path.read_text(encoding="utf-8")):
            text = row["full_text"]
            t0 = time.perf_counter()
            dets = redactor.detect(text)
            times.append((time.perf_counter() - t0) * 1000)
            mask = bytearray(len(text))
            for d in dets:
                mask[d.start:d.end] = b"\x01" * (d.end - d.start)
            gold = bytearray(len(text))
            for span in row["spans"]:
                s, e = span["start_position"], span["end_position"]
                gold[s:e] = b"\x01" * (e - s)
                kind = GOLD_TYPES.get(span["entity_type"])
                if kind:
                    found[kind][1] += 1
                    found[kind][0] += all(mask[s:e])
            masked_total += sum(mask)
            masked_outside += sum(1 for m, g in zip(mask, gold, strict=True) if m and not g)
    recall = {k: (v[0] / v[1] if v[1] else None, v[1]) for k, v in found.items()}
    precision = 1 - masked_outside / masked_total if masked_total else 1.0
    return {"recall": recall, "precision": precision, "latency_ms": (statistics.median(times), percentile(times, 0.95))}


def load_attack_rows(data: Path) -> list[tuple[str, str, int]]:
    rows: list[tuple[str, str, int]] = []
    for path in sorted((data / "prompt-injections").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                rows.append((f"prompt-injections/{path.stem}", item["text"], int(item["label"])))
    for path in sorted((data / "jailbreaks").glob("*.json")):
        for item in json.loads(path.read_text(encoding="utf-8")):
            prompts = item["prompt"] if isinstance(item, dict) else item
            for prompt in prompts if isinstance(prompts, list) else [prompts]:
                rows.append((f"jailbreaks/{path.stem}", str(prompt).replace("{generator.name}", "ChatGPT"), 1))
    return rows


def bench_injection(data: Path, detector: InjectionDetector, guard: InputGuard) -> dict[str, Any]:
    groups: dict[str, list[int]] = {}
    texts: list[str] = []
    for source, text, label in load_attack_rows(data):
        flagged = detector.score(text).flagged
        kind = "attack" if label else "benign"
        for key in (f"{kind} {source}", f"{kind} lang={language_of(text)}"):
            groups.setdefault(key, [0, 0])
            groups[key][0] += int(flagged)
            groups[key][1] += 1
        texts.append(text)
    # Latency on messages of exactly 1,000 characters (the budget's unit), whole guard incl. normalisation.
    messages = [(t * (1000 // max(1, len(t)) + 1))[:1000] for t in texts[:400]]
    for m in messages[:20]:
        guard.check(m)  # warm-up
    times = []
    for m in messages:
        t0 = time.perf_counter()
        guard.check(m)
        times.append((time.perf_counter() - t0) * 1000)
    return {"rates": {k: (v[0] / v[1], v[1]) for k, v in sorted(groups.items())},
            "latency_ms": (statistics.median(times), percentile(times, 0.95))}


def render(pii: dict[str, Any], inj: dict[str, Any]) -> str:
    lines = ["| metric | value | n | target |", "|---|---|---|---|"]
    for kind, (rate, n) in pii["recall"].items():
        value = "n/a" if rate is None else f"{rate:.3f}"
        lines.append(f"| PII recall {kind} | {value} | {n} | >= {TARGETS[kind]:.2f} |")
    lines.append(f"| PII precision (chars) | {pii['precision']:.3f} | | >= 0.95 |")
    for key, (rate, n) in inj["rates"].items():
        if n < 5:
            continue
        kind, _, group = key.partition(" ")
        name = "detection" if kind == "attack" else "false positives"
        target = ("<= 0.03" if kind == "benign" else ">= 0.95" if "jailbreak" in group else ">= 0.90"
                  if "prompt-injections" in group else "")
        lines.append(f"| injection {name} {group} | {rate:.3f} | {n} | {target} |")
    p50, p95 = inj["latency_ms"]
    lines.append(f"| input guard latency p50 / p95 (ms, 1,000 chars) | {p50:.2f} / {p95:.2f} | | p95 < 2 |")
    p50, p95 = pii["latency_ms"]
    lines.append(f"| redaction latency p50 / p95 (ms per PII row) | {p50:.2f} / {p95:.2f} | | |")
    cv = json.loads(CV_FILE.read_text(encoding="utf-8")) if CV_FILE.is_file() else {}
    for key, value in sorted(cv.get("pii_tagger_cv", {}).items()):
        lines.append(f"| CV held-out folds: PII tagger+rules {key} | {value:.3f} | | |")
    for key, entry in sorted(cv.get("injection_cv", {}).items()):
        name = "false positives" if key.endswith("benign") else "detection"
        lines.append(f"| CV held-out folds: injection {name} {key.rsplit('/', 1)[0]} | {entry['rate']:.3f} | "
                     f"{int(entry['n'])} | |")
    lines.append("(rows without 'CV' include the rows the committed models were trained on; the CV rows are "
                 "the honest figures)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=REPO_ROOT.parent / "shared" / "data")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"safety_bench: data folder {args.data} not found (pass --data DIR)", file=sys.stderr)
        return 2
    settings = SafetySettings()
    detector = InjectionDetector(threshold=settings.injection_threshold)
    guard = InputGuard(detector, max_chars=settings.max_input_chars)
    pii = bench_pii(args.data, Redactor())
    inj = bench_injection(args.data, detector, guard)
    if args.json:
        print(json.dumps({"pii": pii, "injection": inj}, indent=1))
    else:
        print(render(pii, inj))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
