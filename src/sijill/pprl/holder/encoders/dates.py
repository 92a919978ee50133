"""The birth date: tokens of its year, month and day (and of the day and month swapped, and of the next
years), with how precisely it is known."""

from __future__ import annotations

import pyarrow as pa

from sijill import identity

from ...format.fields import BIRTH_DATE
from ..vocab import ValueTable
from .base import FieldEncoder, Read, Rows, Shared, column, take

# precision, year / month / date / swapped tokens, interned year / month / date strings, the tokens of the
# year plus one, two and three
NO_DATE = (0, None, None, None, None, -1, -1, -1, None, None, None)
FIELDS = {"precision": 0, "year": 1, "month": 2, "full": 3, "swapped": 4, "year_id": 5, "month_id": 6,
          "full_id": 7, "near": 8, "near2": 9, "near3": 10}
COLUMNS = {"birth_year": "year", "birth_month": "month", "birth_date": "full", "birth_date_swapped": "swapped",
           "birth_year_near": "near", "birth_year_near2": "near2", "birth_year_near3": "near3"}


class BirthDateEncoder(FieldEncoder):
    field = BIRTH_DATE
    reads = ("birth_date",)

    def __init__(self, shared: Shared):
        self.shared = shared
        self.tokenizers = {k: shared.tokenizer(k) for k in ("birth_year", "birth_month", "birth_date")}
        self.table = ValueTable(NO_DATE, self.date)

    def date(self, raw: str) -> tuple | str:
        """(precision, year / month / date / swapped tokens, interned year / month / date), or a reason."""
        try:
            d = identity.parse_date(raw)
        except identity.IdentityError as e:
            return e.reason
        t, intern = self.tokenizers, self.shared.intern
        year = f"{d.year:04d}"
        # The next years' tokens under the year's key let the hub see "a year apart" or "two or three years
        # apart" (an age a family guessed) without the year.
        near = tuple(t["birth_year"](f"{d.year + k:04d}") for k in (1, 2, 3))
        if d.precision == "year":
            return (1, t["birth_year"](year), None, None, None, intern(year), -1, -1, *near)
        if d.precision == "month":
            month = f"{year}-{d.month:02d}"
            return (2, t["birth_year"](year), t["birth_month"](month), None, None, intern(year), intern(month), -1,
                    *near)
        full = f"{year}-{d.month:02d}-{d.day:02d}"
        swapped = None
        if d.day <= 12 and d.day != d.month:
            swapped = t["birth_date"](f"{year}-{d.day:02d}-{d.month:02d}")
        return (3, t["birth_year"](year), t["birth_month"](full[:7]), t["birth_date"](full), swapped,
                intern(year), intern(full[:7]), intern(full), *near)

    def read(self, values: dict[str, pa.Array], n: int, *, dummy: bool) -> Read:
        ids, bad = self.table.ids_of(column(values, "birth_date", n))
        return Read({"id": ids}, bad)

    def columns(self, rows: Rows, masks) -> dict[str, pa.Array]:
        ids = rows.state(self)["id"]
        out = {}
        for name, k in COLUMNS.items():
            values, valid = self.table.column(FIELDS[k])
            out[name] = take(values, ids, valid[ids])
        out["birth_precision"] = pa.array(self.table.column(FIELDS["precision"])[0][ids], pa.int8())
        return out

    def component(self, part: str, rows: Rows):
        return self.table.column(FIELDS[part.partition(".")[2] + "_id"])[0][rows.state(self)["id"]]

    def forget(self) -> None:
        self.table.clear()
