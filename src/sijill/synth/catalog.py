"""The synthetic world's knowledge, read from the data files shipped in ``sijill/synth/data``."""

from __future__ import annotations

import csv
import io
from functools import cache
from importlib import resources

from sijill.identity import lexicon

_DATA = resources.files("sijill.synth") / "data"


def read_text(name: str) -> str:
    return (_DATA / name).read_text(encoding="utf-8")


def lines(name: str) -> list[str]:
    return [ln.rstrip("\n") for ln in read_text(name).splitlines() if ln.strip() and not ln.startswith("#")]


def table(name: str) -> list[dict[str, str]]:
    """A CSV data file (comment lines start with #) as a list of rows."""
    body = "\n".join(ln for ln in read_text(name).splitlines() if not ln.startswith("#"))
    return list(csv.DictReader(io.StringIO(body)))


def tsv(name: str) -> list[list[str]]:
    return [ln.split("\t") for ln in lines(name)]


@cache
def governorates() -> tuple[dict[str, str], ...]:
    """Governorate rows of ``sijill.identity`` (name, name_en, capital, population_2018, aliases),
    joined with the synthetic ethnic shares and naming regions of ``regions.csv``."""
    regions = {r["name_en"]: r for r in table("regions.csv")}
    rows = []
    for row in lexicon.governorate_rows():
        extra = regions.get(row["name_en"], {"kurd_share": "0", "turkmen_share": "0", "regions": "centre"})
        rows.append({**row, **{k: extra[k] for k in ("kurd_share", "turkmen_share", "regions")}})
    return tuple(rows)
