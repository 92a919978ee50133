"""The registry's tables and their rules, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import DATA, make_user
from django.db import IntegrityError, transaction

from sijill.audit.models import AuditEntry
from sijill.registry import services
from sijill.registry.importing.service import import_file
from sijill.registry.models import (
    DuplicatePair,
    Enrolment,
    Household,
    Membership,
    Payment,
    Person,
    Programme,
)

pytestmark = pytest.mark.django_db(databases="__all__")

# clear name parts as a clerk typed them -> the keys stored beside them
KEYS = [
    (("أحمد", "عبد الكريم", "جاسم", "آل بو عامر"), ("احمد", "عبدالكريم", "جاسم", "عامر")),
    (("فاطمة", "محمد", "", ""), ("فاطمه", "محمد", "", "")),
    (("حمودي", "علي", "حسين", "الجبوري"), ("محمد", "علي", "حسين", "جبوري")),  # nickname
    (("Mohammed", "Ali", "", "Al-Jubouri"), ("محمد", "علي", "", "جبوري")),  # Latin script
]


@pytest.mark.parametrize(("parts", "keys"), KEYS)
def test_a_person_keeps_clear_values_and_identity_keys(backend, parts, keys):
    given, father, grandfather, surname = parts
    p = Person.objects.create(record_id="R1", given=given, father=father, grandfather=grandfather, surname=surname,
                              birth_date=dt.date(1985, 3, 2), birth_precision="day")
    p.refresh_from_db()
    assert (p.given, p.father) == (given, father)
    assert (p.given_key, p.father_key, p.grandfather_key, p.surname_key) == keys
    assert p.given_skel and p.birth_year == 1985 and p.keys_version.startswith("1.0+")


def test_one_household_per_person(backend):
    hh1, hh2 = Household.objects.create(household_id="H1"), Household.objects.create(household_id="H2")
    p = Person.objects.create(record_id="R1", given="علي")
    Membership.objects.create(household=hh1, person=p, relation="head")
    with pytest.raises(IntegrityError), transaction.atomic(using=backend):
        Membership.objects.create(household=hh2, person=p)


def test_one_payment_a_month_and_an_ordered_pair(backend):
    hh = Household.objects.create(household_id="H1")
    spn = Programme.objects.create(code="SPN", name_ar="إعانة")
    enrolment = Enrolment.objects.create(enrolment_id="E1", household=hh, programme=spn, monthly_amount_iqd=125_000)
    Payment.objects.create(enrolment=enrolment, month=dt.date(2024, 1, 1), amount_iqd=125_000)
    with pytest.raises(IntegrityError), transaction.atomic(using=backend):
        Payment.objects.create(enrolment=enrolment, month=dt.date(2024, 1, 1), amount_iqd=1)
    a, b = Person.objects.create(record_id="A", given="علي"), Person.objects.create(record_id="B", given="علي")
    DuplicatePair.objects.create(person_a=a, person_b=b)
    for first, second in ((a, b), (b, a)):
        with pytest.raises(IntegrityError), transaction.atomic(using=backend):
            DuplicatePair.objects.create(person_a=first, person_b=second)


def test_a_review_decision_is_kept_and_audited(backend):
    import_file(DATA / "members.csv", "members")
    a, b = Person.objects.get(record_id="REG-1"), Person.objects.get(record_id="REG-3")
    pair = DuplicatePair.objects.create(person_a=a, person_b=b, score=0.61, match_class="review",
                                        explanation={"given": "different", "father": "agree"})
    reviewer = make_user("caseworker", governorates=["بغداد"])
    services.decide_pair(pair, reviewer, "different", "father and son", None)
    pair.refresh_from_db()
    assert (pair.status, pair.decided_by_id, pair.note) == ("different", reviewer.pk, "father and son")
    entry = AuditEntry.objects.get(action="decision")
    assert entry.details_dict["records"] == ["REG-1", "REG-3"] and entry.details_dict["previous"] == "pending"
    with pytest.raises(ValueError):
        services.decide_pair(pair, reviewer, "pending", "", None)


def test_the_overview_adds_up(backend):
    for schema in ("members", "households", "enrolments"):
        import_file(DATA / f"{schema}.csv", schema)
    figures = services.overview()
    by_gov = {r["governorate"]: r for r in figures["rows"]}
    assert by_gov["بغداد"]["persons"] == 4 and by_gov["بغداد"]["active"] == 1
    assert by_gov["بغداد"]["monthly_iqd"] == 275_000
    assert by_gov["نينوى"]["stopped"] == 1
    assert figures["totals"]["persons"] == Person.objects.count() == 9
    assert {p["programme__code"] for p in figures["programmes"]} == {"SPN", "DIS"}
