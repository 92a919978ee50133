"""The partner agencies and a data-sharing agreement with each, as the ministry signs them (one file per agency
in ``sijill/agencies/``).

``seed_agencies`` is idempotent: it creates what is missing and leaves what exists (and any key an
administrator registered) alone. The demo, the tests and ``sijill cycle seed`` use it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import yaml
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


def _partners() -> tuple[Partner, ...]:
    """The partners and their agreements, as their files in ``sijill/agencies/`` declare them."""
    partners = []
    for code, path in sorted(example_schemas().items()):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if "agreement" in data:
            partners.append(Partner(code, data["name_ar"], data["name_en"], **data["agreement"]))
    return tuple(partners)


PARTNERS = _partners()


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
