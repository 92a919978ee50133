"""Exchange packages: a folder with the encodings (Parquet), a manifest, and the holder's signature.

::

    courts.pkg/
      encodings.parquet   one row per record (real or dummy), in random order; columns: EncodingSpec
      manifest.json       agency, holder, cycle, identity version, schema and encoding hashes, record
                          count (padded), creation time, the sealed payload key, each file's SHA-256
      manifest.sig        Ed25519 signature of manifest.json by the holder's signing key

The local map (reference -> record id) and the error report are written *beside* the folder and are never
listed in the manifest; a loader refuses a package holding any file the manifest does not list.

``open_package`` is the hub's loader. It takes public keys only (a ``TrustStore``) and never reads a
secret file: the hub can verify and read packages but cannot make, alter or open them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
from nacl.exceptions import BadSignatureError

from .errors import IncompatiblePackage, PackageError, TamperedPackage, UnknownHolder, UnsignedPackage
from .keyfiles import TrustStore, fingerprint
from .schema import FORMAT, EncodingSpec, encoding_spec


class Signer(Protocol):
    """What signs a package: the holder's keys (``pprl.holder.HolderKeys``); the format never holds them."""

    holder: str
    cycle: str
    registry_public: bytes
    verify_key: bytes

    def sign(self, message: bytes) -> bytes: ...


ENCODINGS = "encodings.parquet"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
COMPRESSION = "zstd"
# Columns that are random per record: ciphertexts and identifier tokens neither compress nor repeat, so
# they are stored uncompressed and without a dictionary (both only cost time: ~20 % of the write).
_RANDOM_COLUMNS = ("payload", "national_id", "ration_card")


def map_path(package: Path) -> Path:
    """Where the local map of ``package`` lives: beside it, never inside."""
    package = Path(package)
    return package.with_name(package.name + ".map.csv")


def errors_path(package: Path) -> Path:
    package = Path(package)
    return package.with_name(package.name + ".errors.csv")


@dataclass(frozen=True)
class Manifest:
    format: str
    agency: str
    holder: str
    signing_key: str
    cycle: str
    identity_version: str
    schema_hash: str
    encoding: dict
    encoding_hash: str
    records: int
    created: str
    payload: dict
    files: dict

    @classmethod
    def from_json(cls, data: dict) -> Manifest:
        try:
            return cls(**{k: data[k] for k in cls.__dataclass_fields__})
        except (KeyError, TypeError) as e:
            raise PackageError(f"manifest lacks {e}") from None

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @property
    def sealed_payload_key(self) -> bytes:
        return bytes.fromhex(self.payload["sealed_key"])

    @property
    def spec(self) -> EncodingSpec:
        enc = dict(self.encoding)
        # A manifest leaves out a salt of the given name that is off (and those written before it had none).
        hardening = {"salt_given_name": False, **enc["hardening"]}
        return encoding_spec({"profile": enc["profile"], "bloom": enc["bloom"], "hardening": hardening,
                              "blocking": enc["blocking"], "extra": enc.get("extra")})


# --- writing (the data holder) -------------------------------------------------------------------------


class PackageWriter:
    """Collects encoded batches, shuffles them across the whole package, then writes and signs it.

    The shuffle is external, so memory stays bounded by the batch size. Each batch is permuted and cut
    into ``buckets`` pieces of multinomial sizes (so each record lands in a uniformly random bucket);
    the pieces are spilled to a private temporary folder, by worker processes directly. ``finish`` then
    reads each bucket, permutes it and appends it to the Parquet file. Ordering by (random bucket,
    random position) is a uniform random permutation.
    """

    def __init__(self, out: Path, spec: EncodingSpec, *, buckets: int = 16, overwrite: bool = False):
        self.out, self.spec = Path(out), spec
        if self.out.exists() and not overwrite:
            raise PackageError(f"{self.out}: already exists (choose another --out, or --force to replace it)")
        if self.out.exists() and not (self.out / MANIFEST).exists():
            raise PackageError(f"{self.out}: exists and is not a package; refusing to replace it")
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.spill_dir = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.", dir=self.out.parent))
        self.buckets = max(1, buckets)
        self._schema = spec.arrow_schema()
        self._rng = _rng()
        self.records = 0

    def add(self, batch: pa.RecordBatch) -> None:
        """Spill a batch from this process (workers call ``spill`` themselves and report ``count``)."""
        self.count(spill(batch, self.spill_dir, self.buckets))

    def count(self, n: int) -> None:
        self.records += n

    def finish(self, keys: Signer, *, agency: str, identity_version: str, schema_hash: str,
               sealed_payload_key: bytes) -> Manifest:
        staging = self.spill_dir / "package"
        staging.mkdir()
        parquet = staging / ENCODINGS
        names = self._schema.names
        compression = {c: "none" if c in _RANDOM_COLUMNS else COMPRESSION for c in names}
        dictionary = [c for c in names if c not in _RANDOM_COLUMNS and c != "ref"]  # refs are unique too
        with pq.ParquetWriter(parquet, self._schema, compression=compression, use_dictionary=dictionary) as writer, \
                ThreadPoolExecutor(1) as prefetch:  # the next bucket is read and permuted while one is written
            pending = prefetch.submit(self._bucket, 0)
            for b in range(self.buckets):
                table = pending.result()
                if b + 1 < self.buckets:
                    pending = prefetch.submit(self._bucket, b + 1)
                if table is not None:
                    writer.write_table(table)
        manifest = Manifest(
            format=FORMAT, agency=agency, holder=keys.holder, signing_key=keys.verify_key.hex(), cycle=keys.cycle,
            identity_version=identity_version, schema_hash=schema_hash, encoding=self.spec.as_dict(),
            encoding_hash=self.spec.hash, records=self.records,
            created=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
            payload={"cipher": "x25519-sealedbox+xsalsa20poly1305", "sealed_key": sealed_payload_key.hex(),
                     "recipient": fingerprint(keys.registry_public)},
            files={ENCODINGS: _file_digest(parquet)},
        )
        body = json.dumps(manifest.as_dict(), ensure_ascii=False, indent=1, sort_keys=True).encode()
        (staging / MANIFEST).write_bytes(body)
        (staging / SIGNATURE).write_text(keys.sign(body).hex() + "\n", encoding="ascii")
        if self.out.exists():
            shutil.rmtree(self.out)
        os.replace(staging, self.out)
        self.abort()
        return manifest

    def _bucket(self, b: int) -> pa.Table | None:
        """Bucket ``b``'s pieces, concatenated and permuted (the pieces are deleted)."""
        pieces = sorted(self.spill_dir.glob(f"b{b:04d}-*.arrow"))
        if not pieces:
            return None
        tables = []
        for path in pieces:
            with pa.OSFile(str(path)) as source:
                tables.append(ipc.open_stream(source).read_all())
            path.unlink()
        table = pa.concat_tables(tables).combine_chunks()  # take() on one chunk is 3x faster
        return table.take(pa.array(self._rng.permutation(table.num_rows)))

    def abort(self) -> None:
        shutil.rmtree(self.spill_dir, ignore_errors=True)


def _rng() -> np.random.Generator:
    return np.random.default_rng(np.frombuffer(os.urandom(32), dtype=np.uint32))


_spill_rng: np.random.Generator | None = None


def spill(batch: pa.RecordBatch, directory: Path, buckets: int) -> int:
    """Permute ``batch`` and write it as ``buckets`` pieces of random sizes; returns its number of rows."""
    global _spill_rng
    n = batch.num_rows
    if not n:
        return 0
    if _spill_rng is None:
        _spill_rng = _rng()  # per process: a forked worker must not share its parent's stream
    table = batch.take(pa.array(_spill_rng.permutation(n)))
    sizes = _spill_rng.multinomial(n, [1 / buckets] * buckets)
    tag = os.urandom(8).hex()
    start = 0
    for b, size in enumerate(sizes.tolist()):
        if size:
            with ipc.new_stream(str(Path(directory) / f"b{b:04d}-{tag}.arrow"), batch.schema) as writer:
                writer.write_batch(table.slice(start, size))
            start += size
    return n


def _file_digest(path: Path) -> dict:
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return {"sha256": h.hexdigest(), "bytes": size}


# --- loading (the hub: public keys only) ---------------------------------------------------------------


@dataclass(frozen=True)
class Package:
    """A verified package: its manifest and its encodings, readable as Arrow or as a Parquet path."""

    path: Path
    manifest: Manifest

    @property
    def agency(self) -> str:
        return self.manifest.agency

    @property
    def encodings_path(self) -> Path:
        """The Parquet file, e.g. for DuckDB's ``read_parquet``."""
        return self.path / ENCODINGS

    @property
    def schema(self) -> pa.Schema:
        return pq.read_schema(self.encodings_path)

    def read(self, columns: list[str] | None = None) -> pa.Table:
        return pq.read_table(self.encodings_path, columns=columns)

    def iter_batches(self, batch_size: int = 65_536, columns: list[str] | None = None) -> Iterator[pa.RecordBatch]:
        yield from pq.ParquetFile(self.encodings_path).iter_batches(batch_size=batch_size, columns=columns)


def open_package(path: Path, trust: TrustStore, *, cycle: str | None = None,
                 identity_version: str | None = None, encoding_hash: str | None = None) -> Package:
    """Verify a package against the holders' public keys and return it; refuse it with a clear error.

    Checks, in order: it is a package; it is signed; the signer is a trusted holder with that key; the
    signature is valid; every file matches its hash and no other file is present; the format, cycle,
    identity version and encoding are the expected ones.
    """
    path = Path(path)
    if not (path / MANIFEST).is_file():
        raise PackageError(f"{path}: not a Sijill package (no {MANIFEST})")
    sig_path = path / SIGNATURE
    if not sig_path.is_file():
        raise UnsignedPackage(f"{path}: unsigned ({SIGNATURE} is missing); refused")
    manifest = verify_manifest((path / MANIFEST).read_bytes(), sig_path.read_bytes(), trust, str(path))
    _check_files(path, manifest)
    _check_compatible(path, manifest, cycle=cycle, identity_version=identity_version, encoding_hash=encoding_hash)
    return Package(path, manifest)


def verify_manifest(body: bytes, signature: bytes, trust: TrustStore, where: str) -> Manifest:
    """The manifest, once its signature is checked against the trusted holders' public keys."""
    try:
        signature = bytes.fromhex(signature.decode("ascii").strip())
        data = json.loads(body)
        holder, key = data["holder"], bytes.fromhex(data["signing_key"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise TamperedPackage(f"{where}: manifest or signature is malformed; refused") from None
    try:
        trust.verify(holder, key, body, signature)
    except KeyError:
        raise UnknownHolder(f"{where}: signed by {holder!r} with key {fingerprint(key)}, which is not among the "
                            f"trusted holders ({', '.join(trust.holders())}); refused") from None
    except (BadSignatureError, ValueError):
        raise TamperedPackage(f"{where}: the signature does not match the manifest; the package was changed "
                              "after signing; refused") from None
    return Manifest.from_json(data)


def signed_manifest(package: Package) -> dict[str, str]:
    """The manifest and its signature as written by the holder, to be checked again elsewhere."""
    return {"manifest": (package.path / MANIFEST).read_text(encoding="utf-8"),
            "signature": (package.path / SIGNATURE).read_text(encoding="ascii").strip()}


def _check_files(path: Path, manifest: Manifest) -> None:
    allowed = {MANIFEST, SIGNATURE, *manifest.files}
    extra = sorted(p.name for p in path.iterdir() if p.name not in allowed)
    if extra:
        raise TamperedPackage(f"{path}: holds files the manifest does not list ({', '.join(extra)}); refused")
    for name, expected in manifest.files.items():
        file = path / name
        if not file.is_file():
            raise TamperedPackage(f"{path}: {name} is missing; refused")
        if _file_digest(file) != expected:
            raise TamperedPackage(f"{path}: {name} does not match its signed hash; it was changed; refused")


def _check_compatible(path: Path, m: Manifest, *, cycle, identity_version, encoding_hash) -> None:
    if m.format != FORMAT:
        raise IncompatiblePackage(f"{path}: format {m.format!r}, this Sijill reads {FORMAT!r}")
    if cycle is not None and m.cycle != cycle:
        raise IncompatiblePackage(f"{path}: made for cycle {m.cycle!r}, not {cycle!r}")
    if identity_version is not None and m.identity_version != identity_version:
        raise IncompatiblePackage(f"{path}: normalised with identity {m.identity_version}, not {identity_version}")
    if encoding_hash is not None and m.encoding_hash != encoding_hash:
        raise IncompatiblePackage(f"{path}: encoding {m.encoding_hash} differs from {encoding_hash}")
    spec = m.spec
    if spec.hash != m.encoding_hash:
        raise IncompatiblePackage(f"{path}: encoding settings do not match their hash")
    if not pq.read_schema(path / ENCODINGS).equals(spec.arrow_schema(), check_metadata=False):
        raise IncompatiblePackage(f"{path}: columns differ from those its encoding settings define")


def open_packages(paths: Iterable[Path], trust: TrustStore, *, cycle: str | None = None) -> list[Package]:
    """Open several packages and check they can be compared: one cycle, identity version and encoding."""
    packages = [open_package(p, trust, cycle=cycle) for p in paths]
    if packages:
        first = packages[0].manifest
        for p in packages[1:]:
            m = p.manifest
            for attr in ("cycle", "identity_version", "encoding_hash"):
                if getattr(m, attr) != getattr(first, attr):
                    raise IncompatiblePackage(f"{p.path}: {attr} {getattr(m, attr)!r} differs from "
                                              f"{getattr(first, attr)!r} of {packages[0].path}")
    return packages
