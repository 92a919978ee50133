"""Keying a field's encodings by a companion value (its "salt"), so equal values share an encoding only
within one family of records.

A given name's tokens and Bloom filter are the same for every محمد of a file, so whoever holds a package
can rank them by frequency and name them from public statistics (``benchmarks/frequency_attack.py``).
Salted with the father's and grandfather's names, they are the same only among records that share the
three: brothers are still compared (and told apart), one person's two records still agree, and the
commonest given name no longer stands out. A token is re-keyed here: HMAC of the salt and the 8 bytes of
the unsalted token, so equal (value, salt) give equal tokens and anything else unrelated ones. A filter
takes the salt into every q-gram's hash (``BloomEncoder.encode``): Dice within one salt is that of any
keyed filter, filters with different salts are unrelated, and a filter's bit count varies with the salt
(a permutation would keep it, and with it a name's length).
"""

from __future__ import annotations

import numpy as np

from ..format.keyfiles import Secret
from .tokens import SALT_SEP, Tokenizer


class Salter:
    """Salted tokens under one key, and the salt's own token under another (the hub compares it, keylessly)."""

    def __init__(self, token_key: Secret, salt_key: Secret):
        self._tokens = Tokenizer(token_key)
        self.salt_tokens = Tokenizer(salt_key)

    def tokens(self, tokens: np.ndarray, salts: list[str]) -> np.ndarray:
        """Each token re-keyed with its record's salt (``tokens`` int64, one salt per token)."""
        raw = tokens.astype(">i8").tobytes()
        return self._tokens.many([salt.encode() + SALT_SEP.encode() + raw[8 * i : 8 * i + 8]
                                  for i, salt in enumerate(salts)])
