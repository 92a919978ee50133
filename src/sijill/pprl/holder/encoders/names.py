"""The name chain: the five name parts read together, each encoded as tokens and a Bloom filter.

Each distinct value of a name column is parsed once (``identity.parse_name`` part by part), except that
the given name (or the full name) decides the chain: a محمد علي given name shifts the father into the
grandfather's place in the other reading. A sample of every batch is checked against ``parse_name`` on
whole rows; on any difference (a future identity version that reads parts together) this encoder parses
whole rows from then on.
"""

from __future__ import annotations

import random

import numpy as np
import pyarrow as pa

from sijill import identity

from ...format.fields import CHAIN_FIELDS, DATED, NAME_FIELDS, NAMES
from ..salt import Salter
from ..tokens import SALT_SEP
from ..vocab import NameVocab, distinct_values
from .base import FieldEncoder, Read, Rows, Shared, fixed_binary, take

# Per record, an (n, 8) array of vocabulary indices: the five parts, then the other reading's three.
ALT = 5
_CACHES = ("full", "given", "father", "grandfather", "surname", "mother")
_KEYS = {"surname": "surname_key", "mother_name": "mother_first"}  # a part's own key token, and its column


class NameChainEncoder(FieldEncoder):
    field = NAMES
    reads = ("full_name", *NAME_FIELDS)
    filters = len(NAME_FIELDS)

    def __init__(self, shared: Shared, mapped: dict[str, tuple[str, ...]], rng: random.Random):
        self.shared, self.mapped, self._rng = shared, mapped, rng
        tok, with_tokens = shared.tokenizer, shared.spec.hardening.name_tokens
        self.vocab: dict[str, NameVocab] = {}
        for f in NAME_FIELDS:
            tokens = {"norm": tok(f), "canonical": tok(f + "_canonical"), "skeleton": tok(f + "_skeleton"),
                      "rasm": tok(f + "_rasm")}
            if f == "surname":
                tokens["extra"] = tok("surname_key")
            elif f == "mother_name":
                tokens["extra"] = tok("mother_first")
            self.vocab[f] = NameVocab(f, tokens, shared.bloom(f), with_tokens, shared.intern)
        self._by_column = True
        self._caches: dict[str, dict] = {k: {} for k in _CACHES}
        self.salter = self.dated = None
        self.sources: dict[str, FieldEncoder] = {}  # the other fields' encoders (the birth date's, for a salt)
        if shared.spec.hardening.salt_given_name:
            keys = shared.keys
            self.salter = Salter(keys.subkey("token/given_name_salted"), keys.subkey("token/given_name_salt"))
            self.dated = Salter(keys.subkey("token/given_name_dated"), keys.subkey("token/given_name_date_salt"))

    # --- reading ------------------------------------------------------------------------------------

    def read(self, values: dict[str, pa.Array], n: int, *, dummy: bool) -> Read:
        names = self.names(values, n)
        return Read({"names": names}, identifies=(names[:, :ALT] >= 0).any(axis=1))

    def names(self, values: dict[str, pa.Array], n: int) -> np.ndarray:
        parts = {f: values.get(f) for f in self.reads}
        mode = self._mode()
        if mode and self._by_column:
            names = self._by_columns(parts, mode, n)
            check = self._rng.sample(range(n), min(n, 32))
            if all(self._texts(names[i]) == self._parse_row(*(_at(parts[f], i) for f in parts)) for i in check):
                return names
            self._by_column = False
        vocabs = [self.vocab[f] for f in NAME_FIELDS]
        columns = [parts[f].to_pylist() if parts[f] is not None else [None] * n for f in parts]
        out = np.empty((n, 8), np.int64)
        for i, row in enumerate(zip(*columns, strict=True)):
            out[i] = [vocabs[j if j < ALT else j - ALT].get(t) for j, t in enumerate(self._parse_row(*row))]
        return out

    def _mode(self) -> str | None:
        """``parts`` or ``full`` when names can be parsed column by column, ``None`` otherwise."""
        if "full_name" not in self.mapped:
            return "parts"
        if not {"given_name", "father_name", "grandfather_name", "surname"} & set(self.mapped):
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
        return tuple(None if k < 0 else vocabs[j if j < ALT else j - ALT].values[k] for j, k in enumerate(name))

    def _by_columns(self, parts: dict[str, pa.Array | None], mode: str, n: int) -> np.ndarray:
        v, parse, caches = self.vocab, identity.parse_name, self._caches
        out = np.full((n, 8), -1, np.int64)

        def part_column(array: pa.Array | None, part: str, j: int) -> None:
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
            part_column(parts["father_name"], "father", 1)
            part_column(parts["grandfather_name"], "grandfather", 2)
            part_column(parts["surname"], "surname", 3)
            # The other reading of a محمد علي given name puts the father in the grandfather's place.
            fathers, grands = v["father_name"].values, v["grandfather_name"]
            for i in np.flatnonzero((out[:, 5] >= 0) & (out[:, 1] >= 0)).tolist():
                out[i, 7] = grands.get(fathers[out[i, 1]])
        part_column(parts["mother_name"], "mother", 4)
        return out

    def empty_name(self, full: str | None, given: str | None) -> tuple[str, str, str, str]:
        """(field, column, raw value, reason) of a record without a usable name."""
        name_field = "full_name" if "full_name" in self.mapped and not (given and given.strip()) else "given_name"
        raw = (full if name_field == "full_name" else given) or ""
        reason = "name is empty" if not raw.strip() else "name has no letters once normalised"
        return name_field, " + ".join(self.mapped.get(name_field, ())), raw, reason

    # --- columns ------------------------------------------------------------------------------------

    def _index(self, rows: Rows, j: int) -> tuple[np.ndarray, np.ndarray]:
        idx = rows.state(self)["names"][:, j]
        valid = idx >= 0
        return np.where(valid, idx, 0), valid

    def columns(self, rows: Rows, masks: np.ndarray | None) -> dict[str, pa.Array]:
        n, width, tokens = len(rows), self.shared.spec.bloom_bytes, self.shared.spec.hardening.name_tokens
        names = rows.state(self)["names"]
        out: dict[str, pa.Array] = {}
        for j, f in enumerate(NAME_FIELDS):
            vocab = self.vocab[f]
            safe, valid = self._index(rows, j)
            if tokens:
                out[f] = take(vocab.array("norm"), safe, valid)
                out[f + "_canonical"] = take(vocab.array("canonical"), safe, valid)
                out[f + "_skeleton"] = take(vocab.array("skeleton"), safe, valid)
                out[f + "_rasm"] = take(vocab.array("rasm"), safe, valid)
                if f in CHAIN_FIELDS:
                    alt = names[:, ALT + j]
                    alt_safe, alt_valid = np.where(alt >= 0, alt, 0), alt >= 0
                    out[f + "_alt"] = take(vocab.array("norm"), alt_safe, alt_valid)
                    out[f + "_alt_skeleton"] = take(vocab.array("skeleton"), alt_safe, alt_valid)
                if f in _KEYS:
                    extra = vocab.array("extra")
                    keys = extra[safe] if len(extra) else np.zeros(n, np.int64)
                    out[_KEYS[f]] = pa.array(keys, pa.int64(), mask=~valid | (keys == 0))
            blooms = vocab.array("bloom")[safe] if len(vocab) else np.zeros((n, width), np.uint8)
            if f == "given_name" and self.salter is not None:
                if tokens:
                    out |= self._dated_given(out, rows, safe, None if masks is None else masks[:, :width])
                salts = self._salts(names, 1, 2)
                self._salt_given(out, names, salts)
                blooms = self._salted_filters(safe, valid, salts, width)
            if masks is not None:
                blooms = blooms ^ masks[:, j * width : (j + 1) * width]
            out[f + "_bloom"] = fixed_binary(blooms, valid, width)
        return out

    # --- the given name's salt ---------------------------------------------------------------------

    def _salts(self, names: np.ndarray, father: int, grandfather: int) -> list[str]:
        """Per record, the skeletons of the father's and grandfather's names (columns ``father`` and
        ``grandfather`` of ``names``) joined: the salt of its given name ('' for a missing part)."""
        parts = []
        for col, f in ((father, "father_name"), (grandfather, "grandfather_name")):
            idx, ids = names[:, col], self.vocab[f].array("ids:skeleton")
            parts.append(np.where(idx >= 0, ids[np.where(idx >= 0, idx, 0)], -1) if len(ids)
                         else np.full(len(idx), -1, np.int64))
        combos, inverse = np.unique(np.stack(parts, axis=1), axis=0, return_inverse=True)
        strings = self.shared.intern.strings
        texts = [SALT_SEP.join("" if i < 0 else strings[i] for i in c) for c in combos.tolist()]
        return [texts[k] for k in inverse.reshape(-1).tolist()]

    def _salted_filters(self, idx: np.ndarray, valid: np.ndarray, salts: list[str], width: int) -> np.ndarray:
        """The given name's filter of every record with its salt (each distinct pair encoded once)."""
        vocab, out = self.vocab["given_name"], np.zeros((len(idx), width), np.uint8)
        found: dict[tuple[int, str], bytes] = {}
        for r in np.flatnonzero(valid).tolist():
            key = (int(idx[r]), salts[r])
            bloom = found.get(key)
            if bloom is None:
                bloom = found[key] = vocab.salted_bloom(*key)
            out[r] = np.frombuffer(bloom, np.uint8)
        return out

    def _dated_given(self, out: dict[str, pa.Array], rows: Rows, idx: np.ndarray,
                     mask: np.ndarray | None) -> dict[str, pa.Array]:
        """The given name's tokens and filter salted with the birth date as far as it is known (the day, or
        the year of a date known to its year only, as registration defaults are), and the token of that
        salt. The filter keeps a Latin spelling comparable with its Arabic form when the father's differs."""
        dates = np.full(len(rows), -1, np.int64)
        if "birth_date" in self.sources:
            full = self.sources["birth_date"].component("birth_date.full", rows)
            dates = np.where(full >= 0, full, self.sources["birth_date"].component("birth_date.year", rows))
        given = out["given_name"].fill_null(0).to_numpy()
        present = np.flatnonzero((dates >= 0) & out["given_name"].is_valid().to_numpy(zero_copy_only=False))
        strings = self.shared.intern.strings
        salts = [strings[i] for i in dates[present].tolist()]
        missing = np.ones(len(given), bool)
        missing[present] = False
        dated = {}
        for suffix in ("_canonical", "_skeleton", "_rasm"):
            plain = out["given_name" + suffix].fill_null(0).to_numpy().astype(np.int64)
            tokens = np.zeros(len(given), np.int64)
            tokens[present] = self.dated.tokens(plain[present], salts)
            dated[DATED + suffix] = pa.array(tokens, pa.int64(), mask=missing)
        all_salts = [""] * len(given)
        for r, salt in zip(present.tolist(), salts, strict=True):
            all_salts[r] = salt
        width = self.shared.spec.bloom_bytes
        filters = self._salted_filters(idx, ~missing, all_salts, width)
        if mask is not None:
            filters ^= mask
        dated[DATED + "_bloom"] = fixed_binary(filters, ~missing, width)
        tokens = np.zeros(len(given), np.int64)
        tokens[present] = self.dated.salt_tokens.many([salt.encode() for salt in salts])
        dated[DATED + "_salt"] = pa.array(tokens, pa.int64(), mask=missing)
        return dated

    def _salt_given(self, out: dict[str, pa.Array], names: np.ndarray, salts: list[str]) -> None:
        """The given name's tokens re-keyed with its salt (the other reading's with the other reading's
        father and grandfather), and the salt's own token: the hub compares it to tell two given names
        salted alike (compared) from two salted differently (not comparable)."""
        readings = ((("given_name", "given_name_canonical", "given_name_skeleton", "given_name_rasm"), names[:, 0], 1),
                    (("given_name_alt", "given_name_alt_skeleton"), names[:, ALT], ALT + 1))
        for columns, given, father in readings:
            rows = np.flatnonzero(given >= 0)
            present = [c for c in columns if c in out]
            if present and len(rows):
                reading_salts = salts if father == 1 else self._salts(names, father, father + 1)
                at = [reading_salts[i] for i in rows.tolist()]
                for c in present:
                    tokens = out[c].fill_null(0).to_numpy().astype(np.int64)
                    tokens[rows] = self.salter.tokens(tokens[rows], at)
                    out[c] = pa.array(tokens, pa.int64(), mask=given < 0)
        rows = np.flatnonzero(names[:, 0] >= 0)
        tokens = np.zeros(len(names), np.int64)
        tokens[rows] = self.salter.salt_tokens.many([salts[i].encode() for i in rows.tolist()])
        out["given_name_salt"] = pa.array(tokens, pa.int64(), mask=names[:, 0] < 0)

    def component(self, part: str, rows: Rows) -> np.ndarray:
        f, _, kind = part.partition(".")
        safe, valid = self._index(rows, NAME_FIELDS.index(f))
        ids = self.vocab[f].array("ids:" + kind)
        return np.where(valid, ids[safe], -1) if len(ids) else np.full(len(safe), -1, np.int64)

    # --- caches -------------------------------------------------------------------------------------

    def oversized(self) -> bool:
        return any(len(v) > self.shared.limit for v in self.vocab.values())

    def forget(self) -> None:
        for f, v in self.vocab.items():
            self.vocab[f] = NameVocab(f, v._tok, v._bloom, v.with_tokens, self.shared.intern)
        for cache in self._caches.values():
            cache.clear()


def _at(values: pa.Array | None, i: int) -> str | None:
    return None if values is None else values[i].as_py()
