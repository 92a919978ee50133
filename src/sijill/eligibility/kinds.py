"""What each kind of rule concludes from one hit's payload and the beneficiary's registry facts.

A kind is a small function: it reads the parameters of a rule version, returns ``None`` (nothing found) or
a ``Raised`` with the date the beneficiary became ineligible and the facts it relied on. Kinds never write.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from .values import amount_of, date_of, same_text


@dataclass(frozen=True, slots=True)
class Subject:
    """The registry's facts about a beneficiary: household, main enrolment (the household's first)."""

    person_id: int
    household_id: int
    relation: str
    enrolled_on: dt.date | None
    category: str
    governorate: str
    enrolment_id: int
    programme: str
    amount_iqd: int
    end_date: dt.date | None
    members: int = 1


@dataclass(frozen=True, slots=True)
class Raised:
    person_id: int
    enrolment_id: int
    effective: dt.date
    monthly_iqd: int
    details: dict = field(default_factory=dict)
    hit_id: int | None = None


def _in_force(effective: dt.date, subject: Subject, as_of: dt.date) -> bool:
    """Nothing to recover before the enrolment ended or after the evaluation day."""
    return effective <= as_of and (subject.end_date is None or effective < subject.end_date)


def _start(subject: Subject) -> dt.date:
    return subject.enrolled_on or dt.date.min


def _matches(params: dict, payload: dict, subject: Subject, as_of: dt.date) -> bool:
    for name, allowed in (params.get("field_values") or {}).items():
        if same_text(payload.get(name)) not in {same_text(v) for v in allowed}:
            return False
    categories = params.get("household_categories")
    if categories and same_text(subject.category) not in {same_text(c) for c in categories}:
        return False
    if params.get("head_only") and subject.relation != "head":
        return False
    if params.get("amount_field"):
        value = amount_of(payload.get(params["amount_field"]))
        if value is None or value < int(params.get("min_amount_iqd") or 0):
            return False
    if params.get("model_year_field"):
        year = amount_of(payload.get(params["model_year_field"]))
        if year is None or year < as_of.year - int(params.get("max_vehicle_age_years") or 0):
            return False
    return True


def _used(params: dict, payload: dict) -> dict:
    """The payload fields the rule read, as the agency wrote them (shown in the notice)."""
    names = [params.get(k) for k in ("date_field", "amount_field", "model_year_field", "exit_field", "return_field")]
    names += list(params.get("field_values") or {})
    return {n: payload.get(n) for n in names if n}


def record(params: dict, payload: dict, subject: Subject, as_of: dt.date) -> Raised | None:
    """One partner record makes the beneficiary ineligible from its date (or from enrolment if it lasts)."""
    when = date_of(payload.get(params["date_field"]))
    if when is None or not _matches(params, payload, subject, as_of):
        return None
    if params.get("lasting"):
        effective = max(when, _start(subject))
    elif when < _start(subject):
        return None
    else:
        effective = when
    if not _in_force(effective, subject, as_of):
        return None
    return Raised(subject.person_id, subject.enrolment_id, effective, subject.amount_iqd, _used(params, payload))


def monthly_amount(programmes: dict, programme: str, members: int, current: int) -> int:
    """The household's amount with ``members`` members by the programme's formula (see rules.yaml)."""
    formula = programmes.get(programme)
    if formula is None:
        return current * members // (members + 1) if members > 0 else 0
    if members <= 0:
        return 0
    counted = min(members, int(formula["max_members"]))
    return int(formula["base_iqd"]) + int(formula["per_member_iqd"]) * (counted - 1)


def member_share(programmes: dict, subject: Subject) -> int:
    """What the household's amount loses without one member (never more than it receives)."""
    after = monthly_amount(programmes, subject.programme, subject.members - 1, subject.amount_iqd)
    return max(0, min(subject.amount_iqd, subject.amount_iqd - after))


def death(params: dict, payload: dict, subject: Subject, as_of: dt.date) -> Raised | None:
    """The deceased's share stops from the date of death; the household keeps the rest."""
    raised = record(params, payload, subject, as_of)
    if raised is None:
        return None
    share = member_share(params.get("programmes") or {}, subject)
    details = {**raised.details, "members_before": subject.members,
               "amount_after_iqd": subject.amount_iqd - share}
    return Raised(raised.person_id, raised.enrolment_id, raised.effective, share, details)


def abroad(params: dict, payload: dict, subject: Subject, as_of: dt.date) -> Raised | None:
    """Left the country after enrolment and stayed away longer than ``days`` (not back by ``as_of``)."""
    left = date_of(payload.get(params["exit_field"]))
    if left is None or left < _start(subject):
        return None
    back = date_of(payload.get(params["return_field"]))
    until = back if back is not None and back <= as_of else as_of
    days = int(params["days"])
    if (until - left).days <= days:
        return None
    effective = left + dt.timedelta(days=days)
    if not _in_force(effective, subject, as_of):
        return None
    return Raised(subject.person_id, subject.enrolment_id, effective, subject.amount_iqd, _used(params, payload))


KINDS: dict[str, Callable[[dict, dict, Subject, dt.date], Raised | None]] = {
    "record": record,
    "death": death,
    "abroad": abroad,
}
HIT_KINDS = frozenset(KINDS)
REGISTRY_KINDS = frozenset({"duplicate"})  # read registry facts only (see duplicates.py)
