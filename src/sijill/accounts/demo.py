"""One demo user per role, with fresh printed passwords (what `make demo` shows a new user)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.db import transaction

from .models import User
from .roles import Role

DEMO_USERS = [
    # username, role, governorates (for the roles limited to some), agency
    ("admin", Role.ADMINISTRATOR, [], ""),
    ("analyst", Role.ANALYST, [], ""),
    ("caseworker", Role.CASEWORKER, ["بغداد", "البصرة", "نينوى", "ذي قار", "بابل"], ""),
    ("researcher", Role.FIELD_RESEARCHER, ["بغداد"], ""),
    ("auditor", Role.AUDITOR, [], ""),
    ("agency", Role.AGENCY_DATA_OFFICER, [], "courts"),
    ("hotline", Role.HOTLINE_OPERATOR, [], ""),
    ("tipofficer", Role.TIP_OFFICER, [], ""),
    ("rationclerk", Role.RATION_CLERK, ["بغداد"], ""),
    ("rationplanner", Role.RATION_PLANNER, [], ""),
    ("agent", Role.RATION_AGENT, [], ""),
    ("citizen", Role.HOUSEHOLD_HEAD, [], ""),
    ("damaan", Role.DAMAAN_OFFICER, [], ""),
    ("employer", Role.EMPLOYER, [], ""),
    ("worker", Role.INSURED_WORKER, [], ""),
    ("surveymanager", Role.SURVEY_MANAGER, [], ""),
    ("supervisor", Role.FIELD_SUPERVISOR, ["بغداد"], ""),
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    password: str
    governorates: tuple[str, ...]


def create_demo_users(password: str | None = None) -> list[DemoUser]:
    """Create (or reset) the demo users; each gets ``password`` or a new random one. Returns them all."""
    made = []
    with transaction.atomic():
        for username, role, governorates, agency in DEMO_USERS:
            user = User.objects.filter(username=username).first() or User(username=username)
            user.role, user.governorates, user.agency = role, governorates, agency
            user.is_active = True
            user.is_staff = user.is_superuser = role == Role.ADMINISTRATOR
            secret = password or secrets.token_urlsafe(9)
            user.set_password(secret)
            user.save()
            made.append(DemoUser(username, role, secret, tuple(governorates)))
    return made
