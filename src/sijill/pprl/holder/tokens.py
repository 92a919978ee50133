"""The encoders: keyed tokens of exact values and Bloom filters of character q-grams.

Each encoder takes its own key (derived per field and purpose from the cycle's linkage secret), so the
same name gives unrelated tokens in two fields and in two cycles.
"""

from __future__ import annotations

import hashlib

import numpy as np

from ..format.keyfiles import Secret
from ..format.schema import BloomParams, Hardening

_BLOCK = 64  # SHA-256 block size
SALT_SEP = "\x1f"  # between a salt and the value it keys (neither holds control characters once normalised)


class Tokenizer:
    """HMAC-SHA256 of a value under one key, truncated to a signed 64-bit integer.

    Truncating HMAC is standard (RFC 2104, section 5); 64 bits keep tokens compact and fast to join
    while collisions stay negligible (about 3 in a million for ten million distinct values).
    The inner and outer pads are hashed once, so one token costs two SHA-256 compressions.
    """

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: Secret):
        k = key.reveal()
        if len(k) > _BLOCK:
            k = hashlib.sha256(k).digest()
        k = k.ljust(_BLOCK, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in k))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in k))

    def digest(self, data: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(data)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()

    def __call__(self, value: str) -> int:
        return int.from_bytes(self.digest(value.encode())[:8], "big", signed=True)

    def many(self, values: list[bytes]) -> np.ndarray:
        """The tokens of many encoded values as an int64 array: the same as ``__call__`` on each, with the
        loop inlined (no method call or int conversion per value; numpy reads the first 8 bytes of each
        digest at once), which halves the cost of a per-record token such as the national ID's."""
        inner, outer = self._inner, self._outer
        digests = []
        append = digests.append
        for data in values:
            h = inner.copy()
            h.update(data)
            o = outer.copy()
            o.update(h.digest())
            append(o.digest())
        return np.frombuffer(b"".join(digests), dtype=">i8").reshape(-1, 4)[:, 0].astype(np.int64)


class CachedTokenizer(Tokenizer):
    """A tokenizer that remembers values seen (names and dates repeat); the memory is bounded."""

    __slots__ = ("_cache", "_limit")

    def __init__(self, key: Secret, limit: int = 500_000):
        super().__init__(key)
        self._cache: dict[str, int] = {}
        self._limit = limit

    def __call__(self, value: str) -> int:
        token = self._cache.get(value)
        if token is None:
            if len(self._cache) >= self._limit:
                self._cache.clear()
            token = self._cache[value] = super().__call__(value)
        return token


def qgrams(value: str, q: int = 2) -> set[str]:
    """The padded character q-grams of each word of a value: ``"علي"`` -> ``{"_ع", "عل", "لي", "ي_"}``.

    Words are padded one by one, so "فاطمه علي" and "علي فاطمه" share all their q-grams.
    """
    pad = "_" * (q - 1)
    out: set[str] = set()
    for word in value.split():
        padded = pad + word + pad
        out.update(padded[i : i + q] for i in range(len(padded) - q + 1))
    return out


class BloomEncoder:
    """A field-level Bloom filter: each q-gram sets ``hashes`` bits chosen by a keyed hash.

    Bit positions come from HMAC-SHA256 of the q-gram ("random hashing"), not from double hashing,
    whose regular structure is the weakness exploited by Niedermeyer et al. (2014). Hardening:
    ``balance`` appends the complement and permutes the 2L bits with a key (every filter then has
    the same Hamming weight, Schnell & Borgs 2016); ``xor_fold`` XORs the two halves (Schnell et al.
    2016). Both are deterministic: equal names still give equal filters. ``blip`` (applied per record
    by ``flip``) is what makes equal names look different. A ``salt`` (the given name's father and
    grandfather) enters every q-gram's hash: equal names with equal salts give equal filters, with
    different salts unrelated ones (attribute-level salting, Christen et al. 2018).
    """

    def __init__(self, key: Secret, params: BloomParams, hardening: Hardening, permutation_key: Secret):
        self.params, self.hardening = params, hardening
        self._hash = Tokenizer(key)
        self._positions: dict[str, int] = {}
        self._words: dict[str, int] = {}
        self._cache: dict[str, bytes] = {}
        self._permutation = None
        if hardening.balance:
            order = Tokenizer(permutation_key)
            size = 2 * params.bits
            self._permutation = np.argsort([order.digest(i.to_bytes(4, "big")) for i in range(size)], kind="stable")

    @property
    def nbytes(self) -> int:
        bits = self.params.bits * (2 if self.hardening.balance else 1) // (2 if self.hardening.xor_fold else 1)
        return bits // 8

    def positions(self, gram: str) -> np.ndarray:
        """The ``hashes`` bit positions of one q-gram (HMAC-SHA256 in counter mode, 32 bits per position)."""
        need, out, counter = 4 * self.params.hashes, b"", 0
        while len(out) < need:
            out += self._hash.digest(gram.encode() + counter.to_bytes(1, "big"))
            counter += 1
        return (np.frombuffer(out[:need], dtype=">u4") % self.params.bits).astype(np.intp)

    def _gram_mask(self, gram: str) -> int:
        """The q-gram's bits as an integer whose most significant bit is position 0 (``gram`` salted)."""
        found = self._positions.get(gram)
        if found is None:
            if len(self._positions) >= 200_000:
                self._positions.clear()
            top = self.params.bits - 1
            found = self._positions[gram] = sum(1 << (top - p) for p in set(self.positions(gram).tolist()))
        return found

    def bits(self, value: str, salt: str = "") -> np.ndarray:
        """The plain filter (before hardening) as a 0/1 array of ``bits`` entries."""
        return np.unpackbits(np.frombuffer(self._plain(value, salt), dtype=np.uint8))

    def _plain(self, value: str, salt: str = "") -> bytes:
        prefix = salt + SALT_SEP if salt else ""
        mask = 0
        for word in value.split():  # one mask per word, remembered: a mother's name is two common words
            found = self._words.get(prefix + word)
            if found is None:
                found = 0
                for gram in qgrams(word, self.params.qgram):
                    found |= self._gram_mask(prefix + gram)
                if len(self._words) >= 200_000:
                    self._words.clear()
                self._words[prefix + word] = found
            mask |= found
        return mask.to_bytes(self.params.bits // 8, "big")

    def encode(self, value: str, salt: str = "") -> bytes:
        """The deterministic filter of a value (balanced and folded if so configured), packed; a ``salt``
        keys every q-gram's bits as well."""
        key = salt + SALT_SEP + value if salt else value
        found = self._cache.get(key)
        if found is None:
            if self._permutation is None and not self.hardening.xor_fold:
                found = self._plain(value, salt)
            else:
                bits = self.bits(value, salt)
                if self._permutation is not None:
                    bits = np.concatenate([bits, 1 - bits])[self._permutation]
                if self.hardening.xor_fold:
                    half = len(bits) // 2
                    bits = bits[:half] ^ bits[half:]
                found = np.packbits(bits).tobytes()
            if len(self._cache) >= 200_000:
                self._cache.clear()
            self._cache[key] = found
        return found


def blip_masks(key: Secret, seeds: list[bytes], nbytes: int, probability: float, chunk: int = 4096) -> np.ndarray:
    """Per-record flip masks (``len(seeds)`` x ``nbytes``): each bit set with ``probability``.

    The randomness is SHAKE-256 of the key and the record's seed, so re-encoding a record gives the same
    mask (encodings stay deterministic) while two records with one name get independent masks. One byte
    of the stream decides one bit; records are done ``chunk`` at a time to bound memory.
    """
    k = key.reveal()
    width = nbytes * 8
    threshold = round(probability * 256)
    out = np.zeros((len(seeds), nbytes), dtype=np.uint8)
    for start in range(0, len(seeds), chunk):
        part = seeds[start : start + chunk]
        stream = b"".join(hashlib.shake_256(k + s).digest(width) for s in part)
        raw = np.frombuffer(stream, dtype=np.uint8).reshape(len(part), width)
        out[start : start + len(part)] = np.packbits(raw < threshold, axis=1)
    return out


def dice(a: bytes, b: bytes) -> float:
    """Dice coefficient of two packed filters: 2|A and B| / (|A| + |B|)."""
    x, y = np.unpackbits(np.frombuffer(a, np.uint8)), np.unpackbits(np.frombuffer(b, np.uint8))
    total = int(x.sum() + y.sum())
    return 2 * int((x & y).sum()) / total if total else 1.0


def hamming_similarity(a: bytes, b: bytes) -> float:
    """1 - (differing bits / length): the comparison for balanced filters."""
    x, y = np.unpackbits(np.frombuffer(a, np.uint8)), np.unpackbits(np.frombuffer(b, np.uint8))
    return 1 - int((x ^ y).sum()) / len(x)
