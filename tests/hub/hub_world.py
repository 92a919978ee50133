"""Helpers of the hub tests: the holders of a small synthetic cycle with their keys, each in a folder of its own,
and the hub started as a separate process over its own data folder (given none of those keys)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from sijill.demo.holders import REGISTRY
from sijill.pprl.holder import HolderKeys

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


