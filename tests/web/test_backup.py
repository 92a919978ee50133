"""`sijill backup DIR` / `sijill restore DIR`: a real installation (its own database and data folder, driven
through the command line in separate processes) backed up, lost, restored into a fresh one, and verified by
the audit chain and every table's record count; on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from conftest import DATA, IN_CI, POSTGRESQL_MISSING


def sijill(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([str(Path(sys.executable).parent / "sijill"), *args], env=env, capture_output=True, text=True,
                          timeout=600)
    if check and done.returncode != 0:
        raise AssertionError(f"sijill {' '.join(args)}: {done.stdout}\n{done.stderr}")
    return done


def installation(data_dir: Path, database_url: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    env.update({"SIJILL_DATA_DIR": str(data_dir), "SIJILL_SECRET_KEY": "backup-test-" + "x" * 40,
                "SIJILL_ENV": "development", "COLUMNS": "400"})
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _postgresql_database(name: str) -> str:
    """A new, empty database on the PostgreSQL server DATABASE_URL names; its URL."""
    import psycopg

    url = os.environ["DATABASE_URL"]
    with psycopg.connect(url, autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}"')
        c.execute(f'CREATE DATABASE "{name}"')
    return url.rsplit("/", 1)[0] + "/" + name


def _drop(url: str) -> None:
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}"')


@pytest.fixture(params=["sqlite", "postgresql"])
def databases(request, tmp_path):
    """The database URL of the installation backed up, and of the fresh one restored into."""
    if request.param == "sqlite":
        yield None, None
        return
    if POSTGRESQL_MISSING:
        if IN_CI:
            pytest.fail(f"CI must run the PostgreSQL tests, but {POSTGRESQL_MISSING}")
        pytest.skip(f"PostgreSQL tests skipped: {POSTGRESQL_MISSING}; .ci/run starts one")
    suffix = uuid.uuid4().hex[:8]
    urls = _postgresql_database(f"sijill_backup_{suffix}"), _postgresql_database(f"sijill_restore_{suffix}")
    yield urls
    for url in urls:
        _drop(url)


def test_a_backup_restores_into_a_fresh_installation_exactly(tmp_path, databases):
    source_db, fresh_db = databases
    live = installation(tmp_path / "live", source_db)
    sijill(live, "manage", "migrate", "--verbosity", "0")
    shutil.copy(DATA / "members.csv", tmp_path / "members.csv")  # its report is written beside it
    sijill(live, "import", "registry", str(tmp_path / "members.csv"), "--schema", "members")
    sijill(live, "tips", "init-key")
    (tmp_path / "live" / "media" / "visits").mkdir(parents=True)
    (tmp_path / "live" / "media" / "visits" / "photo.jpg").write_bytes(b"\xff\xd8 a visit photo")
    backup = tmp_path / "backup"
    made = sijill(live, "backup", str(backup), "--tips-key-to", str(tmp_path / "custodian" / "tips.key"))
    assert "backup written" in made.stdout
    manifest = json.loads((backup / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["registry.Person"] == 9 and manifest["audit_seq"] > 0
    assert "media/visits/photo.jpg" in manifest["files"] and manifest["tips_key_sha256"]
    assert not list(backup.rglob("tips.key"))  # never beside the sealed tips it opens
    assert not [f for f in manifest["files"] if f.startswith("static/") or "sqlite3" in f]
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in backup.rglob("*") if p.is_file()}
    assert set(modes.values()) == {0o600} and stat.S_IMODE(backup.stat().st_mode) == 0o700

    shutil.rmtree(tmp_path / "live")  # the server is lost
    fresh = installation(tmp_path / "fresh", fresh_db)
    restored = sijill(fresh, "restore", str(backup), "--tips-key", str(tmp_path / "custodian" / "tips.key"))
    assert "restored" in restored.stdout and "every table's count matches" in restored.stdout
    assert (tmp_path / "fresh" / "keys" / "tips.key").read_bytes() == (tmp_path / "custodian/tips.key").read_bytes()
    assert (tmp_path / "fresh" / "media" / "visits" / "photo.jpg").is_file()
    verified = sijill(fresh, "audit", "verify")
    assert "audit chain intact" in verified.stdout
    again = sijill(fresh, "restore", str(backup), check=False)  # never over a database in use, unless told
    assert again.returncode == 1 and "--replace" in again.stdout
    assert sijill(fresh, "restore", str(backup), "--replace").returncode == 0


def test_a_damaged_backup_is_refused_before_anything_is_restored(tmp_path):
    live = installation(tmp_path / "live", None)
    sijill(live, "manage", "migrate", "--verbosity", "0")
    (tmp_path / "live" / "media").mkdir(parents=True)
    (tmp_path / "live" / "media" / "notice.pdf").write_bytes(b"%PDF a notice")
    sijill(live, "backup", str(tmp_path / "backup"))
    stored = tmp_path / "backup" / "files" / "media" / "notice.pdf"
    stored.write_bytes(b"%PDF a changed notice")
    fresh = installation(tmp_path / "fresh", None)
    refused = sijill(fresh, "restore", str(tmp_path / "backup"), check=False)
    assert refused.returncode == 1 and "notice.pdf" in refused.stdout and "nothing was restored" in refused.stdout
    assert not (tmp_path / "fresh" / "media").exists()
    assert sijill(live, "backup", str(tmp_path / "backup"), check=False).returncode == 1  # never over another
