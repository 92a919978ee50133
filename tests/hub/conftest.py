"""The hub as a separate process over its own data folder, and a small synthetic cycle's holders with their keys,
each in a folder of its own (the hub's process is given none of them)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from sijill.demo.holders import REGISTRY, encode_as_holders, world_files
from sijill.pprl.format.keyfiles import HOLDER_PUBLIC
from sijill.pprl.holder import HolderKeys, init_keys

PARTNERS = ("courts", "vehicles")
SIJILL = [sys.executable, "-c", "from sijill.cli import app; app()"]


@dataclass
class Holders:
    world: Path
    keys: dict[str, Path]  # holder -> its key folder
    archives: dict[str, Path]  # holder -> the archive it uploads (no map in any)
    records: dict[str, int]

    def signer(self, holder: str) -> HolderKeys:
        return HolderKeys.load(self.keys[holder])

    @property
    def cycle(self) -> str:
        return self.signer(REGISTRY).cycle


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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class HubProcess:
    url: str
    data: Path
    process: subprocess.Popen
    env: dict[str, str]


def hub_environment(home: Path) -> dict[str, str]:
    """The hub's whole environment: no SIJILL_DATA_DIR, no database, nothing that names a key folder."""
    keep = {k: os.environ[k] for k in ("PATH", "LANG", "PYTHONPATH", "SYSTEMROOT") if k in os.environ}
    return {**keep, "HOME": str(home), "TMPDIR": str(home)}


def start_hub(data: Path, home: Path) -> HubProcess:
    port = free_port()
    env = hub_environment(home)
    process = subprocess.Popen([*SIJILL, "hub", "serve", "--data", str(data), "--port", str(port)], env=env,
                               cwd=home, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            with urllib.request.urlopen(url + "/health", timeout=1):
                return HubProcess(url, data, process, env)
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"the hub did not start: {process.stderr.read()}") from None
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the hub did not answer within 20 s")


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
