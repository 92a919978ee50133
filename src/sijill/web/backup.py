"""Backup and restore of a whole installation: the database and the files under SIJILL_DATA_DIR.

A backup folder holds ``database.sqlite3`` (SQLite's online backup: a consistent copy while the server runs) or
``database.pgdump`` (``pg_dump``'s custom format, taken in the same snapshot as the counts), ``files/`` (the
key folders, uploaded and generated files: visit photos, reply documents, notices, packages, maps) and
``manifest.json``: the record count of every table, the audit trail's head (number and hash) and the SHA-256 of
every file, all of the same moment. The tips key (which opens hotline callers' identities) is never in the
same folder as the database that holds their sealed names: ``tips_key_to`` copies it to a place of its own
(another medium, another custodian), and ``restore(..., tips_key=)`` puts it back after checking its digest.
A restore checks every file against the manifest before it touches anything, puts the database and the files
back, then verifies the audit chain and compares the head and every count with the manifest: a restore that
does not give back exactly what was saved says so and fails.

The folder holds the registry's keys and everyone's personal data: it is made readable by its owner only (0700/0600).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection, connections

from sijill import __version__
from sijill.audit.models import AuditEntry, AuditHead
from sijill.audit.trail import verify
from sijill.files import create_private
from sijill.tips import sealing

MANIFEST = "manifest.json"
SQLITE_COPY = "database.sqlite3"
PG_DUMP = "database.pgdump"
FILES = "files"
# under the data folder, never in a backup: served copies of the install's assets, half-received uploads
SKIPPED = ("static", "packages/.incoming")


class BackupError(RuntimeError):
    """A backup or restore that cannot be made or does not match its manifest; the message says why."""


@dataclass
class Manifest:
    created_at: str
    sijill_version: str
    vendor: str
    counts: dict[str, int]
    audit_seq: int
    audit_hash: str
    files: dict[str, str] = field(default_factory=dict)
    tips_key_sha256: str = ""  # of the tips key saved apart, if it was

    def write(self, folder: Path) -> None:
        _private_file(folder / MANIFEST, json.dumps(self.__dict__, ensure_ascii=False, indent=2).encode())

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        try:
            return cls(**json.loads((folder / MANIFEST).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError) as e:
            raise BackupError(f"{folder}: not a Sijill backup ({MANIFEST} missing or unreadable: {e})") from None


@dataclass
class Restored:
    manifest: Manifest
    audit: str
    files: int
    tips_key: bool


def _private_file(path: Path, data: bytes) -> None:
    with create_private(path, "wb", exclusive=False) as f:
        f.write(data)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _tables() -> dict[str, str]:
    """Every table of the installation: ``app_label.Model`` -> table name."""
    return {m._meta.label: m._meta.db_table for m in apps.get_models(include_auto_created=True)
            if m._meta.managed and not m._meta.proxy}


def _database_files() -> set[Path]:
    if connection.vendor != "sqlite":
        return set()
    name = Path(str(connection.settings_dict["NAME"])).resolve()
    return {Path(f"{name}{suffix}") for suffix in ("", "-wal", "-shm", "-journal", ".audit-lock")}


def _tips_key() -> Path:
    return sealing.key_path()


def _data_files(exclude: Path | None) -> list[Path]:
    root = Path(settings.DATA_DIR).resolve()
    if not root.is_dir():
        return []
    skipped = [root / s for s in SKIPPED] + ([exclude.resolve()] if exclude else []) + [_tips_key().resolve()]
    skipped += [p.resolve() for p in _tips_key().parent.glob(f"{_tips_key().name}.*")]  # retired tips keys
    database = _database_files()
    found = []
    for path in sorted(root.rglob("*")):
        resolved = path.resolve()
        if not path.is_file() or path.is_symlink() or resolved in database:
            continue
        if any(resolved == s or s in resolved.parents for s in skipped):
            continue
        found.append(path)
    return found


# --- backup ---------------------------------------------------------------------------------------------

def backup(target: Path, *, tips_key_to: Path | None = None) -> Manifest:
    """Write a backup of the database and the data folder into ``target`` (new, or an empty folder); the tips
    key, if ``tips_key_to`` names a file outside ``target``, there."""
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target}: the folder is not empty; a backup goes into a new folder")
    if tips_key_to is not None and target.resolve() in Path(tips_key_to).resolve().parents:
        raise BackupError("the tips key must be saved apart from the backup that holds the sealed tips")
    target.mkdir(parents=True, exist_ok=True)
    os.chmod(target, 0o700)
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        counts, head = _backup_sqlite(target / SQLITE_COPY)
    elif connection.vendor == "postgresql":
        counts, head = _backup_postgresql(target / PG_DUMP)
    else:
        raise BackupError(f"backups of a {connection.vendor} database are not supported")
    manifest = Manifest(created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                        sijill_version=__version__, vendor=connection.vendor, counts=counts,
                        audit_seq=head[0], audit_hash=head[1])
    root = Path(settings.DATA_DIR).resolve()
    for path in _data_files(exclude=target):
        relative = path.resolve().relative_to(root).as_posix()
        _copy_private(path, target / FILES / relative)
        manifest.files[relative] = _sha256(target / FILES / relative)
    if tips_key_to is not None and _tips_key().is_file():
        _copy_private(_tips_key(), Path(tips_key_to))
        manifest.tips_key_sha256 = _sha256(Path(tips_key_to))
    manifest.write(target)
    return manifest


def _copy_private(source: Path, destination: Path) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(source, "rb") as src, create_private(destination, "wb", exclusive=False) as out:
        shutil.copyfileobj(src, out, 1 << 20)


def _backup_sqlite(copy: Path) -> tuple[dict[str, int], tuple[int, str]]:
    """SQLite's online backup of the live database (WAL included), then the counts read from the copy."""
    destination = sqlite3.connect(copy)
    try:
        connection.connection.backup(destination)
        tables = _tables()
        counts = {label: destination.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
                  for label, table in tables.items()}
        row = destination.execute(f'SELECT seq, hash FROM "{AuditHead._meta.db_table}" WHERE id = 1').fetchone()
    finally:
        destination.close()
    os.chmod(copy, 0o600)
    return counts, (row[0], row[1]) if row else (0, "")


def _pg_environment(settings_dict: dict) -> tuple[list[str], dict[str, str]]:
    arguments = []
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings_dict.get(key):
            arguments += [option, str(settings_dict[key])]
    environment = {**os.environ}
    if settings_dict.get("PASSWORD"):
        environment["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    return arguments, environment


def _backup_postgresql(dump: Path) -> tuple[dict[str, int], tuple[int, str]]:
    """``pg_dump`` in the very snapshot the counts and the audit head were read in (``--snapshot``)."""
    import psycopg

    settings_dict = connection.settings_dict
    params = {k: v for k, v in (("dbname", settings_dict["NAME"]), ("user", settings_dict.get("USER")),
                                ("password", settings_dict.get("PASSWORD")), ("host", settings_dict.get("HOST")),
                                ("port", settings_dict.get("PORT"))) if v}
    with psycopg.connect(**params, autocommit=True) as snapshot:
        snapshot.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot_id = snapshot.execute("SELECT pg_export_snapshot()").fetchone()[0]
        counts = {label: snapshot.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]
                  for label, table in _tables().items()}
        row = snapshot.execute(f'SELECT seq, hash FROM "{AuditHead._meta.db_table}" WHERE id = 1').fetchone()
        arguments, environment = _pg_environment(settings_dict)
        done = subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--snapshot={snapshot_id}",
                               f"--file={dump}", *arguments, str(settings_dict["NAME"])],
                              env=environment, capture_output=True, text=True)
        snapshot.execute("ROLLBACK")
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
    os.chmod(dump, 0o600)
    return counts, (row[0], row[1]) if row else (0, "")


# --- restore --------------------------------------------------------------------------------------------

def restore(source: Path, *, replace: bool = False, tips_key: Path | None = None) -> Restored:
    """Put the backup in ``source`` back into the configured database and data folder (and the tips key saved
    apart, if given), then verify it."""
    source = Path(source)
    manifest = Manifest.read(source)
    connection.ensure_connection()
    if manifest.vendor != connection.vendor:
        raise BackupError(f"the backup is of a {manifest.vendor} database; this installation uses "
                          f"{connection.vendor}")
    for relative, digest in manifest.files.items():
        stored = source / FILES / relative
        if not stored.is_file() or _sha256(stored) != digest:
            raise BackupError(f"{stored}: missing or changed since the backup (its SHA-256 differs): "
                              "nothing was restored")
    if tips_key is not None and (not Path(tips_key).is_file() or _sha256(Path(tips_key)) != manifest.tips_key_sha256):
        raise BackupError(f"{tips_key}: not the tips key saved with this backup (its SHA-256 differs): "
                          "nothing was restored")
    if not replace and _has_data():
        raise BackupError("the database already holds records: restore into an empty installation, or give "
                          "--replace to overwrite it")
    if connection.vendor == "sqlite":
        _restore_sqlite(source / SQLITE_COPY)
    else:
        _restore_postgresql(source / PG_DUMP)
    root = Path(settings.DATA_DIR)
    for relative in manifest.files:
        _copy_private(source / FILES / relative, root / relative)
    if tips_key is not None:
        _copy_private(Path(tips_key), _tips_key())
    return Restored(manifest, check(manifest), len(manifest.files), tips_key is not None)


def _has_data() -> bool:
    try:
        return AuditEntry.objects.exists()
    except Exception:  # no tables yet: a fresh database
        connection.close()
        return False


def _restore_sqlite(copy: Path) -> None:
    if not copy.is_file():
        raise BackupError(f"{copy}: the database copy is missing")
    backup_db = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
    try:
        connection.ensure_connection()
        backup_db.backup(connection.connection)
    finally:
        backup_db.close()


def _restore_postgresql(dump: Path) -> None:
    if not dump.is_file():
        raise BackupError(f"{dump}: the database dump is missing")
    settings_dict = connection.settings_dict
    connections.close_all()
    arguments, environment = _pg_environment(settings_dict)
    done = subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
                           f"--dbname={settings_dict['NAME']}", *arguments, str(dump)],
                          env=environment, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()}")


def check(manifest: Manifest) -> str:
    """The restored database against the manifest: the audit chain intact and at the saved head, every table
    holding the saved number of records. Returns the chain's verification; raises when anything differs."""
    result = verify()
    if not result.ok:
        raise BackupError(f"after the restore, {result}")
    if (result.head_seq, result.head_hash) != (manifest.audit_seq, manifest.audit_hash):
        raise BackupError(f"after the restore the audit trail ends at #{result.head_seq}, the backup at "
                          f"#{manifest.audit_seq}")
    with connection.cursor() as cursor:
        differ = []
        for label, table in _tables().items():
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
            count = cursor.fetchone()[0]
            if count != manifest.counts.get(label, 0):
                differ.append(f"{label}: {count} (saved {manifest.counts.get(label, 0)})")
    if differ:
        raise BackupError("after the restore, these tables differ from the backup: " + "; ".join(differ))
    return str(result)
