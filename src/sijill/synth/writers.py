"""Files as ministries send them: CSV in UTF-8 (with or without BOM) or Windows-1256, XLSX, Parquet.

Every writer is deterministic: the same table gives the same bytes (no timestamps in XLSX or Parquet).
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

_FIXED_TIME = "2000-01-01T00:00:00Z"
_CORE_TIMES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def write_table(table: pa.Table, path: Path, fmt: str, encoding: str = "utf-8") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        _write_csv(table, path, encoding)
    elif fmt == "xlsx":
        _write_xlsx(table, path)
    elif fmt == "parquet":
        pq.write_table(table, path, compression="zstd")
    else:
        raise ValueError(f"{path}: unknown format {fmt!r}")


def _write_csv(table: pa.Table, path: Path, encoding: str) -> None:
    windows = encoding == "cp1256"
    buf = io.BytesIO()
    pacsv.write_csv(table, buf, pacsv.WriteOptions(quoting_style="needed", eol="\r\n" if windows else "\n"))
    data = buf.getvalue()
    if windows:
        text = data.decode("utf-8")
        try:
            data = text.encode("cp1256")
        except UnicodeEncodeError as e:
            line = text.count("\n", 0, e.start) + 1
            raise ValueError(
                f"{path}, line {line}: {text[e.start : e.end]!r} cannot be written in Windows-1256"
            ) from None
    elif encoding == "utf-8-sig":
        data = b"\xef\xbb\xbf" + data
    path.write_bytes(data)


def _write_xlsx(table: pa.Table, path: Path) -> None:
    """openpyxl in write-only mode, then the archive rewritten with fixed times (byte-identical runs)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("data")
    ws.append(table.column_names)
    columns = [col.to_pylist() for col in table.columns]
    for row in zip(*columns, strict=True):
        ws.append(row)
    raw = io.BytesIO()
    wb.save(raw)
    raw.seek(0)
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "docProps/core.xml":
                data = _CORE_TIMES.sub(rb"\g<1>" + _FIXED_TIME.encode() + rb"\g<3>", data)
            info = zipfile.ZipInfo(item.filename, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, data)


def read_table(path: Path, fmt: str, encoding: str = "utf-8") -> pa.Table:
    """Read a file back as it was declared (used by tests and by whoever checks a world)."""
    if fmt == "parquet":
        return pq.read_table(path)
    if fmt == "xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True)
        rows = list(wb.worksheets[0].iter_rows(values_only=True))
        wb.close()
        header, body = rows[0], rows[1:]
        return pa.table({h: [r[i] for r in body] for i, h in enumerate(header)})
    text = path.read_bytes().decode(encoding)
    return pacsv.read_csv(
        io.BytesIO(text.encode("utf-8")),
        convert_options=pacsv.ConvertOptions(column_types={}, strings_can_be_null=True, auto_dict_encode=False),
        read_options=pacsv.ReadOptions(use_threads=True),
    )
