"""The ration registry's cycles on the platform's exchange: Interior's three files as partner agencies with their
data-sharing agreements, and a cycle opened with the ration registry on its registry side. Uploads, the hub's run
in the background worker and the opening of the hits are the exchange's (``cycles.orchestrator``)."""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import yaml
from django.db import transaction

from sijill.audit.trail import record
from sijill.exchange.cycles import open_cycle
from sijill.exchange.models import Agency, Agreement, Cycle
from sijill.pprl.format import example_schemas, load_schema

from .linkage import CODE

AGENCIES = Path(__file__).parent / "agencies"  # the ration registry's own partners' files (Interior's register)


@cache
def partners() -> dict[str, dict]:
    """code -> purpose and feed frequency of the Ministry of Trade's agreement (``data/partners.yaml``)."""
    return yaml.safe_load((Path(__file__).parent / "data" / "partners.yaml").read_text(encoding="utf-8"))


def partner_schema_path(code: str) -> str:
    """A partner's agency file: its names and the linkage schema it encodes with."""
    own = AGENCIES / f"{code}.yaml"
    return str(own) if own.exists() else str(example_schemas()[code])


def _names(code: str) -> tuple[str, str]:
    data = yaml.safe_load(Path(partner_schema_path(code)).read_text(encoding="utf-8"))
    return data["name_ar"], data["name_en"]


@transaction.atomic
def ensure_partners(on: dt.date | None = None) -> list[Agency]:
    """Interior's files as agencies, each with the Ministry of Trade's agreement in force from ``on``."""
    on = on or dt.date(dt.date.today().year, 1, 1)
    agencies = []
    for code, terms in partners().items():
        name_ar, name_en = _names(code)
        agency, _ = Agency.objects.get_or_create(code=code, defaults={
            "name_ar": name_ar, "name_en": name_en, "schema": code})
        Agreement.objects.get_or_create(reference=f"MOT-{code.upper()}-{on.year}", defaults={
            "agency": agency, "purpose": terms["purpose"],
            "allowed_payload_fields": list(load_schema(partner_schema_path(code)).payload),
            "retention_days": 365, "feed_every_days": terms["feed_every_days"], "valid_from": on, "signed_on": on})
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
