"""Fixtures: the hub's world, made once a session (see linkage_world.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from linkage_world import build_world


@pytest.fixture(scope="session")
def hub_world(tmp_path_factory) -> Path:
    return build_world(tmp_path_factory.mktemp("hub"), 20_000, seed=5)
