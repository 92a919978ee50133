"""Keying a field's encodings by a companion value (its "salt"), so equal values share an encoding only
within one family of records.

A given name's tokens and Bloom filter are the same for every محمد of a file, so whoever holds a package
can rank them by frequency and name them from public statistics (``benchmarks/frequency_attack.py``).
Salted with the father's and grandfather's names, they are the same only among records that share the
three: brothers are still compared (and told apart), one person's two records still agree, and the
commonest given name no longer stands out. The salt is applied on top of the unsalted encodings:

- a token is re-keyed: HMAC of the salt and the 8 bytes of the unsalted token, so equal (value, salt)
  give equal tokens and anything else unrelated ones;
- a Bloom filter's bits are permuted by a keyed permutation of the salt, which keeps the Dice similarity
  of two filters with one salt and makes filters with different salts unrelated.
"""

from __future__ import annotations

import hashlib

import numpy as np

from ..format.keyfiles import Secret
from .tokens import SALT_SEP, Tokenizer


class Salter:
    """Salted tokens and filters under two keys (one re-keys tokens, one draws the filters' permutations)."""

    def __init__(self, token_key: Secret, permutation_key: Secret, salt_key: Secret, limit: int = 300_000):
        self._tokens = Tokenizer(token_key)
        self._permutation_key = permutation_key.reveal()
        self.salt_tokens = Tokenizer(salt_key)  # the salt's own token: the hub compares by it, keylessly
        self._limit = limit
        self._permutations: dict[str, np.ndarray] = {}

    def tokens(self, tokens: np.ndarray, salts: list[str]) -> np.ndarray:
        """Each token re-keyed with its record's salt (``tokens`` int64, one salt per token)."""
        raw = tokens.astype(">i8").tobytes()
        return self._tokens.many([salt.encode() + SALT_SEP.encode() + raw[8 * i : 8 * i + 8]
                                  for i, salt in enumerate(salts)])

    def permutation(self, salt: str, bits: int) -> np.ndarray:
        """The bit order of one salt: SHAKE-256 of the key and the salt, four bytes a position, sorted."""
        found = self._permutations.get(salt)
        if found is None or len(found) != bits:
            if len(self._permutations) >= self._limit:
                self._permutations.clear()
            stream = hashlib.shake_256(self._permutation_key + SALT_SEP.encode() + salt.encode()).digest(4 * bits)
            found = self._permutations[salt] = np.argsort(np.frombuffer(stream, ">u4"), kind="stable")
        return found

    def filters(self, filters: np.ndarray, salts: list[str]) -> np.ndarray:
        """Packed filters (n x bytes, uint8), each with its bits in its salt's order."""
        out = np.empty_like(filters)
        if not len(filters):
            return out
        bits = np.unpackbits(filters, axis=1)
        by_salt: dict[str, list[int]] = {}
        for i, salt in enumerate(salts):
            by_salt.setdefault(salt, []).append(i)
        for salt, rows in by_salt.items():
            order = self.permutation(salt, bits.shape[1])
            out[rows] = np.packbits(bits[rows][:, order], axis=1)
        return out
