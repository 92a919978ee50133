"""From a synthetic world to money recovered, through the real chain: each holder encodes, the hub matches,
the registry opens its hits; the rules in force raise findings, cases are verified, decided, and the amount
paid without right is computed from the ledger and recovered. Checked against the world's truth files."""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from field import checklist_answers

from sijill.pprl.format import TrustStore
from sijill.pprl.holder import encode_holders
from sijill.pprl.registry import RegistryKeys, open_hits

AGENCIES = ("courts", "deaths")  # the two rules with their own semantics; each agency costs the hub ~3 s
REASONS = {"remarried": "marriage_contract", "deceased": "death"}
TODAY = dt.date(2025, 6, 30)  # the synthetic world's today (manifest.json)
CASES = 8  # cases taken through to recovery (a notice is a PDF: ~0.2 s each)
SPN = {"base": 125_000, "per_member": 50_000, "max": 6}


@pytest.fixture(scope="module")
def opened(tmp_path_factory):
    """The world's files and the hits the registry opened (no database needed)."""
    from sijill.linkage import match
    from sijill.synth import generate_world

    root = tmp_path_factory.mktemp("e2e")
    world = root / "world"
    generate_world(world, 4000, seed=11)
    files = {"registry": world / "registry" / "members.csv", **{a: world / "agencies" / f"{a}.csv" for a in AGENCIES}}
    packages = encode_holders(root / "cycle", files)
    hits = root / "hits.parquet"
    match(packages["registry"], [packages[a] for a in AGENCIES], hits,
          TrustStore.from_dir(root / "cycle" / "hub" / "trusted"))
    rows = open_hits(hits, RegistryKeys.load(root / "cycle" / "keys" / "registry"),
                          [Path(f"{p}.map.csv") for p in packages.values()],
                          TrustStore.from_dir(root / "cycle" / "keys" / "registry")).rows
    return world, rows


def _csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def expected_from_truth(world: Path, true_hits: dict[tuple[str, str], str]) -> dict[tuple[str, str], dt.date]:
    """(registry record, rule code) -> effective date, for the truth's findings that a correct hit shows
    (``true_hits``: agency and partner record -> the registry record the hit linked)."""
    found = {}
    for row in _csv(world / "truth" / "expected_findings.csv"):
        linked = true_hits.get((row["agency"], row["record_id"]))
        if row["reason"] in REASONS and linked:
            found[(linked, REASONS[row["reason"]])] = dt.date.fromisoformat(row["effective_date"])
    return found


class Ledger:
    """The world's registry files, read once: SPN enrolment and size of each household, and PAID months."""

    def __init__(self, world: Path):
        self.spn = {e["household_id"]: e["enrolment_id"] for e in _csv(world / "registry" / "enrolments.csv")
                    if e["programme"] == "SPN"}
        self.members = defaultdict(int)
        for m in _csv(world / "registry" / "members.csv"):
            self.members[m["رقم الأسرة"]] += 1
        self.paid = defaultdict(list)
        for p in pq.read_table(world / "registry" / "payments.parquet").to_pylist():
            if p["status"] == "paid":
                self.paid[p["enrolment_id"]].append((p["month"], p["amount_iqd"]))


def expected_overpayment(ledger: Ledger, household: str, findings: dict[str, dt.date]) -> int:
    """From the world's files alone: the household's SPN enrolment, its PAID months from the effective date
    (whole months; after a death, one member's share by the programme's formula)."""
    members = ledger.members[household]

    def amount(n: int) -> int:
        return 0 if n <= 0 else SPN["base"] + SPN["per_member"] * (min(n, SPN["max"]) - 1)

    paid = ledger.paid[ledger.spn[household]]
    whole = min((d for code, d in findings.items() if code != "death"), default=None)
    death = findings.get("death")
    total = 0
    for month, value in paid:
        if whole and month >= whole:
            total += value
        elif death and month >= death:
            total += min(value, amount(members) - amount(members - 1))
    return total


@pytest.mark.django_db
def test_from_synthetic_world_to_recovered_amount(opened):
    from conftest import make_user

    from sijill.cases import decisions, notices, recovery, visits, workflow
    from sijill.cases.assignment import assign_open_cases
    from sijill.cases.models import Case, CaseState, EntryKind, Outcome
    from sijill.cycles.orchestrator import evaluate
    from sijill.eligibility.models import Finding
    from sijill.exchange.hits import store_opened_hits
    from sijill.exchange.models import Cycle, Run
    from sijill.exchange.seed import seed_agencies
    from sijill.registry.models import Enrolment, EnrolmentStatus
    from sijill.registry.services import import_registry_folder

    world, rows = opened
    import_registry_folder(world / "registry")
    seed_agencies()
    cycle = Cycle.objects.create(code="2025-06")
    store_opened_hits(Run.objects.create(cycle=cycle), rows)

    result = evaluate(cycle, actor="test", as_of=TODAY)
    assert evaluate(cycle, actor="test", as_of=TODAY).created == 0  # idempotent per cycle

    truth = _csv(world / "truth" / "truth.csv")
    owner = {(t["agency"], t["record_id"]): t["person_id"] for t in truth}
    true_hits = {(r.agency, r.partner_record_id): r.registry_record_id for r in rows
                 if owner.get((r.agency, r.partner_record_id)) == owner.get(("registry", r.registry_record_id))}
    expected = expected_from_truth(world, true_hits)
    raised = {(f.person.record_id, f.rule.code): f.effective_date
              for f in Finding.objects.select_related("person", "rule", "hit__agency")
              if (f.hit.agency.code, f.hit.partner_record_id) in true_hits}
    assert len(expected) >= 10
    assert raised == expected
    assert result.created >= len(expected)
    assert not Enrolment.objects.exclude(status__in=[EnrolmentStatus.ACTIVE, EnrolmentStatus.STOPPED]).exists()

    # Verify, notify, wait for the reply, decide, recover: every case of a correct hit.
    governorates = sorted(set(Case.objects.values_list("governorate", flat=True)))
    researcher = make_user("field_researcher", governorates=governorates)
    worker = make_user("caseworker", governorates=governorates)
    decider = make_user("caseworker", "caseworker-2", governorates=governorates)  # four eyes
    assert assign_open_cases(Case.objects.all(), actor=worker)["unassigned"] == 0
    by_record = defaultdict(dict)
    for (record_id, code), when in expected.items():
        by_record[record_id][code] = when
    checked, ledger, total = 0, Ledger(world), 0
    cases = Case.objects.filter(person__record_id__in=list(by_record)).select_related("person").order_by("pk")
    for case in cases:
        if checked == CASES:
            break
        if case.findings.exclude(hit__isnull=False, hit__partner_record_id__in=[r for _, r in true_hits]).exists():
            continue
        visits.submit(case, researcher, {"observations": "زيارة مفاجئة", "household_present": "true",
                                         "recommendation": Outcome.CONFIRMED, **checklist_answers(case)})
        workflow.propose(case, Outcome.CONFIRMED, actor=worker, reason="ثبتت المخالفة بالزيارة")
        notices.issue_notice(case, actor=worker)
        workflow.response(case, actor=worker, reason="ردّ المستفيد ولم يقدّم ما ينفي", replied=True)
        decisions.decide(case, Outcome.CONFIRMED, actor=decider, reason="قرار اللجنة")
        household = case.findings.first().enrolment.household.household_id
        owed = expected_overpayment(ledger, household, by_record[case.person.record_id])
        recovered = 0
        if owed:
            plan = recovery.set_plan(case.recovery, "instalments", 3, actor=worker)
            for due, amount in recovery.schedule(plan, dt.date(2026, 1, 1)):
                recovery.add_entry(plan, EntryKind.PAYMENT, amount, due, actor=worker)
                recovered += amount
            assert recovery.balance(plan) == 0
        assert recovered == owed, case.person.record_id
        checked, total = checked + 1, total + recovered
        workflow.close(case, actor=worker, reason="استُرد المبلغ")
        assert case.state == CaseState.CLOSED
    assert checked == CASES and total > 0
