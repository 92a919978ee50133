"""A whole matching cycle through the web system's code: a synthetic world, each holder encoding with its own
keys, uploads checked by ``receive_package``, the run done by the real database task worker, hits stored
against the registry's persons, checked against the world's truth. And a worker that dies mid-run."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
from conftest import make_user
from django.core.management import call_command

from sijill.cycles import orchestrator
from sijill.demo.holders import encode_as_holders, world_files
from sijill.eligibility.models import Finding
from sijill.exchange import cycles, runs, trust
from sijill.exchange.models import Agency, Cycle, CycleState, Hit, HitReview, Package, PackageStatus, Run, RunState
from sijill.exchange.seed import seed_agencies
from sijill.exchange.uploads import receive_package
from sijill.registry.models import Person
from sijill.registry.services import import_registry_folder

PARTNERS = ("courts", "vehicles")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from sijill.synth import generate_world

    folder = tmp_path_factory.mktemp("world")
    generate_world(folder, 2000, 11)
    return folder


@pytest.fixture
def data_dir(settings, tmp_path, monkeypatch):
    settings.DATA_DIR = tmp_path / "var"
    # the test's transaction holds SQLite's write lock, which the heartbeat thread's own connection would wait
    # for: here the run beats only from the worker's thread, at each stage of the hub
    monkeypatch.setattr(runs, "HEARTBEAT_SECONDS", 3600)
    return settings.DATA_DIR


def _cycle_with_packages(world: Path, workdir: Path, partners=PARTNERS):
    """The registry imported, the partners seeded with their keys registered, their packages uploaded (the
    registry's own is encoded from its members by the run)."""
    import_registry_folder(world / "registry")
    seed_agencies()
    cycle = cycles.open_cycle()
    analyst = make_user("analyst")
    files = {k: v for k, v in world_files(world).items() if k in partners}
    shipped = encode_as_holders(files, cycles.storage.registry_keys_dir(), workdir)
    for holder, s in shipped.items():
        agency = Agency.objects.get(code=holder) if holder != "registry" else None
        user = analyst
        if agency:
            trust.register_key(agency, s.public_key.read_text(encoding="utf-8"))
            user = make_user("agency_data_officer", f"officer-{holder}", agency=holder)
        with open(s.archive, "rb") as f:
            receive_package(f, agency=agency, user=user)
    return cycle, analyst


def _truth(world: Path) -> tuple[dict, Counter]:
    with open(world / "truth" / "truth.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    person_of = {(r["agency"], r["record_id"]): r["person_id"] for r in rows}
    in_registry = {r["person_id"] for r in rows if r["agency"] == "registry"}
    expected = Counter(r["agency"] for r in rows if r["agency"] in PARTNERS and r["person_id"] in in_registry)
    return person_of, expected


@pytest.mark.django_db
def test_a_cycle_runs_in_the_background_and_its_hits_match_the_truth(world, data_dir, tmp_path):
    cycle, analyst = _cycle_with_packages(world, tmp_path / "holders")
    run = orchestrator.start_run(cycle, user=analyst)
    assert Run.objects.get(pk=run.pk).state == RunState.QUEUED and run.task_id

    call_command("db_worker", batch=True, startup_delay=False, interval=0, verbosity=0)

    run.refresh_from_db()
    cycle.refresh_from_db()
    assert run.state == RunState.SUCCEEDED, run.error
    registry = run.packages.get(agency=None)  # encoded from the registry's members, its map kept apart
    assert registry.records >= Person.objects.count() and run.package_hashes["registry"] == registry.sha256
    assert (data_dir / "maps" / cycle.code / f"{Path(registry.path).name}.map.csv").is_file()
    assert cycle.state == CycleState.DONE
    assert set(run.package_hashes) == {"registry", *PARTNERS} and run.code_version and run.thresholds
    assert (data_dir / run.model_dir / "courts.json").is_file()
    assert [s["agency"] for s in run.log["stages"]] == sorted(PARTNERS)

    person_of, expected = _truth(world)
    found, wrong = Counter(), []
    for hit in Hit.objects.filter(run=run).select_related("person", "agency"):
        same = person_of[("registry", hit.person.record_id)] == person_of.get((hit.agency.code, hit.partner_record_id))
        if same:
            found[hit.agency.code] += 1
        else:
            wrong.append((hit.agency.code, hit.match_class))
        assert hit.payload and not any(k.startswith("payload.") for k in hit.payload)
        assert (hit.review == HitReview.PENDING) == (hit.match_class == "review")
    assert not [w for w in wrong if w[1] != "review"], "an exact or probable hit links two different people"
    for agency in PARTNERS:  # the hub finds nearly every registered person the agency holds
        assert expected[agency] >= 10 and found[agency] >= 0.9 * expected[agency], (agency, found, expected)
    # retention: the partners' encodings are gone once the hits are stored
    assert not any((data_dir / p.path / "encodings.parquet").exists() for p in run.packages.exclude(agency=None))
    # the orchestrator's last steps ran: the rules over the hits, and every finding is in a case to verify
    assert run.stage == "done" and run.progress_done == run.progress_total
    assert not Finding.objects.filter(cycle=cycle, case=None).exists()


@pytest.mark.django_db
def test_a_cycle_of_another_registry_goes_through_that_registry_s_declaration(world, data_dir, tmp_path):
    """A registry is added by declaring it: its records are encoded and its opened hits reach its own store,
    typed; the social registry's hits table and rules are not touched."""
    from sijill.exchange import registries
    from sijill.exchange.registry_package import person_batches
    from sijill.pprl.registry import OpenedHit

    stored: list[OpenedHit] = []

    def store(run, hits):
        stored.extend(hits)
        return hits

    registries.register(registries.Registry(code="sandbox", label="سجل تجريبي", schema="example:registry",
                                            count=Person.objects.count, batches=person_batches, store_hits=store))
    try:
        cycle, analyst = _cycle_with_packages(world, tmp_path / "holders", partners=("courts",))
        Cycle.objects.filter(pk=cycle.pk).update(registry="sandbox")
        run = orchestrator.start_run(cycle, user=analyst)
        orchestrator.execute_run(run.pk)
    finally:
        registries._REGISTRIES.pop("sandbox")
    run.refresh_from_db()
    assert run.state == RunState.SUCCEEDED, run.error
    assert stored and all(isinstance(h, OpenedHit) and h.agency == "courts" for h in stored)
    assert all(isinstance(h.payload, dict) and h.explanation and h.explanation[0].level for h in stored)
    assert not Hit.objects.exists() and not Finding.objects.exists()
    assert run.log["dedupe"]["registry_records"] > 0, "the registry's own dedupe ran in the same hub run"


def test_the_social_registry_is_declared_and_an_unknown_one_is_refused_by_name():
    from sijill.exchange import registries

    social = registries.get("social")
    assert social.schema == "example:registry" and social.rule_set == "social" and social.store_duplicates
    with pytest.raises(LookupError, match="no registry 'nowhere'"):
        registries.get("nowhere")


@pytest.mark.django_db
def test_a_worker_that_dies_mid_run_leaves_the_run_failed_and_the_cycle_runnable(world, data_dir, tmp_path):
    cycle, analyst = _cycle_with_packages(world, tmp_path / "holders", partners=("courts",))
    run = orchestrator.start_run(cycle, user=analyst)
    # the worker took the run, beat once, then was killed: nothing moves any more
    from django.utils import timezone

    stale = timezone.now() - runs.STALE_AFTER * 2
    Run.objects.filter(pk=run.pk).update(state=RunState.RUNNING, started_at=stale, heartbeat_at=stale,
                                         stage="courts: matching")
    leftover = runs.storage.run_dir(cycle.code, run.pk).with_name(f".run-{run.pk}.dead")
    leftover.mkdir(parents=True)
    (leftover / "hits.parquet").write_bytes(b"half written")

    assert runs.fail_stale_runs() == 1
    run.refresh_from_db()
    cycle.refresh_from_db()
    assert run.state == RunState.FAILED and run.error
    assert cycle.state == CycleState.OPEN
    assert not Hit.objects.exists() and not leftover.exists()

    # a late delivery of the dead run's task does nothing
    orchestrator.execute_run(run.pk)
    assert Run.objects.get(pk=run.pk).state == RunState.FAILED

    again = orchestrator.start_run(cycle, user=analyst)  # runnable again
    assert again.pk != run.pk and again.state == RunState.QUEUED


@pytest.mark.django_db
def test_a_run_that_fails_stores_no_hit_and_reopens_the_cycle(world, data_dir, tmp_path, monkeypatch):
    cycle, analyst = _cycle_with_packages(world, tmp_path / "holders", partners=("courts",))
    run = orchestrator.start_run(cycle, user=analyst)

    def crash(*args, **kwargs):
        (Path(args[2]).parent / "partial").write_text("the hub was half way")
        raise MemoryError("out of memory")

    monkeypatch.setattr(runs, "match", crash)
    orchestrator.execute_run(run.pk)
    run.refresh_from_db()
    assert run.state == RunState.FAILED and "out of memory" in run.error
    assert Run.objects.get(pk=run.pk).cycle.state == CycleState.OPEN
    assert not Hit.objects.exists()
    assert not list(runs.storage.run_dir(cycle.code, run.pk).parent.glob("*")), "no half-written output is kept"


@pytest.mark.django_db
def test_a_slow_workers_late_failure_leaves_the_newer_run_and_its_cycle_running():
    """Run 1 was failed as stale and run 2 started; run 1's worker then gives up: the cycle stays running, so
    it can be neither closed nor run a third time under run 2."""
    cycle = Cycle.objects.create(code="2026-11", state=CycleState.RUNNING)
    old = Run.objects.create(cycle=cycle, state=RunState.FAILED, error="stale")
    new = Run.objects.create(cycle=cycle, state=RunState.RUNNING)
    runs.fail_run(old, "RuntimeError: the run was marked failed while it worked")
    cycle.refresh_from_db()
    assert cycle.state == CycleState.RUNNING and Run.objects.get(pk=new.pk).state == RunState.RUNNING
    assert Run.objects.get(pk=old.pk).error == "stale"
    with pytest.raises(cycles.CycleError):
        cycles.close_cycle(cycle)


@pytest.mark.django_db
def test_a_cycle_with_a_queued_run_is_not_closed():
    cycle = Cycle.objects.create(code="2026-11", state=CycleState.OPEN)  # read before a run was started
    Run.objects.create(cycle=cycle, state=RunState.QUEUED)
    with pytest.raises(cycles.CycleError):
        cycles.close_cycle(cycle)
    assert Cycle.objects.get(pk=cycle.pk).state == CycleState.OPEN


@pytest.mark.django_db
def test_a_run_that_cannot_be_queued_leaves_no_run_and_the_cycle_open(people, monkeypatch):
    seed_agencies()
    cycle = Cycle.objects.create(code="2026-11")
    Package.objects.create(cycle=cycle, agency=Agency.objects.get(code="courts"), status=PackageStatus.ACCEPTED,
                           sha256="0" * 64, path="packages/2026-11/courts.pkg")

    class Unreachable:
        def enqueue(self, *args):
            raise ConnectionError("the task queue is unreachable")

    monkeypatch.setattr(orchestrator, "run_cycle", Unreachable())
    with pytest.raises(ConnectionError):
        orchestrator.start_run(cycle, user=make_user("analyst"))
    assert not Run.objects.exists() and Cycle.objects.get(pk=cycle.pk).state == CycleState.OPEN
