"""The evidence bundle of a legal referral: one Arabic PDF (fpdf2, HarfBuzz shaping, the shipped Amiri font,
right to left) with everything the due process produced — the case's timeline, its findings and the rule
versions behind them, the visit's checklist answers, report, photos and signature, the notices, the reply
and the decision, and the recovery."""

from __future__ import annotations

import base64
import io
import re

from django.utils.translation import override

from sijill.common.pdf import FONT, ArabicPDF
from sijill.exchange.models import Agency
from sijill.registry import addresses

from . import checks
from .models import Case, Referral

MINISTRY = "جمهورية العراق — وزارة العمل والشؤون الاجتماعية — هيئة الحماية الاجتماعية"
# Beyond the dates and numbers ArabicPDF keeps left to right, a bundle carries references, user names and hashes
# (SJ-2026-0000001, fr-1, 3c6a83ef...): each left-to-right run is isolated whole, as a browser shows it.
LTR_RUN = re.compile(r"(?<![\u2066A-Za-z0-9])[A-Za-z0-9+][A-Za-z0-9+\-/:.,_@]*[A-Za-z0-9]|(?<![\u2066A-Za-z0-9])\d")
NOT_SHOWN = {"agency", "partner_record_id", "as_of"}


class BundlePDF(ArabicPDF):
    def __init__(self):
        super().__init__(rtl=True)
        self.set_auto_page_break(auto=True, margin=15)
        self.set_margins(15, 15, 15)

    def normalize_text(self, text: str) -> str:
        """The wider LTR_RUN instead of ArabicPDF's number runs (isolating twice would nest the isolates)."""
        return super(ArabicPDF, self).normalize_text(LTR_RUN.sub(lambda m: f"\u2066{m.group()}\u2069", text))

    def footer(self):
        self.set_y(-12)
        self.set_font(FONT, size=9)
        self.cell(0, 6, str(self.page_no()), align="C")

    def heading(self, text: str, size: int = 13):
        self.ln(2)
        self.set_font(FONT, "B", size)
        self.multi_cell(0, size * 0.55, text, align="R", new_x="LMARGIN", new_y="NEXT")

    def para(self, text: str, size: int = 11):
        self.set_font(FONT, "", size)
        self.multi_cell(0, 6.5, text, align="R", new_x="LMARGIN", new_y="NEXT")

    def picture(self, data: bytes, height: float = 60):
        if self.get_y() + height > self.h - 20:
            self.add_page()
        self.image(io.BytesIO(data), x=self.w - 15 - height * 4 / 3, h=height, keep_aspect_ratio=True)
        self.ln(2)


def _agency(code: str) -> str:
    if not code:
        return "سجل الحماية الاجتماعية"
    agency = Agency.objects.filter(code=code).first()
    return agency.name_ar if agency else code


def bundle_pdf(referral: Referral, recipient_name: str) -> bytes:
    """The bundle in Arabic, whatever the language of the page that asked for it."""
    with override("ar"):
        return _bundle(referral, recipient_name)


def _bundle(referral: Referral, recipient_name: str) -> bytes:
    case: Case = referral.case
    pdf = BundlePDF()
    pdf.set_title(f"حزمة الأدلة {referral.reference}")
    pdf.add_page()
    pdf.set_font(FONT, "B", 12)
    pdf.multi_cell(0, 7, MINISTRY, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "B", 16)
    pdf.multi_cell(0, 9, "إحالة قانونية — حزمة الأدلة", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.para(f"رقم الإحالة: {referral.reference}    رقم الملف: {case.reference}    "
             f"التاريخ: {referral.created_at:%Y-%m-%d}")
    pdf.para(f"الجهة المحال إليها: {recipient_name}")
    pdf.para(f"سبب الإحالة: {referral.reason}")
    _person(pdf, case)
    _findings(pdf, case)
    _visits(pdf, case)
    _notices_and_decision(pdf, case)
    _timeline(pdf, case)
    pdf.heading("إقرار")
    pdf.para("أُعدّت هذه الحزمة من سجل الحالة بعد استكمال التحقق الميداني والإشعار ومدة الرد والقرار البشري؛ "
             "والإحالة لا تحل محل أي من هذه الخطوات. كل اطلاع على الحزمة مسجل في سجل التدقيق.")
    return bytes(pdf.output())


def _person(pdf: BundlePDF, case: Case) -> None:
    person = case.person
    pdf.heading("المستفيد")
    pdf.para(f"الاسم: {person.display_name}    رقم السجل: {person.record_id}    "
             f"الرقم الوطني: {person.national_id or '—'}")
    household = getattr(getattr(person, "membership", None), "household", None)
    if household is None:
        return
    where = addresses.of(household)
    pdf.para(f"الأسرة: {household.household_id}    الفئة: {household.category or '—'}    المحافظة: "
             f"{household.governorate or '—'}")
    if where.address:
        pdf.para(f"العنوان: {where.address.one_line}" + (f" — أقرب نقطة دالة: {where.address.landmark}"
                                                         if where.address.landmark else ""))
    if where.location:
        pdf.para(f"الموقع: {where.location.latitude},{where.location.longitude} "
                 f"({where.location.observed_on:%Y-%m-%d}، {where.location.source})")


def _findings(pdf: BundlePDF, case: Case) -> None:
    pdf.heading("الملاحظات وإصدارات القواعد")
    answered = checks.by_finding(case)
    for finding in case.findings.select_related("rule", "hit__agency").order_by("effective_date", "pk"):
        rule = finding.rule
        source = _agency((finding.details or {}).get("agency") or rule.agency)
        pdf.para(f"• {rule.name_ar} — القاعدة {rule.code} الإصدار {rule.version} — المصدر: {source} — "
                 f"غير مستحق اعتباراً من {finding.effective_date:%Y-%m-%d} — المبلغ الشهري المعني "
                 f"{finding.monthly_amount_iqd:,} دينار")
        facts = "، ".join(f"{k}: {v}" for k, v in (finding.details or {}).items()
                         if k not in NOT_SHOWN and v not in (None, ""))
        if facts:
            pdf.para(f"ما تحمله الجهة: {facts}", size=10)
        found = answered.get(finding.pk)
        if found:
            pdf.para(f"نتيجة التحقق الميداني: {found.verdict_label}", size=10)
            for a in found.answers:
                note = f" — {a.note}" if a.note else ""
                pdf.para(f"    ◦ {a.question}: {a.get_answer_display()} ({a.get_evidence_display()}){note}", size=10)


def _visits(pdf: BundlePDF, case: Case) -> None:
    pdf.heading("تقرير الزيارة الميدانية")
    for visit in case.visits.select_related("researcher").prefetch_related("photos"):
        present = {True: "نعم", False: "لا", None: "—"}[visit.household_present]
        researcher = visit.researcher.get_full_name() or visit.researcher.username
        pdf.para(f"الزيارة في {visit.visited_at:%Y-%m-%d %H:%M} — الباحث: {researcher}"
                 f" — الأسرة حاضرة: {present} — الحالة المعيشية: {visit.living_conditions_label or '—'} — "
                 f"التوصية: {visit.get_recommendation_display() or '—'}")
        if visit.observations:
            pdf.para(f"الملاحظات: {visit.observations}")
        if visit.latitude is not None:
            pdf.para(f"موقع الزيارة: {visit.latitude},{visit.longitude}")
        for n, photo in enumerate(visit.photos.all(), start=1):
            pdf.para(f"الصورة {n}")
            with photo.image.open("rb") as f:
                pdf.picture(f.read())
        if visit.signature.startswith("data:image/png;base64,"):
            pdf.para("توقيع فرد الأسرة الحاضر")
            pdf.picture(base64.b64decode(visit.signature.partition(",")[2]), height=25)
    if not case.visits.exists():
        pdf.para("لا توجد زيارة.")


def _notices_and_decision(pdf: BundlePDF, case: Case) -> None:
    pdf.heading("الإشعار والرد والقرار")
    for notice in case.notices.all():
        pdf.para(f"الإشعار {notice.reference} صدر في {notice.issued_at:%Y-%m-%d}، ومدة الرد حتى "
                 f"{notice.respond_by:%Y-%m-%d}؛ بصمة الملف SHA-256: {notice.pdf_sha256}")
    for event in case.events.filter(to_state="response").select_related("actor"):
        pdf.para(f"الرد أو انتهاء مدته ({event.at:%Y-%m-%d}): {event.reason}")
    decided = case.events.filter(to_state="decided").select_related("actor").last()
    if decided:
        who = decided.actor.get_full_name() or decided.actor.username if decided.actor else "—"
        pdf.para(f"القرار: {case.get_outcome_display()} في {decided.at:%Y-%m-%d} — صاحب القرار: {who} — "
                 f"الأسباب: {decided.reason}")
    owed = getattr(case, "recovery", None)
    if owed is not None:
        pdf.para(f"المبلغ المصروف دون استحقاق: {owed.amount_due_iqd:,} دينار للمدة من "
                 f"{owed.computed_from:%Y-%m-%d} إلى {owed.computed_until:%Y-%m-%d}")


def _timeline(pdf: BundlePDF, case: Case) -> None:
    pdf.heading("التسلسل الزمني للحالة")
    for e in case.events.select_related("actor"):
        who = (e.actor.get_full_name() or e.actor.username) if e.actor else "النظام"
        if not e.from_state:
            moved = f"«{e.to_state_label}»"
        elif e.from_state != e.to_state:
            moved = f"من «{e.from_state_label}» إلى «{e.to_state_label}»"
        else:
            moved = f"في مرحلة «{e.to_state_label}»"
        pdf.para(f"في {e.at:%Y-%m-%d %H:%M} — {who} — {moved} — {e.reason}", size=10)
