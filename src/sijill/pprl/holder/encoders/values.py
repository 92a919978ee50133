"""Values compared whole or by spelling: a categorical value (sex, governorate) and a cycle's extra field."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from sijill import identity
from sijill.identity.text import to_ascii_digits

from ...format.fields import Categorical, Extra
from ..vocab import ValueTable, distinct_values
from .base import FieldEncoder, Read, Rows, Shared, column, fixed_binary, take

_MISSING = (None, -1)  # not given: no token, no interned value
PARSERS = {"sex": identity.sex, "governorate": identity.governorate}


class CategoricalEncoder(FieldEncoder):
    """A value from a short list, read by ``identity`` (``ذكر``, ``M``, ``male`` are one sex): its token."""

    def __init__(self, declared: Categorical, shared: Shared):
        self.field, self.reads, self.shared = declared, (declared.name,), shared
        self.parse, self.tokenizer = PARSERS[declared.name], shared.tokenizer(declared.name)
        self.table = ValueTable(_MISSING, self.value)

    def value(self, raw: str) -> tuple | str:
        """(token, interned value), or the reason it cannot be read."""
        try:
            value = self.parse(raw)
        except identity.IdentityError as e:
            return e.reason
        return self.tokenizer(value), self.shared.intern(value)

    def read(self, values: dict[str, pa.Array], n: int, *, dummy: bool) -> Read:
        ids, bad = self.table.ids_of(column(values, self.field.name, n))
        return Read({"id": ids}, bad)

    def columns(self, rows: Rows, masks) -> dict[str, pa.Array]:
        ids = rows.state(self)["id"]
        values, valid = self.table.column(0)
        return {self.field.name: take(values, ids, valid[ids])}

    def component(self, part: str, rows: Rows) -> np.ndarray:
        return self.table.column(1)[0][rows.state(self)["id"]]

    def forget(self) -> None:
        self.table.clear()


class ExtraEncoder(FieldEncoder):
    """An extra field: the token of its normalised value (``identity.normalize_text``: case, accents,
    punctuation and Arabic letter variants folded, digits in ASCII) and, for ``text``, its Bloom filter."""

    def __init__(self, declared: Extra, shared: Shared):
        self.field, self.reads, self.shared = declared, (declared.name,), shared
        x = declared.extra
        self.tokenizer, self.bloom = shared.tokenizer("extra/" + x.name), shared.bloom("extra/" + x.name)
        self.filters = 1 if x.kind == "text" else 0
        self._width = self.bloom.nbytes
        self._cache: dict[str, tuple[int, bool, bytes, int]] = {}

    def _entry(self, raw: str) -> tuple[int, bool, bytes, int]:
        text = identity.normalize_text(to_ascii_digits(raw))
        if not text:
            found = (0, False, bytes(self._width), -1)
        else:
            bloom = self.bloom.encode(text) if self.filters else bytes(self._width)
            found = (self.tokenizer(text), True, bloom, self.shared.intern(text))
        self._cache[raw] = found
        return found

    def read(self, values: dict[str, pa.Array], n: int, *, dummy: bool) -> Read:
        """Per record: token, present, Bloom filter (n x width bytes; zeros for ``exact``), interned value."""
        distinct, positions = distinct_values(column(values, self.field.name, n))
        entries = [self._cache[x] if x in self._cache else self._entry(x) for x in distinct]
        entries.append((0, False, bytes(self._width), -1))  # a missing value
        tokens = np.array([e[0] for e in entries], np.int64)
        present = np.array([e[1] for e in entries], bool)
        blooms = np.frombuffer(b"".join(e[2] for e in entries), np.uint8).reshape(len(entries), self._width)
        interned = np.array([e[3] for e in entries], np.int64)
        return Read({"token": tokens[positions], "present": present[positions], "bloom": blooms[positions],
                     "id": interned[positions]})

    def columns(self, rows: Rows, masks: np.ndarray | None) -> dict[str, pa.Array]:
        s, x = rows.state(self), self.field.extra
        out = {}
        if x.kind == "exact" or self.shared.spec.hardening.name_tokens:
            out[x.token_column] = pa.array(s["token"], pa.int64(), mask=~s["present"])
        if x.bloom_column:
            blooms = s["bloom"] if masks is None else s["bloom"] ^ masks
            out[x.bloom_column] = fixed_binary(blooms, s["present"], self._width)
        return out

    def component(self, part: str, rows: Rows) -> np.ndarray:
        return rows.state(self)["id"]

    def forget(self) -> None:
        self._cache.clear()

    def trim(self) -> None:
        if len(self._cache) > self.shared.limit:
            self._cache.clear()
