"""An agent's licence as a PDF: Arabic (Amiri, shaped by HarfBuzz through the reports' PDF set-up), its number,
and a QR code carrying the licence number, the agent's number and the validity."""

from __future__ import annotations

import segno

from sijill.common.pdf import FONT, ArabicPDF

from .models import Agent


def _line(pdf: ArabicPDF, text: str, size: int, bold: bool = False) -> None:
    pdf.set_font(FONT, style="B" if bold else "", size=size)
    pdf.multi_cell(0, size * 0.6, text, align=pdf.align, new_x="LMARGIN", new_y="NEXT")


def licence_pdf(agent: Agent, site: str = "") -> bytes:
    pdf = ArabicPDF(rtl=True)
    pdf.set_margins(15, 15, 15)
    pdf.add_page()
    _line(pdf, "وزارة التجارة — نظام البطاقة التموينية", 14, bold=True)
    _line(pdf, "إجازة وكيل مواد غذائية", 18, bold=True)
    for label, value in (("رقم الإجازة", agent.licence_no), ("رقم الوكيل", agent.number), ("الاسم", agent.name),
                         ("المركز", str(agent.centre)), ("المنطقة", agent.area),
                         ("تاريخ الإصدار", str(agent.licensed_on or "")), ("نافذة حتى", str(agent.expires_on or ""))):
        _line(pdf, f"{label}: {value}", 12)
    qr = segno.make(f"SIJILL-RATION-LICENCE|{agent.licence_no}|{agent.number}|{agent.expires_on}|{site}", error="m")
    size, module = 40.0, 40.0 / (qr.symbol_size()[0])
    x0, y0 = pdf.l_margin, pdf.get_y() + 6
    pdf.set_fill_color(0, 0, 0)
    for row, bits in enumerate(qr.matrix_iter(border=2)):
        for col, dark in enumerate(bits):
            if dark:
                pdf.rect(x0 + col * module, y0 + row * module, module, module, style="F")
    pdf.set_xy(x0, y0 + size + 4)
    _line(pdf, "تُتحقق صحة الإجازة برقمها لدى مركز التموين.", 9)
    return bytes(pdf.output())
