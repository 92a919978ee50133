"""The column-wide fast paths of the encoder give what the per-value code gives."""

from __future__ import annotations

import hashlib
import os

import pyarrow as pa
from nacl import bindings

from sijill import identity
from sijill.pprl.format import encoding_spec
from sijill.pprl.format.fields import Blocking, BlockingKey
from sijill.pprl.format.keyfiles import Secret
from sijill.pprl.holder.encoders import NationalIdEncoder, Shared
from sijill.pprl.holder.encoders.blocking import BlockingEncoder
from sijill.pprl.holder.payload import NONCE, encrypt_array
from sijill.pprl.holder.tokens import Tokenizer

IDS = ["123456789012", "١٢٣٤٥٦٧٨٩٠١٢", "۱۲۳۴۵۶۷۸۹۰۱۲", "1234 5678 9012", "12345678901", "1234567890123",
       "111111111111", "١١١١١١١١١١١١", "12345678901a", "", "   ", None, "߁߂߃߄߅߆߇߈߉߀߁߂", " 123456789012",
       "123456789012\n", "1٢3456789012", "-", "000000000001"]


def test_national_ids_column_matches_per_value_parsing():
    encoder = NationalIdEncoder(Shared(_Keys(), encoding_spec()))
    column = pa.array(IDS * 3, pa.string()).slice(2)
    tokens, ok, bad = encoder.tokens(column)
    expected = [encoder.token(x) for x in column.to_pylist()]
    assert [int(t) if o else None for t, o in zip(tokens, ok, strict=True)] == \
        [x if type(x) is int else None for x in expected]
    assert sorted(bad) == [(i, x) for i, x in enumerate(expected) if type(x) is str]
    assert expected[0] == encoder.tokenizer(identity.national_id(IDS[2]))


def test_tokenizer_many_matches_call():
    tok = Tokenizer(Secret(os.urandom(32)))
    values = ["", "a", "123456789012", "محمد"]
    assert tok.many([v.encode() for v in values]).tolist() == [tok(v) for v in values]


def test_encrypt_array_opens_with_secretbox():
    key = Secret(os.urandom(32))
    plaintexts = [os.urandom(32 * (1 + i % 3)) for i in range(50)]
    boxes = encrypt_array(key, plaintexts).to_pylist()
    assert len({b[:NONCE] for b in boxes}) == 50
    for pt, box in zip(plaintexts, boxes, strict=True):
        assert bindings.crypto_secretbox_open_easy(box[NONCE:], box[:NONCE], key.reveal()) == pt
    assert encrypt_array(key, []).to_pylist() == []


def test_blocking_tokens_of_two_or_three_values_packed_in_one_key_are_the_joined_values_tokens():
    """Two or three interned ids are packed into one int64 key (numpy finds known combinations); the token
    must be the one of the values joined, as the per-combination path computes it, batch after batch."""
    import numpy as np

    shared = Shared(_Keys(), encoding_spec())
    for word in ["محمد", "علي", "حسن", "1985", "ذكر"]:
        shared.intern(word)
    rng = np.random.default_rng(3)
    for width in (2, 3):
        key = BlockingKey("test", ("given_name.skeleton",) * width)
        encoder = BlockingEncoder(Blocking(key), shared, {})
        for _batch in range(2):  # the second batch reads the cache of the first
            parts = [rng.integers(-1, 5, 60) for _ in range(width)]
            tokens = encoder.tokens(parts, 60).to_pylist()
            expected = [None if min(p[i] for p in parts) < 0 else
                        encoder.tokenizer("\x1f".join(shared.intern.strings[p[i]] for p in parts)) for i in range(60)]
            assert tokens == expected


class _Keys:
    """Holder keys with one random linkage secret (only ``subkey`` is used)."""

    def __init__(self):
        self._secret = os.urandom(32)

    def subkey(self, purpose: str) -> Secret:
        return Secret(hashlib.sha256(self._secret + purpose.encode()).digest())
