"""The golden world: on fixed data and fixed keys the encoder writes the same columns and the same tokens,
and the hub finds the same hits with the same explanations, record by record (see golden_world.py)."""

from __future__ import annotations

import pytest
from golden_world import build, read


@pytest.fixture(scope="module")
def found(tmp_path_factory) -> dict:
    return build(tmp_path_factory.mktemp("golden"))


def _by(rows: list[dict], *keys: str) -> dict[tuple, dict]:
    return {tuple(r[k] for k in keys): r for r in rows}


def test_packages_have_the_same_columns_and_encodings(found):
    expected, now = _by(read("encodings.csv"), "package", "column"), _by(found["encodings.csv"], "package", "column")
    assert list(now) == list(expected), "the package column list changed"
    changed = [f"{p}.{c}" for (p, c), row in now.items() if row != expected[(p, c)]]
    assert not changed, f"encodings changed in: {', '.join(changed)}"


def test_hub_builds_the_same_comparisons(found):
    assert found["comparisons.json"] == read("comparisons.json")


def test_hits_are_the_same_record_by_record(found):
    expected, now = read("hits.csv"), found["hits.csv"]
    key = ("agency", "registry_record", "partner_record")
    lost = [k for k in _by(expected, *key) if k not in _by(now, *key)]
    new = [k for k in _by(now, *key) if k not in _by(expected, *key)]
    assert not lost and not new, f"hits lost: {lost[:5]}; new hits: {new[:5]}"
    differ = [(e, n) for e, n in zip(expected, now, strict=True) if e != n]
    assert not differ, f"{len(differ)} hits differ in class or explanation, e.g. {differ[0]}"
    assert {r["match_class"] for r in now} == {"exact", "probable", "review"}

