"""Roles and what each may do. The matrix is data (``data/capabilities.csv``), reviewed in one place."""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administrator")
    ANALYST = "analyst", _("Analyst")
    CASEWORKER = "caseworker", _("Caseworker")
    FIELD_RESEARCHER = "field_researcher", _("Field researcher")
    AUDITOR = "auditor", _("Auditor")
    AGENCY_DATA_OFFICER = "agency_data_officer", _("Agency data officer")
    HOTLINE_OPERATOR = "hotline_operator", _("Hotline operator")
    TIP_OFFICER = "tip_officer", _("Tip officer")


# Roles whose view of the registry is limited to the governorates on their user record.
GOVERNORATE_SCOPED = frozenset({Role.CASEWORKER, Role.FIELD_RESEARCHER})


@cache
def matrix() -> dict[str, frozenset[str]]:
    """capability -> the roles that have it."""
    text = (resources.files("sijill.accounts") / "data" / "capabilities.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if line and not line.startswith("#"))
    known = set(Role.values)
    table = {}
    for row in rows:
        roles = frozenset(r for r in known if (row.get(r) or "").strip() == "x")
        table[row["capability"]] = roles
    return table


def capabilities_of(role: str) -> frozenset[str]:
    return frozenset(cap for cap, roles in matrix().items() if role in roles)
