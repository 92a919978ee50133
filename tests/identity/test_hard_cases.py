"""The table of hard cases (tests/identity/hard_cases.csv): same person written differently, and
different people written alike. Each row is a case a registry clerk could review.

kind         a, b                     expect "same" / "different", or the expected output in b
text         two name texts           normalize_text(a) vs normalize_text(b)
canonical    two name texts           canonical(a) vs canonical(b) (variants, nicknames, Latin)
skeleton     two name texts           skeleton(a) vs skeleton(b) (cross-script key)
chain        two full names           some reading of each agrees on given, father, grandfather
                                      (a missing grandfather or surname is neutral) and surname key
parse        full name, "g / f / gf / s"   parse_name(a) gives these parts ("-" for none)
national_id  input, output or INVALID
date         input, output or INVALID (output as str(PartialDate): 1985, 1985-03, 1985-03-02)
governorate  input, output or INVALID
sex          input, M / F or INVALID
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from sijill import identity

TABLE = Path(__file__).with_name("hard_cases.csv")


def _rows():
    with open(TABLE, encoding="utf-8", newline="") as f:
        return [r for r in csv.DictReader(f) if r["kind"] and not r["kind"].startswith("#")]


ROWS = _rows()


def _chains_agree(a: str, b: str) -> bool:
    def agree(x, y):
        return x is None or y is None or x == y

    for ra in identity.parse_name(a).readings():
        for rb in identity.parse_name(b).readings():
            ca, cb = ra.canonical, rb.canonical
            if (
                ca.given == cb.given
                and ca.father == cb.father
                and agree(ca.grandfather, cb.grandfather)
                and agree(identity.surname_key(ca.surname), identity.surname_key(cb.surname))
            ):
                return True
    return False


PAIRWISE = {
    "text": lambda a, b: identity.normalize_text(a) == identity.normalize_text(b),
    "canonical": lambda a, b: identity.canonical(a) == identity.canonical(b),
    "skeleton": lambda a, b: identity.skeleton(a) == identity.skeleton(b),
    "chain": _chains_agree,
}

FUNCTIONS = {
    "national_id": identity.national_id,
    "date": lambda s: str(identity.parse_date(s)),
    "governorate": identity.governorate,
    "sex": identity.sex,
}


def _squash(s: str | None) -> str | None:
    return None if s in (None, "-") else "".join(identity.normalize_text(s).split())


def test_the_table_is_large_and_balanced():
    kinds = {r["kind"] for r in ROWS}
    assert len(ROWS) >= 150
    assert {"text", "canonical", "skeleton", "chain", "parse", "national_id", "date", "governorate"} <= kinds
    pairwise = [r for r in ROWS if r["kind"] in PAIRWISE]
    assert sum(r["expect"] == "different" for r in pairwise) >= 30, "enough different-people-alike cases"


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r['kind']}:{r['a']}|{r['b']}")
def test_hard_case(row):
    kind, a, b, expect = row["kind"], row["a"], row["b"], row["expect"]
    if kind in PAIRWISE:
        assert expect in ("same", "different"), row
        assert PAIRWISE[kind](a, b) == (expect == "same"), row["note"]
    elif kind == "parse":
        chain = identity.parse_name(a)
        got = [_squash(p) for p in (chain.given, chain.father, chain.grandfather, chain.surname)]
        assert got == [_squash(p.strip()) for p in b.split("/")], row["note"]
    elif b == "INVALID":
        with pytest.raises(identity.IdentityError):
            FUNCTIONS[kind](a)
    else:
        assert FUNCTIONS[kind](a) == b, row["note"]
