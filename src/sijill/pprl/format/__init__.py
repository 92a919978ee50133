"""The exchange formats: what a holder writes, what the hub reads and writes, what the registry reads.

Holds no secret and derives none: the hub may import this (and only this) part of ``pprl``::

    package = open_package("out/courts.pkg", TrustStore.from_dir("keys/hub"), cycle=...)
    package.read()  # Arrow table of encodings; package.encodings_path for DuckDB
    write_hits("hits.parquet", table, packages)  # HITS_SCHEMA
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
from .hits import HITS_SCHEMA, MATCH_CLASSES, hits_table, read_hits, write_hits
from .keyfiles import TrustStore
from .package import Package, open_package, open_packages
from .schema import EncodingSpec, LinkageSchema, encoding_spec, example_schemas, load_schema

__all__ = [
    "HITS_SCHEMA",
    "MATCH_CLASSES",
    "EncodingSpec",
    "IncompatiblePackage",
    "KeyFileError",
    "LinkageSchema",
    "NothingUsable",
    "Package",
    "PackageError",
    "PayloadError",
    "PprlError",
    "SchemaError",
    "TamperedPackage",
    "TrustStore",
    "UnknownHolder",
    "UnsignedPackage",
    "encoding_spec",
    "example_schemas",
    "hits_table",
    "load_schema",
    "open_package",
    "open_packages",
    "read_hits",
    "write_hits",
]
