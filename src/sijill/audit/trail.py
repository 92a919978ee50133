"""Writing to and checking the audit trail."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import functools
import hashlib
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connections, router, transaction
from django.utils import timezone

from . import alerts
from .models import AuditEntry, AuditHead

GENESIS = "0" * 64
_CHUNK = 5_000
# One writer at a time per process: the chain serialises writers anyway, and a thread waiting here wakes
# as soon as the lock is free, where one waiting on SQLite's busy handler sleeps in steps of up to 100 ms.
_APPEND = threading.Lock()


def canonical_json(details: dict) -> str:
    return json.dumps(details, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def _utc(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(entry: AuditEntry) -> str:
    """SHA-256 over every field of the entry and the previous entry's hash."""
    fields = [entry.seq, _utc(entry.at), entry.actor, entry.role, entry.action, entry.target_type,
              entry.target_id, entry.details, entry.ip, entry.prev_hash]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


def _actor_of(request, user, actor: str | None) -> tuple[str, str]:
    user = user or (getattr(request, "user", None) if request is not None else None)
    if actor:
        return actor, getattr(user, "role", "") or ""
    if user is not None and getattr(user, "is_authenticated", False):
        return user.get_username(), user.role or ""
    return "anonymous", ""


def client_ip(request) -> str | None:
    """The address a request came from (the proxy's forwarded address when the server is behind one)."""
    if request is None:
        return None
    if settings.BEHIND_PROXY and (forwarded := request.META.get("HTTP_X_FORWARDED_FOR")):
        return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


def record(action: str, *, request=None, user=None, actor: str | None = None, target=None,
           target_type: str = "", target_id: str = "", ip: str | None = None, **details) -> AuditEntry:
    """Append one entry. ``target`` is a model instance (its label and natural key are kept)."""
    name, role = _actor_of(request, user, actor)
    if target is not None:
        target_type = target_type or target._meta.model_name
        target_id = target_id or str(getattr(target, "natural_key_value", None) or target.pk)
    entry = AuditEntry(at=timezone.now(), actor=name[:150], role=role, action=action,
                       target_type=target_type[:32], target_id=str(target_id)[:64],
                       details=canonical_json(details) if details else "",
                       ip=(ip or client_ip(request) or "")[:45])
    _append(entry, router.db_for_write(AuditEntry))
    if action in alerts.rules():
        alerts.check(entry, record)
    return entry


_FIELDS = ("seq", "at", "actor", "role", "action", "target_type", "target_id", "details", "ip", "prev_hash", "hash")


@contextlib.contextmanager
def _writer_lock(connection):
    """One audit writer at a time: in this process (a lock), and for SQLite across the server's processes
    too (an advisory lock on a file beside the database). A waiter wakes the moment the lock is free,
    where SQLite's own busy handler would sleep in steps of up to 100 ms."""
    with _APPEND:
        fd = _lock_file(connection.settings_dict["NAME"], os.getpid()) if connection.vendor == "sqlite" else None
        if fd is None:
            yield
            return
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)


@functools.cache
def _lock_file(database: str, pid: int) -> int | None:
    """The lock file's descriptor, opened by each process itself (a descriptor inherited through fork would
    be one lock shared by parent and child)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return os.open(f"{database}.audit-lock", os.O_RDWR | os.O_CREAT, 0o600)


def _append(entry: AuditEntry, alias: str) -> None:
    """Chain ``entry`` to the head and insert it, in one short transaction. Plain SQL: every request
    writes one entry, and the ORM's statement building cost more than the statements themselves."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    head_table, table = quote(AuditHead._meta.db_table), quote(AuditEntry._meta.db_table)
    columns = ", ".join(quote(AuditEntry._meta.get_field(f).column) for f in _FIELDS)
    lock_row = " FOR UPDATE" if connection.features.has_select_for_update else ""
    # Not when the caller's transaction already holds the database: a thread waiting for that transaction
    # would hold _APPEND while the caller waits for _APPEND.
    lock = contextlib.nullcontext() if connection.in_atomic_block else _writer_lock(connection)
    with lock, transaction.atomic(using=alias), connection.cursor() as cursor:
        cursor.execute(f"SELECT seq, hash FROM {head_table} WHERE id = 1{lock_row}")
        head = cursor.fetchone()
        if head is None:
            cursor.execute(f"INSERT INTO {head_table} (id, seq, hash) VALUES (1, 0, %s)", [GENESIS])
            head = (0, GENESIS)
        entry.seq, entry.prev_hash = head[0] + 1, head[1]
        entry.hash = entry_hash(entry)
        values = [getattr(entry, f) for f in _FIELDS]
        values[1] = connection.ops.adapt_datetimefield_value(entry.at)
        cursor.execute(f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(_FIELDS))}) RETURNING id",
                       values)
        entry.pk = cursor.fetchone()[0]
        cursor.execute(f"UPDATE {head_table} SET seq = %s, hash = %s WHERE id = 1", [entry.seq, entry.hash])
    entry._state.adding, entry._state.db = False, alias


@dataclass
class Verification:
    ok: bool
    entries: int
    head_seq: int
    head_hash: str
    broken_seq: int | None = None
    reason: str = ""

    def __str__(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.entries} entries, last #{self.head_seq}, hash {self.head_hash}"
        return f"audit chain broken at entry #{self.broken_seq}: {self.reason}"


def verify(progress: Callable[[int], None] | None = None) -> Verification:
    """Check every entry in order: numbers without gaps, each linked to the one before, each hash matching
    its content, and the head matching the last entry. Names the first entry that fails."""
    alias = router.db_for_read(AuditEntry)
    expected_seq, prev = 1, GENESIS
    count = 0
    entries = AuditEntry.objects.using(alias).order_by("seq").iterator(chunk_size=_CHUNK)
    for e in entries:
        if e.seq != expected_seq:
            return Verification(False, count, expected_seq - 1, prev, expected_seq,
                                f"entry #{expected_seq} is missing (the next entry is #{e.seq})")
        if e.prev_hash != prev:
            return Verification(False, count, e.seq, prev, e.seq,
                                "it does not carry the hash of the entry before it")
        if entry_hash(e) != e.hash:
            return Verification(False, count, e.seq, prev, e.seq,
                                "its content was changed after it was written (its hash does not match)")
        prev, expected_seq = e.hash, e.seq + 1
        count += 1
        if progress and count % _CHUNK == 0:
            progress(count)
    head = AuditHead.objects.using(alias).filter(pk=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if (head_seq, head_hash) != (expected_seq - 1, prev):
        return Verification(False, count, expected_seq - 1, prev, expected_seq,
                            f"entries after #{expected_seq - 1} were removed (the head records #{head_seq})")
    return Verification(True, count, head_seq, head_hash)
