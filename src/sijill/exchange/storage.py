"""Where the exchange keeps its files, all under SIJILL_DATA_DIR (never in the database or the repository).

::

    keys/registry/          the registry's key folder (`sijill keys init`): its signing key, the cycle's
                            linkage secret and its X25519 pair that opens the partners' payloads
    packages/<cycle>/       the registry's own packages, one folder each (sent to the hub, without the map, when
                            the cycle runs); an agency's package never comes here: it goes to the hub
    maps/<cycle>/           the registry's local map (ref -> record id) of its own package: never sent out
    runs/<cycle>/<run>/     the hits fetched from the hub for a run, written to a temporary name first and
                            deleted once stored
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from django.conf import settings


def data_dir() -> Path:
    return Path(settings.DATA_DIR)


def registry_keys_dir() -> Path:
    return data_dir() / "keys" / "registry"


def packages_dir(cycle_code: str) -> Path:
    return data_dir() / "packages" / _safe(cycle_code)


def incoming_dir() -> Path:
    """Uploads are unpacked here first: the same file system as ``packages/``, so the final move is a rename."""
    path = data_dir() / "packages" / ".incoming"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def maps_dir(cycle_code: str) -> Path:
    return data_dir() / "maps" / _safe(cycle_code)


def run_dir(cycle_code: str, run_id: int) -> Path:
    return data_dir() / "runs" / _safe(cycle_code) / f"run-{run_id}"


def relative(path: Path) -> str:
    return str(Path(path).resolve().relative_to(data_dir().resolve()))


def absolute(relative_path: str) -> Path:
    return data_dir() / relative_path


def replace_dir(source: Path, target: Path) -> None:
    """Move a finished folder into place with one rename (a reader sees the old one or the new one)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        old = target.with_name(target.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(target, old)
        os.replace(source, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(source, target)


def _safe(code: str) -> str:
    if not code or not all(c.isalnum() or c in "-_." for c in code) or code.startswith("."):
        raise ValueError(f"{code!r} is not a usable cycle code")
    return code
