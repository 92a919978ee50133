"""Hits: what the hub returns, and how the registry opens it.

``HITS_SCHEMA`` is the contract between the hub (``sijill.linkage`` writes it with ``write_hits``) and the
registry (``open_hits`` reads it): one row per linked pair, with pseudonymous references only, the
match class and score, the explanation, and the partner record's payload still sealed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .errors import PackageError, PayloadError
from .keys import RegistryKeys, TrustStore
from .package import Package, signed_manifest, verify_manifest
from .payload import PayloadOpener

HITS_FORMAT = "sijill-hits/1"
MATCH_CLASSES = ("exact", "probable", "review")

EXPLANATION = pa.list_(pa.struct([
    pa.field("field", pa.string(), nullable=False),  # e.g. given_name, birth_date
    pa.field("level", pa.string()),  # its label, e.g. exact, skeleton (cross-script), disagree, missing
    pa.field("code", pa.string()),  # the level's stable code (``pprl.fields``), e.g. name.exact, date.month
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


def _payload_keys(path: Path, table: pa.Table, trust: TrustStore) -> dict[str, bytes]:
    """Per agency, the payload key its own signed manifest names."""
    try:
        manifests = json.loads((table.schema.metadata or {}).get(b"manifests", b"{}"))
    except ValueError:
        raise PackageError(f"{path}: the hits' manifests are damaged") from None
    keys = {}
    for agency, signed in manifests.items():
        manifest = verify_manifest(signed["manifest"].encode(), signed["signature"].encode(), trust,
                                   f"{path}: manifest of {agency}")
        if manifest.agency != agency:
            raise PackageError(f"{path}: the manifest given for {agency} is {manifest.agency}'s")
        keys[agency] = manifest.sealed_payload_key
    return keys


def explain(explanation: list[dict] | None) -> str:
    """``given_name=exact(+4.2); birth_date=year(+1.1)`` for a person to read."""
    if not explanation:
        return ""
    return "; ".join(f"{e['field']}={e['level']}({e['weight']:+.1f})" if e.get("weight") is not None
                     else f"{e['field']}={e['level']}" for e in explanation)


@dataclass(frozen=True)
class OpenedHits:
    rows: list[dict]
    dropped_dummies: int
    unknown_refs: int


def _load_maps(maps: Iterable[Path], refs: set[str]) -> dict[str, tuple[str | None, bool]]:
    """Record id and dummy flag of the references in ``refs``, from local map files."""
    wanted = pa.array(sorted(refs), pa.string())
    found: dict[str, tuple[str | None, bool]] = {}
    types = {"ref": pa.string(), "record_id": pa.string(), "row": pa.int64(), "dummy": pa.bool_()}
    for path in maps:
        try:
            reader = pacsv.open_csv(path, convert_options=pacsv.ConvertOptions(column_types=types))
        except (OSError, pa.ArrowInvalid) as e:
            raise PackageError(f"{path}: not a local map ({e})") from None
        for batch in reader:
            batch = batch.filter(pc.is_in(batch["ref"], value_set=wanted))
            for ref, rid, dummy in zip(*(batch[c].to_pylist() for c in ("ref", "record_id", "dummy")), strict=True):
                found[ref] = (rid, bool(dummy))
    return found


def open_hits(hits: Path, keys: RegistryKeys, maps: Iterable[Path], trust: TrustStore) -> OpenedHits:
    """Turn the hub's hits into the registry's rows: its own record id, the partner's record id and payload.

    Only the payloads of the hits are opened (the hits hold no others). A payload opens only if its key is
    the one the partner signed in its manifest (checked against ``trust``). Hits on dummy records, the
    registry's or a partner's, are dropped and counted.
    """
    table = read_hits(hits)
    signed_keys = _payload_keys(hits, table, trust)
    refs = set(table["registry_ref"].to_pylist())
    mapping = _load_maps(maps, refs)
    opener = PayloadOpener(keys)
    rows, dummies, unknown = [], 0, 0
    for hit in table.to_pylist():
        mine = mapping.get(hit["registry_ref"])
        if mine is None:
            unknown += 1
            continue
        if mine[1]:
            dummies += 1
            continue
        if signed_keys.get(hit["agency"]) != hit["payload_key"]:
            raise PayloadError(f"{hits}: hit {hit['registry_ref']} / {hit['partner_ref']}: its payload key is not "
                               f"the one {hit['agency']} signed; refused")
        try:
            body = opener.open(hit["payload_key"], hit["payload"], agency=hit["agency"], ref=hit["partner_ref"])
        except PayloadError as e:
            raise PayloadError(f"{hits}: hit {hit['registry_ref']} / {hit['partner_ref']}: {e}") from None
        if body.get("dummy"):
            dummies += 1
            continue
        row = {"registry_record_id": mine[0], "agency": hit["agency"], "partner_record_id": body.get("id"),
               "match_class": hit["match_class"], "probability": hit["probability"],
               "match_weight": hit["match_weight"], "agreement": explain(hit["explanation"]),
               "explanation": json.dumps(hit["explanation"] or [], ensure_ascii=False)}
        row.update({f"payload.{k}": v for k, v in (body.get("f") or {}).items()})
        rows.append(row)
    return OpenedHits(rows, dummies, unknown)
