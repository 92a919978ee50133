"""Reading the CSV files ministries send: UTF-8 or Windows-1256, with or without a BOM."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

FALLBACK_ENCODING = "cp1256"  # Windows-1256: what Arabic Excel and older systems export


class FileFormatError(ValueError):
    """A file that cannot be read at all; names the file and says why."""


def detect_encoding(path: Path, sample_bytes: int = 1 << 20) -> str:
    """UTF-8 (with or without BOM) when the bytes decode as UTF-8, else Windows-1256."""
    with open(path, "rb") as f:
        head = f.read(sample_bytes)
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as e:
        # A multi-byte character cut at the end of the sample is still UTF-8.
        if e.start < len(head) - 4:
            return FALLBACK_ENCODING
    return "utf-8"


def read_csv(path: Path, encoding: str | None = None) -> tuple[list[str], Iterator[dict[str, str]], str]:
    """Header, rows as dicts (row numbers are the file's line numbers from 2), and the encoding used."""
    path = Path(path)
    encoding = encoding or detect_encoding(path)
    try:
        f = open(path, encoding=encoding, newline="")  # noqa: SIM115 - closed by the generator
    except LookupError as e:
        raise FileFormatError(f"{path}: unknown encoding {encoding!r}") from e
    try:
        sample = f.read(64 * 1024)
    except UnicodeDecodeError as e:
        f.close()
        raise FileFormatError(f"{path}: not readable as {encoding} ({e.reason} at byte {e.start})") from e
    f.seek(0)
    dialect = _sniff(sample)
    reader = csv.DictReader(f, dialect=dialect)
    header = [h.strip() for h in (reader.fieldnames or [])]
    if not header:
        f.close()
        raise FileFormatError(f"{path}: the file is empty or has no header row")
    reader.fieldnames = header

    def rows() -> Iterator[dict[str, str]]:
        with f:
            try:
                yield from reader
            except (UnicodeDecodeError, csv.Error) as e:
                raise FileFormatError(f"{path}, line {reader.line_num}: {e}") from e

    return header, rows(), encoding


def _sniff(sample: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(sample.split("\n", 1)[0], delimiters=",;\t|")
    except csv.Error:
        return csv.excel


def write_csv(path: Path, header: list[str], rows) -> None:
    """UTF-8 with BOM so that Arabic opens correctly in Excel."""
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.DictWriter(f, fieldnames=header, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)

