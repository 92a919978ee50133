"""A cycle's run, done by a background worker: match at the hub, open the hits with the registry's keys,
store them against the registry's persons; and look in the registry's package for persons enrolled twice
(the hub's ``--dedupe``), stored as duplicate pairs for review.

Never half-written: the hub writes into a temporary folder renamed into place when complete, and the hits
are stored in one transaction with the run's success. A worker that dies stops beating; its run is then
failed cleanly (``fail_stale_runs``) and the cycle may be run again.
"""

from __future__ import annotations

import logging
import shutil
import threading
import uuid
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from sijill import __version__
from sijill.linkage import match
from sijill.linkage.model import Thresholds
from sijill.pprl.format.package import ENCODINGS
from sijill.pprl.registry import RegistryKeys, open_hits

from . import storage, trust
from .cycles import CycleError, packages_for_run
from .duplicates import store_duplicate_pairs
from .hits import store_opened_hits
from .models import Cycle, CycleState, Package, Run, RunState
from .uploads import registry_map

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 5
STALE_AFTER = timedelta(seconds=60)  # a running run whose worker has not beaten for this long has died
ACTIVE = (RunState.QUEUED, RunState.RUNNING)
DUPLICATES = "duplicates.parquet"  # the hub's --dedupe output, beside the hits
# The stages this module writes. Between them the stage is a line of the hub's progress, which names agencies
# and their counts of hits: for the registry's analysts only, never for an agency (``sijill.api``).
OWN_STAGES = frozenset({"waiting for the worker", "encoding the registry's members", "verifying the packages",
                        "looking for persons enrolled twice", "opening the hits with the registry's keys",
                        "storing the hits and the possible duplicates", "done"})


def start_run(cycle: Cycle, *, user=None, request=None) -> Run:
    """Queue a run of ``cycle`` for the background worker (``sijill worker``)."""
    from sijill.audit.trail import record

    from .tasks import run_cycle

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
                                 code_version=__version__, progress_total=len(partners) + 3 + (registry is None),
                                 package_hashes={_holder(p): p.sha256 for p in packages})
        run.packages.set(packages)
        cycle.state = CycleState.RUNNING
        cycle.save(update_fields=["state"])
        # queued in the same transaction (the task backend is the database): a run is never left queued with
        # no task to take it, its cycle stuck running
        result = run_cycle.enqueue(run.pk)
        run.task_id = str(result.id)
        run.save(update_fields=["task_id"])
    record("run_start", request=request, user=user, actor=None if user else "cli", target=run.cycle,
           run=run.pk, packages=run.package_hashes)
    return run


def _holder(package: Package) -> str:
    return package.agency.code if package.agency_id else "registry"


def execute_run(run_id: int) -> None:
    """The worker's job. Each step writes its stage; a failure leaves the run failed and the cycle open."""
    with transaction.atomic():
        run = Run.objects.select_for_update().select_related("cycle").get(pk=run_id)
        if run.state != RunState.QUEUED:  # delivered twice, or failed as stale before it started
            return
        now = timezone.now()
        run.state, run.started_at, run.heartbeat_at = RunState.RUNNING, now, now
        run.save(update_fields=["state", "started_at", "heartbeat_at"])
    beat = _Heartbeat(run.pk)
    beat.start()
    work = storage.run_dir(run.cycle.code, run.pk)
    tmp = work.with_name(f".{work.name}.{uuid.uuid4().hex[:8]}")
    try:
        _execute(run, tmp, work, beat)
    except Exception as e:
        log.exception("run %s of cycle %s failed", run.pk, run.cycle.code)
        beat.stop()
        fail_run(run, f"{e.__class__.__name__}: {e}")
        shutil.rmtree(tmp, ignore_errors=True)
    finally:
        beat.stop()


def _execute(run: Run, tmp: Path, work: Path, beat: _Heartbeat) -> None:
    packages = list(run.packages.select_related("agency", "cycle"))
    partners = sorted((p for p in packages if p.agency_id), key=lambda p: p.agency.code)
    registry = next((p for p in packages if p.agency_id is None), None)
    done = [0]
    if registry is None:  # no package uploaded for the registry: encode its members now
        from .registry_package import encode_registry

        beat.update(stage=gettext_noop("encoding the registry's members"))
        registry = encode_registry(run.cycle)
        run.packages.add(registry)
        run.package_hashes = {"registry": registry.sha256, **run.package_hashes}
        Run.objects.filter(pk=run.pk).update(package_hashes=run.package_hashes)
        done[0] = 1
    agencies = [p.agency for p in partners]
    trusted = trust.trust_store(agencies)
    tmp.mkdir(parents=True)
    hits_path = tmp / "hits.parquet"

    def progress(message: str) -> None:
        if " exact, " in message:  # "<agency>: n exact, n probable, ..." ends a partner
            done[0] += 1
        beat.update(stage=message[:64], progress_done=done[0])

    beat.update(stage=gettext_noop("verifying the packages"), progress_done=done[0])
    registry_path = storage.absolute(registry.path)
    hub_log = match(registry_path, [storage.absolute(p.path) for p in partners], hits_path,
                    trusted, keep=True, progress=progress)
    beat.update(stage=gettext_noop("looking for persons enrolled twice"), progress_done=done[0])
    dedupe_log = match(registry_path, [], tmp / DUPLICATES, trusted, dedupe=True, keep=True,
                       progress=lambda message: beat.update(stage=f"dedupe: {message}"[:64]))
    storage.replace_dir(tmp, work)
    hits_path = work / "hits.parquet"
    beat.update(stage=gettext_noop("opening the hits with the registry's keys"), progress_done=run.progress_total - 2)
    keys, maps = RegistryKeys.load(storage.registry_keys_dir()), [registry_map(registry)]
    opened = open_hits(hits_path, keys, maps, trusted)
    pairs = open_hits(work / DUPLICATES, keys, maps, trusted)  # the same format, the registry on both sides
    beat.update(stage=gettext_noop("storing the hits and the possible duplicates"),
                progress_done=run.progress_total - 1)
    beat.stop()
    with transaction.atomic():
        run = Run.objects.select_for_update().get(pk=run.pk)
        if run.state != RunState.RUNNING:
            raise RuntimeError("the run was marked failed while it worked (stale heartbeat)")
        stored = store_opened_hits(run, opened.rows)
        duplicates = store_duplicate_pairs(pairs.rows, source=run.cycle.code)
        run.log = {**hub_log.as_dict(), "opened": {"hits": len(stored), "dropped_dummies": opened.dropped_dummies,
                                                   "unknown_refs": opened.unknown_refs},
                   "dedupe": _dedupe_log(dedupe_log, pairs, duplicates)}
        run.model_dir = storage.relative(Path(f"{hits_path}.models"))
        run.thresholds = hub_log.thresholds
        run.state, run.stage, run.finished_at = RunState.SUCCEEDED, gettext_noop("done"), timezone.now()
        run.progress_done = run.progress_total
        run.save()
        Cycle.objects.filter(pk=run.cycle_id).update(state=CycleState.DONE)
    run.log["retention"] = _apply_retention(partners, stored)
    Run.objects.filter(pk=run.pk).update(log=run.log)


def _dedupe_log(hub_log, opened, stored) -> dict:
    """What the dedupe found, per class as the hub counted it, and what became of its pairs."""
    stage = hub_log.stages[0]
    return {"seconds": hub_log.seconds, "registry_records": stage.registry_records, "candidates": stage.candidates,
            "exact": stage.exact, "probable": stage.probable, "review": stage.review,
            "dropped_dummies": opened.dropped_dummies, "unknown_refs": opened.unknown_refs, **stored.as_dict()}


def _apply_retention(partners: list[Package], hits) -> list[str]:
    """The hub's retention policy, once the hits are safely stored: partners' encodings are deleted."""
    lines = []
    for package in partners:
        encodings = storage.absolute(package.path) / ENCODINGS
        encodings.unlink(missing_ok=True)
        matched = sum(1 for h in hits if h.agency_id == package.agency_id)
        lines.append(f"{package.agency.code}: deleted the encodings of its {package.records:,} records (dummies "
                     f"included); its {matched} hits are kept, their payloads opened by the registry")
    return lines


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
