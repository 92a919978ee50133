"""The demo's linkage hub: ``sijill hub serve`` as a process of its own, with its own data folder and port, and
an environment that names no key folder and no database of the ministry. It stands in for the hub another party
(e.g. a national data centre) runs on another machine; the ministry's web system talks to it over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

SIJILL = [sys.executable, "-c", "from sijill.cli import app; app()"]


@dataclass
class DemoHub:
    url: str
    data: Path
    process: subprocess.Popen

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


def _environment() -> dict[str, str]:
    """The hub's environment: the ministry's settings (data folder, database, secret key) left out."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("SIJILL_", "DATABASE_URL", "DJANGO_"))}


def start_hub(workdir: Path, port: int | None = None) -> DemoHub:
    data = (workdir / "hub").resolve()
    if port is None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    log = open(workdir / "hub.log", "ab")  # noqa: SIM115 - the hub process writes it until it stops
    process = subprocess.Popen([*SIJILL, "hub", "serve", "--data", str(data), "--port", str(port)],
                               env=_environment(), cwd=workdir, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(url + "/health", timeout=1).read()
            return DemoHub(url, data, process)
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"the hub did not start; see {workdir / 'hub.log'}") from None
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the hub did not answer within 30 s")


def trust_registry(hub: DemoHub, registry_pub: Path) -> None:
    """The hub's operator registers the registry's public signing key (handed over once)."""
    subprocess.run([*SIJILL, "hub", "trust", "--data", str(hub.data), str(registry_pub)], env=_environment(),
                   check=True, capture_output=True, timeout=120)


def who_holds_which_key(hub: DemoHub, registry_keys: Path, agency_keys: dict[str, Path], console: Console) -> dict:
    """Print, and return for summary.json, which process holds which key; the hub's part is checked, not said."""
    secrets_at_hub = sorted(str(p) for p in hub.data.rglob("*.secret"))
    environ = Path(f"/proc/{hub.process.pid}/environ")
    names = environ.read_bytes().split(b"\0") if environ.exists() else []
    key_folders_named = [str(f) for f in [registry_keys, *agency_keys.values()]
                         if any(str(f).encode() in v for v in names)]
    table = Table(title="Which process holds which key")
    for col in ("process", "where", "keys it holds"):
        table.add_column(col)
    table.add_row(f"the ministry's web system and worker (pid {os.getpid()} and its worker)",
                  str(registry_keys), "the cycle's linkage secret, the registry's X25519 private key (opens the "
                  "payloads of hits), its signing key")
    folders = sorted({str(f.parent) for f in agency_keys.values()})
    table.add_row(f"each of the {len(agency_keys)} agencies (its own machine; a folder each here)",
                  ", ".join(f"{f}/<agency>" for f in folders),
                  "the cycle's linkage secret (a copy, handed over a trusted channel), its own signing key")
    table.add_row(f"the linkage hub (pid {hub.process.pid}, {hub.url})", str(hub.data),
                  f"none: public keys only; {len(secrets_at_hub)} secret files in its data folder, "
                  f"{len(key_folders_named)} key folders named in its environment")
    console.print(table)
    return {"url": hub.url, "pid": hub.process.pid, "data_dir": str(hub.data), "secret_files": len(secrets_at_hub),
            "key_folders_in_environment": len(key_folders_named),
            "keys": {"ministry": ["linkage secret", "registry X25519 private key", "registry signing key"],
                     **{a: ["linkage secret", "own signing key"] for a in sorted(agency_keys)}, "hub": []}}
