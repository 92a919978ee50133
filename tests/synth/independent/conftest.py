"""One small second world shared by these tests (generated once per session)."""

from __future__ import annotations

import json

import pytest

from sijill.synth.independent import generate_independent_world

PERSONS, SEED = 2000, 1001  # a tuning seed (docs/synthetic-world-b.md)


@pytest.fixture(scope="session")
def world_b(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("world_b")
    summary = generate_independent_world(outdir, PERSONS, SEED)
    manifest = json.loads((outdir / "manifest.json").read_text(encoding="utf-8"))
    return {"dir": outdir, "summary": summary, "manifest": manifest}
