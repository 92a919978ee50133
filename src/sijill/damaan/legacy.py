"""Taking over the old system's schedule of insured workers (one row per worker: name chain, mother, birth date,
national ID, governorate, sex, employer, wage, date insured): establishments approved as they stood, workers
registered through the identity layer (duplicates flagged; a worker the old system holds without a national ID
is taken over without one, counted for the directorate to complete), spells opened, and the last month's wages loaded as
declarations for the monthly run to assess. Bad rows are reported with row and field; good rows are kept;
loading the same file again creates nothing twice."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from sijill import identity
from sijill.tabular import ROW, read_batches

from . import contributions as c
from .declarations import amount
from .models import Declaration, DeclarationLine, Employment, Establishment, EstablishmentState, Sector
from .registration import PersonDetails, _new_number, find_or_register

COLUMNS = {"full_name": "الاسم الرباعي", "mother": "اسم الام", "birth_date": "تاريخ الميلاد",
           "national_id": "رقم البطاقة الوطنية", "governorate": "المحافظة", "sex": "الجنس",
           "employer": "صاحب العمل", "wage": "الأجر الشهري", "since": "تاريخ الشمول"}


@dataclass
class Loaded:
    rows: int = 0
    workers: int = 0
    without_id: int = 0  # taken over without a national ID, for the directorate to complete
    establishments: int = 0
    declarations: int = 0
    problems: list[tuple[int, str, str]] = field(default_factory=list)


def _establishment(name: str, governorate: str, made: Loaded) -> Establishment:
    est = Establishment.objects.filter(name=name, registration_no__startswith="OLD-").first()
    if est is None:
        est = Establishment.objects.create(
            number=_new_number(Establishment, "E", 9), name=name, employer=name, sector=Sector.PRIVATE,
            activity="—", governorate=governorate, address="—",
            registration_no=f"OLD-{_new_number(Establishment, '', 8)}",
            state=EstablishmentState.APPROVED, officer_note="taken over from the old system")
        made.establishments += 1
    return est


def load_schedule(path: Path, month: dt.date, actor: str = "system") -> Loaded:
    """Load the schedule; every worker's wage becomes a line of their establishment's declaration of ``month``."""
    month = c.month_start(month)
    made = Loaded()
    wages: dict[int, dict[int, int]] = defaultdict(dict)
    for batch in read_batches(Path(path)).batches:
        for row in batch.to_pylist():
            made.rows += 1
            number = row[ROW]
            try:
                details, since, wage, employer = _read(row)
            except RowError as e:
                made.problems.append((number, e.field, e.message))
                continue
            with transaction.atomic():
                est = _establishment(employer, details.governorate, made)
                person, new = find_or_register(details, actor=actor)
                made.workers += new
                made.without_id += new and not details.national_id
                if not Employment.objects.filter(insured=person, establishment=est, end__isnull=True).exists():
                    Employment.objects.create(insured=person, establishment=est, start=since, wage=wage)
            if since <= c.add_months(month, 1):
                wages[est.pk][person.pk] = wage
    for est_id, lines in wages.items():
        if Declaration.objects.filter(establishment_id=est_id, month=month).exists():
            continue
        with transaction.atomic():
            declaration = Declaration.objects.create(establishment_id=est_id, month=month, source="upload",
                                                     file_name=Path(path).name)
            DeclarationLine.objects.bulk_create(DeclarationLine(declaration=declaration, insured_id=p, wage=w)
                                                for p, w in lines.items())
        made.declarations += 1
    return made


class RowError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


def _read(row: dict) -> tuple[PersonDetails, dt.date, int, str]:
    """One schedule row, checked field by field (the first bad field is named)."""
    def get(key):
        return row.get(COLUMNS[key])

    chain = identity.parse_name(get("full_name"))
    if not (chain.given and chain.father):
        raise RowError(COLUMNS["full_name"], "the name chain needs at least the given and father's names")
    parts = {"given": chain.given, "father": chain.father, "grandfather": chain.grandfather,
             "surname": chain.surname, "mother": get("mother") or ""}
    for key in ("national_id", "birth_date", "governorate", "sex"):
        try:
            PersonDetails.parse({**parts, "national_id": "100000000009", "birth_date": dt.date(1980, 1, 1),
                                 "governorate": "بغداد", key: get(key)}, id_optional=True)
        except (identity.IdentityError, ValueError) as e:
            raise RowError(COLUMNS[key], str(e)) from e
    details = PersonDetails.parse({**parts, **{k: get(k) for k in ("national_id", "birth_date", "governorate",
                                                                   "sex")}}, id_optional=True)
    try:
        since = identity.parse_date(get("since")).as_date()
    except identity.IdentityError as e:
        raise RowError(COLUMNS["since"], str(e)) from e
    if since is None:
        raise RowError(COLUMNS["since"], "the full date insured is needed")
    try:
        wage = amount(get("wage"))
    except ValueError as e:
        raise RowError(COLUMNS["wage"], str(e)) from e
    employer = (get("employer") or "").strip()
    if not employer:
        raise RowError(COLUMNS["employer"], "empty")
    return details, since, wage, employer
