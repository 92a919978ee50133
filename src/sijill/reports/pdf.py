"""The report as a PDF: the Amiri font shipped with Sijill, Arabic shaped by HarfBuzz (fpdf2's text shaping),
each table with its bar chart drawn in the PDF itself. Right to left, the first column is on the right."""

from __future__ import annotations

from fpdf.fonts import FontFace

from sijill.common.pdf import FONT, ArabicPDF

from .charts import figure
from .tables import Table

BAR = (43, 106, 79)
HEAD_FILL = (230, 238, 233)
class ReportPDF(ArabicPDF):
    def __init__(self, rtl: bool):
        super().__init__(rtl)
        self.set_auto_page_break(auto=True, margin=15)
        self.set_margins(15, 15, 15)

    def footer(self):
        self.set_y(-12)
        self.set_font(FONT, size=9)
        self.cell(0, 6, f"{self.page_no()}", align="C")

    def heading(self, text: str, size: int = 13):
        self.set_font(FONT, style="B", size=size)
        self.multi_cell(0, size * 0.55, text, align=self.align, new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def line_of_text(self, text: str, size: int = 10):
        self.set_font(FONT, size=size)
        self.multi_cell(0, 6, text, align=self.align, new_x="LMARGIN", new_y="NEXT")

    def fit(self, text: str, width: float) -> str:
        """``text``, cut with an ellipsis so that it fits ``width`` in the current font."""
        if self.get_string_width(text) <= width:
            return text
        while text and self.get_string_width(text + "…") > width:
            text = text[:-1]
        return text.rstrip() + "…"

    def chart(self, table: Table):
        if not table.chart or not table.rows:
            return
        value_col = next(c for c in table.columns if c.key == table.chart)
        values = [float(table.value(r, value_col) or 0) for r in table.rows]
        top = max(values) or 1.0
        row_h, label_w, number_w = 6.0, 60.0, 24.0
        room = self.epw - label_w - number_w - 4
        if self.will_page_break(row_h * len(values) + 4):
            self.add_page()
        self.set_font(FONT, size=9)
        self.set_fill_color(*BAR)
        for row, value in zip(table.rows, values, strict=True):
            y = self.get_y()
            length = max(room * value / top, 0.3)
            label = str(table.value(row, table.columns[0]))
            if self.rtl:
                label_x, bar_x = self.l_margin + self.epw - label_w, self.l_margin + self.epw - label_w - 2 - length
                number_x, number_align = bar_x - number_w - 1, "R"
            else:
                label_x, bar_x = self.l_margin, self.l_margin + label_w + 2
                number_x, number_align = bar_x + length + 1, "L"
            self.set_xy(label_x, y)
            self.cell(label_w, row_h, self.fit(label, label_w - 1), align=self.align)
            self.rect(bar_x, y + 1, length, row_h - 2, style="F")
            self.set_xy(number_x, y)
            self.cell(number_w, row_h, figure(value, value_col.kind), align=number_align)
            self.set_xy(self.l_margin, y + row_h)
        self.set_fill_color(255, 255, 255)
        self.ln(2)

    def table_of(self, table: Table):
        columns = list(reversed(table.columns)) if self.rtl else list(table.columns)
        widths = [3 if c is table.columns[0] else 2 for c in columns]
        rows = [*table.rows, table.total] if table.total else list(table.rows)
        self.set_font(FONT, size=9)
        head = FontFace(emphasis="BOLD", fill_color=HEAD_FILL)
        with self.table(col_widths=widths, text_align="RIGHT" if self.rtl else "LEFT", headings_style=head,
                        line_height=6, first_row_as_headings=True) as out:
            heading = out.row()
            for c in columns:
                heading.cell(c.label)
            for row in rows:
                line = out.row()
                for c in columns:
                    value = table.value(row, c)
                    line.cell(str(value) if c.kind == "text" else figure(value, c.kind))
        self.ln(4)


def report_pdf(title: str, subtitle: str, tables: list[Table], notes: list[str] = (), rtl: bool = True) -> bytes:
    pdf = ReportPDF(rtl)
    pdf.set_title(title)
    pdf.set_creator("Sijill")
    pdf.add_page()
    pdf.heading(title, size=16)
    pdf.line_of_text(subtitle)
    for note in notes:
        pdf.line_of_text(note)
    pdf.ln(3)
    for table in tables:
        if pdf.will_page_break(30):
            pdf.add_page()
        pdf.heading(table.title)
        pdf.chart(table)
        pdf.table_of(table)
    return bytes(pdf.output())
