"""A cycle's matching, done by a background worker for the orchestrator (``sijill.cycles``): the hub step
(match, and look in the registry's package for persons enrolled twice), then the registry step (open the hits
with the registry's keys), then the hits stored against the cycle's registry's records and the possible
duplicates for review.

Never half-written: the hub writes into a temporary folder renamed into place when complete, and the hits
are stored in one transaction with the run's success. A worker that dies stops beating; its run is then
failed cleanly (``fail_stale_runs``) and the cycle may be run again.
"""

from __future__ import annotations

import logging
import shutil
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from sijill import __version__
from sijill.linkage import HubEvent, RunLog, apply_retention, match
from sijill.linkage.model import Thresholds
from sijill.pprl.registry import RegistryKeys, open_hits

from . import storage, trust
from .cycles import CycleError, packages_for_run
from .models import Cycle, CycleState, Package, Run, RunState
from .registries import get as get_registry
from .uploads import registry_map

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 5
STALE_AFTER = timedelta(seconds=60)  # a running run whose worker has not beaten for this long has died
ACTIVE = (RunState.QUEUED, RunState.RUNNING)
HITS = "hits.parquet"
DUPLICATES = "duplicates.parquet"  # the hub's --dedupe output, beside the hits
# The stages this module writes. Between them the stage is a line of the hub's progress, which names agencies
# and their counts of hits: for the registry's analysts only, never for an agency (``sijill.api``).
OWN_STAGES = frozenset({"waiting for the worker", "encoding the registry's members", "verifying the packages",
                        "opening the hits with the registry's keys", "storing the hits and the possible duplicates",
                        "hits stored", "running the eligibility rules", "done"})


def queue_run(cycle: Cycle, *, user=None, as_of=None, enqueue) -> Run:
    """Create the queued run of ``cycle`` and hand it to ``enqueue`` (the orchestrator's task) in the same
    transaction: a run is never left queued with no task to take it, its cycle stuck running."""
    fail_stale_runs()
    with transaction.atomic():
        cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
        if cycle.state != CycleState.OPEN:
            raise CycleError(_("Only an open cycle can be run (this one is %(state)s).")
                             % {"state": cycle.get_state_display()})
        if cycle.runs.filter(state__in=ACTIVE).exists():
            raise CycleError(_("A run of this cycle is already queued or running."))
        registry, partners = packages_for_run(cycle)
        packages = [p for p in (registry, *partners) if p is not None]
        run = Run.objects.create(cycle=cycle, started_by=user if getattr(user, "pk", None) else None,
                                 stage=gettext_noop("waiting for the worker"), thresholds=asdict(Thresholds()),
                                 code_version=__version__, progress_total=len(partners) + 4 + (registry is None),
                                 package_hashes={_holder(p): p.sha256 for p in packages}, as_of=as_of)
        run.packages.set(packages)
        cycle.state = CycleState.RUNNING
        cycle.save(update_fields=["state"])
        run.task_id = str(enqueue(run.pk))
        run.save(update_fields=["task_id"])
    return run


def _holder(package: Package) -> str:
    return package.agency.code if package.agency_id else "registry"


def match_and_store(run_id: int) -> Run | None:
    """The worker's matching: the hub step, then the registry step. Returns the run once its hits are stored,
    or None (a run delivered twice, or failed). A failure leaves the run failed and the cycle open."""
    with transaction.atomic():
        run = Run.objects.select_for_update().select_related("cycle").get(pk=run_id)
        if run.state != RunState.QUEUED:  # delivered twice, or failed as stale before it started
            return None
        now = timezone.now()
        run.state, run.started_at, run.heartbeat_at = RunState.RUNNING, now, now
        run.save(update_fields=["state", "started_at", "heartbeat_at"])
    beat = _Heartbeat(run.pk)
    beat.start()
    work = storage.run_dir(run.cycle.code, run.pk)
    tmp = work.with_name(f".{work.name}.{uuid.uuid4().hex[:8]}")
    try:
        registry, partners = _packages(run, beat)
        trusted = trust.trust_store([p.agency for p in partners])
        hub = hub_step(registry, partners, trusted, tmp, work, beat)
        opened = registry_step(run, registry, trusted, hub, beat)
        return _store(run, registry, partners, hub, opened)
    except Exception as e:
        log.exception("run %s of cycle %s failed", run.pk, run.cycle.code)
        beat.stop()
        fail_run(run, f"{e.__class__.__name__}: {e}")
        shutil.rmtree(tmp, ignore_errors=True)
        return None
    finally:
        beat.stop()


def _packages(run: Run, beat: _Heartbeat) -> tuple[Package, list[Package]]:
    """The run's registry package (encoded now from the registry's records when none was uploaded) and the
    partners' packages."""
    packages = list(run.packages.select_related("agency", "cycle"))
    partners = sorted((p for p in packages if p.agency_id), key=lambda p: p.agency.code)
    registry = next((p for p in packages if p.agency_id is None), None)
    if registry is None:
        from .registry_package import encode_registry

        beat.update(stage=gettext_noop("encoding the registry's members"))
        registry = encode_registry(run.cycle)
        run.packages.add(registry)
        run.package_hashes = {"registry": registry.sha256, **run.package_hashes}
        Run.objects.filter(pk=run.pk).update(package_hashes=run.package_hashes)
        beat.update(progress_done=1)
    return registry, partners


@dataclass(frozen=True)
class HubResult:
    hits: Path
    duplicates: Path
    log: RunLog


def hub_step(registry: Package, partners: list[Package], trusted, tmp: Path, work: Path,
             beat: _Heartbeat) -> HubResult:
    """The hub's part: public keys and packages in, hits (payloads sealed) and possible duplicates out, in one
    pass over the registry's package. Written into ``tmp``, renamed to ``work`` when complete."""
    offset = beat.fields.get("progress_done", 0)

    def progress(event: HubEvent) -> None:
        beat.update(stage=event.message[:64], progress_done=offset + event.done)

    beat.update(stage=gettext_noop("verifying the packages"))
    tmp.mkdir(parents=True)
    hub_log = match(storage.absolute(registry.path), [storage.absolute(p.path) for p in partners],
                    tmp / HITS, trusted, dedupe_out=tmp / DUPLICATES, keep=True, progress=progress)
    storage.replace_dir(tmp, work)
    return HubResult(work / HITS, work / DUPLICATES, hub_log)


def registry_step(run: Run, registry: Package, trusted, hub: HubResult, beat: _Heartbeat) -> tuple:
    """The registry's part: its private keys open the hits (and its own possible duplicates)."""
    beat.update(stage=gettext_noop("opening the hits with the registry's keys"), progress_done=run.progress_total - 3)
    keys, maps = RegistryKeys.load(storage.registry_keys_dir()), [registry_map(registry)]
    return open_hits(hub.hits, keys, maps, trusted), open_hits(hub.duplicates, keys, maps, trusted)


def _store(run: Run, registry: Package, partners: list[Package], hub: HubResult, opened: tuple) -> Run:
    """Store the opened hits against the cycle's registry's records, in one transaction with the run's success;
    then the hub's retention (the partners' encodings are deleted once the hits are safe)."""
    hits, pairs = opened
    declared = get_registry(run.cycle.registry)
    Run.objects.filter(pk=run.pk).update(stage=gettext_noop("storing the hits and the possible duplicates"),
                                         progress_done=run.progress_total - 2)
    with transaction.atomic():
        run = Run.objects.select_for_update().select_related("cycle").get(pk=run.pk)
        if run.state != RunState.RUNNING:
            raise RuntimeError("the run was marked failed while it worked (stale heartbeat)")
        stored = declared.store_hits(run, hits.rows)
        duplicates = declared.store_duplicates(pairs.rows, run.cycle.code) if declared.store_duplicates else None
        run.log = {**hub.log.as_dict(), "opened": {"hits": len(stored), "dropped_dummies": hits.dropped_dummies,
                                                   "unknown_refs": hits.unknown_refs},
                   "dedupe": _dedupe_log(hub.log, pairs, duplicates)}
        run.model_dir = storage.relative(Path(f"{hub.hits}.models"))
        run.thresholds = hub.log.thresholds
        run.stage = gettext_noop("hits stored")
        run.save()
    run.log["retention"] = apply_retention([storage.absolute(p.path) for p in partners], hub.log)
    Run.objects.filter(pk=run.pk).update(log=run.log)
    return run


def finish_run(run: Run) -> None:
    """The run succeeded: its cycle is done."""
    with transaction.atomic():
        Run.objects.filter(pk=run.pk, state=RunState.RUNNING).update(
            state=RunState.SUCCEEDED, stage=gettext_noop("done"), finished_at=timezone.now(),
            progress_done=run.progress_total)
        Cycle.objects.filter(pk=run.cycle_id).update(state=CycleState.DONE)


def _dedupe_log(hub_log: RunLog, opened, stored) -> dict:
    """What the dedupe found, per class as the hub counted it, and what became of its pairs."""
    stage = hub_log.dedupe
    return {"registry_records": stage.registry_records, "candidates": stage.candidates, "exact": stage.exact,
            "probable": stage.probable, "review": stage.review, "dropped_dummies": opened.dropped_dummies,
            "unknown_refs": opened.unknown_refs, **(stored.as_dict() if stored else {})}


def fail_run(run: Run, error: str) -> None:
    """Fail ``run`` if it is still queued or running, and open its cycle again. A run already failed (a slow
    worker's late failure) leaves the cycle alone: a newer run of it may be running."""
    with transaction.atomic():
        failed = Run.objects.filter(pk=run.pk, state__in=ACTIVE).update(state=RunState.FAILED, error=error[:4000],
                                                                         finished_at=timezone.now())
        if failed:
            Cycle.objects.filter(pk=run.cycle_id, state=CycleState.RUNNING).update(state=CycleState.OPEN)


def fail_stale_runs(now=None) -> int:
    """Fail the runs whose worker stopped beating (killed, restarted); their cycles open again."""
    now = now or timezone.now()
    stale = Run.objects.filter(state=RunState.RUNNING, heartbeat_at__lt=now - STALE_AFTER)
    count = 0
    for run in stale.select_related("cycle"):
        fail_run(run, _("The worker stopped during the run (a restart or a crash); no hit was stored. "
                     "Start the run again."))
        for leftover in storage.run_dir(run.cycle.code, run.pk).parent.glob(f".run-{run.pk}.*"):
            shutil.rmtree(leftover, ignore_errors=True)
        count += 1
    return count


# Stages are stored as English messages and translated when shown; the hub's own progress lines are English.


@contextmanager
def beating(run: Run, **fields) -> Iterator[_Heartbeat]:
    """Keep ``run`` alive (its heartbeat, stage and progress) while a later step of the orchestrator works."""
    beat = _Heartbeat(run.pk)
    beat.start()
    try:
        beat.update(**fields)
        yield beat
    finally:
        beat.stop()


class _Heartbeat:
    """Writes the run's heartbeat, stage and progress every few seconds from a thread of its own."""

    def __init__(self, run_id: int):
        self.run_id = run_id
        self.fields: dict = {}
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"run-{run_id}-heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def update(self, **fields) -> None:
        with self._lock:
            self.fields.update(fields)
        self._write()

    def stop(self) -> None:
        if not self._stopped.is_set():
            self._stopped.set()
            if self._thread.is_alive() and self._thread is not threading.current_thread():
                self._thread.join()

    def _loop(self) -> None:
        try:
            while not self._stopped.wait(HEARTBEAT_SECONDS):
                self._write()
        finally:
            connection.close()  # this thread's own connection

    def _write(self) -> None:
        with self._lock:
            fields = dict(self.fields)
        Run.objects.filter(pk=self.run_id, state=RunState.RUNNING).update(heartbeat_at=timezone.now(), **fields)
