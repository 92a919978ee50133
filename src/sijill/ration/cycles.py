"""The ration registry's cycles on the platform's exchange: Interior's three files as partner agencies with their
data-sharing agreements, and a cycle opened with the ration registry on its registry side. Uploads, the hub's run
in the background worker and the opening of the hits are the exchange's (``cycles.orchestrator``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from sijill.audit.trail import record
from sijill.exchange.cycles import open_cycle
from sijill.exchange.models import Agency, Agreement, Cycle
from sijill.pprl.format import example_schemas, load_schema

from .linkage import CODE, NATIONAL, SCHEMA


@dataclass(frozen=True)
class Partner:
    code: str
    name_ar: str
    name_en: str
    purpose: str
    feed_every_days: int


PARTNERS = (
    Partner(NATIONAL, "وزارة الداخلية - سجل البطاقة الوطنية الموحدة",
            "Ministry of Interior, unified national card",
            "ربط أفراد البطاقة التموينية بالرقم الوطني الموحد", 30),
    Partner("deaths", "وزارة الداخلية - مديرية الأحوال المدنية (الوفيات)",
            "Ministry of Interior, civil status (deaths)",
            "إيقاف حصة المتوفين بعد التحقق والإشعار", 7),
    Partner("travel", "وزارة الداخلية - مديرية شؤون الإقامة والمنافذ",
            "Ministry of Interior, borders (exits and returns)",
            "إيقاف حصة المقيمين خارج العراق بعد التحقق والإشعار", 30),
)


def partner_schema_path(code: str) -> str:
    """The linkage schema a partner of the ration registry encodes with (agreed with it)."""
    own = SCHEMA.parent / f"{code}.yaml"
    return str(own) if own.exists() else example_schemas()[code]


@transaction.atomic
def ensure_partners(on: dt.date | None = None) -> list[Agency]:
    """Interior's files as agencies, each with the Ministry of Trade's agreement in force from ``on``."""
    on = on or dt.date(dt.date.today().year, 1, 1)
    agencies = []
    for p in PARTNERS:
        agency, _ = Agency.objects.get_or_create(code=p.code, defaults={
            "name_ar": p.name_ar, "name_en": p.name_en, "schema": p.code})
        Agreement.objects.get_or_create(reference=f"MOT-{p.code.upper()}-{on.year}", defaults={
            "agency": agency, "purpose": p.purpose,
            "allowed_payload_fields": list(load_schema(partner_schema_path(p.code)).payload),
            "retention_days": 365, "feed_every_days": p.feed_every_days, "valid_from": on, "signed_on": on})
        agencies.append(agency)
    return agencies


def open_ration_cycle(*, user=None, request=None, note: str = "") -> Cycle:
    """A new cycle (the registry's next linkage secret) whose registry side is the ration registry."""
    ensure_partners()
    cycle = open_cycle(user=user, request=request, note=note or "ration")
    cycle.registry = CODE
    cycle.save(update_fields=["registry"])
    record("decision", request=request, user=user, actor=None if user else "cli", target=cycle,
           registry=CODE)
    return cycle
