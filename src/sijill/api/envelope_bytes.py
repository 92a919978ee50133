"""The bytes a sender signs: the canonical JSON of ``{"header": ..., "message": ...}`` (keys sorted, no
spaces, UTF-8 with non-ASCII characters as they are). Shared by both signature forms."""

from __future__ import annotations

import json


def canonical(header: dict, message) -> bytes:
    return json.dumps({"header": header, "message": message}, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode("utf-8")
