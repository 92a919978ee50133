"""Clear records in, encoded records out: one batch at a time, in the data holder's process only.

Each encoded field has its own small encoder (``holder.encoders``, the holder's half of the fields declared
in ``pprl.format.fields``). A batch is handled column by column: Arrow finds each column's distinct values,
each distinct value goes through ``sijill.identity`` and the field's encoder once (and is remembered for
later batches, up to ``encoders.base.CACHE_LIMIT`` values), and numpy spreads the results over the rows. This module
assembles them: which records are usable, the bad values reported, dummies, the payload, the columns.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..format.schema import EncodingSpec, LinkageSchema
from . import payload as payloads
from .encoders import FieldEncoder, NameChainEncoder, Rows, Shared, field_encoders
from .keys import HolderKeys, Secret
from .tokens import blip_masks
from .vocab import Interner

_DUMMY_GROUPS = (("given_name", "full_name", "sex"),)  # resampled together: a name and its sex agree
_REPORTED = ("national_id", "ration_card", "birth_date", "sex", "governorate")  # bad values, in this order


@dataclass
class BadValue:
    row: int
    field: str
    column: str
    value: str
    reason: str

    def as_dict(self, source: str = "") -> dict[str, str]:
        return {"file": source, "row": str(self.row), "field": self.field, "column": self.column,
                "value": self.value, "reason": self.reason}


@dataclass
class EncodedBatch:
    """One batch's encodings, the rows of the local map, and the bad values found."""

    table: pa.RecordBatch | None  # None once a worker has spilled it to the package's bucket files
    refs: list[str]
    record_ids: list[str | None]  # None for a dummy
    rows: list[int | None]
    errors: list[BadValue]
    usable: int
    unusable: int
    sample: list[dict[str, str | None]] = field(default_factory=list)  # clear values for padding dummies
    peak_rss_kb: int = 0  # of the worker process that encoded it (for the benchmark)
    cpu_seconds: float = 0.0  # CPU time a worker spent on it (for the benchmark)


class RecordEncoder:
    """Encodes batches of one holder's clear records under one cycle's keys."""

    def __init__(self, schema: LinkageSchema, keys: HolderKeys, agency: str, data_key: Secret):
        self.schema, self.agency = schema, agency
        self.spec: EncodingSpec = schema.encoding
        self._rng = random.Random(os.urandom(16))
        self._shared = Shared(keys, self.spec)
        self.fields: list[FieldEncoder] = field_encoders(schema, self._shared, self._rng)
        self._names = next(e for e in self.fields if isinstance(e, NameChainEncoder))
        self._blip_key = keys.subkey("blip")
        self._data_key = data_key

    # --- batches --------------------------------------------------------------------------------------

    def encode(self, columns: dict[str, pa.Array | list], row_numbers: list[int], *,
               sample: int = 0) -> EncodedBatch:
        """Encode one batch given as ``{input column: values}``; ``row_numbers`` name its rows in reports.

        Adds dummy records (``package.dummy_share`` of the usable ones) made of field values resampled
        across the batch, and returns up to ``sample`` clear rows for the package's padding dummies.
        """
        values = self._field_values({c: _text(v) for c, v in columns.items()})
        n = len(values["_record_id"])
        rows = Rows()
        errors: list[BadValue] = []
        usable = self._encode_rows(values, n, row_numbers, rows, errors, dummy=False)
        lengths = np.zeros(n, np.int64)
        lengths[usable] = [len(p) for p in rows.lists["plain"]]
        values["_payload_length"] = pa.array(lengths).cast(pa.string())
        n_dummy = _stochastic_round(self.schema.package.dummy_share * len(usable), self._rng)
        if n_dummy and len(usable):
            self._encode_rows(self._resample(values, usable, n_dummy), n_dummy, None, rows, [], dummy=True)
        picked = pa.array(self._rng.sample(usable.tolist(), min(sample, len(usable))), pa.int64())
        keep = [*self.schema.fields, "_payload_length"]
        sample_rows = pa.table({f: values[f].take(picked) for f in keep}).to_pylist()
        batch = self._batch(rows, errors, len(usable), n - len(usable), sample_rows)
        self._trim_caches()  # after assembling: the batch's rows index into the caches
        return batch

    def dummies(self, sample: list[dict[str, str | None]], n: int) -> EncodedBatch:
        """``n`` dummy records whose fields are drawn from random rows of ``sample`` (clear values)."""
        rows = Rows()
        if n and sample:
            values = {f: pa.array([r.get(f) for r in sample], pa.string()) for f in sample[0]}
            pool = np.arange(len(sample))
            self._encode_rows(self._resample(values, pool, n), n, None, rows, [], dummy=True)
        else:
            self._encode_rows({}, 0, None, rows, [], dummy=True)
        return self._batch(rows, [], 0, 0, [])

    def _batch(self, rows: Rows, errors: list[BadValue], usable: int, unusable: int, sample: list) -> EncodedBatch:
        r = rows.lists
        return EncodedBatch(self._assemble(rows), r["ref"], r["record_id"], r["row"], errors, usable, unusable,
                            sample)

    def _resample(self, values: dict[str, pa.Array], pool: np.ndarray, n: int) -> dict[str, pa.Array]:
        out: dict[str, pa.Array] = {}
        # A dummy's extra fields come from one real record: an address stays an address (suburb, postcode).
        groups = (*_DUMMY_GROUPS, *((tuple(x.name for x in self.spec.extra),) if self.spec.extra else ()))
        grouped = {f for g in groups for f in g}
        for group in (*groups, *((f,) for f in values if f not in grouped)):
            picks = pa.array([int(pool[self._rng.randrange(len(pool))]) for _ in range(n)], pa.int64())
            for f in group:
                if f in values:
                    out[f] = values[f].take(picks)
        return out

    def _field_values(self, columns: dict[str, pa.Array]) -> dict[str, pa.Array]:
        out: dict[str, pa.Array] = {}
        for f, cols in self.schema.fields.items():
            if len(cols) == 1:
                out[f] = columns[cols[0]]
            else:  # several columns: joined with a space, empty ones skipped
                parts = [pc.if_else(pc.equal(pc.utf8_trim_whitespace(columns[c]), ""), None, columns[c])
                         for c in cols]
                joined = pc.binary_join_element_wise(*parts, " ", null_handling="skip")
                out[f] = pc.if_else(pc.equal(joined, ""), None, joined)
        out["_record_id"] = columns[self.schema.record_id]
        for c in self.schema.payload:
            out["payload:" + c] = columns[c]
        return out

    def _trim_caches(self) -> None:
        """Keep memory bounded by the batch size: forget distinct values once there are too many."""
        if len(self._shared.intern.strings) > self._shared.limit or any(f.oversized() for f in self.fields):
            self._shared.intern = Interner()
            for f in self.fields:
                f.forget()
        for f in self.fields:
            f.trim()

    # --- records --------------------------------------------------------------------------------------

    def _encode_rows(self, values: dict[str, pa.Array], n: int, row_numbers: list[int] | None, rows: Rows,
                     errors: list[BadValue], *, dummy: bool) -> np.ndarray:
        """Encode ``n`` records field by field; append the usable ones to ``rows``, bad values to ``errors``.

        Returns the positions of the usable records. A record is usable with a record id and at least a
        valid national ID, ration card number or name part; an invalid value is reported and encoded as
        missing.
        """
        nulls = pa.nulls(n, pa.string())

        def col(f: str) -> pa.Array:
            return values.get(f, nulls)

        reads = {f: f.read(values, n, dummy=dummy) for f in self.fields}
        identifies = np.logical_or.reduce([r.identifies for r in reads.values() if r.identifies is not None])
        if dummy:
            rid_ok = np.ones(n, bool)
        else:
            present = pc.not_equal(pc.utf8_trim_whitespace(col("_record_id")), "")
            rid_ok = pc.fill_null(present, False).to_numpy(zero_copy_only=False)
        usable = np.flatnonzero(identifies & rid_ok)
        if not dummy:
            bad = {f.reads[0]: r.bad for f, r in reads.items() if f.reads and f.reads[0] in _REPORTED}
            bad = {name: bad[name] for name in _REPORTED if name in bad}
            self._report(errors, row_numbers or [0] * n, values, bad, reads[self._names].identifies, rid_ok, usable)
        keep = usable.tolist()
        m = len(keep)
        hexed = os.urandom(12 * m).hex()
        refs = [hexed[24 * k : 24 * k + 24] for k in range(m)]
        taken = pa.array(keep, pa.int64())
        plaintexts = payloads.Plaintexts(self.agency, self.schema.payload)
        if dummy:
            lengths = [int(x or 0) for x in col("_payload_length").take(taken).to_pylist()]
            plain = [plaintexts.dummy(ref, length) for ref, length in zip(refs, lengths, strict=True)]
            ids, numbers, seeds = [None] * m, [None] * m, refs
        else:
            ids = col("_record_id").take(taken).to_pylist()
            numbers = [row_numbers[i] for i in keep] if row_numbers else [None] * m
            payload = [col("payload:" + c).take(taken).to_pylist() for c in self.schema.payload]
            plain = plaintexts.records(refs, ids, payload)
            seeds = ids
        rows.extend({"ref": refs, "record_id": ids, "row": numbers, "plain": plain, "seed": seeds},
                    {f: {k: a[usable] for k, a in r.state.items()} for f, r in reads.items()})
        return usable

    def _report(self, errors, numbers, values, bad, has_name, rid_ok, usable) -> None:
        """Bad values (their fields are encoded as missing) and rows left out, in row order."""
        fields = self.schema.fields
        found: list[tuple[int, int, BadValue]] = []
        for order, (name, positions) in enumerate(bad.items()):
            if positions:
                raw = values[name]
                found += [(i, order, BadValue(numbers[i], name, _column(fields, name), raw[i].as_py(), reason))
                          for i, reason in positions]
        full, given = values.get("full_name"), values.get("given_name")
        if full is not None or given is not None:
            for i in np.flatnonzero(~has_name).tolist():
                found.append((i, 5, BadValue(numbers[i], *self._names.empty_name(_at(full, i), _at(given, i)))))
        kept = np.zeros(len(has_name), bool)
        kept[usable] = True
        record_ids = values["_record_id"]
        for i in np.flatnonzero(~rid_ok).tolist():
            found = [f for f in found if f[0] != i]
            found.append((i, 6, BadValue(numbers[i], "record_id", self.schema.record_id, _at(record_ids, i) or "",
                                         "record id is empty")))
        for i in np.flatnonzero(~kept & rid_ok).tolist():
            found.append((i, 7, BadValue(numbers[i], "*", "", "", "nothing to match on: no valid national ID, "
                                                                   "ration card or name")))
        errors.extend(e for _, _, e in sorted(found, key=lambda f: (f[0], f[1])))

    # --- assembly -------------------------------------------------------------------------------------

    def _assemble(self, rows: Rows) -> pa.RecordBatch:
        """The package columns: each field's own, its Bloom filters flipped by its slice of the BLIP masks."""
        h, width = self.spec.hardening, self.spec.bloom_bytes
        cols: dict[str, pa.Array] = {"ref": pa.array(rows.lists["ref"], pa.string())}
        masks = None
        if h.blip and len(rows):
            prefix = self.agency.encode() + b"\x1f"
            # The extra fields' filters take the stream after the names' (SHAKE-256: the names' masks are
            # the same with or without extra fields).
            filters = sum(f.filters for f in self.fields)
            masks = blip_masks(self._blip_key, [prefix + s.encode() for s in rows.lists["seed"]], width * filters,
                               h.blip)
        at = 0
        for f in self.fields:
            part = None if masks is None or not f.filters else masks[:, at * width : (at + f.filters) * width]
            at += f.filters
            cols |= f.columns(rows, part)
        cols["payload"] = payloads.encrypt_array(self._data_key, rows.lists["plain"])
        schema = self.spec.arrow_schema()
        return pa.RecordBatch.from_arrays([cols[f.name] for f in schema], schema=schema)


def _text(values: pa.Array | pa.ChunkedArray | list) -> pa.Array:
    """A column as one Arrow string array."""
    if isinstance(values, list):
        return pa.array(values, pa.string())
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return values if values.type == pa.string() else values.cast(pa.string())


def _at(values: pa.Array | None, i: int) -> str | None:
    return None if values is None else values[i].as_py()


def _column(fields: dict[str, tuple[str, ...]], name: str) -> str:
    return " + ".join(fields.get(name, ()))


def _stochastic_round(x: float, rng: random.Random) -> int:
    whole = int(x)
    return whole + (rng.random() < x - whole)
