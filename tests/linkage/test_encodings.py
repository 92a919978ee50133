"""Bloom filters as the hub's engines read them: eight 64-bit words and the filter's bit count."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from sijill.linkage.encodings import _words

FILTERS = st.lists(st.one_of(st.none(), st.binary(min_size=64, max_size=64)), min_size=1, max_size=20)


@settings(deadline=None)  # the first call imports the hub's modules
@given(FILTERS)
def test_words_keep_every_bit_and_count_them(filters):
    out = _words(pa.chunked_array([pa.array(filters, pa.binary(64))]), "f")
    for i, f in enumerate(filters):
        if f is None:
            assert out["f_bits"][i].as_py() is None
            continue
        words = b"".join(out[f"f_w{k}"][i].as_py().to_bytes(8, "little", signed=True) for k in range(8))
        assert words == f
        assert out["f_bits"][i].as_py() == sum(bin(byte).count("1") for byte in f)
