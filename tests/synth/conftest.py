"""One small synthetic world shared by the synth tests (generated once per test session)."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from sijill.synth import generate_world

PERSONS, SEED = 2000, 7  # test_world.py repeats them


@pytest.fixture(scope="session")
def world(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("world")
    summary = generate_world(outdir, PERSONS, SEED)
    manifest = json.loads((outdir / "manifest.json").read_text(encoding="utf-8"))
    persons = pq.read_table(outdir / "truth" / "persons.parquet").to_pylist()
    return {"dir": outdir, "summary": summary, "manifest": manifest, "persons": persons}
