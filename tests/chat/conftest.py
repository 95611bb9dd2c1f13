"""A chat app over a small knowledge base of its own (real embedding model, SQLite)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

KB_DOCS = {
    "acme.md": (
        "# Acme Robotics\n\nAcme Robotics was founded in 2011 in Lyon by Claire Martin. The company builds "
        "warehouse robots called Rover. Its headquarters are in Lyon, France.\n"
    ),
    "tea.md": (
        "# Green tea\n\nGreen tea is made from unoxidized leaves of Camellia sinensis. It originated in China "
        "around 2737 BC. Brewing green tea at 80 degrees Celsius avoids bitterness.\n"
    ),
    "support.md": (
        "# Support contact\n\nFor billing questions write to billing.desk@acme-robotics.example or call "
        "+33 4 72 10 20 30. The support desk answers within two working days.\n"
    ),
    "kaffee.md": (
        "# Kaffee\n\nKaffee wird aus gerösteten Bohnen der Kaffeepflanze hergestellt. Die Kaffeepflanze "
        "stammt ursprünglich aus Äthiopien.\n"
    ),
    "internal.json": json.dumps([{
        "question": "When does project Nightingale launch?",
        "answer": "The secret project Nightingale launches in 2031.",
        "visibility": "internal",
    }]),
}


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "kb"
    folder.mkdir()
    for name, text in KB_DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def chat_app(app_factory: Callable[..., Flask], kb_dir: Path) -> Flask:
    app = app_factory({"ratelimit": {"enabled": False}})
    knowledge = app.extensions["services"].knowledge
    knowledge.ingest([kb_dir], progress=False, roots=[kb_dir])
    return app
