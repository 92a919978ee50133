"""A blocking token: the clear values of two or more fields, joined and hashed together."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ...format.fields import Blocking
from ..tokens import Tokenizer
from .base import FieldEncoder, Read, Rows, Shared

SEP = "\x1f"


class BlockingEncoder(FieldEncoder):
    """Reads nothing itself: its components are other fields' interned values (``FieldEncoder.component``)."""

    def __init__(self, declared: Blocking, shared: Shared, sources: dict[str, FieldEncoder]):
        self.field, self.shared = declared, shared
        self.tokenizer = Tokenizer(shared.keys.subkey("block/" + declared.key.name))
        self.sources = sources  # component field -> the encoder that has its values
        self.cache: dict = {}

    def read(self, values, n: int, *, dummy: bool) -> Read:
        return Read({})

    def columns(self, rows: Rows, masks) -> dict[str, pa.Array]:
        key = self.field.key
        parts = [self.sources[p if p.startswith("extra.") else p.partition(".")[0]].component(p, rows)
                 for p in key.parts]
        return {self.field.name: self.tokens(parts, len(rows), any_order=key.any_order)}

    def tokens(self, parts: list[np.ndarray], n: int, *, any_order: bool = False) -> pa.Array:
        """One token per distinct combination of the components' clear values (hashed once, then cached);
        with ``any_order`` the values are sorted first, so their order does not change the token."""
        if not n:
            return pa.array([], pa.int64())
        tokenizer, cache = self.tokenizer, self.cache
        valid = np.logical_and.reduce([p >= 0 for p in parts])
        strings = self.shared.intern.strings
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
            new_tokens = tokenizer.many([SEP.join([strings[(c >> s) & mask] for s in shifts]).encode()
                                         for c in new.tolist()])
            tokens = np.empty(len(combos), np.int64)
            tokens[hit], tokens[~hit] = known_tokens[at[hit]], new_tokens
            if len(new):
                if len(known) + len(new) > self.shared.limit:  # bounded like the other caches
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
                token = cache[ids] = tokenizer(SEP.join([strings[i] for i in ids]))
            tokens[c] = token
        out = np.zeros(n, np.int64)
        out[valid] = tokens[inverse.reshape(-1)]
        return pa.array(out, pa.int64(), mask=~valid)

    def forget(self) -> None:
        self.cache.clear()

    def trim(self) -> None:
        if len(self.cache) > self.shared.limit:
            self.cache.clear()
