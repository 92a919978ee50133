"""Fixtures: the small world's keys, schemas, files and packages (see pprl_world.py), made once a session."""

from __future__ import annotations

from pathlib import Path

import pytest
from pprl_world import (
    COURT,
    COURT_HEADER,
    COURT_SCHEMA,
    REGISTRY,
    REGISTRY_HEADER,
    REGISTRY_SCHEMA,
    encode_file,
    write_csv,
)

from sijill.pprl.holder import EncodeResult, init_keys, trust_key


@pytest.fixture(scope="session")
def world(tmp_path_factory) -> Path:
    """Key folders for the registry and the court (joined to the registry's cycle), trusting each other."""
    root = tmp_path_factory.mktemp("world")
    init_keys(root / "keys" / "registry", "registry")
    init_keys(root / "keys" / "courts", "courts", join=root / "keys" / "registry")
    trust_key(root / "keys" / "registry", root / "keys" / "courts" / "holder.pub")
    (root / "registry.yaml").write_text(REGISTRY_SCHEMA, encoding="utf-8")
    (root / "courts.yaml").write_text(COURT_SCHEMA, encoding="utf-8")
    write_csv(root / "registry.csv", REGISTRY_HEADER, REGISTRY, encoding="cp1256")  # as Arabic Excel saves it
    write_csv(root / "courts.csv", COURT_HEADER, COURT, encoding="utf-8-sig")
    return root


@pytest.fixture(scope="session")
def packages(world: Path, tmp_path_factory) -> dict[str, EncodeResult]:
    out = tmp_path_factory.mktemp("packages")
    return {who: encode_file(world, who, out / f"{who}.pkg") for who in ("registry", "courts")}
