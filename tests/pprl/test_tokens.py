"""The encoders, as properties: same key same token, other key unrelated token, variants stay close."""

from __future__ import annotations

import hmac

from hypothesis import given, settings
from hypothesis import strategies as st

from sijill import identity
from sijill.pprl.format.keyfiles import Secret
from sijill.pprl.format.schema import BloomParams, Hardening
from sijill.pprl.holder.tokens import BloomEncoder, Tokenizer, blip_masks, dice, hamming_similarity, qgrams

keys = st.binary(min_size=32, max_size=32)
values = st.text(min_size=1, max_size=30)
ARABIC = st.text(alphabet="ابتثجحخدذرزسشصضطظعغفقكلمنهوي", min_size=3, max_size=10)


def bloom(key: bytes, hardening: Hardening | None = None, bits: int = 512) -> BloomEncoder:
    return BloomEncoder(Secret(key), BloomParams(bits=bits), hardening or Hardening(), Secret(key[::-1]))


@given(keys, values)
def test_a_token_is_truncated_hmac_sha256(key, value):
    expected = int.from_bytes(hmac.digest(key, value.encode(), "sha256")[:8], "big", signed=True)
    assert Tokenizer(Secret(key))(value) == expected


@given(keys, keys, values)
def test_same_key_same_token_other_key_unrelated(k1, k2, value):
    assert Tokenizer(Secret(k1))(value) == Tokenizer(Secret(k1))(value)
    if k1 != k2:
        assert Tokenizer(Secret(k1))(value) != Tokenizer(Secret(k2))(value)


@settings(max_examples=50)
@given(keys, keys, ARABIC)
def test_bloom_filters_are_deterministic_and_key_dependent(k1, k2, name):
    assert bloom(k1).encode(name) == bloom(k1).encode(name)
    if k1 != k2:
        # Unrelated keys put the q-grams on unrelated bits: the filters agree no more than chance.
        assert dice(bloom(k1).encode(name), bloom(k2).encode(name)) < 0.6


VARIANTS = [  # (spelling, variant spelling, a different name) as clerks write them
    ("عبدالرحمن", "عبدالرحمان", "عبدالكريم"),
    ("مصطفى", "مصطفي", "مرتضى"),
    ("اسماعيل", "اسمعيل", "ابراهيم"),
    ("حسين", "حسين", "حسن"),
    ("فاطمه", "فاطمة", "فاضل"),
    ("كاظم", "كاظمم", "ناظم"),
]


@given(keys)
def test_variant_spellings_are_closer_than_different_names(key):
    enc = bloom(key)
    for name, variant, other in VARIANTS:
        a, b, c = (enc.encode(identity.canonical(x)) for x in (name, variant, other))
        assert dice(a, b) > dice(a, c), (name, variant, other)


@settings(max_examples=30)
@given(keys, ARABIC, ARABIC)
def test_filter_similarity_follows_shared_qgrams(key, a, b):
    enc = bloom(key)
    if qgrams(a) == qgrams(b):
        assert dice(enc.encode(a), enc.encode(b)) == 1
    elif not qgrams(a) & qgrams(b):
        assert dice(enc.encode(a), enc.encode(b)) < 0.4, "only chance collisions of bits"


@given(keys, ARABIC)
def test_balanced_filters_have_constant_weight(key, name):
    enc = bloom(key, Hardening(balance=True))
    packed = enc.encode(name)
    assert len(packed) == 2 * 512 // 8
    assert sum(bin(b).count("1") for b in packed) == 512


@given(keys, ARABIC)
def test_xor_folding_halves_the_filter(key, name):
    assert len(bloom(key, Hardening(xor_fold=True)).encode(name)) == 512 // 16


def test_blip_masks_are_keyed_per_record_and_flip_about_the_share_asked():
    key = Secret(bytes(32))
    masks = blip_masks(key, [b"r1", b"r2", b"r1"], 128, 0.05)
    assert (masks[0] == masks[2]).all(), "one record, one mask: re-encoding is deterministic"
    assert not (masks[0] == masks[1]).all()
    share = sum(bin(b).count("1") for row in masks for b in row) / (3 * 128 * 8)
    assert 0.03 < share < 0.07


def test_noise_keeps_equal_names_similar_but_not_equal():
    enc = bloom(bytes(range(32)), Hardening(balance=True))
    a = enc.encode("محمد")
    masks = blip_masks(Secret(bytes(32)), [b"1", b"2"], len(a), 0.04)
    x, y = (bytes(p ^ m for p, m in zip(a, mask, strict=True)) for mask in masks)
    assert x != y
    other = enc.encode("محمود")
    assert hamming_similarity(x, y) > hamming_similarity(x, other)
