"""Loading what the rules read, in a few set-based queries: a cycle's usable hits with their payloads, and
the registry's facts about the beneficiaries behind them (household, main enrolment, number of members)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count

from sijill.exchange.models import Hit, HitReview
from sijill.registry.models import Enrolment, Membership

from .kinds import Subject

USABLE = (HitReview.NOT_NEEDED, HitReview.ACCEPTED)


@dataclass(frozen=True, slots=True)
class HitRow:
    hit_id: int
    person_id: int
    agency: str
    partner_record_id: str
    payload: dict


def usable_hits(cycle, agencies: Iterable[str]) -> list[HitRow]:
    """The cycle's hits the rules may read: exact and probable, and review hits a person accepted."""
    rows = (Hit.objects.filter(cycle=cycle, agency__code__in=list(agencies), review__in=USABLE)
            .values_list("pk", "person_id", "agency__code", "partner_record_id", "payload").order_by("pk"))
    return [HitRow(*row) for row in rows.iterator(chunk_size=20_000)]


def subjects(person_ids: set[int]) -> dict[int, Subject]:
    """person id -> registry facts, for the beneficiaries among ``person_ids``."""
    homes = {}
    for chunk in _chunks(person_ids):
        rows = Membership.objects.filter(person_id__in=chunk).values_list(
            "person_id", "household_id", "relation", "household__enrolled_on", "household__category",
            "household__governorate", "person__governorate")
        for person, household, relation, enrolled, category, governorate, own in rows:
            homes[person] = (household, relation, enrolled, category, governorate or own)
    households = {h for h, *_ in homes.values()}
    main = _main_enrolments(households)
    sizes = _sizes(households)
    found = {}
    for person_id, (household, relation, enrolled, category, governorate) in homes.items():
        enrolment = main.get(household)
        if enrolment is None:
            continue  # a listed member of a household with no enrolment is not a beneficiary
        pk, programme, amount, start, end = enrolment
        found[person_id] = Subject(person_id, household, relation, enrolled or start, category or "",
                                   governorate or "", pk, programme, amount, end, sizes.get(household, 1))
    return found


def _chunks(values: set[int], size: int = 10_000):
    ordered = sorted(values)
    for i in range(0, len(ordered), size):
        yield ordered[i:i + size]


def _main_enrolments(households: set[int]) -> dict[int, tuple]:
    """The household's first enrolment (its main programme), by start date then number."""
    main: dict[int, tuple] = {}
    for chunk in _chunks(households):
        rows = (Enrolment.objects.filter(household_id__in=chunk)
                .order_by("household_id", "start_date", "pk")
                .values_list("household_id", "pk", "programme__code", "monthly_amount_iqd", "start_date", "end_date"))
        for household, *rest in rows:
            main.setdefault(household, tuple(rest))
    return main


def _sizes(households: set[int]) -> dict[int, int]:
    sizes: dict[int, int] = {}
    for chunk in _chunks(households):
        sizes.update(Membership.objects.filter(household_id__in=chunk).values_list("household_id")
                     .annotate(n=Count("id")).order_by().values_list("household_id", "n"))
    return sizes
