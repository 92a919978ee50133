"""A small registry and a cycle's hits, built in the database by hand, shared by the eligibility and case
tests (the end-to-end test builds its world through the real chain instead)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

AS_OF = dt.date(2025, 6, 30)


@dataclass
class World:
    cycle: object
    widow: object  # head of a widow's household in Baghdad, remarried on 2023-03-15
    son: object  # her son, died on 2024-01-10
    basra_head: object  # a Basra head with a large loan on 2024-02-01
    enrolment: object  # the widow's household's SPN enrolment, 225,000 IQD a month
    basra_enrolment: object


def months(first: dt.date, last: dt.date):
    day = first
    while day <= last:
        yield day
        day = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def household(code: str, governorate: str, category: str, enrolled: dt.date, members: list[tuple[str, str, str]],
              amount: int):
    from sijill.registry.models import Enrolment, Household, Membership, Payment, Person, Programme

    programme, _ = Programme.objects.get_or_create(code="SPN", defaults={"name_ar": "إعانة شبكة الحماية"})
    home = Household.objects.create(household_id=code, governorate=governorate, category=category,
                                     enrolled_on=enrolled)
    people = []
    for record_id, given, relation in members:
        person = Person.objects.create(record_id=record_id, given=given, father="علي", grandfather="حسين",
                                       governorate=governorate, birth_date=dt.date(1980, 1, 1))
        Membership.objects.create(household=home, person=person, relation=relation)
        people.append(person)
    enrolment = Enrolment.objects.create(enrolment_id=f"ENR-{code}", household=home, programme=programme,
                                         start_date=enrolled, monthly_amount_iqd=amount)
    Payment.objects.bulk_create(Payment(enrolment=enrolment, month=m, amount_iqd=amount)
                                for m in months(dt.date(enrolled.year, enrolled.month, 1), dt.date(2025, 6, 1))
                                if m > enrolled)
    return people, enrolment


def hit(run, person, agency: str, record: str, payload: dict, review: str = "not_needed"):
    from sijill.exchange.models import Agency, Hit

    return Hit.objects.create(run=run, cycle=run.cycle, person=person, agency=Agency.objects.get(code=agency),
                              partner_record_id=record, match_class="exact" if review == "not_needed" else "review",
                              probability=1.0, match_weight=20.0, payload=payload, review=review)


@pytest.fixture(name="world")
def world_fixture(db) -> World:
    from sijill.exchange.models import Cycle, Run
    from sijill.exchange.seed import seed_agencies

    seed_agencies()
    (widow, son, _daughter), enrolment = household(
        "HH-B1", "بغداد", "أرملة", dt.date(2020, 1, 1),
        [("REG-B1", "زينب", "head"), ("REG-B2", "حسن", "son"), ("REG-B3", "فاطمة", "daughter")], 225_000)
    (basra_head, _), basra_enrolment = household(
        "HH-S1", "البصرة", "أسرة فقيرة", dt.date(2019, 5, 1),
        [("REG-S1", "أحمد", "head"), ("REG-S2", "سارة", "spouse")], 175_000)
    cycle = Cycle.objects.create(code="2025-06")
    run = Run.objects.create(cycle=cycle)
    hit(run, widow, "courts", "SJC-1", {"رقم العقد": "2023/77", "صفة الطرف": "الزوجة", "تاريخ العقد": "15/03/2023",
                                        "المحكمة": "محكمة الأحوال الشخصية في الكرخ"})
    hit(run, son, "deaths", "MOI-D-1", {"تاريخ الوفاة": "10 كانون الثاني 2024", "رقم شهادة الوفاة": "1000001"})
    hit(run, basra_head, "loans", "BNK-1", {"bank": "Rafidain", "loan_no": "4001", "loan_amount_iqd": "25,000,000",
                                            "loan_date": "2024-02-01"})
    return World(cycle, widow, son, basra_head, enrolment, basra_enrolment)
