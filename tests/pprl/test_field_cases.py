"""Each encoded field, case by case (tests/pprl/field_cases.csv): two values of one field, everything else
alike, and which package columns come out the same, different or empty.

field      the input field given ``a`` and ``b`` (the other fields keep one filler record's values)
same       columns with one token for ``a`` and ``b``; ``x~y``: ``a``'s ``x`` equals ``b``'s ``y``
different  columns whose tokens differ (both present)
empty      columns left empty for ``a``
bad        ``a`` is reported as a bad value whose reason contains this text
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from sijill.pprl.format.schema import schema_from_dict
from sijill.pprl.holder import HolderKeys, init_keys
from sijill.pprl.holder.encoder import RecordEncoder
from sijill.pprl.holder.keys import Secret

TABLE = Path(__file__).with_name("field_cases.csv")
FILLER = {"given_name": "علي", "father_name": "حسن", "grandfather_name": "كاظم", "surname": "العبيدي",
          "mother_name": "زينب جواد", "birth_date": "1980-05-17", "national_id": "198012345678",
          "ration_card": "RC-1", "sex": "ذكر", "governorate": "بغداد", "locality": "Karrada", "postcode": "10001"}
SCHEMA = {"agency": "test", "record_id": "id", "fields": {f: f for f in FILLER},
          "extra": {"locality": "text", "postcode": "exact"}, "package": {"dummy_share": 0, "pad_to": 1}}

with open(TABLE, encoding="utf-8", newline="") as f:
    CASES = list(csv.DictReader(f))


@pytest.fixture(scope="module")
def encoder(tmp_path_factory) -> RecordEncoder:
    keys = tmp_path_factory.mktemp("keys") / "test"
    init_keys(keys, "test")
    return RecordEncoder(schema_from_dict(SCHEMA), HolderKeys.load(keys), "test", Secret(os.urandom(32)))


@pytest.mark.parametrize("case", CASES, ids=[f"{c['field']}:{c['a']}|{c['b']}" for c in CASES])
def test_field_case(encoder, case):
    a, b = ({**FILLER, case["field"]: value} for value in (case["a"], case["b"] or FILLER[case["field"]]))
    batch = encoder.encode({c: [a[c], b[c]] for c in FILLER} | {"id": ["A", "B"]}, [2, 3])
    rows = dict(zip(batch.record_ids, batch.table.to_pylist(), strict=True))
    for pair in case["same"].split():
        left, _, right = pair.partition("~")
        assert rows["A"][left] is not None and rows["A"][left] == rows["B"][right or left], pair
    for column in case["different"].split():
        assert None not in (rows["A"][column], rows["B"][column]) and rows["A"][column] != rows["B"][column], column
    for column in case["empty"].split():
        assert rows["A"][column] is None, column
    reasons = [e.reason for e in batch.errors if e.row == 2 and e.field == case["field"]]
    if case["bad"]:
        assert reasons and case["bad"] in reasons[0], reasons
    else:
        assert not reasons


# Two birth dates as the hub sees them: the level its comparison gives the pair (its SQL run in DuckDB).
DATE_LEVELS = [
    ("1985-03-02", "1985-03-02", "date.exact"),
    ("1985-03-02", "1985-02-03", "date.swapped"),
    ("1985", "1985-03-02", "date.year_only"),
    ("1985", "1986", "date.year_apart"),
    ("1985", "1987", "date.years_apart"),  # a death register's guessed age
    ("01/07/1985", "1988-10-09", "date.years_apart"),  # 1 July: a registration default, known to its year
    ("1985", "1989", "date.disagree"),
    ("1985-03-02", "1987-05-05", "date.disagree"),  # two full dates: more often two siblings of one name
]


@pytest.mark.parametrize(("a", "b", "code"), DATE_LEVELS)
def test_birth_date_level(encoder, a, b, code):
    import duckdb

    from sijill.pprl.format.fields import BirthDate

    batch = encoder.encode({c: [FILLER[c], FILLER[c]] for c in FILLER} | {"birth_date": [a, b], "id": ["A", "B"]},
                           [2, 3])
    rows = dict(zip(batch.record_ids, batch.table.to_pylist(), strict=True))
    (comparison,) = BirthDate().comparisons()
    columns = [c for c in rows["A"] if c.startswith("birth_")]
    pair = {f"{c}_{side}": rows[who][c] for c in columns for side, who in (("l", "A"), ("r", "B"))}
    cases = " ".join(f"WHEN {lv.sql} THEN '{lv.code}'" for lv in comparison.levels[:-1])
    con = duckdb.connect()
    con.execute("CREATE TABLE p AS SELECT " + ", ".join(f"${i + 1} AS {k}" for i, k in enumerate(pair)),
                list(pair.values()))
    found = con.execute(f"SELECT CASE {cases} ELSE '{comparison.levels[-1].code}' END FROM p").fetchone()[0]
    assert found == code
