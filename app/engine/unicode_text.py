"""Whether decoded JSON holds text that is not Unicode.

A JSON string may escape half of a surrogate pair on its own (``"\\ud800"``): valid JSON syntax, but
no Unicode text, and every encoder downstream (hashing, storage, the model, logs) fails on it.
Request bodies and knowledge-base JSON files are checked with this once, where they are parsed.
"""

from __future__ import annotations

import re
from typing import Any

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def holds_lone_surrogate(data: Any) -> bool:
    """Whether any string in ``data`` (dict keys included) holds an unpaired surrogate. Iterative:
    decoded JSON may be nested as deep as the decoder allowed."""
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _LONE_SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False
