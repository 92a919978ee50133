"""The clearance certificate as an Arabic PDF (the platform's Amiri set-up, sijill.common.pdf) with a QR code
(segno) of the public verification address."""

from __future__ import annotations

import io

import segno

from sijill.common.pdf import FONT, ArabicPDF

from .models import Certificate

INK = (11, 93, 75)


def qr_png(url: str, scale: int = 6) -> bytes:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=scale, border=2)
    return out.getvalue()


def qr_svg_uri(url: str) -> str:
    return segno.make(url, error="m").svg_data_uri(scale=5, border=2)


def certificate_pdf(cert: Certificate, verify_url: str) -> bytes:
    pdf = ArabicPDF()
    pdf.set_title(f"سلامة الموقف {cert.number}")
    pdf.set_creator("Sijill — Damaan")
    pdf.add_page()
    pdf.set_margins(20, 20, 20)
    pdf.set_text_color(*INK)
    pdf.set_font(FONT, style="B", size=14)
    pdf.cell(0, 9, "جمهورية العراق — وزارة العمل والشؤون الاجتماعية", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=12)
    pdf.cell(0, 8, "دائرة التقاعد والضمان الاجتماعي للعمال — منصة ضمان", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font(FONT, style="B", size=22)
    pdf.cell(0, 14, "شهادة سلامة موقف", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(4)
    est = cert.establishment
    rows = [
        ("رقم الشهادة", f"\u2066{cert.number}\u2069"),  # kept left to right inside Arabic text
        ("المنشأة", est.name),
        ("رقم المنشأة في ضمان", f"\u2066{est.number}\u2069"),
        ("تاريخ الإصدار", cert.issued_on.isoformat()),
        ("نافذة لغاية", cert.valid_until.isoformat()),
    ]
    pdf.set_font(FONT, size=13)
    for label, value in rows:
        pdf.set_font(FONT, style="B", size=13)
        pdf.cell(55, 10, label, align="R", border="B")
        pdf.set_font(FONT, size=13)
        pdf.cell(0, 10, value, align="R", border="B", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font(FONT, size=12)
    pdf.multi_cell(0, 8, "تشهد الدائرة بأن المنشأة المذكورة أعلاه لا تترتب بذمتها اشتراكات مستحقة غير مسددة "
                         "لغاية تاريخ إصدار هذه الشهادة، وتُلغى الشهادة تلقائياً إذا ظهرت متأخرات عن شهر يقع ضمن "
                         "مدة نفاذها.", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.image(io.BytesIO(qr_png(verify_url)), x=(pdf.w - 50) / 2, w=50, h=50)
    pdf.ln(2)
    pdf.set_font(FONT, size=10)
    pdf.multi_cell(0, 6, "للتحقق: امسح الرمز أو اكتب رقم الشهادة في صفحة التحقق العامة", align="C",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_shaping(False)
    pdf.set_font(FONT, size=9)
    pdf.cell(0, 6, verify_url, align="C", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
