"""Knowledge shipped as data files (names, titles, places), loaded once and normalised on load.

The files are written the way a clerk would write the words; loading passes every entry through
``normalize_text`` so that lookups compare like with like.
"""

from __future__ import annotations

import csv
import hashlib
import io
from functools import cache
from importlib import resources

from .text import normalize_text

_DATA = resources.files("sijill.identity") / "data"


def read_data(name: str) -> str:
    return (_DATA / name).read_text(encoding="utf-8")


def data_lines(name: str) -> list[str]:
    """The lines of a data file, without blank lines and # comments."""
    return [ln.strip() for ln in read_data(name).splitlines() if ln.strip() and not ln.startswith("#")]


def _latin_key(s: str) -> str:
    """Latin spellings are compared without spaces, hyphens or apostrophes."""
    return "".join(normalize_text(s).split())


def _mapping(name: str, key=normalize_text) -> dict[str, str]:
    """Read ``canonical<TAB>variant|variant`` lines into variant -> canonical."""
    out: dict[str, str] = {}
    for line in data_lines(name):
        canonical, _, variants = line.partition("\t")
        target = normalize_text(canonical)
        for variant in variants.split("|"):
            k = key(variant)
            if k and k != target:
                out[k] = target
    return out


@cache
def variants() -> dict[str, str]:
    """Arabic spelling variant or nickname -> canonical name (داوود -> داود, حمودي -> محمد)."""
    return _mapping("variants.tsv")


@cache
def latin_names() -> dict[str, str]:
    """Latin spelling (lower case, no separators) -> Arabic name (mohammed -> محمد)."""
    return _mapping("latin_names.tsv", key=_latin_key)


@cache
def titles() -> frozenset[str]:
    return frozenset(normalize_text(t) for t in data_lines("titles.txt"))


@cache
def ambiguous_compounds() -> frozenset[tuple[str, str]]:
    """Pairs like محمد علي: one given name in some families, given + father in others."""
    pairs = set()
    for line in data_lines("ambiguous_compounds.txt"):
        first, second = normalize_text(line).split()
        pairs.add((first, second))
    return frozenset(pairs)


@cache
def governorate_rows() -> tuple[dict[str, str], ...]:
    return tuple(csv.DictReader(io.StringIO(read_data("governorates.csv"))))


@cache
def keyed_table(name: str) -> dict[str, str]:
    """``canonical<TAB>a|b|c`` files (sex, months) as normalised spelling -> canonical."""
    out: dict[str, str] = {}
    for line in data_lines(name):
        canonical, _, spellings = line.partition("\t")
        for s in spellings.split("|"):
            out[normalize_text(s)] = canonical
    return out


DATA_FILES = (
    "variants.tsv",
    "latin_names.tsv",
    "latin_letters.tsv",
    "latin_affixes.tsv",
    "titles.txt",
    "compound_suffixes.txt",
    "ambiguous_compounds.txt",
    "governorates.csv",
    "sex.tsv",
    "months.tsv",
)


@cache
def data_fingerprint() -> str:
    """A short hash of every data file: part of the identity version recorded in packages."""
    h = hashlib.sha256()
    for name in DATA_FILES:
        h.update(name.encode())
        h.update(read_data(name).encode())
    return h.hexdigest()[:10]
