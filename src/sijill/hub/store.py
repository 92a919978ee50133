"""The hub's own data folder: a SQLite database of holders, cycles, packages and runs, and the files it keeps.

::

    hub.sqlite3                 holders (public keys), cycles, packages received, runs and their logs
    incoming/                   an upload being checked (deleted whatever the verdict)
    packages/<cycle>/           accepted packages (encodings and sealed payloads), until retention
    runs/<cycle>/run-<id>/      a run's hits (sealed payloads of hits only) until the registry has them

Nothing here is a secret: public keys, encodings made with a secret the hub never sees, payloads sealed to the
registry. The folder refuses to hold a key file (``*.secret``), so a hub cannot be pointed at a key folder.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DATABASE = "hub.sqlite3"
SCHEMA = """
CREATE TABLE IF NOT EXISTS holders (
    name TEXT PRIMARY KEY, role TEXT NOT NULL CHECK (role IN ('registry', 'agency')), ed25519 TEXT NOT NULL,
    added_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cycles (
    code TEXT PRIMARY KEY, registry TEXT NOT NULL, state TEXT NOT NULL, identity_version TEXT NOT NULL,
    opened_at TEXT NOT NULL, closed_at TEXT);
CREATE TABLE IF NOT EXISTS participants (
    cycle TEXT NOT NULL, holder TEXT NOT NULL, schema TEXT NOT NULL, payload_fields TEXT NOT NULL,
    PRIMARY KEY (cycle, holder));
CREATE TABLE IF NOT EXISTS packages (
    id INTEGER PRIMARY KEY, cycle TEXT NOT NULL, holder TEXT NOT NULL, status TEXT NOT NULL, reason TEXT NOT NULL,
    sha256 TEXT NOT NULL, size_bytes INTEGER NOT NULL, records INTEGER NOT NULL, path TEXT NOT NULL,
    received_at TEXT NOT NULL, superseded INTEGER NOT NULL DEFAULT 0, deleted_at TEXT);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, cycle TEXT NOT NULL, state TEXT NOT NULL, stage TEXT NOT NULL,
    progress_done INTEGER NOT NULL DEFAULT 0, progress_total INTEGER NOT NULL DEFAULT 0, dedupe INTEGER NOT NULL,
    packages TEXT NOT NULL, queued_at TEXT NOT NULL, started_at TEXT, finished_at TEXT, heartbeat_at TEXT,
    log TEXT NOT NULL DEFAULT '{}', error TEXT NOT NULL DEFAULT '', delivered_at TEXT);
CREATE TABLE IF NOT EXISTS nonces (
    holder TEXT NOT NULL, nonce TEXT NOT NULL, at REAL NOT NULL, PRIMARY KEY (holder, nonce));
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, holder TEXT NOT NULL, event TEXT NOT NULL, detail TEXT NOT NULL);
"""


class SecretInDataFolder(RuntimeError):
    """The hub's data folder holds a key file: a hub must never be given one."""


def now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Holder:
    name: str
    role: str  # registry or agency
    ed25519: bytes


class HubStore:
    """The hub's database and folders. Every method opens its own connection, so threads may share a store."""

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir).resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        secrets = sorted(str(p.relative_to(self.data_dir)) for p in self.data_dir.rglob("*.secret"))
        if secrets:
            raise SecretInDataFolder(f"{self.data_dir}: holds key files ({', '.join(secrets[:3])}); a hub's data "
                                     "folder must hold no secret: give it a folder of its own")
        self._lock = threading.Lock()
        connection = sqlite3.connect(self.data_dir / DATABASE, timeout=30)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(SCHEMA)
        finally:
            connection.close()

    @contextmanager
    def db(self):
        """A connection in one transaction (committed on success), rows readable by name."""
        connection = sqlite3.connect(self.data_dir / DATABASE, timeout=30, isolation_level=None)
        connection.row_factory = sqlite3.Row
        try:
            connection.execute("BEGIN IMMEDIATE")
            yield connection
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
        finally:
            connection.close()

    # --- folders -------------------------------------------------------------------------------------

    def folder(self, *parts: str) -> Path:
        path = self.data_dir.joinpath(*parts)
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        return path

    def run_dir(self, cycle: str, run_id: int) -> Path:
        return self.data_dir / "runs" / safe(cycle) / f"run-{run_id}"

    # --- holders -------------------------------------------------------------------------------------

    def add_holder(self, name: str, role: str, ed25519: bytes) -> None:
        with self.db() as db:
            db.execute("INSERT INTO holders (name, role, ed25519, added_at) VALUES (?, ?, ?, ?) ON CONFLICT(name) "
                       "DO UPDATE SET role = excluded.role, ed25519 = excluded.ed25519", (name, role, ed25519.hex(),
                                                                                        now()))
        self.event("hub", "holder_key", holder=name, role=role, ed25519=ed25519.hex())

    def holder(self, name: str) -> Holder | None:
        with self.db() as db:
            row = db.execute("SELECT * FROM holders WHERE name = ?", (name,)).fetchone()
        return Holder(row["name"], row["role"], bytes.fromhex(row["ed25519"])) if row else None

    def seen_nonce(self, holder: str, nonce: str, at: float, keep_seconds: float) -> bool:
        """Remember ``nonce`` of ``holder``; True when it was already used (a replayed request)."""
        with self.db() as db:
            db.execute("DELETE FROM nonces WHERE at < ?", (at - keep_seconds,))
            try:
                db.execute("INSERT INTO nonces (holder, nonce, at) VALUES (?, ?, ?)", (holder, nonce, at))
            except sqlite3.IntegrityError:
                return True
        return False

    def event(self, who: str, event: str, **detail) -> None:
        """The hub's own log: who sent, ran, fetched or deleted what (hashes and counts, never a value)."""
        with self.db() as db:
            db.execute("INSERT INTO events (at, holder, event, detail) VALUES (?, ?, ?, ?)",
                       (now(), who, event, json.dumps(detail, ensure_ascii=False, sort_keys=True)))


def safe(code: str) -> str:
    """A cycle code or holder name usable as a folder name."""
    if not code or len(code) > 64 or not all(c.isalnum() or c in "-_." for c in code) or code.startswith("."):
        raise ValueError(f"{code!r} is not a usable name")
    return code


def loads(text: str | None):
    return json.loads(text) if text else None
