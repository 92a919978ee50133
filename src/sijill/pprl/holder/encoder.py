"""Clear records in, encoded records out: one batch at a time, in the data holder's process only.

Names, dates and places repeat heavily, so a batch is handled column by column: Arrow finds each column's
distinct values, each distinct value goes through ``sijill.identity`` and the encoders once (and is
remembered for later batches, up to ``_CACHE_LIMIT`` values), and numpy spreads the results over the
rows. What is left per record is the national-ID token and the payload's encryption; blocking tokens are
hashed once per distinct combination.
"""

from __future__ import annotations

import os
import random
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sijill import identity
from sijill.identity.text import to_ascii_digits

from ..format.schema import CHAIN_FIELDS, NAME_FIELDS, EncodingSpec, ExtraField, LinkageSchema
from . import payload as payloads
from .keys import HolderKeys, Secret
from .tokens import BloomEncoder, CachedTokenizer, Tokenizer, blip_masks
from .vocab import Interner, NameVocab, ValueTable, distinct_values

_SEP = "\x1f"
_INDIC_DIGITS = {0x0660 + i: str(i) for i in range(10)} | {0x06F0 + i: str(i) for i in range(10)}
_CACHE_LIMIT = 300_000
# precision, year / month / date / swapped tokens, interned year / month / date strings, next-year token
NO_DATE = (0, None, None, None, None, -1, -1, -1, None)
_MISSING = (None, -1)  # a sex or governorate not given: no token, no interned value
_DATE_FIELDS = {"precision": 0, "year": 1, "month": 2, "full": 3, "swapped": 4, "year_id": 5, "month_id": 6,
                "full_id": 7, "near": 8}
_DUMMY_GROUPS = (("given_name", "full_name", "sex"),)  # resampled together: a name and its sex agree


def ration_card(value: str) -> str:
    """A ration card number as letters and ASCII digits only (spaces, dashes and slashes dropped)."""
    out = []
    for ch in unicodedata.normalize("NFKC", value):
        if ch.isdecimal():
            out.append(str(unicodedata.decimal(ch)))
        elif ch.isalnum():
            out.append(ch.upper())
    if not out:
        raise identity.InvalidIdentifier(value, "ration card number has no letters or digits")
    return "".join(out)


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


class _Rows:
    """Per-record results of a batch before assembly, as column chunks (real records, then dummies).

    ``names`` is an (n, 8) array of vocabulary indices: the five parts, then the other reading's three.
    ``extra`` holds, per extra field, its token, whether it is present, its Bloom filter (n x width bytes)
    and its interned normalised value (for blocking tokens; -1 where missing).
    """

    LISTS = ("ref", "record_id", "row", "plain", "seed")
    ARRAYS = ("nid", "nid_ok", "ration", "ration_ok", "date", "sex", "gov", "names")

    def __init__(self, extra: tuple[ExtraField, ...] = (), width: int = 0):
        self.lists: dict[str, list] = {f: [] for f in self.LISTS}
        self.arrays: dict[str, list[np.ndarray]] = {f: [] for f in self.ARRAYS}
        self.extra: dict[str, list[tuple[np.ndarray, ...]]] = {x.name: [] for x in extra}
        self._width = width

    def extra_arrays(self, name: str) -> tuple[np.ndarray, ...]:
        chunks = self.extra[name]
        if not chunks:
            return (np.zeros(0, np.int64), np.zeros(0, bool), np.zeros((0, self._width), np.uint8),
                    np.zeros(0, np.int64))
        return tuple(np.concatenate(parts) for parts in zip(*chunks, strict=True))

    def extend(self, cols: dict) -> None:
        for f in self.LISTS:
            self.lists[f].extend(cols[f])
        for f in self.ARRAYS:
            self.arrays[f].append(cols[f])

    def array(self, f: str) -> np.ndarray:
        chunks = self.arrays[f]
        if not chunks:
            return np.zeros((0, 8) if f == "names" else 0, bool if f.endswith("_ok") else np.int64)
        return chunks[0] if len(chunks) == 1 else np.concatenate(chunks)

    def __len__(self) -> int:
        return len(self.lists["ref"])


class RecordEncoder:
    """Encodes batches of one holder's clear records under one cycle's keys."""

    def __init__(self, schema: LinkageSchema, keys: HolderKeys, agency: str, data_key: Secret):
        self.schema, self.agency = schema, agency
        self.spec: EncodingSpec = schema.encoding
        h = self.spec.hardening

        def tok(purpose: str) -> CachedTokenizer:
            return CachedTokenizer(keys.subkey("token/" + purpose), limit=_CACHE_LIMIT)

        self._intern = Interner()
        self._nid = Tokenizer(keys.subkey("token/national_id"))
        self._ration = Tokenizer(keys.subkey("token/ration_card"))
        self._date_tok = {k: tok(k) for k in ("birth_year", "birth_month", "birth_date")}
        self._sex_tok, self._gov_tok = tok("sex"), tok("governorate")
        self.vocab: dict[str, NameVocab] = {}
        for f in NAME_FIELDS:
            tokens = {"norm": tok(f), "canonical": tok(f + "_canonical"), "skeleton": tok(f + "_skeleton")}
            if f == "surname":
                tokens["extra"] = tok("surname_key")
            elif f == "mother_name":
                tokens["extra"] = tok("mother_first")
            bloom = BloomEncoder(keys.subkey("bloom/" + f), self.spec.bloom, h, keys.subkey("bloom-order/" + f))
            self.vocab[f] = NameVocab(f, tokens, bloom, h.name_tokens, self._intern)
        self._blocks = [(b, Tokenizer(keys.subkey("block/" + b.name)), {}) for b in self.spec.blocking]
        # Extra fields: a token and (for text) a Bloom filter per field, each under its own derived key.
        self._extras = {x.name: _ExtraEncoder(x, tok("extra/" + x.name), BloomEncoder(
            keys.subkey("bloom/extra/" + x.name), self.spec.bloom, h, keys.subkey("bloom-order/extra/" + x.name)),
            lambda text: self._intern(text)) for x in self.spec.extra}
        self._blip_key = keys.subkey("blip")
        self._data_key = data_key
        self._dates = ValueTable(NO_DATE, self._date)
        self._sexes = ValueTable(_MISSING, lambda raw: self._categorical(raw, identity.sex, self._sex_tok))
        self._govs = ValueTable(_MISSING, lambda raw: self._categorical(raw, identity.governorate, self._gov_tok))
        self._rng = random.Random(os.urandom(16))
        self._by_column = True
        self._name_caches: dict[str, dict] = {k: {} for k in ("full", "given", "father", "grandfather", "surname",
                                                              "mother")}

    # --- batches --------------------------------------------------------------------------------------

    def encode(self, columns: dict[str, pa.Array | list], row_numbers: list[int], *,
               sample: int = 0) -> EncodedBatch:
        """Encode one batch given as ``{input column: values}``; ``row_numbers`` name its rows in reports.

        Adds dummy records (``package.dummy_share`` of the usable ones) made of field values resampled
        across the batch, and returns up to ``sample`` clear rows for the package's padding dummies.
        """
        values = self._field_values({c: _text(v) for c, v in columns.items()})
        n = len(values["_record_id"])
        rows = self._rows()
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
        rows = self._rows()
        if n and sample:
            values = {f: pa.array([r.get(f) for r in sample], pa.string()) for f in sample[0]}
            pool = np.arange(len(sample))
            self._encode_rows(self._resample(values, pool, n), n, None, rows, [], dummy=True)
        return self._batch(rows, [], 0, 0, [])

    def _rows(self) -> _Rows:
        return _Rows(self.spec.extra, self.spec.bloom_bytes)

    def _batch(self, rows: _Rows, errors: list[BadValue], usable: int, unusable: int, sample: list) -> EncodedBatch:
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
        if len(self._intern.strings) > _CACHE_LIMIT or any(len(v) > _CACHE_LIMIT for v in self.vocab.values()):
            self._intern = Interner()
            for f, v in self.vocab.items():
                self.vocab[f] = NameVocab(f, v._tok, v._bloom, v.with_tokens, self._intern)
            for table in (self._dates, self._sexes, self._govs):
                table.clear()
            for cache in self._name_caches.values():
                cache.clear()
            for _, _, cache in self._blocks:
                cache.clear()
            for extra in self._extras.values():  # its interned values belonged to the old interner
                extra.clear()
        for extra in self._extras.values():
            extra.trim()
        for _, _, cache in self._blocks:
            if len(cache) > _CACHE_LIMIT:
                cache.clear()

    # --- records --------------------------------------------------------------------------------------

    def _encode_rows(self, values: dict[str, pa.Array], n: int, row_numbers: list[int] | None, rows: _Rows,
                     errors: list[BadValue], *, dummy: bool) -> np.ndarray:
        """Encode ``n`` records column by column; append the usable ones to ``rows``, bad values to ``errors``.

        Returns the positions of the usable records. A record is usable with a record id and at least a
        valid national ID, ration card number or name part; an invalid value is reported and encoded as
        missing.
        """
        nulls = pa.nulls(n, pa.string())

        def col(f: str) -> pa.Array:
            return values.get(f, nulls)

        names = self._names(values, n)
        if dummy:  # identifiers of dummies are random: they must never equal a real person's token
            nid, ration = _random_tokens(col("national_id")), _random_tokens(col("ration_card"))
        else:
            nid = (self._national_ids(values["national_id"]) if "national_id" in values
                   else (np.zeros(n, np.int64), np.zeros(n, bool), []))
            ration = (self._identifiers(values["ration_card"], ration_card, self._ration) if "ration_card" in values
                      else (np.zeros(n, np.int64), np.zeros(n, bool), []))
        dates, bad_dates = self._dates.ids_of(col("birth_date"))
        sexes, bad_sexes = self._sexes.ids_of(col("sex"))
        govs, bad_govs = self._govs.ids_of(col("governorate"))
        has_name = (names[:, :5] >= 0).any(axis=1)
        has_id = nid[1] | ration[1]
        if dummy:
            rid_ok = np.ones(n, bool)
        else:
            present = pc.not_equal(pc.utf8_trim_whitespace(col("_record_id")), "")
            rid_ok = pc.fill_null(present, False).to_numpy(zero_copy_only=False)
        usable = np.flatnonzero((has_id | has_name) & rid_ok)
        if not dummy:
            bad = {"national_id": nid[2], "ration_card": ration[2],
                   "birth_date": bad_dates, "sex": bad_sexes, "governorate": bad_govs}
            self._report(errors, row_numbers or [0] * n, values, bad, has_name, rid_ok, usable)
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
        rows.extend({"ref": refs, "record_id": ids, "row": numbers, "plain": plain, "seed": seeds,
                     "nid": nid[0][usable], "nid_ok": nid[1][usable], "ration": ration[0][usable],
                     "ration_ok": ration[1][usable], "date": dates[usable], "sex": sexes[usable],
                     "gov": govs[usable], "names": names[usable]})
        for name, extra in self._extras.items():
            rows.extra[name].append(tuple(a[usable] for a in extra.encode(col(name))))
        return usable

    def _national_ids(self, column: pa.Array) -> tuple[np.ndarray, np.ndarray, list[tuple[int, str]]]:
        """``_identifiers`` of a national-ID column, with the common case done for the whole column.

        Twelve digits in ASCII, Arabic-Indic or Persian script and nothing else (``identity.national_id``'s
        own fast path) are found and turned into ASCII by Arrow, placeholders (one digit repeated) are
        found by numpy, and the rest are hashed in one loop (``Tokenizer.many``): about 1 us a record
        less. Every other value goes through ``identity.national_id`` as before: same tokens, same reasons.
        """
        n = len(column)
        text = column
        if pc.any(pc.invert(pc.string_is_ascii(column))).as_py():
            for code, digit in _INDIC_DIGITS.items():
                text = pc.replace_substring(text, chr(code), digit)
        fast = pc.fill_null(pc.match_substring_regex(text, r"^[0-9]{12}$"), False)
        digits = text.filter(fast)
        matrix = np.zeros((0, 12), np.uint8)
        if len(digits):  # the values back to back, twelve bytes each
            offsets = np.frombuffer(digits.buffers()[1], np.int32)[digits.offset : digits.offset + len(digits) + 1]
            matrix = np.frombuffer(digits.buffers()[2], np.uint8)[offsets[0] : offsets[-1]].reshape(-1, 12)
        placeholder = (matrix == matrix[:, :1]).all(axis=1)
        where = np.flatnonzero(fast.to_numpy(zero_copy_only=False))
        tokens, ok = np.zeros(n, np.int64), np.zeros(n, bool)
        tokens[where[~placeholder]] = self._nid.many(matrix[~placeholder].view("S12").ravel().tolist())
        ok[where[~placeholder]] = True
        rest = np.ones(n, bool)
        rest[where[~placeholder]] = False
        bad = self._slow_identifiers(column, np.flatnonzero(rest), identity.national_id, self._nid, tokens, ok)
        return tokens, ok, bad

    def _identifiers(self, column: pa.Array, parse, tokenizer: Tokenizer):
        """Tokens of an identifier column (int64), which are valid, and (position, reason) of invalid ones."""
        n = len(column)
        tokens, ok = np.zeros(n, np.int64), np.zeros(n, bool)
        return tokens, ok, self._slow_identifiers(column, np.arange(n), parse, tokenizer, tokens, ok)

    def _slow_identifiers(self, column, positions, parse, tokenizer, tokens, ok) -> list[tuple[int, str]]:
        bad = []
        raws = column.take(pa.array(positions, pa.int64())).to_pylist()
        for i, raw in zip(positions.tolist(), raws, strict=True):
            found = self._identifier(raw, parse, tokenizer)
            if type(found) is int:
                tokens[i], ok[i] = found, True
            elif type(found) is str:
                bad.append((i, found))
        return bad

    @staticmethod
    def _identifier(raw: str | None, parse, tokenizer: Tokenizer) -> int | str | None:
        """The token of an identifier, ``None`` when empty, or the reason it is invalid."""
        if raw is None or not raw.strip():
            return None
        try:
            return tokenizer(parse(raw))
        except identity.IdentityError as e:
            return e.reason

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
                found.append((i, 5, self._empty_name(fields, numbers[i], _at(full, i), _at(given, i))))
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

    # --- names ----------------------------------------------------------------------------------------

    def _names(self, values: dict[str, pa.Array], n: int) -> np.ndarray:
        """Per record (rows of an (n, 8) array): vocabulary indices of the five parts, then of the other
        reading's given, father and grandfather names (-1 where none).

        Each distinct value of a column is parsed once (``_names_by_column``): ``parse_name`` reads each part
        on its own, except that the given name (or the full name) decides the chain, and a محمد علي given
        name shifts the father into the grandfather's place in the other reading. A sample of every batch
        is checked against ``parse_name`` on whole rows; on any difference (a future identity version that
        reads parts together) this encoder parses whole rows from then on.
        """
        parts = {f: values.get(f) for f in ("full_name", *NAME_FIELDS)}
        mode = self._name_mode()
        if mode and self._by_column:
            names = self._names_by_column(parts, mode, n)
            check = self._rng.sample(range(n), min(n, 32))
            if all(self._texts(names[i]) == self._parse_row(*(_at(parts[f], i) for f in parts)) for i in check):
                return names
            self._by_column = False
        vocabs = [self.vocab[f] for f in NAME_FIELDS]
        columns = [parts[f].to_pylist() if parts[f] is not None else [None] * n for f in parts]
        out = np.empty((n, 8), np.int64)
        for i, row in enumerate(zip(*columns, strict=True)):
            out[i] = [vocabs[j if j < 5 else j - 5].get(t) for j, t in enumerate(self._parse_row(*row))]
        return out

    def _name_mode(self) -> str | None:
        """``parts`` or ``full`` when names can be parsed column by column, ``None`` otherwise."""
        fields = self.schema.fields
        if "full_name" not in fields:
            return "parts"
        if not {"given_name", "father_name", "grandfather_name", "surname"} & set(fields):
            return "full"
        return None

    @staticmethod
    def _parse_row(full, given, father, grand, surname, mother) -> tuple[str | None, ...]:
        chain = identity.parse_name(full, given=given, father=father, grandfather=grand, surname=surname,
                                    mother=mother)
        alt = chain.alternatives[0] if chain.alternatives else None
        return (chain.given, chain.father, chain.grandfather, chain.surname, chain.mother,
                *((alt.given, alt.father, alt.grandfather) if alt else (None, None, None)))

    def _texts(self, name: tuple[int, ...]) -> tuple[str | None, ...]:
        vocabs = [self.vocab[f] for f in NAME_FIELDS]
        return tuple(None if k < 0 else vocabs[j if j < 5 else j - 5].values[k] for j, k in enumerate(name))

    def _names_by_column(self, parts: dict[str, pa.Array | None], mode: str, n: int) -> np.ndarray:
        v = self.vocab
        parse = identity.parse_name
        caches = self._name_caches
        out = np.full((n, 8), -1, np.int64)

        def column(array: pa.Array | None, part: str, j: int) -> None:
            if array is None:
                return
            vocab, cache = v[NAME_FIELDS[j]], caches[part]

            def entry(raw):
                found = cache[raw] = vocab.get(getattr(parse(**{part: raw}), part))
                return found

            distinct, positions = distinct_values(array)
            table = np.array([cache[x] if x in cache else entry(x) for x in distinct] + [-1], np.int64)
            out[:, j] = table[positions]

        def chain_entry(raw, cache):
            chain = parse(raw) if mode == "full" else parse(given=raw)
            alt = chain.alternatives[0] if chain.alternatives else None
            found = cache[raw] = (
                v["given_name"].get(chain.given), v["father_name"].get(chain.father),
                v["grandfather_name"].get(chain.grandfather), v["surname"].get(chain.surname),
                v["given_name"].get(alt.given) if alt else -1, v["father_name"].get(alt.father) if alt else -1,
                v["grandfather_name"].get(alt.grandfather) if alt else -1)
            return found

        head = parts["full_name"] if mode == "full" else parts["given_name"]
        if head is not None:
            cache = caches["full" if mode == "full" else "given"]
            distinct, positions = distinct_values(head)
            table = np.array([cache[x] if x in cache else chain_entry(x, cache) for x in distinct]
                             + [(-1,) * 7], np.int64)
            chain = table[positions]
            if mode == "full":
                out[:, 0:4], out[:, 5:8] = chain[:, 0:4], chain[:, 4:7]
            else:
                out[:, 0], out[:, 5], out[:, 6] = chain[:, 0], chain[:, 4], chain[:, 5]
        if mode == "parts":
            column(parts["father_name"], "father", 1)
            column(parts["grandfather_name"], "grandfather", 2)
            column(parts["surname"], "surname", 3)
            # The other reading of a محمد علي given name puts the father in the grandfather's place.
            fathers, grands = v["father_name"].values, v["grandfather_name"]
            for i in np.flatnonzero((out[:, 5] >= 0) & (out[:, 1] >= 0)).tolist():
                out[i, 7] = grands.get(fathers[out[i, 1]])
        column(parts["mother_name"], "mother", 4)
        return out

    @staticmethod
    def _empty_name(fields, row: int, full: str | None, given: str | None) -> BadValue:
        name_field = "full_name" if "full_name" in fields and not (given and given.strip()) else "given_name"
        raw = (full if name_field == "full_name" else given) or ""
        reason = "name is empty" if not raw.strip() else "name has no letters once normalised"
        return BadValue(row, name_field, _column(fields, name_field), raw, reason)

    def _date(self, raw: str) -> tuple | str:
        """(precision, year / month / date / swapped tokens, interned year / month / date), or a reason."""
        try:
            d = identity.parse_date(raw)
        except identity.IdentityError as e:
            result: tuple | str = e.reason
        else:
            t, intern = self._date_tok, self._intern
            year = f"{d.year:04d}"
            # The next year's token under the year's key lets the hub see "a year apart" without the year.
            near = t["birth_year"](f"{d.year + 1:04d}")
            if d.precision == "year":
                result = (1, t["birth_year"](year), None, None, None, intern(year), -1, -1, near)
            elif d.precision == "month":
                month = f"{year}-{d.month:02d}"
                result = (2, t["birth_year"](year), t["birth_month"](month), None, None, intern(year),
                          intern(month), -1, near)
            else:
                full = f"{year}-{d.month:02d}-{d.day:02d}"
                swapped = None
                if d.day <= 12 and d.day != d.month:
                    swapped = t["birth_date"](f"{year}-{d.day:02d}-{d.month:02d}")
                result = (3, t["birth_year"](year), t["birth_month"](full[:7]), t["birth_date"](full), swapped,
                          intern(year), intern(full[:7]), intern(full), near)
        return result

    def _categorical(self, raw: str, parse, tokenizer) -> tuple | str:
        """(token, interned value) of a sex or governorate, or the reason it cannot be read."""
        try:
            value = parse(raw)
        except identity.IdentityError as e:
            return e.reason
        return tokenizer(value), self._intern(value)

    # --- assembly -------------------------------------------------------------------------------------

    def _assemble(self, rows: _Rows) -> pa.RecordBatch:
        spec, h = self.spec, self.spec.hardening
        r = rows.lists
        n = len(rows)
        names = rows.array("names")
        cols: dict[str, pa.Array] = {"ref": pa.array(r["ref"], pa.string()),
                                     "national_id": pa.array(rows.array("nid"), pa.int64(), mask=~rows.array("nid_ok")),
                                     "ration_card": pa.array(rows.array("ration"), pa.int64(),
                                                             mask=~rows.array("ration_ok"))}
        width = spec.bloom_bytes
        masks = None
        if h.blip and n:
            prefix = self.agency.encode() + b"\x1f"
            # The extra fields' filters take the stream after the names' (SHAKE-256: the names' masks are
            # the same with or without extra fields).
            filters = len(NAME_FIELDS) + sum(x.kind == "text" for x in spec.extra)
            masks = blip_masks(self._blip_key, [prefix + s.encode() for s in r["seed"]], width * filters, h.blip)
        name_idx = {}
        for j, f in enumerate(NAME_FIELDS):
            vocab = self.vocab[f]
            idx = names[:, j]
            valid = idx >= 0
            safe = np.where(valid, idx, 0)
            name_idx[f] = (safe, valid)
            if h.name_tokens:
                cols[f] = _take(vocab.array("norm"), safe, valid)
                cols[f + "_canonical"] = _take(vocab.array("canonical"), safe, valid)
                cols[f + "_skeleton"] = _take(vocab.array("skeleton"), safe, valid)
                if f in CHAIN_FIELDS:
                    alt = names[:, 5 + j]
                    alt_safe, alt_valid = np.where(alt >= 0, alt, 0), alt >= 0
                    cols[f + "_alt"] = _take(vocab.array("norm"), alt_safe, alt_valid)
                    cols[f + "_alt_skeleton"] = _take(vocab.array("skeleton"), alt_safe, alt_valid)
            blooms = vocab.array("bloom")[safe] if len(vocab) else np.zeros((n, width), np.uint8)
            if masks is not None:
                blooms = blooms ^ masks[:, j * width : (j + 1) * width]
            cols[f + "_bloom"] = _fixed_binary(blooms, valid, width)
        if h.name_tokens:
            for f, name in (("surname", "surname_key"), ("mother_name", "mother_first")):
                safe, valid = name_idx[f]
                extra = self.vocab[f].array("extra")
                tokens = extra[safe] if len(extra) else np.zeros(n, np.int64)
                cols[name] = pa.array(tokens, pa.int64(), mask=~valid | (tokens == 0))
        ids = {f: rows.array(f) for f in ("date", "sex", "gov")}
        for name, k in (("birth_year", 1), ("birth_month", 2), ("birth_date", 3), ("birth_date_swapped", 4),
                        ("birth_year_near", _DATE_FIELDS["near"])):
            values, valid = self._dates.column(k)
            cols[name] = _take(values, ids["date"], valid[ids["date"]])
        cols["birth_precision"] = pa.array(self._dates.column(0)[0][ids["date"]], pa.int8())
        for name, table, key in (("sex", self._sexes, "sex"), ("governorate", self._govs, "gov")):
            values, valid = table.column(0)
            cols[name] = _take(values, ids[key], valid[ids[key]])
        j = len(NAME_FIELDS)
        for x in spec.extra:
            tokens, present, blooms, _ = rows.extra_arrays(x.name)
            if x.kind == "exact" or h.name_tokens:
                cols[x.token_column] = pa.array(tokens, pa.int64(), mask=~present)
            if x.bloom_column:
                if masks is not None:
                    blooms = blooms ^ masks[:, j * width : (j + 1) * width]
                    j += 1
                cols[x.bloom_column] = _fixed_binary(blooms, present, width)
        for key, tokenizer, cache in self._blocks:
            parts = [self._component(p, name_idx, ids, rows) for p in key.parts]
            cols[f"block_{key.name}"] = self._block_tokens(parts, tokenizer, cache, n, any_order=key.any_order)
        del ids
        cols["payload"] = payloads.encrypt_array(self._data_key, r["plain"])
        schema = spec.arrow_schema()
        return pa.RecordBatch.from_arrays([cols[f.name] for f in schema], schema=schema)

    def _component(self, part: str, name_idx: dict, ids: dict[str, np.ndarray], rows: _Rows) -> np.ndarray:
        """Interned clear values of one blocking component per record (-1 where missing)."""
        f, _, kind = part.partition(".")
        if f == "extra":
            return rows.extra_arrays(kind)[3]
        if f in name_idx:
            safe, valid = name_idx[f]
            ids = self.vocab[f].array("ids:" + kind)
            return np.where(valid, ids[safe], -1) if len(ids) else np.full(len(safe), -1, np.int64)
        if f == "birth_date":
            return self._dates.column(_DATE_FIELDS[kind + "_id"])[0][ids["date"]]
        if f == "sex":
            return self._sexes.column(1)[0][ids["sex"]]
        return self._govs.column(1)[0][ids["gov"]]

    def _block_tokens(self, parts: list[np.ndarray], tokenizer: Tokenizer, cache: dict, n: int, *,
                      any_order: bool = False) -> pa.Array:
        """One token per distinct combination of the components' clear values (hashed once, then cached);
        with ``any_order`` the values are sorted first, so their order does not change the token."""
        if not n:
            return pa.array([], pa.int64())
        valid = np.logical_and.reduce([p >= 0 for p in parts])
        strings = self._intern.strings
        # Interned ids are below 2**31, and below 2**21 while the caches are bounded: two or three fit one
        # int64 key, which numpy can find in the cache of known combinations (any order needs the strings).
        width = 32 if len(parts) == 2 else 21
        packable = (len(parts) in (2, 3) and not any_order
                    and all(int(p.max(initial=0)) < (1 << width) for p in parts))
        if packable:
            mask = (1 << width) - 1
            keys = np.zeros(int(valid.sum()), np.int64)
            for p in parts:
                keys = (keys << width) | p[valid]
            combos, inverse = np.unique(keys, return_inverse=True)
            # Combinations seen before are found by numpy in the cache's sorted keys; only new ones are
            # hashed, in one loop (a Python loop over every combination cost ~1 us a record).
            known, known_tokens = cache.get("packed", (np.zeros(0, np.int64), np.zeros(0, np.int64)))
            at = np.searchsorted(known, combos).clip(max=max(len(known) - 1, 0))
            hit = known[at] == combos if len(known) else np.zeros(len(combos), bool)
            new = combos[~hit]
            shifts = [width * k for k in reversed(range(len(parts)))]
            new_tokens = tokenizer.many([_SEP.join([strings[(c >> s) & mask] for s in shifts]).encode()
                                         for c in new.tolist()])
            tokens = np.empty(len(combos), np.int64)
            tokens[hit], tokens[~hit] = known_tokens[at[hit]], new_tokens
            if len(new):
                if len(known) + len(new) > _CACHE_LIMIT:  # bounded like the other caches
                    known, known_tokens = np.zeros(0, np.int64), np.zeros(0, np.int64)
                merged = np.concatenate([known, new])
                order = np.argsort(merged, kind="stable")
                cache["packed"] = (merged[order], np.concatenate([known_tokens, new_tokens])[order])
            out = np.zeros(n, np.int64)
            out[valid] = tokens[inverse.reshape(-1)]
            return pa.array(out, pa.int64(), mask=~valid)
        stacked = np.stack([p[valid] for p in parts], axis=1)
        combos, inverse = np.unique(stacked, axis=0, return_inverse=True)
        decoded = [tuple(sorted(c, key=strings.__getitem__)) if any_order else tuple(c) for c in combos.tolist()]
        tokens = np.empty(len(decoded), np.int64)
        for c, ids in enumerate(decoded):
            token = cache.get(ids)
            if token is None:
                token = cache[ids] = tokenizer(_SEP.join([strings[i] for i in ids]))
            tokens[c] = token
        out = np.zeros(n, np.int64)
        out[valid] = tokens[inverse.reshape(-1)]
        return pa.array(out, pa.int64(), mask=~valid)


class _ExtraEncoder:
    """One extra field: the token of its normalised value (``identity.normalize_text``: case, accents,
    punctuation and Arabic letter variants folded, digits in ASCII) and, for ``text``, its Bloom filter."""

    def __init__(self, field: ExtraField, tokenizer: CachedTokenizer, bloom: BloomEncoder, intern):
        self.field, self._tok, self._bloom, self._intern = field, tokenizer, bloom, intern
        self._width = bloom.nbytes
        self._cache: dict[str, tuple[int, bool, bytes, int]] = {}

    def _entry(self, raw: str) -> tuple[int, bool, bytes, int]:
        text = identity.normalize_text(to_ascii_digits(raw))
        if not text:
            found = (0, False, bytes(self._width), -1)
        else:
            bloom = self._bloom.encode(text) if self.field.kind == "text" else bytes(self._width)
            found = (self._tok(text), True, bloom, self._intern(text))
        self._cache[raw] = found
        return found

    def encode(self, column: pa.Array) -> tuple[np.ndarray, ...]:
        """Per record: token (int64), present (bool), Bloom filter (n x width bytes; zeros for ``exact``),
        interned normalised value (-1 where missing)."""
        distinct, positions = distinct_values(column)
        entries = [self._cache[x] if x in self._cache else self._entry(x) for x in distinct]
        entries.append((0, False, bytes(self._width), -1))  # a missing value
        tokens = np.array([e[0] for e in entries], np.int64)
        present = np.array([e[1] for e in entries], bool)
        blooms = np.frombuffer(b"".join(e[2] for e in entries), np.uint8).reshape(len(entries), self._width)
        interned = np.array([e[3] for e in entries], np.int64)
        return tokens[positions], present[positions], blooms[positions], interned[positions]

    def clear(self) -> None:
        self._cache.clear()

    def trim(self) -> None:
        if len(self._cache) > _CACHE_LIMIT:
            self._cache.clear()


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


def _random_tokens(values: pa.Array) -> tuple[np.ndarray, np.ndarray, list]:
    """Random tokens where an identifier is given (as ``_identifiers`` returns them), for dummies."""
    present = np.array([bool(x and x.strip()) for x in values.to_pylist()], bool)
    tokens = np.frombuffer(os.urandom(8 * len(values)), ">i8").astype(np.int64)
    return np.where(present, tokens, 0), present, []


def _stochastic_round(x: float, rng: random.Random) -> int:
    whole = int(x)
    return whole + (rng.random() < x - whole)


def _take(values: np.ndarray, idx: np.ndarray, valid: np.ndarray) -> pa.Array:
    if not len(values):
        return pa.nulls(len(idx), pa.int64())
    return pa.array(values[idx], pa.int64(), mask=~valid)


def _fixed_binary(matrix: np.ndarray, valid: np.ndarray, width: int) -> pa.Array:
    data = pa.py_buffer(np.ascontiguousarray(matrix, dtype=np.uint8).tobytes())
    validity = None if valid.all() else pa.array(valid, pa.bool_()).buffers()[1]
    return pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), len(valid), [validity, data])
