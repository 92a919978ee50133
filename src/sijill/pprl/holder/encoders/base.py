"""What every field encoder has: the keys and caches it shares with the others, and its interface.

A field encoder is the holder's half of a field declared in ``pprl.format.fields``: it reads the field's
clear values for a whole batch (``read``: column by column, each distinct value once), and turns the
per-record results into the package columns the declaration names (``columns``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from ...format.fields import Field
from ...format.schema import EncodingSpec
from ..keys import HolderKeys
from ..tokens import BloomEncoder, CachedTokenizer
from ..vocab import Interner

CACHE_LIMIT = 300_000  # distinct values remembered across batches, per cache
State = dict[str, np.ndarray]  # per-record results of one field encoder, one array per name


class Shared:
    """What the field encoders of one ``RecordEncoder`` share: the keys, the settings, and the interner of
    clear component strings (blocking tokens combine several fields' values by their interned ids)."""

    def __init__(self, keys: HolderKeys, spec: EncodingSpec):
        self.keys, self.spec = keys, spec
        self.intern = Interner()
        self.limit = CACHE_LIMIT  # read when made, so a test can make it small

    def tokenizer(self, purpose: str) -> CachedTokenizer:
        return CachedTokenizer(self.keys.subkey("token/" + purpose), limit=self.limit)

    def bloom(self, name: str) -> BloomEncoder:
        return BloomEncoder(self.keys.subkey("bloom/" + name), self.spec.bloom, self.spec.hardening,
                            self.keys.subkey("bloom-order/" + name))


@dataclass
class Read:
    """One field encoder's reading of a batch."""

    state: State
    bad: list[tuple[int, str]] = field(default_factory=list)  # (position, reason) of invalid values
    identifies: np.ndarray | None = None  # per record: enough to match on (a valid identifier, a name)


class FieldEncoder:
    """The holder's half of one declared field."""

    field: Field
    reads: tuple[str, ...] = ()  # the canonical input fields it reads (``LinkageSchema.fields``)
    filters: int = 0  # Bloom filters per record it writes: each takes its own slice of the BLIP masks

    def read(self, values: dict[str, pa.Array], n: int, *, dummy: bool) -> Read:
        raise NotImplementedError

    def columns(self, rows: Rows, masks: np.ndarray | None) -> dict[str, pa.Array]:
        """The package columns of the records in ``rows`` (``masks``: this field's slice of the BLIP masks)."""
        raise NotImplementedError

    def component(self, part: str, rows: Rows) -> np.ndarray:
        """Interned clear values of one blocking component (``given_name.skeleton``, ``birth_date.year``,
        ``sex``, ``extra.locality``...) per record (-1 where missing)."""
        raise KeyError(part)

    def oversized(self) -> bool:
        """Whether its distinct values outgrew the caches (then every cache starts again)."""
        return False

    def forget(self) -> None:
        """The interner was replaced: drop everything that refers to its ids."""

    def trim(self) -> None:
        """Keep its own caches bounded."""


class Rows:
    """Per-record results of a batch before assembly: the record lists, and each field encoder's state as
    chunks (real records, then dummies)."""

    LISTS = ("ref", "record_id", "row", "plain", "seed")

    def __init__(self):
        self.lists: dict[str, list] = {f: [] for f in self.LISTS}
        self._chunks: dict[FieldEncoder, list[State]] = {}

    def extend(self, lists: dict[str, list], states: dict[FieldEncoder, State]) -> None:
        for f in self.LISTS:
            self.lists[f].extend(lists[f])
        for encoder, state in states.items():
            self._chunks.setdefault(encoder, []).append(state)

    def state(self, encoder: FieldEncoder) -> State:
        chunks = self._chunks[encoder]
        if len(chunks) == 1:
            return chunks[0]
        return {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]}

    def __len__(self) -> int:
        return len(self.lists["ref"])


def take(values: np.ndarray, idx: np.ndarray, valid: np.ndarray) -> pa.Array:
    if not len(values):
        return pa.nulls(len(idx), pa.int64())
    return pa.array(values[idx], pa.int64(), mask=~valid)


def fixed_binary(matrix: np.ndarray, valid: np.ndarray, width: int) -> pa.Array:
    data = pa.py_buffer(np.ascontiguousarray(matrix, dtype=np.uint8).tobytes())
    validity = None if valid.all() else pa.array(valid, pa.bool_()).buffers()[1]
    return pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), len(valid), [validity, data])


def random_tokens(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Random tokens where an identifier is given, for dummies: never a real person's token."""
    present = np.array([bool(x and x.strip()) for x in values.to_pylist()], bool)
    tokens = np.frombuffer(os.urandom(8 * len(values)), ">i8").astype(np.int64)
    return np.where(present, tokens, 0), present


def column(values: dict[str, pa.Array], name: str, n: int) -> pa.Array:
    """A field's values, or nulls when the holder's schema does not map it."""
    found = values.get(name)
    return pa.nulls(n, pa.string()) if found is None else found
