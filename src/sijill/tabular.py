"""Reading the files ministries send: CSV (UTF-8 or Windows-1256, with or without a BOM), XLSX, Parquet."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

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


# --- batches: CSV, XLSX and Parquet, streamed as Arrow record batches of text -----------------------

ROW = "__row__"  # the extra column of each batch: the row number a spreadsheet shows (header = 1)


@dataclass
class TableSource:
    """A tabular file read in batches: every column as text (``None`` for an empty cell), plus ``ROW``.

    ``rows`` is the number of data rows (exact for XLSX and Parquet, estimated from the size for CSV);
    ``skipped`` lists CSV rows that could not be split into the header's columns, as (row, reason).
    """

    path: Path
    format: str
    header: list[str]
    batches: Iterator[pa.RecordBatch]
    encoding: str | None = None
    rows: int | None = None
    skipped: list[tuple[int, str]] = field(default_factory=list)


def read_batches(path: Path, encoding: str | None = None, batch_rows: int = 50_000) -> TableSource:
    """Open a CSV (UTF-8 or Windows-1256, detected), XLSX or Parquet file for reading in batches."""
    path = Path(path)
    if not path.is_file():
        raise FileFormatError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, batch_rows)
    if suffix in (".parquet", ".pq"):
        return _read_parquet(path, batch_rows)
    return _read_csv_batches(path, encoding, batch_rows)


def _text_batch(columns: dict[str, list], rows: list[int]) -> pa.RecordBatch:
    arrays = [pa.array(v, pa.string()) for v in columns.values()]
    return pa.record_batch([*arrays, pa.array(rows, pa.int64())], names=[*columns, ROW])


def _read_csv_batches(path: Path, encoding: str | None, batch_rows: int) -> TableSource:
    used = encoding or detect_encoding(path)
    try:
        with open(path, encoding=used, newline="") as f:
            sample = f.read(64 * 1024)
    except LookupError as e:
        raise FileFormatError(f"{path}: unknown encoding {used!r}") from e
    except UnicodeDecodeError as e:
        raise FileFormatError(f"{path}: not readable as {used} ({e.reason} at byte {e.start})") from e
    dialect = _sniff(sample)
    header = [h.strip() for h in next(csv.reader(io.StringIO(sample), dialect), [])]
    if not header or not any(header):
        raise FileFormatError(f"{path}: the file is empty or has no header row")
    if len(set(header)) != len(header):
        raise FileFormatError(f"{path}: repeated column names in the header: {', '.join(header)}")
    lines = max(1, sample.count("\n"))
    size = path.stat().st_size
    estimate = max(0, round(size / (len(sample.encode(used, errors="replace")) / lines)) - 1) if sample else 0
    block = int(min(64 << 20, max(1 << 20, len(sample.encode(used, errors="replace")) / lines * batch_rows)))
    skipped: list[tuple[int, str]] = []
    pending: deque[int] = deque()

    def on_invalid(row) -> str:
        skipped.append((row.number, f"{row.actual_columns} cells where the header has {row.expected_columns}"))
        pending.append(row.number)
        return "skip"

    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(use_threads=False, column_names=header, skip_rows=1, block_size=block,
                                           encoding="utf8" if used.startswith("utf-8") else used),
            parse_options=pacsv.ParseOptions(delimiter=getattr(dialect, "delimiter", ","), newlines_in_values=True,
                                             invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(header, pa.string()),
                                                 strings_can_be_null=True, quoted_strings_can_be_null=True),
        )
    except (pa.ArrowInvalid, OSError) as e:
        raise FileFormatError(f"{path}: {e}") from e

    def batches() -> Iterator[pa.RecordBatch]:
        next_row = 2
        try:
            for batch in reader:
                n = batch.num_rows
                if not pending:
                    numbers = pa.array(range(next_row, next_row + n), pa.int64())
                    next_row += n
                else:
                    out = []
                    while len(out) < n:
                        if pending and pending[0] == next_row:
                            pending.popleft()
                        else:
                            out.append(next_row)
                        next_row += 1
                    numbers = pa.array(out, pa.int64())
                yield pa.record_batch([*batch.columns, numbers], names=[*header, ROW])
        except (pa.ArrowInvalid, UnicodeDecodeError) as e:
            raise FileFormatError(f"{path}, after row {next_row - 1}: {e}") from e

    return TableSource(path, "csv", header, batches(), used, estimate, skipped)


def _cell(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))  # 12-digit national numbers are exact in a double; Excel stores them so
    return str(value)


def _read_xlsx(path: Path, batch_rows: int) -> TableSource:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for a damaged or mislabelled file
        raise FileFormatError(f"{path}: not a readable XLSX workbook ({e.__class__.__name__}: {e})") from e
    sheet = book.worksheets[0]
    cells = sheet.iter_rows(values_only=True)
    header_row = next(cells, None)
    header = [str(h).strip() if h is not None else "" for h in (header_row or ())]
    while header and not header[-1]:
        header.pop()
    if not header or not all(header):
        book.close()
        raise FileFormatError(f"{path}: the first sheet's first row must name every column")
    if len(set(header)) != len(header):
        book.close()
        raise FileFormatError(f"{path}: repeated column names in the header: {', '.join(header)}")
    total = max(0, (sheet.max_row or 1) - 1)

    def batches() -> Iterator[pa.RecordBatch]:
        columns: dict[str, list] = {h: [] for h in header}
        numbers: list[int] = []
        try:
            for number, values in enumerate(cells, start=2):
                if values is None or all(v is None for v in values):
                    continue
                for h, v in zip(header, (*values, *([None] * len(header)))[: len(header)], strict=True):
                    columns[h].append(_cell(v))
                numbers.append(number)
                if len(numbers) >= batch_rows:
                    yield _text_batch(columns, numbers)
                    columns, numbers = {h: [] for h in header}, []
            if numbers:
                yield _text_batch(columns, numbers)
        finally:
            book.close()

    return TableSource(path, "xlsx", header, batches(), None, total)


def _read_parquet(path: Path, batch_rows: int) -> TableSource:
    import pyarrow.parquet as pq

    try:
        file = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as e:
        raise FileFormatError(f"{path}: not a readable Parquet file ({e})") from e
    header = file.schema_arrow.names

    def batches() -> Iterator[pa.RecordBatch]:
        next_row = 2
        for batch in file.iter_batches(batch_size=batch_rows):
            arrays = [_as_text(c) for c in batch.columns]
            numbers = pa.array(range(next_row, next_row + batch.num_rows), pa.int64())
            next_row += batch.num_rows
            yield pa.record_batch([*arrays, numbers], names=[*header, ROW])

    return TableSource(path, "parquet", header, batches(), None, file.metadata.num_rows)


def _as_text(column: pa.Array) -> pa.Array:
    if pa.types.is_string(column.type):
        return column
    if pa.types.is_large_string(column.type) or pa.types.is_dictionary(column.type):
        return column.cast(pa.string())
    if pa.types.is_floating(column.type):
        return pa.array([_cell(v) for v in column.to_pylist()], pa.string())
    return column.cast(pa.string())
