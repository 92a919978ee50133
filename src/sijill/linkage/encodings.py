"""Packages as the hub's engines read them: verified encodings, Bloom filters as 64-bit words.

The hub loads packages through ``sijill.pprl.open_package`` with the holders' public keys only; nothing
here accepts or opens a secret.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sijill.pprl.format import Package
from sijill.pprl.format.fields import BLOOM_WORDS  # declared with the fields: their SQL reads the words


def bloom_columns(table: pa.Table) -> list[str]:
    return [name for name in table.column_names if name.endswith("_bloom")]


def _words(column: pa.ChunkedArray, name: str) -> dict[str, pa.Array]:
    """A fixed-size binary Bloom filter -> BLOOM_WORDS int64 columns and its bit count (NULL if absent)."""
    array = column.combine_chunks()
    width = array.type.byte_width
    if width % BLOOM_WORDS:
        raise ValueError(f"{name}: a {width * 8}-bit filter does not split into {BLOOM_WORDS} words")
    valid = np.asarray(array.is_valid())
    raw = np.frombuffer(array.buffers()[1], dtype=np.uint8, count=len(array) * width, offset=array.offset * width)
    words = raw.reshape(len(array), width).view(np.int64)
    if width // 8 != BLOOM_WORDS:  # wider filters fold into BLOOM_WORDS words; Dice is kept up to collisions
        words = np.bitwise_or.reduce(words.reshape(len(array), BLOOM_WORDS, -1), axis=2)
    words = np.where(valid[:, None], words, 0)
    bits = np.bitwise_count(words.view(np.uint64)).sum(axis=1, dtype=np.int32)
    mask = ~valid
    out = {f"{name}_w{i}": pa.array(words[:, i], pa.int64()) for i in range(BLOOM_WORDS)}
    out[f"{name}_bits"] = pa.array(bits, pa.int32(), mask=mask)
    return out


def engine_table(package: Package, dataset: str) -> pa.Table:
    """The package's encodings with ``unique_id`` (its pseudonymous ref), ``source_dataset`` and the
    Bloom filters as words; the sealed payload is not read (it travels only with hits)."""
    table = package.read([name for name in package.schema.names if name != "payload"])
    columns: dict[str, pa.Array | pa.ChunkedArray] = {
        "unique_id": table["ref"],
        "source_dataset": pa.array([dataset] * table.num_rows, pa.string()),
    }
    blooms = set(bloom_columns(table))
    for name in table.column_names:
        if name == "ref" or name in blooms:
            continue
        columns[name] = table[name]
    for name in blooms:
        columns.update(_words(table[name], name))
    return pa.table(columns)


def payloads(package: Package, refs: pa.Array) -> dict[str, bytes]:
    """Sealed payloads of the given refs only (the hub cannot open them)."""
    table = package.read(["ref", "payload"])
    keep = table.filter(pc.is_in(table["ref"], value_set=refs))
    return dict(zip(keep["ref"].to_pylist(), keep["payload"].to_pylist(), strict=True))
