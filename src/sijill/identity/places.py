"""Governorates and sex: a few canonical values written in many ways."""

from __future__ import annotations

from functools import cache, lru_cache

from . import lexicon
from .errors import UnknownValue
from .text import normalize_text


def _key(s: str) -> str:
    return "".join(normalize_text(s).split())


@cache
def _governorate_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for row in lexicon.governorate_rows():
        for spelling in (row["name"], row["name_en"], row["capital"], *row["aliases"].split("|")):
            index[_key(spelling)] = row["name"]
            if _key(spelling).startswith("ال"):
                index[_key(spelling)[2:]] = row["name"]  # البصرة and بصرة
    return index


GOVERNORATES: tuple[str, ...] = tuple(row["name"] for row in lexicon.governorate_rows())


@lru_cache(maxsize=10_000)
def governorate(s: str | None) -> str:
    """The canonical Arabic name of a governorate from an Arabic, Kurdish or Latin name or its capital."""
    key = _key(s or "")
    if key.startswith("محافظه"):
        key = key[len("محافظه") :]
    for prefix in ("", "al", "el"):
        if key.startswith(prefix) and (found := _governorate_index().get(key[len(prefix) :])):
            return found
    raise UnknownValue(s, "not a known governorate or governorate capital")


@lru_cache(maxsize=1_000)
def sex(s: str | None) -> str:
    """``"M"`` or ``"F"`` from ذكر/أنثى, M/F, male/female, Kurdish نێر/مێ."""
    found = lexicon.keyed_table("sex.tsv").get(normalize_text(str(s) if s is not None else ""))
    if found is None:
        raise UnknownValue(s, "sex must be male or female (ذكر / أنثى, M / F)")
    return found
