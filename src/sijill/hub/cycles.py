"""Cycles at the hub. The registry opens one and names its participants: each agency, the public key it signs
with, the linkage schema it was registered with and the payload fields its agreement allows. Cycle
management (agreements, keys, opening) stays with the ministry; the hub only records what it is told, so it
can check each package against it."""

from __future__ import annotations

import json
import shutil

from .errors import Refused
from .store import HubStore, loads, now, safe

OPEN, RUNNING, DONE, CLOSED = "open", "running", "done", "closed"


def register_cycle(store: HubStore, registry: str, code: str, body: dict) -> dict:
    """Open cycle ``code`` for ``registry`` (or update its participants while it is open)."""
    try:
        safe(code)
        identity_version = str(body["identity_version"])
        participants = body.get("participants") or {}
        rows = []
        for holder, p in participants.items():
            safe(holder)
            key = bytes.fromhex(p["ed25519"])
            if len(key) != 32:
                raise ValueError("ed25519")
            rows.append((holder, key, str(p.get("schema") or holder), [str(f) for f in p.get("payload_fields", [])]))
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise Refused(400, "cycle.invalid", f"The cycle's description is not usable ({e}): it needs an "
                      "identity_version and, per participant, an ed25519 key, a schema and payload_fields.") from None
    if registry in participants:
        raise Refused(400, "cycle.invalid", "The registry is the cycle's registry side, not a participant.")
    for holder, key, _schema, _fields in rows:
        known = store.holder(holder)
        if known is not None and known.role == "registry":
            raise Refused(400, "cycle.invalid", f"“{holder}” is a registry, not an agency.")
        if known is None or known.ed25519 != key:
            store.add_holder(holder, "agency", key)
    with store.db() as db:
        cycle = db.execute("SELECT * FROM cycles WHERE code = ?", (code,)).fetchone()
        if cycle is not None and cycle["registry"] != registry:
            raise Refused(403, "cycle.forbidden", "This cycle belongs to another registry.")
        if cycle is not None and cycle["state"] != OPEN:
            raise Refused(409, "cycle.state", f"Cycle “{code}” is {cycle['state']}: its participants are fixed.")
        if cycle is None:
            db.execute("INSERT INTO cycles (code, registry, state, identity_version, opened_at) VALUES "
                       "(?, ?, ?, ?, ?)", (code, registry, OPEN, identity_version, now()))
        else:
            db.execute("UPDATE cycles SET identity_version = ? WHERE code = ?", (identity_version, code))
        db.execute("DELETE FROM participants WHERE cycle = ?", (code,))
        db.executemany("INSERT INTO participants (cycle, holder, schema, payload_fields) VALUES (?, ?, ?, ?)",
                       [(code, h, s, json.dumps(f, ensure_ascii=False)) for h, _k, s, f in rows])
    store.event(registry, "cycle_open", cycle=code, participants=sorted(participants))
    return cycle_status(store, code, registry)


def cycle_row(store: HubStore, code: str):
    with store.db() as db:
        row = db.execute("SELECT * FROM cycles WHERE code = ?", (code,)).fetchone()
    if row is None:
        raise Refused(404, "cycle.unknown", f"The hub has no cycle “{code}”: the registry opens it first.")
    return row


def own_cycle(store: HubStore, code: str, registry: str):
    row = cycle_row(store, code)
    if row["registry"] != registry:
        raise Refused(403, "cycle.forbidden", "This cycle belongs to another registry.")
    return row


def participant(store: HubStore, code: str, holder: str):
    with store.db() as db:
        return db.execute("SELECT * FROM participants WHERE cycle = ? AND holder = ?", (code, holder)).fetchone()


def cycle_status(store: HubStore, code: str, registry: str) -> dict:
    """What the registry sees of its cycle: each holder's package in use, refusals, and the runs."""
    cycle = own_cycle(store, code, registry)
    with store.db() as db:
        holders = [r["holder"] for r in db.execute("SELECT holder FROM participants WHERE cycle = ? ORDER BY holder",
                                                   (code,))]
        packages = [package_dict(r) for r in db.execute(
            "SELECT * FROM packages WHERE cycle = ? ORDER BY id DESC LIMIT 200", (code,))]
        runs = [run_dict(r) for r in db.execute("SELECT * FROM runs WHERE cycle = ? ORDER BY id DESC", (code,))]
    return {"cycle": code, "state": cycle["state"], "registry": cycle["registry"], "participants": holders,
            "identity_version": cycle["identity_version"], "opened_at": cycle["opened_at"],
            "closed_at": cycle["closed_at"], "packages": packages, "runs": runs}


def close_cycle(store: HubStore, code: str, registry: str) -> dict:
    """Close the cycle: whatever packages and hits are still kept are deleted (logged)."""
    own_cycle(store, code, registry)
    with store.db() as db:
        running = db.execute("SELECT 1 FROM runs WHERE cycle = ? AND state IN ('queued', 'running')",
                             (code,)).fetchone()
        if running:
            raise Refused(409, "cycle.state", "The cycle is running.")
        db.execute("UPDATE cycles SET state = ?, closed_at = ? WHERE code = ?", (CLOSED, now(), code))
        db.execute("UPDATE packages SET deleted_at = ? WHERE cycle = ? AND deleted_at IS NULL AND path != ''",
                   (now(), code))
    for folder in ("packages", "runs"):
        shutil.rmtree(store.data_dir / folder / safe(code), ignore_errors=True)
    store.event(registry, "cycle_close", cycle=code)
    return cycle_status(store, code, registry)


def package_dict(row) -> dict:
    return {"id": row["id"], "cycle": row["cycle"], "holder": row["holder"], "status": row["status"],
            "reason": row["reason"], "sha256": row["sha256"], "size_bytes": row["size_bytes"],
            "records": row["records"], "received_at": row["received_at"], "superseded": bool(row["superseded"]),
            "deleted_at": row["deleted_at"]}


def run_dict(row) -> dict:
    return {"id": row["id"], "cycle": row["cycle"], "state": row["state"], "stage": row["stage"],
            "progress_done": row["progress_done"], "progress_total": row["progress_total"],
            "dedupe": bool(row["dedupe"]), "packages": loads(row["packages"]), "queued_at": row["queued_at"],
            "started_at": row["started_at"], "finished_at": row["finished_at"], "heartbeat_at": row["heartbeat_at"],
            "log": loads(row["log"]) or {}, "error": row["error"], "delivered_at": row["delivered_at"]}
