"""Privacy-preserving record linkage, the data holder's side: keys, linkage schemas, encodings, packages.

Holder (has the cycle's secret)::

    keys = HolderKeys.load("keys/courts")
    schema = load_schema("courts.yaml")
    encode(batches, schema, keys, "out/courts.pkg", agency="courts")

Hub (public keys only)::

    package = open_package("out/courts.pkg", TrustStore.from_dir("keys/hub"), cycle=...)
    package.read()  # Arrow table of encodings; package.encodings_path for DuckDB
    write_hits("hits.parquet", table)  # HITS_SCHEMA

Registry::

    open_hits("hits.parquet", RegistryKeys.load("keys/registry"), ["out/registry.pkg.map.csv"])
"""

from .errors import (
    IncompatiblePackage,
    KeyFileError,
    NothingUsable,
    PackageError,
    PayloadError,
    PprlError,
    SchemaError,
    TamperedPackage,
    UnknownHolder,
    UnsignedPackage,
)
from .hits import HITS_SCHEMA, MATCH_CLASSES, hits_table, open_hits, read_hits, write_hits
from .keys import HolderKeys, RegistryKeys, TrustStore, init_keys, key_info, rotate_keys, trust_key
from .local import encode_holders
from .package import Package, open_package, open_packages
from .pipeline import EncodeResult, encode
from .schema import EncodingSpec, LinkageSchema, encoding_spec, example_schemas, load_schema

__all__ = [
    "HITS_SCHEMA",
    "MATCH_CLASSES",
    "EncodeResult",
    "EncodingSpec",
    "HolderKeys",
    "IncompatiblePackage",
    "KeyFileError",
    "LinkageSchema",
    "NothingUsable",
    "Package",
    "PackageError",
    "PayloadError",
    "PprlError",
    "RegistryKeys",
    "SchemaError",
    "TamperedPackage",
    "TrustStore",
    "UnknownHolder",
    "UnsignedPackage",
    "encode",
    "encode_holders",
    "encoding_spec",
    "example_schemas",
    "hits_table",
    "init_keys",
    "key_info",
    "load_schema",
    "open_hits",
    "open_package",
    "open_packages",
    "read_hits",
    "rotate_keys",
    "trust_key",
    "write_hits",
]
