"""A report table as data: the web page, the XLSX workbook, the PDF and the charts all render the same
``Table``, so the figures cannot differ between them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "count"  # text, count, iqd (integer dinars) or percent

    @property
    def numeric(self) -> bool:
        return self.kind != "text"


@dataclass
class Table:
    key: str  # a stable name: the XLSX sheet, the anchor on the page
    title: str
    columns: list[Column]
    rows: list[dict] = field(default_factory=list)
    chart: str | None = None  # the column drawn as bars against the first column
    total: dict | None = None  # a last row of totals, when adding up makes sense

    def value(self, row: dict, column: Column):
        return row.get(column.key, "" if column.kind == "text" else 0)

    def cells(self, row: dict) -> list:
        return [self.value(row, c) for c in self.columns]

    @property
    def body(self) -> list[list[tuple[Column, object]]]:
        """The rows as (column, value) pairs, for templates."""
        return [list(zip(self.columns, self.cells(r), strict=True)) for r in self.rows]

    @property
    def foot(self) -> list[tuple[Column, object]]:
        return list(zip(self.columns, self.cells(self.total), strict=True)) if self.total else []

    def row_by(self, label) -> dict | None:
        """The row whose first column is ``label`` (tests and callers look figures up by their label)."""
        first = self.columns[0].key
        return next((r for r in self.rows if r.get(first) == label), None)


def text(key: str, label) -> Column:
    return Column(key, str(label), "text")


def count(key: str, label) -> Column:
    return Column(key, str(label), "count")


def iqd(key: str, label) -> Column:
    return Column(key, str(label), "iqd")


def percent(key: str, label) -> Column:
    return Column(key, str(label), "percent")


def totals(rows: list[dict], columns: list[Column], label) -> dict:
    """Sums of the count and amount columns, with ``label`` in the first."""
    out = {columns[0].key: str(label)}
    for c in columns[1:]:
        if c.kind in ("count", "iqd"):
            out[c.key] = sum(r.get(c.key, 0) or 0 for r in rows)
    return out
