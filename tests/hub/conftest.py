"""Fixtures of the hub tests (helpers in hub_world.py)."""

from __future__ import annotations

import subprocess

import pytest
from hub_world import PARTNERS, SIJILL, Holders, hub_environment, start_hub

from sijill.demo.holders import REGISTRY, encode_as_holders, world_files
from sijill.pprl.format.keyfiles import HOLDER_PUBLIC
from sijill.pprl.holder import init_keys


@pytest.fixture(scope="session")
def holders(tmp_path_factory) -> Holders:
    from sijill.synth import generate_world

    root = tmp_path_factory.mktemp("holders")
    world = root / "world"
    generate_world(world, 1500, 7)
    registry_keys = root / "keys" / REGISTRY
    registry_keys.parent.mkdir(parents=True)
    init_keys(registry_keys, REGISTRY)
    files = {h: f for h, f in world_files(world).items() if h in (REGISTRY, *PARTNERS)}
    shipped = encode_as_holders(files, registry_keys, root, registry_map=False)
    keys = {h: (registry_keys if h == REGISTRY else root / "keys" / h) for h in shipped}
    return Holders(world, keys, {h: s.archive for h, s in shipped.items()},
                   {h: s.records for h, s in shipped.items()})


@pytest.fixture(scope="module")
def hub(tmp_path_factory, holders):
    """A hub process that trusts the registry's public key, and nothing else it was given."""
    root = tmp_path_factory.mktemp("hub")
    data, home = root / "data", root / "home"
    home.mkdir()
    subprocess.run([*SIJILL, "hub", "trust", "--data", str(data), str(holders.keys[REGISTRY] / HOLDER_PUBLIC)],
                   env=hub_environment(home), cwd=home, check=True, capture_output=True)
    process = start_hub(data, home)
    yield process
    process.process.terminate()
    process.process.wait(timeout=20)
