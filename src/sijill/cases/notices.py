"""The notice to the beneficiary: an Arabic PDF made on the server (fpdf2 with HarfBuzz shaping and the
shipped Amiri font, so letters join and runs read right to left), kept under the data directory with its
SHA-256 in the ``Notice`` row."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from pathlib import Path

from django.conf import settings
from django.db import router, transaction

from sijill.common.pdf import FONT, ArabicPDF
from sijill.exchange.models import Agency

from . import workflow
from .models import Case, Notice

logging.getLogger("fontTools").setLevel(logging.WARNING)  # it logs every table it subsets at INFO
MINISTRY = "جمهورية العراق — وزارة العمل والشؤون الاجتماعية — هيئة الحماية الاجتماعية"


def _source(finding) -> str:
    code = (finding.details or {}).get("agency") or finding.rule.agency
    if not code:
        return "سجل الحماية الاجتماعية"
    agency = Agency.objects.filter(code=code).first()
    return agency.name_ar if agency else code


def notice_lines(case: Case, respond_by: dt.date, reference: str) -> list[tuple[str, str]]:
    """(style, text) lines of the notice: what was found, from which source, the rights and the deadline."""
    person = case.person
    lines = [("b", MINISTRY), ("t", "إشعار بنتيجة التدقيق والتحقق الميداني"),
             ("", f"رقم الإشعار: {reference}    رقم الملف: {case.reference}    التاريخ: {workflow.today():%d/%m/%Y}"),
             ("", f"إلى السيد/السيدة: {person.display_name}    رقم السجل: {person.record_id}"),
             ("", "نحيطكم علماً بأن مطابقة بيانات المستفيدين مع بيانات الجهات الحكومية، ثم الزيارة الميدانية، "
                  "أظهرتا ما يأتي:")]
    for finding in case.findings.select_related("rule").order_by("effective_date"):
        facts = "، ".join(f"{k}: {v}" for k, v in (finding.details or {}).items()
                         if k not in ("agency", "partner_record_id", "as_of", "records", "pair", "other_person",
                                      "members_before", "amount_after_iqd") and v not in (None, ""))
        lines.append(("", f"• {finding.rule.name_ar} — المصدر: {_source(finding)} — اعتباراً من "
                          f"{finding.effective_date:%d/%m/%Y}" + (f" ({facts})" if facts else "")))
    lines += [
        ("", "وعليه يُقترح إيقاف الإعانة أو إعادة احتسابها اعتباراً من التاريخ المذكور، واسترداد ما صُرف دون "
             "استحقاق من سجل المدفوعات."),
        ("b", "حقكم في الرد"),
        ("", f"يحق لكم تقديم ردكم ومستنداتكم إلى قسم الحماية الاجتماعية في محافظتكم خلال {workflow.response_days()} "
             f"يوماً من تاريخ هذا الإشعار، في موعد أقصاه {respond_by:%d/%m/%Y}. لا يُتخذ القرار قبل انتهاء هذه المدة "
             "إلا بعد تسلّم ردكم."),
        ("b", "حقكم في الاعتراض"),
        ("", f"يحق لكم الاعتراض على القرار بعد صدوره خلال {workflow.appeal_days()} يوماً، ويُعاد النظر في "
             "الملف عند الاعتراض."),
    ]
    return lines


def render_pdf(lines: list[tuple[str, str]]) -> bytes:
    pdf = ArabicPDF()
    pdf.set_title("إشعار")
    pdf.add_page()
    for style, text in lines:
        size = 16 if style == "t" else 13
        pdf.set_font(FONT, "B" if style in ("b", "t") else "", size)
        pdf.multi_cell(0, size * 0.6, text, align="C" if style == "t" else "R", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    return bytes(pdf.output())


def issue_notice(case: Case, *, actor, request=None) -> Notice:
    """Write the notice, keep its file and hash, and start the response period."""
    with transaction.atomic(using=router.db_for_write(Case)):
        number = case.notices.count() + 1
        reference = f"N-{case.reference}-{number}"
        respond_by = workflow.today() + dt.timedelta(days=workflow.response_days())
        data = render_pdf(notice_lines(case, respond_by, reference))
        relative = Path("notices") / f"{reference}.pdf"
        target = Path(settings.DATA_DIR) / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        notice = Notice.objects.create(case=case, reference=reference, issued_by=actor, respond_by=respond_by,
                                       pdf_sha256=hashlib.sha256(data).hexdigest(), path=str(relative))
        workflow.notice_sent(case, notice, actor=actor, request=request)
    return notice


def notice_file(notice: Notice) -> Path:
    return Path(settings.DATA_DIR) / notice.path
