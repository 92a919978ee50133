"""An agent's licence as a PDF: Arabic (Amiri, shaped by HarfBuzz through the reports' PDF set-up), its number,
and a QR code carrying the licence number, the agent's number and the validity."""

from __future__ import annotations

import segno

from sijill.reports.pdf import FONT, ReportPDF

from .models import Agent


def licence_pdf(agent: Agent, site: str = "") -> bytes:
    pdf = ReportPDF(rtl=True)
    pdf.add_page()
    pdf.heading("وزارة التجارة — نظام البطاقة التموينية", size=14)
    pdf.heading("إجازة وكيل مواد غذائية", size=18)
    for label, value in (("رقم الإجازة", agent.licence_no), ("رقم الوكيل", agent.number), ("الاسم", agent.name),
                         ("المركز", str(agent.centre)), ("المنطقة", agent.area),
                         ("تاريخ الإصدار", str(agent.licensed_on or "")), ("نافذة حتى", str(agent.expires_on or ""))):
        pdf.line_of_text(f"{label}: {value}", size=12)
    qr = segno.make(f"SIJILL-RATION-LICENCE|{agent.licence_no}|{agent.number}|{agent.expires_on}|{site}", error="m")
    size, module = 40.0, 40.0 / (qr.symbol_size()[0])
    x0, y0 = pdf.l_margin, pdf.get_y() + 6
    pdf.set_fill_color(0, 0, 0)
    for row, bits in enumerate(qr.matrix_iter(border=2)):
        for col, dark in enumerate(bits):
            if dark:
                pdf.rect(x0 + col * module, y0 + row * module, module, module, style="F")
    pdf.set_xy(x0, y0 + size + 4)
    pdf.set_font(FONT, size=9)
    pdf.line_of_text("تُتحقق صحة الإجازة برقمها لدى مركز التموين.", size=9)
    return bytes(pdf.output())
