"""Upload checks: names are sanitised labels, never paths; size and type limits."""

from __future__ import annotations

import pytest

from app.engine.admin import UnsupportedUpload, UploadTooLarge
from app.engine.admin.uploads import check_upload, safe_name

TYPES = (".md", ".txt", ".html", ".json")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd.md", "passwd.md"),
        ("C:\\Windows\\system32\\notes.txt", "notes.txt"),
        ("Café menu.md", "Cafe_menu.md"),
        ("..hidden.md", "hidden.md"),
        ("a..b.md", "a.b.md"),
        ("<script>.html", "script_.html"),
        ("", ""),
    ],
)
def test_safe_name(raw: str, expected: str) -> None:
    assert safe_name(raw) == expected


def test_long_names_keep_their_extension() -> None:
    name = safe_name("x" * 500 + ".md")
    assert len(name) <= 100 and name.endswith(".md")


def test_check_upload_limits_size_and_type() -> None:
    assert check_upload("../guide.MD", 10, TYPES, 100) == "guide.MD"
    with pytest.raises(UploadTooLarge):
        check_upload("guide.md", 101, TYPES, 100)
    for bad in ("tool.exe", "archive.tar.gz", "noextension", "../", "guide.md.pdf"):
        with pytest.raises(UnsupportedUpload):
            check_upload(bad, 10, TYPES, 100)
