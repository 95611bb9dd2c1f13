"""Command line: rebuild every trained safety artifact and print cross-validated figures.

Usage: ``python -m app.engine.safety.train [--data ../shared/data] [--folds 5] [--skip-cv] [--calibrate]``.
Development-time only (needs ../shared/data and the ``faker`` package). Raises ``SystemExit`` with a
message when the data folder is missing.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path
from typing import Any

from app.engine.safety import tagger as tg
from app.engine.safety import train_injection as ti
from app.engine.safety import train_tagger as tt
from app.engine.safety.injection import MODEL_FILE

REPO_ROOT = Path(__file__).resolve().parents[3]


def tagger_cv(
    rows: list[tt.Row], aug: list[tt.Row], folds: int, lex: tuple[frozenset[str], frozenset[str]]
) -> dict[str, Any]:
    """Recall per type (no gold character survives) and char precision of tagger+rules on held-out folds."""
    tmp = Path("/tmp/pii_tagger_cv.npz")
    found: dict[str, list[int]] = {"PERSON": [0, 0], "STREET_ADDRESS": [0, 0]}
    masked_total = masked_outside = 0
    for f in range(folds):
        train = [r for i, r in enumerate(rows) if i % folds != f] + aug
        tt.train_tagger(train, tmp, *lex)
        model = tg.PiiTagger(tmp)
        for text, spans in (r for i, r in enumerate(rows) if i % folds == f):
            dets = tg.detect_names_and_addresses(text, model)  # the product path: rules, tagger, span growth
            mask = [False] * len(text)
            for d in dets:
                mask[d.start : d.end] = [True] * (d.end - d.start)
            gold = [False] * len(text)
            for kind, s, e in spans:
                gold[s:e] = [True] * (e - s)
                if kind in found:
                    found[kind][1] += 1
                    found[kind][0] += all(mask[s:e])
            masked_total += sum(mask)
            masked_outside += sum(m and not g for m, g in zip(mask, gold, strict=True))
    out: dict[str, Any] = {k: v[0] / max(1, v[1]) for k, v in found.items()}
    out["precision"] = 1 - masked_outside / max(1, masked_total)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=REPO_ROOT.parent / "shared" / "data")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--skip-cv", action="store_true")
    parser.add_argument("--calibrate", action="store_true",
                        help="shift the injection model's bias to the operating point chosen on inner folds")
    parser.add_argument("--only", choices=("tagger", "injection", "all"), default="all")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        raise SystemExit(f"data folder {args.data} not found (expected the shared data beside the repo)")
    tg.DATA_DIR.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {}
    if args.only in ("tagger", "all"):
        first, last = tt.build_lexicon()
        tt.write_lexicon(first, last, tg.LEXICON_FILE)
        tg.load_lexicon.cache_clear()
        lex = tg.load_lexicon()
        rows = [tt.presidio_row(item) for item in tt.load_presidio(args.data)]
        random.Random(5).shuffle(rows)
        templates = [t for t in (args.data / "pii" / "templates.txt").read_text(encoding="utf-8").splitlines() if t]
        aug = tt.augmentation_rows(templates, 1500)
        if not args.skip_cv:
            report["pii_tagger_cv"] = tagger_cv(rows, aug, args.folds, lex)
        tt.train_tagger(rows + aug, tg.TAGGER_FILE, *lex)
    if args.only in ("injection", "all"):
        samples = ti.load_injection_samples(args.data)
        if not args.skip_cv:
            shifts: list[float] = []
            report["injection_cv"] = ti.cross_validate(samples, args.folds, calibrate=args.calibrate, shifts=shifts)
            if args.calibrate:
                report["injection_cv_bias_shifts"] = shifts
        report["injection_bias_shift"] = ti.train_final(samples, MODEL_FILE, calibrate=args.calibrate)
    cv_file = tg.DATA_DIR / "cv_metrics.json"
    merged = json.loads(cv_file.read_text(encoding="utf-8")) if cv_file.is_file() else {}
    merged.update(report)
    cv_file.write_text(json.dumps(merged, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    json.dump(report, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
