"""A cycle's run also looks for persons enrolled twice (the hub's --dedupe over the registry's package): the pairs
land in the registry's duplicate review, are checked against the world's truth, are stored once across runs
with their decisions kept, and a pair decided "same person" raises the "enrolled twice" finding."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from test_exchange_cycle import _cycle_with_packages, data_dir  # noqa: F401 - the `data_dir` fixture, used below

from sijill.common.explain import explain
from sijill.cycles import orchestrator
from sijill.cycles.orchestrator import evaluate
from sijill.demo.holders import encode_as_holders, world_files
from sijill.eligibility.models import Finding
from sijill.exchange import cycles, runs, storage
from sijill.exchange.models import Agency, Hit, Run, RunState
from sijill.exchange.uploads import receive_package
from sijill.registry.models import DuplicatePair, PairStatus
from sijill.registry.services import decide_pair
from sijill.synth.config import SynthConfig

# Measured on this world (2,000 persons, seed 11, 5 % of the 289 members enrolled twice: 12 pairs): the run
# stores 9 pairs, all 9 true (6 exact, 2 probable, 1 review); the 3 left out have no national ID on the second
# record and name parts misspelt or dropped (two of them a birth date a year off too), and a registry this small
# gives the model little to learn from (on 100,000 persons the hub finds 88 %: docs/benchmarks.md). One pair of
# slack for the next cycle's keys.
MIN_FOUND = 0.65
pytestmark = pytest.mark.usefixtures("data_dir")  # SIJILL_DATA_DIR in the test's folder, as test_exchange_cycle


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A small world with more double enrolments than the default 0.5 % (two pairs at this size), so that the
    share found means something."""
    from sijill.synth import generate_world

    folder = tmp_path_factory.mktemp("world")
    generate_world(folder, 2000, 11, SynthConfig(duplicate_enrolments=0.05))
    return folder


def _run(cycle, analyst) -> Run:
    run = orchestrator.start_run(cycle, user=analyst)
    call_command("db_worker", batch=True, startup_delay=False, interval=0, verbosity=0)
    run.refresh_from_db()
    assert run.state == RunState.SUCCEEDED, run.error
    return run


def _truth_pairs(world: Path) -> set[frozenset[str]]:
    with open(world / "truth" / "duplicates.csv", encoding="utf-8", newline="") as f:
        return {frozenset((d["record_id"], d["duplicate_record_id"])) for d in csv.DictReader(f)}


def _next_cycle(cycle, world: Path, workdir: Path):
    """The next cycle: the registry's new secret, the courts join it with their key folder and upload again
    (the registry's members are encoded again by the run)."""
    cycles.close_cycle(cycle)
    cycle = cycles.open_cycle()
    files = {"courts": world_files(world)["courts"]}
    shipped = encode_as_holders(files, storage.registry_keys_dir(), workdir)
    courts = Agency.objects.get(code="courts")
    with open(shipped["courts"].archive, "rb") as f:
        receive_package(f, agency=courts, user=None)
    return cycle


@pytest.mark.django_db
def test_a_run_fills_the_duplicate_review_once_and_a_decided_pair_raises_a_finding(world, tmp_path, client):
    cycle, analyst = _cycle_with_packages(world, tmp_path / "holders", partners=("courts",))
    run = _run(cycle, analyst)

    # the dedupe is a stage of the run: its counts are in the run log, its output beside the hits
    dedupe = run.log["dedupe"]
    pairs = list(DuplicatePair.objects.select_related("person_a", "person_b"))
    assert dedupe["found"] == dedupe["new"] == len(pairs) > 0 and dedupe["known"] == 0
    assert dedupe["exact"] + dedupe["probable"] + dedupe["review"] >= len(pairs)
    assert (storage.run_dir(cycle.code, run.pk) / runs.DUPLICATES).is_file()
    assert Hit.objects.filter(run=run, agency__code="courts").exists(), "the partners' hits are stored as before"

    # every pair waits for a person, whatever its class; ordered, explained, found by this cycle
    assert {p.status for p in pairs} == {PairStatus.PENDING}
    assert {p.match_class for p in pairs} <= {"exact", "probable", "review"}
    assert all(p.person_a_id < p.person_b_id and p.source == cycle.code for p in pairs)
    assert all(p.explanation and {"field", "level"} <= set(p.explanation[0]) for p in pairs)
    assert all(0 < p.score <= 1 for p in pairs)

    # the truth's double enrolments are among them
    truth = _truth_pairs(world)
    stored = {frozenset((p.person_a.record_id, p.person_b.record_id)): p for p in pairs}
    found = [stored[t] for t in truth if t in stored]
    assert len(truth) >= 10 and len(found) >= MIN_FOUND * len(truth), (len(found), len(truth))

    # the reviewer sees the pair explained in plain Arabic
    true_pair = max(found, key=lambda p: p.score)
    client.force_login(analyst)
    page = client.get(reverse("registry:pair", args=[true_pair.pk])).content.decode()
    sentences = explain(true_pair.explanation, "ar")
    assert sentences and all(s in page for s in sentences)
    assert "given_name" not in page and cycle.code in page

    # decided "same person"; the next cycle's run finds the pairs again and stores none twice
    decide_pair(true_pair, analyst, PairStatus.SAME, "the same woman, enrolled again in 2024")
    before = {p.pk: (p.person_a_id, p.person_b_id) for p in DuplicatePair.objects.all()}
    second = _next_cycle(cycle, world, tmp_path / "holders")
    again = _run(second, analyst).log["dedupe"]
    after = DuplicatePair.objects.all()
    assert again["known"] > 0 and after.count() == len(before) + again["new"]
    assert len({(p.person_a_id, p.person_b_id) for p in after}) == after.count()
    true_pair.refresh_from_db()
    assert true_pair.status == PairStatus.SAME and true_pair.note.startswith("the same woman")
    assert true_pair.source == cycle.code and true_pair.decided_by == analyst
    assert DuplicatePair.objects.exclude(pk=true_pair.pk).filter(status=PairStatus.SAME).count() == 0

    # the decided pair, and only it, raises the "enrolled twice" finding
    evaluate(second, actor="test", as_of=SynthConfig().today)
    findings = list(Finding.objects.filter(rule__code="duplicate"))
    assert len(findings) == 1 and findings[0].details["pair"] == true_pair.pk
    assert findings[0].person_id in (true_pair.person_a_id, true_pair.person_b_id)


@pytest.mark.django_db
def test_a_run_that_fails_in_the_dedupe_stores_no_pair_and_no_hit(world, tmp_path, monkeypatch):
    cycle, analyst = _cycle_with_packages(world, tmp_path / "holders", partners=("courts",))
    from sijill.linkage import run as hub_run

    real_pair = hub_run._match_pair

    def dedupe_crashes(engine, reg, par, agency, thresholds, alone, *args, **kwargs):
        if alone:  # the registry matched with itself, after the partners, in the same hub run
            raise MemoryError("out of memory in the dedupe")
        return real_pair(engine, reg, par, agency, thresholds, alone, *args, **kwargs)

    monkeypatch.setattr(hub_run, "_match_pair", dedupe_crashes)
    run = orchestrator.start_run(cycle, user=analyst)
    orchestrator.execute_run(run.pk)
    run.refresh_from_db()
    assert run.state == RunState.FAILED and "dedupe" in run.error
    assert not DuplicatePair.objects.exists() and not Hit.objects.exists()
