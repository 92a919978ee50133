"""Opening the hub's hits at the registry: its own record ids, the partner's record id and payload."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..format.errors import PackageError, PayloadError
from ..format.hits import read_hits
from ..format.keyfiles import TrustStore
from ..format.package import verify_manifest
from .keys import RegistryKeys
from .payload import PayloadOpener


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


@dataclass(frozen=True)
class Level:
    """One field's agreement in a hit, as the hub explained it: ``given_name`` at ``exact`` (code
    ``name.exact``, declared in ``pprl.format.fields``; none in hits made before codes), weighing +4.2."""

    field: str
    level: str
    weight: float | None = None
    code: str | None = None

    def as_dict(self) -> dict:
        return {"field": self.field, "level": self.level, "code": self.code, "weight": self.weight}


@dataclass(frozen=True)
class OpenedHit:
    """A hit as the registry reads it: its own record, the partner's record and what the partner's payload says."""

    registry_record_id: str
    agency: str
    partner_record_id: str | None
    match_class: str
    probability: float | None
    match_weight: float | None
    explanation: tuple[Level, ...]
    payload: dict[str, str | None]


@dataclass(frozen=True)
class OpenedHits:
    rows: list[OpenedHit]
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
        rows.append(OpenedHit(
            registry_record_id=mine[0], agency=hit["agency"], partner_record_id=body.get("id"),
            match_class=hit["match_class"], probability=hit["probability"], match_weight=hit["match_weight"],
            explanation=tuple(Level(e["field"], e["level"], e.get("weight"), e.get("code"))
                              for e in hit["explanation"] or []),
            payload=dict(body.get("f") or {})))
    return OpenedHits(rows, dummies, unknown)
