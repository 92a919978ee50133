"""Hits: what the hub returns, and how the registry opens it.

``HITS_SCHEMA`` is the contract between the hub (``sijill.linkage`` writes it with ``write_hits``) and the
registry (``open_hits`` reads it): one row per linked pair, with pseudonymous references only, the
match class and score, the explanation, and the partner record's payload still sealed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .errors import PackageError
from .package import Package, signed_manifest

HITS_FORMAT = "sijill-hits/1"
MATCH_CLASSES = ("exact", "probable", "review")

EXPLANATION = pa.list_(pa.struct([
    pa.field("field", pa.string(), nullable=False),  # e.g. given_name, birth_date
    pa.field("level", pa.string()),  # its label, e.g. exact, skeleton (cross-script), disagree, missing
    pa.field("code", pa.string()),  # the level's stable code (``pprl.format.fields``), e.g. name.exact
    pa.field("weight", pa.float64()),  # the level's match weight (log2 Bayes factor)
]))


def _field(name: str, typ: pa.DataType, doc: str, nullable: bool = False) -> pa.Field:
    return pa.field(name, typ, nullable=nullable, metadata={"doc": doc})


HITS_SCHEMA = pa.schema([
    _field("cycle", pa.string(), "matching cycle of both packages"),
    _field("registry_ref", pa.string(), "reference of the registry's record (its package's `ref`)"),
    _field("agency", pa.string(), "the partner agency whose package matched"),
    _field("partner_ref", pa.string(), "reference of the partner's record (its package's `ref`)"),
    _field("match_class", pa.string(), "exact, probable or review"),
    _field("probability", pa.float64(), "match probability from the model (1.0 for the exact class)"),
    _field("match_weight", pa.float64(), "total match weight (log2 Bayes factor)"),
    _field("explanation", EXPLANATION, "per field: the agreement level and its weight", nullable=True),
    _field("payload_key", pa.binary(), "the partner package's sealed payload key (manifest payload.sealed_key)"),
    _field("payload", pa.binary(), "the partner record's sealed payload (package column `payload`)"),
], metadata={"format": HITS_FORMAT})


def hits_table(rows: Iterable[dict]) -> pa.Table:
    """Build a hits table from dicts with ``HITS_SCHEMA``'s keys (checks the match classes)."""
    return _validated(pa.Table.from_pylist(list(rows), schema=HITS_SCHEMA))


def _validated(table: pa.Table) -> pa.Table:
    missing = [f.name for f in HITS_SCHEMA if f.name not in table.column_names]
    if missing:
        raise PackageError(f"hits lack columns: {', '.join(missing)}")
    table = table.select(HITS_SCHEMA.names).cast(HITS_SCHEMA)
    classes = set(pc.unique(table["match_class"]).to_pylist()) - set(MATCH_CLASSES)
    if classes:
        raise PackageError(f"unknown match classes in hits: {', '.join(map(str, classes))}")
    return table


def write_hits(path: Path, table: pa.Table, packages: Iterable[Package]) -> None:
    """Write the hub's results in the hits format (Parquet), with the signed manifests of ``packages``.

    The registry checks each hit's payload key against the manifest its agency signed, so a payload
    sealed by anyone else (the registry's public key is public) is refused.
    """
    table = _validated(table)
    manifests = {p.agency: signed_manifest(p) for p in packages}
    missing = set(table["agency"].to_pylist()) - set(manifests)
    if missing:
        raise PackageError(f"hits name agencies whose packages were not given: {', '.join(sorted(missing))}")
    metadata = {b"format": HITS_FORMAT.encode(), b"manifests": json.dumps(manifests, ensure_ascii=False).encode()}
    pq.write_table(table.replace_schema_metadata(metadata), path)


def read_hits(path: Path) -> pa.Table:
    """The hits table (its schema metadata holds the agencies' signed manifests)."""
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowInvalid) as e:
        raise PackageError(f"{path}: not a hits file ({e})") from None
    metadata = table.schema.metadata or {}
    if metadata.get(b"format") != HITS_FORMAT.encode():
        raise PackageError(f"{path}: not a hits file (format is not {HITS_FORMAT})")
    return _validated(table).replace_schema_metadata(metadata)
