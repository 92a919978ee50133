"""Every data holder of a synthetic world, on one machine: what each would run on its own.

The registry encodes its member list with its key folder (the web system's, under SIJILL_DATA_DIR); each
agency joins the cycle (``sijill keys init --join`` on a copy handed over a trusted channel), encodes its
extract with its own keys and ships one archive. Used by ``make demo`` and the exchange tests.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sijill.exchange.archive import pack
from sijill.pprl.format.keyfiles import CYCLE_FILE, HOLDER_PUBLIC
from sijill.pprl.format.package import map_path
from sijill.pprl.format.schema import example_schemas, load_schema
from sijill.pprl.holder import HolderKeys, encode, init_keys, rotate_keys
from sijill.tabular import read_batches

REGISTRY = "registry"


@dataclass(frozen=True)
class Shipped:
    holder: str
    archive: Path  # what the holder uploads
    public_key: Path  # its holder.pub, registered once by an administrator
    records: int


def world_files(world: Path) -> dict[str, Path]:
    """holder -> its extract in a synthetic world (the registry's member list, each agency's file)."""
    manifest = json.loads((Path(world) / "manifest.json").read_text(encoding="utf-8"))
    files = {REGISTRY: Path(world) / "registry" / "members.csv"}
    for f in manifest["files"]:
        if f["path"].startswith("agencies/"):
            files[f["agency"]] = Path(world) / f["path"]
    return files


def encode_as_holders(files: dict[str, Path], registry_keys: Path, workdir: Path, *, workers: int = 1,
                      progress: Callable[[Shipped, float], None] | None = None) -> dict[str, Shipped]:
    """Each holder in ``files`` encodes and signs its extract for the registry's current cycle."""
    import time

    shipped = {}
    for holder, extract in files.items():
        started = time.perf_counter()
        keys = registry_keys if holder == REGISTRY else _join(workdir / "keys" / holder, holder, registry_keys)
        out = workdir / "packages" / f"{holder}.pkg"
        result = encode(read_batches(extract).batches, load_schema(example_schemas()[holder]),
                             HolderKeys.load(keys), out, agency=holder, workers=workers, overwrite=True)
        archive = workdir / "packages" / f"{holder}.tar"
        with open(archive, "wb") as f:
            pack(out, f, map_file=map_path(out) if holder == REGISTRY else None)
        shipped[holder] = Shipped(holder, archive, keys / HOLDER_PUBLIC, result.encoded)
        if progress:
            progress(shipped[holder], time.perf_counter() - started)
    return shipped


def _join(folder: Path, holder: str, registry_keys: Path) -> Path:
    """The agency's key folder for the registry's current cycle (a new one, or the next cycle's)."""
    if (folder / CYCLE_FILE).exists():
        ours = json.loads((folder / CYCLE_FILE).read_text(encoding="utf-8"))["cycle"]
        theirs = json.loads((registry_keys / CYCLE_FILE).read_text(encoding="utf-8"))["cycle"]
        if ours != theirs:
            rotate_keys(folder, join=registry_keys)
    else:
        folder.parent.mkdir(parents=True, exist_ok=True)
        init_keys(folder, holder, join=registry_keys)
    return folder
