"""The words an import recognises: header names and the vocabularies of yes/no and statuses, normalised."""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml

from sijill import identity


def header_key(h: str) -> str:
    return "".join(identity.normalize_text(str(h).replace("_", " ")).split())


@cache
def _builtin() -> dict:
    text = (resources.files("sijill.registry") / "data" / "schemas.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def vocabulary(name: str) -> dict[str, str]:
    """word (normalised) -> value, for the kinds that read a word (yes/no, statuses)."""
    table = _builtin()["vocabularies"][name]
    return {header_key(word): value for value, words in table.items() for word in words}
