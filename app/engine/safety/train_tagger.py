"""Rebuild the PII tagger artifacts (``data/pii_tagger.npz``, ``data/names.txt.gz``) from shared data.

Development-time only: reads ``../shared/data/pii`` and needs the ``faker`` package (for the name
lexicon and for template-filled augmentation sentences in en/de/fr/es). The product never imports this
module. Raises ``FileNotFoundError`` when the data folder is missing and ``ImportError`` without faker.
"""

from __future__ import annotations

import gzip
import importlib
import json
import pkgutil
import random
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from app.engine.safety import tagger as tg
from app.engine.safety.features import hash_feature

GoldSpan = tuple[str, int, int]
Row = tuple[str, list[GoldSpan]]
PERSON_SLOTS = {"person", "name", "name_female", "name_male", "first_name", "first_name_male",
                "first_name_female", "first_name_nonbinary", "last_name", "last_name_male", "last_name_female"}
ADDRESS_SLOTS = {"address", "street_name", "street_address", "building_number", "secondary_address"}
LOCALES = ("en_US", "en_GB", "de_DE", "de_AT", "fr_FR", "es_ES", "es_MX", "it_IT", "nl_NL", "pl_PL",
           "pt_BR", "sv_SE", "fi_FI", "cs_CZ", "hu_HU", "da_DK", "tr_TR", "ru_RU")
# Own templates for the languages the shared templates (English) do not cover.
EXTRA_TEMPLATES = (
    "Mein Name ist {{name}} und ich wohne in der {{street_address}}, {{postcode}} {{city}}.",
    "Bitte schicken Sie die Rechnung an {{name}}, {{street_address}}, {{city}}.",
    "Hallo, hier ist {{first_name}}. Meine neue Adresse lautet {{street_address}}.",
    "Können Sie {{name}} zurückrufen? Er wohnt jetzt in der {{street_name}} {{building_number}}.",
    "Die Lieferung für {{name}} ging an {{street_address}} statt an die alte Adresse.",
    "Je m'appelle {{name}} et j'habite au {{street_address}}, {{city}}.",
    "Merci d'envoyer le colis à {{name}}, {{street_address}}, {{postcode}} {{city}}.",
    "Bonjour, c'est {{first_name}}. Ma nouvelle adresse est {{street_address}}.",
    "Pouvez-vous contacter {{name}} ? Elle habite {{street_address}}.",
    "Le rendez-vous avec {{name}} est au {{street_address}}.",
    "Me llamo {{name}} y vivo en {{street_address}}, {{city}}.",
    "Por favor, envíe la factura a {{name}}, {{street_address}}.",
    "Hola, soy {{first_name}}. Mi nueva dirección es {{street_address}}.",
    "¿Puede llamar a {{name}}? Vive en {{street_address}}, {{postcode}} {{city}}.",
    "El paquete para {{name}} llegó a {{street_address}}.",
    "hi, this is {{first_name}} {{last_name}}, i moved to {{street_address}} last week",
    "please ask {{first_name}} to call me back, thanks",
)


def load_presidio(data_dir: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for path in sorted((data_dir / "pii").glob("*.json")):
        rows.extend(json.loads(path.read_text(encoding="utf-8")))
    return rows


def presidio_row(item: dict[str, Any]) -> Row:
    spans = [(s["entity_type"], int(s["start_position"]), int(s["end_position"])) for s in item["spans"]]
    return item["full_text"], spans


def _names_from(value: Any) -> Iterable[str]:
    if isinstance(value, dict):
        return [str(k) for k in value]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [str(v) for v in value]
    return []


def build_lexicon() -> tuple[set[str], set[str]]:
    """First and last names of every Latin-script Faker locale, lower-cased."""
    person = importlib.import_module("faker.providers.person")
    first: set[str] = set()
    last: set[str] = set()
    for info in pkgutil.iter_modules(person.__path__):
        prov = importlib.import_module(f"faker.providers.person.{info.name}").Provider
        for attr in dir(prov):
            target = first if attr.startswith("first_names") else last if attr.startswith("last_names") else None
            if target is None:
                continue
            for name in _names_from(getattr(prov, attr, None)):
                if re.fullmatch(r"[^\W\d_]{2,}", name) and all(ord(c) < 0x250 for c in name):
                    target.add(name.lower())
    return first, last


def write_lexicon(first: set[str], last: set[str], path: Path) -> None:
    lines = [f"F\t{n}" for n in sorted(first)] + [f"L\t{n}" for n in sorted(last)]
    with gzip.GzipFile(path, "wb", mtime=0) as fh:  # mtime=0: byte-identical rebuilds
        fh.write(("\n".join(lines) + "\n").encode("utf-8"))


def fill_template(template: str, fake: Any, rng: random.Random) -> Row:
    """Fill ``{{slot}}`` placeholders with Faker values, recording gold spans."""
    out: list[str] = []
    spans: list[GoldSpan] = []
    pos = 0
    length = 0
    for m in re.finditer(r"{{\s*(\w+)\s*}}", template):
        literal = template[pos:m.start()]
        out.append(literal)
        length += len(literal)
        slot = m.group(1)
        try:
            value = str(getattr(fake, slot)())
        except (AttributeError, TypeError):
            value = rng.choice(["blue", "forty", "the company"])
        kind = "PERSON" if slot in PERSON_SLOTS else "STREET_ADDRESS" if slot in ADDRESS_SLOTS else "OTHER"
        spans.append((kind, length, length + len(value)))
        out.append(value)
        length += len(value)
        pos = m.end()
    out.append(template[pos:])
    text = "".join(out)
    if rng.random() < 0.1:
        text = text.lower()  # chat users often type names in lower case
    return text, spans


def augmentation_rows(templates: Sequence[str], n_rows: int, seed: int = 7) -> list[Row]:
    faker_mod = importlib.import_module("faker")
    rng = random.Random(seed)
    fakes = {loc: faker_mod.Faker(loc) for loc in LOCALES}
    for i, fake in enumerate(fakes.values()):
        fake.seed_instance(seed + i)
    pool = list(templates) + list(EXTRA_TEMPLATES) * 4
    return [fill_template(rng.choice(pool), fakes[rng.choice(LOCALES)], rng) for _ in range(n_rows)]


def token_labels(tokens: list[tg.Token], spans: list[GoldSpan]) -> list[int]:
    labels = []
    for tok in tokens:
        label = 0
        for kind, start, end in spans:
            if tok.start < end and start < tok.end and kind in tg.LABELS:
                label = tg.LABELS.index(kind)
        labels.append(label)
    return labels


def featurize(rows: Sequence[Row], first: frozenset[str], last: frozenset[str]) -> tuple[list[list[int]], list[int]]:
    feats: list[list[int]] = []
    labels: list[int] = []
    for text, spans in rows:
        tokens = tg.tokenize(text)
        labels.extend(token_labels(tokens, spans))
        feats.extend([hash_feature(f, tg.N_BUCKETS) for f in row] for row in tg.sentence_features(tokens, first, last))
    return feats, labels


def train_softmax(
    feats: list[list[int]], labels: list[int], n_classes: int, epochs: int = 6, lr: float = 0.3, seed: int = 0
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Adagrad softmax regression over sparse binary features."""
    rng = np.random.default_rng(seed)
    w = np.zeros((tg.N_BUCKETS, n_classes), dtype=np.float32)
    b = np.zeros(n_classes, dtype=np.float32)
    gw = np.full((tg.N_BUCKETS, n_classes), 1e-6, dtype=np.float32)
    gb = np.full(n_classes, 1e-6, dtype=np.float32)
    y = np.asarray(labels)
    for _ in range(epochs):
        for k in rng.permutation(len(feats)):
            idx = np.asarray(feats[k])
            z = w[idx].sum(axis=0) + b
            p = np.exp(z - z.max())
            p /= p.sum()
            p[y[k]] -= 1.0
            grad = p.astype(np.float32)
            gw[idx] += grad * grad
            w[idx] -= lr * grad / np.sqrt(gw[idx])
            gb += grad * grad
            b -= lr * grad / np.sqrt(gb)
    return w, b


def save_tagger(w: npt.NDArray[np.float32], b: npt.NDArray[np.float32], path: Path) -> None:
    np.savez_compressed(path, weights=w.astype(np.float16), bias=b.astype(np.float32))


def train_tagger(train_rows: Sequence[Row], path: Path, first: frozenset[str], last: frozenset[str]) -> None:
    feats, labels = featurize(train_rows, first, last)
    w, b = train_softmax(feats, labels, len(tg.LABELS))
    save_tagger(w, b, path)
