"""A run at the hub: the registry's package against each partner's (and, asked, against itself for persons
enrolled twice), in a thread of the hub's own process. The hits are written to a temporary folder renamed into
place when complete. Retention: once the run succeeded, every package's encodings are deleted (the hits carry
what the registry needs: references, scores, explanations and the sealed payloads of hits only); once the
registry says it stored the hits, they are deleted too. Each deletion is in the run log and the hub's events.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import uuid
from pathlib import Path

from sijill.linkage import HubEvent, RunLog, apply_retention, match
from sijill.pprl.format import TrustStore
from sijill.pprl.format.package import ENCODINGS

from .cycles import DONE, OPEN, RUNNING, own_cycle, run_dict
from .errors import Refused
from .store import HubStore, loads, now, safe

log = logging.getLogger(__name__)
HITS, DUPLICATES = "hits.parquet", "duplicates.parquet"
ACTIVE = ("queued", "running")


def start_run(store: HubStore, registry: str, code: str, *, dedupe: bool = True, background: bool = True) -> dict:
    """Queue a run of cycle ``code`` (its packages in use) and start it in a thread of this process."""
    own_cycle(store, code, registry)
    with store.db() as db:
        cycle = db.execute("SELECT * FROM cycles WHERE code = ?", (code,)).fetchone()
        if cycle["state"] != OPEN:
            raise Refused(409, "cycle.state", f"Only an open cycle can be run (this one is {cycle['state']}).")
        packages = db.execute("SELECT id, holder, sha256 FROM packages WHERE cycle = ? AND status = 'accepted' AND "
                              "superseded = 0 AND deleted_at IS NULL ORDER BY holder", (code,)).fetchall()
        held = {p["holder"]: p for p in packages}
        if registry not in held:
            raise Refused(409, "run.packages", "The registry's own package is not in yet.")
        if len(held) < 2:
            raise Refused(409, "run.packages", "No agency's package is in yet.")
        total = len(held) - 1 + 1 + bool(dedupe)
        cursor = db.execute("INSERT INTO runs (cycle, state, stage, progress_total, dedupe, packages, queued_at) "
                            "VALUES (?, 'queued', 'waiting for the hub', ?, ?, ?, ?)",
                            (code, total, int(dedupe), json.dumps({h: p["sha256"] for h, p in held.items()}), now()))
        run_id = cursor.lastrowid
        db.execute("UPDATE cycles SET state = ? WHERE code = ?", (RUNNING, code))
    store.event(registry, "run_start", cycle=code, run=run_id)
    if background:
        threading.Thread(target=execute_run, args=(store, run_id), name=f"hub-run-{run_id}", daemon=True).start()
    else:
        execute_run(store, run_id)
    return run_status(store, registry, run_id)


def execute_run(store: HubStore, run_id: int) -> None:
    """Run ``run_id``; a failure leaves the run failed with its reason and the cycle open to run again."""
    with store.db() as db:
        run = db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        if run["state"] != "queued":
            return
        db.execute("UPDATE runs SET state = 'running', started_at = ?, heartbeat_at = ? WHERE id = ?",
                   (now(), now(), run_id))
    work = store.run_dir(run["cycle"], run_id)
    tmp = work.with_name(f".{work.name}.{uuid.uuid4().hex[:8]}")
    try:
        _execute(store, run, tmp, work)
    except Exception as e:
        log.exception("hub run %s of cycle %s failed", run_id, run["cycle"])
        shutil.rmtree(tmp, ignore_errors=True)
        with store.db() as db:
            db.execute("UPDATE runs SET state = 'failed', error = ?, finished_at = ? WHERE id = ?",
                       (f"{e.__class__.__name__}: {e}"[:4000], now(), run_id))
            db.execute("UPDATE cycles SET state = ? WHERE code = ? AND state = ?", (OPEN, run["cycle"], RUNNING))
        store.event("hub", "run_failed", cycle=run["cycle"], run=run_id, error=e.__class__.__name__)


def _update(store: HubStore, run_id: int, **fields) -> None:
    fields["heartbeat_at"] = now()
    names = ", ".join(f"{k} = ?" for k in fields)
    with store.db() as db:
        db.execute(f"UPDATE runs SET {names} WHERE id = ?", (*fields.values(), run_id))


def _execute(store: HubStore, run, tmp: Path, work: Path) -> None:
    code, run_id = run["cycle"], run["id"]
    with store.db() as db:
        registry_name = db.execute("SELECT registry FROM cycles WHERE code = ?", (code,)).fetchone()["registry"]
        rows = {r["holder"]: r for r in db.execute(
            "SELECT * FROM packages WHERE cycle = ? AND status = 'accepted' AND superseded = 0 AND deleted_at IS NULL",
            (code,))}
        keys = {h["name"]: bytes.fromhex(h["ed25519"]) for h in db.execute(
            f"SELECT name, ed25519 FROM holders WHERE name IN ({','.join('?' * len(rows))})", list(rows))}
    if {h: r["sha256"] for h, r in rows.items()} != loads(run["packages"]):
        raise RuntimeError("the cycle's packages changed after the run was queued; start it again")
    trusted = TrustStore(keys)
    registry = store.data_dir / rows[registry_name]["path"]
    partners = [store.data_dir / rows[h]["path"] for h in sorted(rows) if h != registry_name]
    tmp.mkdir(parents=True)

    def progress(event: HubEvent) -> None:
        _update(store, run_id, stage=event.message[:120], progress_done=1 + event.done)

    _update(store, run_id, stage="verifying the packages", progress_done=1)
    hub_log = match(registry, partners, tmp / HITS, trusted, dedupe_out=tmp / DUPLICATES if run["dedupe"] else None,
                    keep=True, progress=progress)
    work.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, work)
    retention = _delete_encodings(store, code, rows, registry_name, hub_log)
    with store.db() as db:
        db.execute("UPDATE runs SET state = 'succeeded', stage = 'done', progress_done = progress_total, "
                   "finished_at = ?, log = ? WHERE id = ?",
                   (now(), json.dumps({**hub_log.as_dict(), "retention": retention}, ensure_ascii=False), run_id))
        db.execute("UPDATE cycles SET state = ? WHERE code = ?", (DONE, code))
    store.event("hub", "run_done", cycle=code, run=run_id, hits=sum(s.exact + s.probable + s.review
                                                                    for s in hub_log.stages))


def _delete_encodings(store: HubStore, code: str, rows: dict, registry: str, hub_log: RunLog) -> list[str]:
    """Retention once the hits are written: the partners' encodings go (``apply_retention``, the one policy),
    and the registry's own, which the hub no longer needs; the manifests stay for the record."""
    partners = [store.data_dir / row["path"] for holder, row in sorted(rows.items()) if holder != registry]
    lines = apply_retention(partners, hub_log)
    (store.data_dir / rows[registry]["path"] / ENCODINGS).unlink(missing_ok=True)
    lines.append(f"{registry}: deleted the encodings of its {rows[registry]['records']:,} records")
    with store.db() as db:
        db.execute(f"UPDATE packages SET deleted_at = ? WHERE cycle = ? AND id IN ({','.join('?' * len(rows))})",
                   (now(), code, *[r["id"] for r in rows.values()]))
    store.event("hub", "retention", cycle=code, lines=lines)
    return lines


def run_row(store: HubStore, registry: str, run_id: int):
    with store.db() as db:
        row = db.execute("SELECT runs.*, cycles.registry FROM runs JOIN cycles ON cycles.code = runs.cycle "
                         "WHERE runs.id = ?", (run_id,)).fetchone()
    if row is None or row["registry"] != registry:
        raise Refused(404, "run.unknown", f"The hub has no run {run_id} of this registry.")
    return row


def run_status(store: HubStore, registry: str, run_id: int) -> dict:
    return run_dict(run_row(store, registry, run_id))


def result_file(store: HubStore, registry: str, run_id: int, name: str) -> Path:
    """The run's hits (or possible duplicates), for its registry only, until it has stored them."""
    row = run_row(store, registry, run_id)
    if row["state"] != "succeeded":
        raise Refused(409, "run.state", f"Run {run_id} is {row['state']}: it has no hits to give.")
    if row["delivered_at"]:
        raise Refused(410, "run.delivered", f"Run {run_id}'s hits were delivered and deleted at {row['delivered_at']}.")
    path = store.run_dir(row["cycle"], run_id) / name
    if not path.is_file():
        raise Refused(404, "run.file", f"Run {run_id} has no {name}.")
    store.event(registry, "hits_fetched", cycle=row["cycle"], run=run_id, file=name)
    return path


def delivered(store: HubStore, registry: str, run_id: int) -> dict:
    """The registry stored the hits: the hub deletes them (retention), keeping only the run log."""
    row = run_row(store, registry, run_id)
    if row["state"] != "succeeded":
        raise Refused(409, "run.state", f"Run {run_id} is {row['state']}.")
    work = store.run_dir(row["cycle"], run_id)
    shutil.rmtree(work, ignore_errors=True)
    line = f"run {run_id}: the registry stored its hits; the hub deleted them (their sealed payloads included)"
    with store.db() as db:
        log_ = loads(row["log"]) or {}
        log_["retention"] = [*log_.get("retention", []), line]
        db.execute("UPDATE runs SET delivered_at = COALESCE(delivered_at, ?), log = ? WHERE id = ?",
                   (now(), json.dumps(log_, ensure_ascii=False), run_id))
    store.event(registry, "hits_delivered", cycle=row["cycle"], run=run_id)
    return run_status(store, registry, run_id)


def fail_interrupted_runs(store: HubStore) -> int:
    """At start: a run left running by a stopped hub failed (its cycle opens again; it may be run again)."""
    with store.db() as db:
        stale = db.execute("SELECT id, cycle FROM runs WHERE state IN ('queued', 'running')").fetchall()
        for run in stale:
            db.execute("UPDATE runs SET state = 'failed', error = ?, finished_at = ? WHERE id = ?",
                       ("The hub stopped during the run (a restart or a crash); start the run again.", now(),
                        run["id"]))
            db.execute("UPDATE cycles SET state = ? WHERE code = ? AND state = ?", (OPEN, run["cycle"], RUNNING))
    for run in stale:
        for leftover in (store.data_dir / "runs" / safe(run["cycle"])).glob(f".run-{run['id']}.*"):
            shutil.rmtree(leftover, ignore_errors=True)
    return len(stale)
