"""Every holder on one machine: the single-machine demo, the hub's tests and benchmarks.

In a deployment each holder runs `sijill keys init` and `sijill encode` on its own machine; here one
process plays them all, each with its own key folder, and the hub gets a folder of public keys only.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sijill.tabular import read_batches

from ..format.schema import LinkageSchema, load_schema
from .keys import HolderKeys, init_keys, trust_key
from .pipeline import EncodeResult, encode


def encode_holders(root: Path, files: dict[str, Path], *, workers: int = 1, batch_rows: int = 50_000,
                   schemas: dict[str, LinkageSchema] | None = None,
                   progress: Callable[[str, EncodeResult], None] | None = None) -> dict[str, Path]:
    """Keys for ``registry`` and each agency in ``files`` (agency -> its extract; its schema from ``schemas``,
    else the shipped schema of the same name), one package each in ``root``, and ``root/hub/trusted`` with
    their public keys.

    The registry trusts every agency's signing key, so it can open their payloads in the hits.
    Returns holder -> package path.
    """
    if "registry" not in files:
        raise ValueError("files must include the registry's member list")
    trusted = root / "hub" / "trusted"
    trusted.mkdir(parents=True, exist_ok=True)
    packages = {}
    for who in ["registry", *(w for w in files if w != "registry")]:
        keys = root / "keys" / who
        if who == "registry":
            init_keys(keys, "registry")
        else:
            init_keys(keys, who, join=root / "keys" / "registry")
            trust_key(root / "keys" / "registry", keys / "holder.pub")
        (trusted / f"{who}.pub").write_bytes((keys / "holder.pub").read_bytes())
        schema = (schemas or {}).get(who) or load_schema(f"example:{who}")
        result = encode(read_batches(files[who], batch_rows=batch_rows).batches, schema, HolderKeys.load(keys),
                        root / f"{who}.pkg", agency=who, workers=workers)
        packages[who] = result.package
        if progress:
            progress(who, result)
    return packages
