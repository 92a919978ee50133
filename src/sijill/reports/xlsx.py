"""Report tables as an Excel workbook: one sheet per table, right to left for Arabic, numbers as numbers."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from sijill.spreadsheet import text_cells

from .tables import Table

FORMATS = {"count": "#,##0", "iqd": "#,##0", "percent": "0.0"}


def workbook(tables: list[Table], title: str, rtl: bool = True) -> bytes:
    book = Workbook()
    book.remove(book.active)
    book.properties.title = title
    bold = Font(bold=True)
    for table in tables:
        sheet = book.create_sheet(table.key[:31])
        sheet.sheet_view.rightToLeft = rtl
        sheet.append([table.title])
        sheet["A1"].font = bold
        sheet.append([c.label for c in table.columns])
        for cell in sheet[2]:
            cell.font = bold
        text_cells([sheet["A1"], *sheet[2]])
        rows = [*table.rows, table.total] if table.total else table.rows
        for row in rows:
            sheet.append(table.cells(row))
            text_cells(sheet[sheet.max_row])
            for column, cell in zip(table.columns, sheet[sheet.max_row], strict=True):
                if column.numeric:
                    cell.number_format = FORMATS[column.kind]
        if table.total:
            for cell in sheet[sheet.max_row]:
                cell.font = bold
        for i, column in enumerate(table.columns, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = 36 if i == 1 else max(14, len(column.label) + 2)
        sheet.freeze_panes = "B3"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
