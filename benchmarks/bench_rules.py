"""Evaluating every rule in force over one cycle's hits for a registry of a million persons.

Builds, in a temporary SQLite database, a registry of ``--persons`` persons in households of five with one
enrolment each, and a cycle with ``--hits`` usable hits spread over the nine agencies the rules read, whose
payloads are written as the agencies write them (day-first dates, amounts with separators, Arabic-Indic
digits now and then). Rows are inserted in bulk with plain SQL (setting up is not what is measured). Then
times ``evaluate_cycle``: reading hits and registry facts, running the rules, writing findings, and grouping
them into cases, and prints each figure.

    .venv/bin/python benchmarks/bench_rules.py [--persons 1000000] [--hits 200000] [--seed 8]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import tempfile
import time
from pathlib import Path

GOVERNORATES = ("بغداد", "البصرة", "نينوى", "أربيل", "النجف", "كربلاء", "ذي قار", "بابل", "الأنبار", "ديالى")
CATEGORIES = ("أرملة", "مطلقة", "أيتام", "ذوو إعاقة", "كبار السن", "أسرة فقيرة")
RELATIONS = ("head", "spouse", "son", "daughter", "son")
LICENCES = ("محطة تعبئة وقود أهلية", "مستودع غاز أهلي", "مولدة أهلية")
AS_OF = dt.date(2025, 6, 30)
ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days))


def written(d: dt.date, rng: random.Random) -> str:
    text = f"{d.day:02d}/{d.month:02d}/{d.year}" if rng.random() < 0.7 else d.isoformat()
    return text.translate(ARABIC_DIGITS) if rng.random() < 0.1 else text


def payload(agency: str, rng: random.Random) -> dict:
    """One agency record as its payload columns hold it (the `linkage` section of sijill/agencies/<agency>.yaml)."""
    when = written(day(rng, dt.date(2012, 1, 1), AS_OF), rng)
    money = lambda lo, hi: f"{rng.randrange(lo, hi):,}"  # noqa: E731
    return {
        "courts": lambda: {"رقم العقد": f"2023/{rng.randrange(9999)}", "صفة الطرف": rng.choice(["الزوج", "الزوجة"]),
                           "تاريخ العقد": when, "المحكمة": "محكمة الأحوال الشخصية في الكرخ"},
        "deaths": lambda: {"تاريخ الوفاة": when, "رقم شهادة الوفاة": str(rng.randrange(10 ** 7))},
        "travel": lambda: {"تاريخ المغادرة": when, "تاريخ العودة": rng.choice([None, written(AS_OF, rng)]),
                           "المنفذ": "مطار بغداد الدولي"},
        "loans": lambda: {"bank": "Rafidain Bank", "loan_no": str(rng.randrange(10 ** 8)),
                          "loan_amount_iqd": money(1_000_000, 60_000_000), "loan_date": when},
        "licences": lambda: {"نوع الإجازة": rng.choice(LICENCES), "الجهة المانحة": "وزارة النفط",
                             "رقم الإجازة": str(rng.randrange(10 ** 5)), "تاريخ الإصدار": when},
        "payroll": lambda: {"الوزارة": "وزارة التربية", "الرقم الوظيفي": str(rng.randrange(10 ** 7)),
                            "الراتب الاسمي": money(300_000, 2_000_000), "تاريخ التعيين": when},
        "pensions": lambda: {"الرقم التقاعدي": str(rng.randrange(10 ** 6)), "نوع الراتب": "راتب تقاعدي",
                             "الراتب الشهري": money(200_000, 1_500_000), "تاريخ الاستحقاق": when},
        "insured": lambda: {"صاحب العمل": "شركة أهلية", "رقم الضمان": str(rng.randrange(10 ** 7)),
                            "الأجر الشهري": money(300_000, 1_500_000), "تاريخ الشمول": when},
        "vehicles": lambda: {"رقم اللوحة": "بغداد أ 12345", "نوع المركبة": "Toyota Corolla",
                             "سنة الصنع": str(rng.randrange(1995, 2026)), "تاريخ التسجيل": when},
    }[agency]()


def build(persons: int, hits: int, seed: int) -> object:
    """The registry and the cycle, inserted with plain SQL in large batches. Returns the cycle."""
    from django.db import connection, transaction
    from django.utils import timezone

    from sijill.exchange.models import Agency, Cycle, Run
    from sijill.exchange.seed import seed_agencies
    from sijill.registry.models import Programme

    rng = random.Random(seed)
    now = timezone.now().isoformat()
    seed_agencies()
    programme = Programme.objects.create(code="SPN", name_ar="إعانة شبكة الحماية الاجتماعية")
    households = persons // 5
    with transaction.atomic(), connection.cursor() as cur:
        enrolled = [day(rng, dt.date(2015, 1, 1), dt.date(2025, 1, 1)) for _ in range(households)]
        cur.executemany(
            "INSERT INTO registry_household (id, household_id, governorate, district, category, enrolled_on, "
            "created_at, updated_at) VALUES (%s, %s, %s, '', %s, %s, %s, %s)",
            [(h + 1, f"HH-{h + 1:07d}", rng.choice(GOVERNORATES), rng.choice(CATEGORIES), enrolled[h], now, now)
             for h in range(households)])
        cur.executemany(
            "INSERT INTO registry_person (id, record_id, full_name, given, father, grandfather, surname, mother, "
            "birth_precision, sex, governorate, district, given_key, father_key, grandfather_key, surname_key, "
            "mother_key, given_skel, father_skel, grandfather_skel, keys_version, created_at, updated_at) VALUES "
            "(%s, %s, '', 'محمد', 'علي', 'حسين', '', '', 'day', %s, %s, '', '', '', '', '', '', '', '', '', '', "
            "%s, %s)",
            [(p + 1, f"REG-{p + 1:08d}", "F" if p % 5 in (1, 3) else "M", GOVERNORATES[p % len(GOVERNORATES)],
              now, now) for p in range(persons)])
        cur.executemany("INSERT INTO registry_membership (id, household_id, person_id, relation) "
                        "VALUES (%s, %s, %s, %s)",
                        [(p + 1, p // 5 + 1, p + 1, RELATIONS[p % 5]) for p in range(households * 5)])
        cur.executemany(
            "INSERT INTO registry_enrolment (id, enrolment_id, household_id, programme_id, status, status_reason, "
            "start_date, end_date, monthly_amount_iqd) VALUES (%s, %s, %s, %s, 'active', '', %s, %s, %s)",
            [(h + 1, f"ENR-{h + 1:07d}", h + 1, programme.pk, enrolled[h],
              day(rng, dt.date(2020, 1, 1), AS_OF) if rng.random() < 0.04 else None, 125_000 + 50_000 * 4)
             for h in range(households)])
        cycle = Cycle.objects.create(code="bench")
        run = Run.objects.create(cycle=cycle)
        agencies = {a.code: a.pk for a in Agency.objects.all()}
        codes = ("courts", "deaths", "travel", "loans", "licences", "payroll", "pensions", "insured", "vehicles")
        cur.executemany(
            "INSERT INTO exchange_hit (run_id, cycle_id, person_id, agency_id, partner_record_id, match_class, "
            "probability, match_weight, explanation, payload, review, review_note, created_at) VALUES "
            "(%s, %s, %s, %s, %s, 'exact', 1.0, 20.0, '[]', %s, 'not_needed', '', %s)",
            [(run.pk, cycle.pk, rng.randrange(persons) + 1, agencies[a], f"{a}-{i}",
              json.dumps(payload(a, rng), ensure_ascii=False), now)
             for i, a in enumerate(rng.choice(codes) for _ in range(hits))])
    return cycle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000, help="persons in the registry")
    parser.add_argument("--hits", type=int, default=200_000, help="usable hits in the cycle")
    parser.add_argument("--seed", type=int, default=8, help="random seed")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="sijill-bench-rules-"))
    os.environ["SIJILL_DATA_DIR"] = str(folder)
    os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    from sijill.web.bootstrap import setup

    setup()
    from django.core.management import call_command

    from sijill.eligibility import evaluate

    call_command("migrate", interactive=False, verbosity=0)
    started = time.perf_counter()
    cycle = build(args.persons, args.hits, args.seed)
    print(f"setup: {args.persons:,} persons, {args.persons // 5:,} households and enrolments, {args.hits:,} hits "
          f"in {time.perf_counter() - started:.0f} s")

    specs = [evaluate.RuleSpec.of(r) for r in evaluate.in_force()]
    started = time.perf_counter()
    raising = evaluate.raise_findings(specs, cycle, AS_OF)
    print(f"rules only (read hits and registry facts, evaluate, no writes): {len(raising.raised):,} findings "
          f"from {raising.hits_read:,} hits in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    result = evaluate.evaluate_cycle(cycle, actor="bench", as_of=AS_OF)
    total = time.perf_counter() - started
    print(f"evaluate_cycle (rules, findings written, cases opened): {result.created:,} findings, "
          f"{result.cases_opened:,} cases in {total:.1f} s")
    for code, n in sorted(result.raised.items()):
        print(f"  {code}: {n:,}")
    started = time.perf_counter()
    again = evaluate.evaluate_cycle(cycle, actor="bench", as_of=AS_OF)
    print(f"again (idempotent): {again.created} new findings, {again.already:,} seen, "
          f"{time.perf_counter() - started:.1f} s")
    print(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
