"""Writing the CSV and XLSX files people open in Excel or LibreOffice, in one place for the whole system.

Two things every such file needs. A UTF-8 byte-order mark, or Excel shows Arabic as mojibake. And no cell a
spreadsheet would run as a formula: a user name ``=HYPERLINK(...)`` typed at the login page, or a value in a
ministry's import file, must reach the auditor's export as text (OWASP's "CSV injection"). A CSV text cell
starting with ``= + - @``, a tab or a carriage return gets a leading apostrophe; plain numbers (``-12.5``) are
left as they are. An XLSX text cell is stored as text, never as a formula.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?")


def neutralise(value: Any) -> Any:
    """The value, or for text a spreadsheet would read as a formula, the same text after an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


class _Rows:
    """A ``csv.writer`` whose every cell is neutralised first."""

    def __init__(self, writer):
        self._writer = writer

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow([neutralise(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(stream: TextIO, *, bom: bool = True) -> _Rows:
    """A CSV writer on ``stream`` (an open text file, or a Django ``HttpResponse``), starting with the BOM."""
    if bom:
        stream.write(BOM)
    return _Rows(csv.writer(stream))


class DictWriter(csv.DictWriter):
    """``csv.DictWriter`` with every cell neutralised; missing keys are empty cells, extra keys ignored."""

    def __init__(self, stream: TextIO, fieldnames: list[str], *, bom: bool = True):
        if bom:
            stream.write(BOM)
        super().__init__(stream, fieldnames=fieldnames, extrasaction="ignore")
        self.writer = _Rows(self.writer)


def write_csv(path: Path, header: list[str], rows: Iterable[dict]) -> None:
    """A file of dict rows, streamed (never held in memory), with the BOM and neutralised cells."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = DictWriter(f, header)
        writer.writeheader()
        writer.writerows(rows)


def text_cells(cells: Iterable[Any]) -> None:
    """Store the text of these openpyxl cells as text: openpyxl makes a formula of any text starting with
    ``=``, which the spreadsheet would then run."""
    for cell in cells:
        if isinstance(cell.value, str) and cell.data_type == "f":
            cell.data_type = "s"
