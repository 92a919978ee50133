"""Distinct values and what they encode to: the caches that make encoding a batch cost little per record."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sijill import identity
from sijill.identity.text import is_latin

from .tokens import BloomEncoder, Tokenizer


class Interner:
    """Small integer ids for clear component strings, so combinations can be found with numpy."""

    def __init__(self):
        self.ids: dict[str, int] = {}
        self.strings: list[str] = []

    def __call__(self, s: str) -> int:
        i = self.ids.get(s)
        if i is None:
            i = self.ids[s] = len(self.strings)
            self.strings.append(s)
        return i


class ValueTable:
    """Distinct raw values of one field and what each encodes to (a tuple); id 0 means missing.

    ``ids`` maps a raw value to its row id, or to the reason it is invalid; columns of the rows come out
    as numpy arrays, so a batch's columns are assembled with ``take``.
    """

    def __init__(self, missing: tuple, compute):
        self._missing, self._compute = missing, compute
        self.ids: dict[str | None, int | str] = {}
        self.rows: list[tuple] = []
        self._arrays: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.clear()

    def clear(self) -> None:
        self.ids.clear()
        self.ids.update({None: 0, "": 0})
        self.rows[:] = [self._missing]
        self._arrays.clear()

    def lookup(self, raw: str | None) -> int | str:
        found = self.ids.get(raw)
        if found is None:
            result = self._compute(raw) if raw is not None and raw.strip() else None
            if result is None:
                found = 0
            elif type(result) is str:
                found = result
            else:
                found = len(self.rows)
                self.rows.append(result)
            self.ids[raw] = found
        return found

    def ids_of(self, values: pa.Array) -> tuple[np.ndarray, list[tuple[int, str]]]:
        """Row ids of a column (0 where missing or invalid), and (position, reason) of its invalid values.

        Each distinct value is looked up once (Arrow's dictionary encoding finds them in C).
        """
        distinct, positions = distinct_values(values)
        mapped = [self.lookup(v) for v in distinct]
        table = np.array([m if type(m) is int else 0 for m in mapped] + [0], dtype=np.int64)
        bad = [(int(i), m) for k, m in enumerate(mapped) if type(m) is str for i in np.flatnonzero(positions == k)]
        return table[positions], bad

    def column(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Field ``k`` of every row as int64 values and a validity mask (``None`` is invalid)."""
        values, valid = self._arrays.get(k, (np.zeros(0, np.int64), np.zeros(0, bool)))
        if len(values) < len(self.rows):  # extend with the rows added since
            raw = [r[k] for r in self.rows[len(values) :]]
            valid = np.concatenate([valid, np.array([v is not None for v in raw], dtype=bool)])
            values = np.concatenate([values, np.array([0 if v is None else v for v in raw], dtype=np.int64)])
            self._arrays[k] = (values, valid)
        return values, valid


class NameVocab:
    """Distinct normalised values of one name field and everything encoded from them."""

    KINDS = ("norm", "canonical", "skeleton", "rasm", "extra")

    def __init__(self, name: str, tokens: dict[str, Tokenizer], bloom: BloomEncoder, with_tokens: bool,
                 intern: Interner):
        self.name, self.with_tokens = name, with_tokens
        self._tok, self._bloom, self._intern = tokens, bloom, intern
        self.index: dict[str, int] = {}
        self.values: list[str] = []
        # The texts whose tokens are not computed yet: tokens are hashed per batch in one loop
        # (``Tokenizer.many``) when ``array`` is called, not one call per value as values are added.
        self._pending: dict[str, list[str]] = {k: [] for k in self.KINDS}
        self._ids: dict[str, list[int]] = {k: [] for k in ("canonical", "skeleton", "initial", "rasm", "key", "first")}
        self._blooms: list[bytes] = []
        self._arrays: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self._blooms)

    def get(self, value: str | None) -> int:
        """The index of a normalised value (added if new); -1 for ``None``."""
        if value is None:
            return -1
        i = self.index.get(value)
        return self.add(value) if i is None else i

    def add(self, value: str) -> int:
        i = len(self._blooms)
        canonical, skeleton = identity.canonical(value), identity.skeleton(value)
        extra = ""
        if self.name == "surname":
            extra = identity.surname_key(value) or ""
        elif self.name == "mother_name":
            extra = canonical.split(" ", 1)[0]
        self.index[value] = i
        self.values.append(value)
        ids, intern = self._ids, self._intern
        ids["canonical"].append(intern(canonical) if canonical else -1)
        ids["skeleton"].append(intern(skeleton) if skeleton else -1)
        ids["initial"].append(intern(skeleton[0]) if skeleton else -1)
        rasm = identity.rasm(value)
        ids["rasm"].append(intern(rasm) if rasm else -1)
        ids["key"].append(intern(extra) if extra and self.name == "surname" else -1)
        first = identity.skeleton(extra) if self.name == "mother_name" and extra else ""
        ids["first"].append(intern(first) if first else -1)
        if self.with_tokens:
            pending = self._pending
            pending["norm"].append(value)
            pending["canonical"].append(canonical)
            pending["skeleton"].append(skeleton)
            pending["rasm"].append(rasm)
            pending["extra"].append(extra)
        self._blooms.append(self._bloom.encode(self.bloom_input(value)))
        return i

    def bloom_input(self, value: str) -> str:
        """What a value's Bloom filter is made of."""
        latin_letters = self._bloom.params.latin == "letters" and is_latin(value)
        return value if latin_letters else identity.bloom_text(value)

    def salted_bloom(self, i: int, salt: str) -> bytes:
        """The filter of value ``i`` with a salt in every q-gram's hash (``BloomEncoder.encode``)."""
        return self._bloom.encode(self.bloom_input(self.values[i]), salt)

    def array(self, kind: str) -> np.ndarray:
        """Per distinct value: tokens (``norm``, ``canonical``...), interned ``ids:...``, or ``bloom`` rows.

        Arrays are extended with the values added since the last call, not rebuilt.
        """
        found = self._arrays.get(kind)
        size = len(self._blooms)
        have = 0 if found is None else len(found)
        if kind in self.KINDS:
            pending = self._pending[kind]
            if found is None or pending:
                new = self._tokens(kind, pending)
                pending.clear()
                found = new if found is None else np.concatenate([found, new])
                self._arrays[kind] = found
            return found
        if have < size or found is None:
            if kind == "bloom":
                new = np.frombuffer(b"".join(self._blooms[have:]), dtype=np.uint8).reshape(-1, self._bloom.nbytes)
            else:
                new = np.array(self._ids[kind[4:]][have:], dtype=np.int64)
            found = new if found is None else np.concatenate([found, new])
            self._arrays[kind] = found
        return found

    def _tokens(self, kind: str, texts: list[str]) -> np.ndarray:
        """Tokens of ``texts`` under the ``kind`` key; 0 for an empty ``extra`` (or a field without one)."""
        if kind != "extra":
            return self._tok[kind].many([t.encode() for t in texts])
        out = np.zeros(len(texts), np.int64)
        given = [i for i, t in enumerate(texts) if t]
        if "extra" in self._tok and given:
            out[given] = self._tok["extra"].many([texts[i].encode() for i in given])
        return out


def distinct_values(values: pa.Array) -> tuple[list, np.ndarray]:
    """The distinct values of a column and each row's position among them (nulls at ``len(distinct)``)."""
    encoded = pc.dictionary_encode(values)
    distinct = encoded.dictionary.to_pylist()
    return distinct, encoded.indices.fill_null(len(distinct)).to_numpy(zero_copy_only=False).astype(np.int64)
