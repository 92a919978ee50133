"""The ten partner agencies and a data-sharing agreement with each, as the ministry signs them.

``seed_agencies`` is idempotent: it creates what is missing and leaves what exists (and any key an
administrator registered) alone. The demo, the tests and ``sijill cycle seed`` use it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from sijill.pprl.format.schema import example_schemas, load_schema

from .models import Agency, Agreement


@dataclass(frozen=True)
class Partner:
    code: str
    name_ar: str
    name_en: str
    purpose: str
    feed_every_days: int
    retention_days: int = 365


PARTNERS = (
    Partner("courts", "مجلس القضاء الأعلى - محاكم الأحوال الشخصية", "Supreme Judicial Council (personal status courts)",
            "التحقق من الحالة الزوجية للمستفيدين (عقود الزواج والطلاق) لأغراض استحقاق الإعانة", 30),
    Partner("deaths", "وزارة الداخلية - مديرية الأحوال المدنية (الوفيات)",
            "Ministry of Interior, civil status (deaths)",
            "إيقاف صرف الإعانة للمتوفين وتحديث تكوين الأسرة", 7),
    Partner("insured", "دائرة التقاعد والضمان الاجتماعي للعمال", "Social Security Fund for workers",
            "التحقق من عمل المستفيدين في القطاع الخاص ودخلهم", 30),
    Partner("licences", "وزارة النفط والجهات المانحة للإجازات", "Ministry of Oil and licensing bodies",
            "التحقق من امتلاك المستفيدين إجازات محطات الوقود ومستودعات الغاز والمولدات", 90),
    Partner("loans", "البنك المركزي العراقي والمصارف", "Central Bank of Iraq and the banks",
            "التحقق من القروض الشخصية الكبيرة الممنوحة للمستفيدين", 30),
    Partner("payroll", "وزارة المالية - رواتب موظفي الدولة", "Ministry of Finance (government payrolls)",
            "التحقق من تقاضي المستفيدين رواتب حكومية", 30),
    Partner("pensions", "هيئة التقاعد الوطنية", "National Retirement Authority",
            "التحقق من تقاضي المستفيدين رواتب تقاعدية", 30),
    Partner("ration", "وزارة التجارة - البطاقة التموينية", "Ministry of Trade (ration cards)",
            "مطابقة تكوين الأسرة مع البطاقة التموينية", 90),
    Partner("travel", "وزارة الداخلية - مديرية شؤون الإقامة والمنافذ", "Ministry of Interior (border crossings)",
            "التحقق من إقامة المستفيدين خارج العراق مدداً طويلة", 30),
    Partner("vehicles", "وزارة الداخلية - مديرية المرور العامة", "General Traffic Directorate",
            "التحقق من امتلاك المستفيدين مركبات", 90),
)


def payload_fields(code: str) -> list[str]:
    """The payload fields of the agency's shipped linkage schema: what its agreement allows."""
    return list(load_schema(example_schemas()[code]).payload)


@transaction.atomic
def seed_agencies(on: dt.date | None = None) -> list[Agency]:
    """The partner agencies, each with an agreement in force from ``on`` (1 January of this year)."""
    on = on or dt.date(dt.date.today().year, 1, 1)
    agencies = []
    for p in PARTNERS:
        agency, _ = Agency.objects.get_or_create(code=p.code, defaults={
            "name_ar": p.name_ar, "name_en": p.name_en, "schema": p.code})
        Agreement.objects.get_or_create(reference=f"MOLSA-{p.code.upper()}-{on.year}", defaults={
            "agency": agency, "purpose": p.purpose, "allowed_payload_fields": payload_fields(p.code),
            "retention_days": p.retention_days, "feed_every_days": p.feed_every_days, "valid_from": on,
            "signed_on": on})
        agencies.append(agency)
    return agencies
