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
    # The electronic ration card (Ministry of Trade)
    RATION_CLERK = "ration_clerk", _("Ration centre clerk")
    RATION_PLANNER = "ration_planner", _("Ration planner")
    RATION_AGENT = "ration_agent", _("Ration agent")
    HOUSEHOLD_HEAD = "household_head", _("Head of household")
    # Damaan, the workers' social security
    DAMAAN_OFFICER = "damaan_officer", _("Social-security officer")
    EMPLOYER = "employer", _("Employer's representative")
    INSURED_WORKER = "insured_worker", _("Insured worker")
    # The household re-survey
    SURVEY_MANAGER = "survey_manager", _("Survey manager")
    FIELD_SUPERVISOR = "field_supervisor", _("Field supervisor")


# Roles whose view of the registry is limited to the governorates on their user record.
GOVERNORATE_SCOPED = frozenset({Role.CASEWORKER, Role.FIELD_RESEARCHER, Role.RATION_CLERK, Role.FIELD_SUPERVISOR})


# Each app that adds capabilities keeps them in its own data/capabilities.csv (same columns, any subset of roles).
CAPABILITY_FILES = ("accounts", "ration", "damaan", "survey")


@cache
def matrix() -> dict[str, frozenset[str]]:
    """capability -> the roles that have it."""
    known = set(Role.values)
    table = {}
    for app in CAPABILITY_FILES:
        path = resources.files("sijill") / app / "data" / "capabilities.csv"
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        rows = csv.DictReader(line for line in text.splitlines() if line and not line.startswith("#"))
        unknown = set(rows.fieldnames or ()) - known - {"capability", "what it allows"}
        if unknown:
            raise ValueError(f"{app}/data/capabilities.csv names unknown roles: {sorted(unknown)}")
        for row in rows:
            if row["capability"] in table:
                raise ValueError(f"capability {row['capability']} is declared twice ({app})")
            table[row["capability"]] = frozenset(r for r in known if (row.get(r) or "").strip() == "x")
    return table


def capabilities_of(role: str) -> frozenset[str]:
    return frozenset(cap for cap, roles in matrix().items() if role in roles)
