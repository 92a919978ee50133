"""Nothing lost, nothing doubled: an import killed (SIGKILL, no clean-up) at each stage and run again ends with
exactly the records of an import that was never interrupted."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DATA

SIJILL = str(Path(sys.executable).with_name("sijill"))
TABLES = ["registry_person", "registry_household", "registry_membership"]


def _env(data: Path, fault: str = "") -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "SIJILL_FAULT")}
    env.update(SIJILL_DATA_DIR=str(data), SIJILL_ENV="development", SIJILL_SECRET_KEY="faults-" + "x" * 40)
    if fault:
        env["SIJILL_FAULT"] = fault
    return env


def _import(data: Path, file: Path, fault: str = "") -> int:
    return subprocess.run([SIJILL, "import", "registry", str(file), "--schema", "members"],
                          env=_env(data, fault), capture_output=True, timeout=300).returncode


def _contents(data: Path) -> dict[str, list]:
    with sqlite3.connect(data / "sijill.sqlite3") as db:
        return {
            "persons": db.execute("SELECT record_id, given, father, national_id, governorate FROM registry_person "
                                  "ORDER BY record_id").fetchall(),
            "households": db.execute("SELECT household_id FROM registry_household ORDER BY 1").fetchall(),
            "memberships": db.execute("SELECT p.record_id, h.household_id, m.relation FROM registry_membership m "
                                      "JOIN registry_person p ON p.id = m.person_id JOIN registry_household h "
                                      "ON h.id = m.household_id ORDER BY 1").fetchall(),
        }


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    """An empty, migrated installation, copied by each test (migrating once keeps the tests fast)."""
    data = tmp_path_factory.mktemp("empty") / "data"
    subprocess.run([SIJILL, "manage", "migrate", "--verbosity", "0"], env=_env(data), check=True)
    return data


def _fresh(migrated: Path, into: Path) -> Path:
    shutil.copytree(migrated, into / "data")
    shutil.copy(DATA / "members.csv", into / "members.csv")
    return into / "data"


@pytest.fixture(scope="module")
def uninterrupted(migrated, tmp_path_factory) -> dict[str, list]:
    base = tmp_path_factory.mktemp("clean")
    data = _fresh(migrated, base)
    assert _import(data, base / "members.csv") == 0
    found = _contents(data)
    assert len(found["persons"]) == 9
    return found


# killed when a batch is written (its transaction committed) and when every row is written but the run is
# not yet marked done
STAGES = ["import.batch_written", "import.before_finish"]


@pytest.mark.parametrize("fault", STAGES)
def test_an_import_killed_at_any_stage_and_run_again_loses_and_doubles_nothing(tmp_path, migrated, uninterrupted,
                                                                              fault):
    data = _fresh(migrated, tmp_path)
    assert _import(data, tmp_path / "members.csv", fault) == -signal.SIGKILL
    assert _import(data, tmp_path / "members.csv") == 0
    assert _contents(data) == uninterrupted
