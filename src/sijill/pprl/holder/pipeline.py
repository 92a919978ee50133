"""``encode``: a stream of clear record batches in, a signed package and its local map out.

Batches are encoded in worker processes (each holds its own caches), at most two per worker in flight,
so memory stays bounded by the batch size whatever the file size.
"""

from __future__ import annotations

import contextlib
import gc
import math
import multiprocessing
import os
import random
import resource
import shutil
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from sijill import spreadsheet
from sijill.files import create_private
from sijill.identity import IDENTITY_VERSION

from ..format.errors import NothingUsable, SchemaError
from ..format.keyfiles import Secret
from ..format.package import Manifest, PackageWriter, errors_path, map_path, spill
from ..format.schema import LinkageSchema
from . import payload as payloads
from .encoder import EncodedBatch, RecordEncoder
from .keys import HolderKeys

Batch = pa.RecordBatch | dict[str, list]
MAP_COLUMNS = ("ref", "record_id", "row", "dummy")
ERROR_COLUMNS = ("file", "row", "field", "column", "value", "reason")
ROW_COLUMN = "__row__"  # a batch may carry each row's number (as a spreadsheet shows it) in this column
_SAMPLE_PER_BATCH = 200
_RESERVOIR = 5_000
_SMALL = 20_000  # rows below which a file is encoded in this process


@dataclass(frozen=True)
class EncodeResult:
    package: Path
    map: Path
    errors_report: Path | None
    rows: int  # input rows read
    encoded: int  # real records in the package
    unusable: int  # rows left out: nothing to match on, or no record id
    bad_values: int  # values reported as invalid (their field encoded as missing)
    records: int  # records in the package, dummies included
    manifest: Manifest
    seconds: float
    worker_peak_rss_mb: float = 0.0  # largest resident memory of a worker process (0 without workers)
    cpu_seconds: float = 0.0  # CPU time of this process and of the workers on their batches


def encode(batches: Iterable[Batch], schema: LinkageSchema, keys: HolderKeys, out: Path, *,
           agency: str | None = None, source: str = "", workers: int = 1, expected_rows: int | None = None,
           progress: Callable[[int], None] | None = None, overwrite: bool = False,
           skipped_rows: list[tuple[int, str]] | None = None) -> EncodeResult:
    """Encode ``batches`` (Arrow record batches or ``{column: values}``) into the package ``out``.

    Rows are numbered from 2 (the header is row 1) unless a batch carries ``__row__``. Writes beside the
    package ``out.map.csv`` (reference -> record id; stays with the holder) and, when values were bad,
    ``out.errors.csv`` (file, row, field, column, value, reason), which also lists ``skipped_rows`` (rows
    the reader could not split, filled in while reading). Raises ``NothingUsable`` when no row had
    anything to match on.
    """
    started, cpu_started = time.perf_counter(), time.process_time()
    agency = agency or schema.agency
    if not agency:
        raise SchemaError("name the agency (--agency, or 'agency:' in the schema)")
    out = Path(out)
    data_key = Secret(os.urandom(32))
    sealed_key = payloads.seal_data_key(data_key, keys.registry_public)
    buckets = max(1, min(256, math.ceil((expected_rows or 1_000_000) / 65_536)))
    if expected_rows is not None and expected_rows < _SMALL:
        workers = 1  # starting processes would cost more than it saves
    writer = PackageWriter(out, schema.encoding, buckets=buckets, overwrite=overwrite)
    sink = _Sink(writer, out, source, skipped_rows if skipped_rows is not None else [])
    try:
        for result, n_rows in _results(batches, schema, keys, agency, data_key, workers, writer):
            sink.add(result)
            if progress:
                progress(n_rows)
        if not sink.usable:
            raise NothingUsable(f"{source or 'input'}: no row has anything to match on "
                                f"({sink.rows} rows; see {errors_path(out)})")
        pad_to = schema.package.pad_to
        n_pad = -writer.records % pad_to
        if n_pad:
            encoder = RecordEncoder(schema, keys, agency, data_key)
            sink.add(encoder.dummies(sink.reservoir, n_pad), count=False)
        manifest = writer.finish(keys, agency=agency, identity_version=IDENTITY_VERSION,
                                 schema_hash=schema.hash, sealed_payload_key=sealed_key)
    except BaseException:
        writer.abort()
        sink.close(written=False)
        raise
    sink.close(written=True)
    return EncodeResult(package=out, map=map_path(out), errors_report=errors_path(out) if sink.bad else None,
                        rows=sink.rows, encoded=sink.usable, unusable=sink.unusable, bad_values=sink.bad,
                        records=manifest.records, manifest=manifest, seconds=time.perf_counter() - started,
                        worker_peak_rss_mb=sink.worker_rss_kb / 1024,
                        cpu_seconds=time.process_time() - cpu_started + sink.worker_cpu)


class _Sink:
    """Receives encoded batches in input order: package buckets, local map, error report, sample."""

    def __init__(self, writer: PackageWriter, out: Path, source: str, skipped: list[tuple[int, str]]):
        self.writer, self.source, self.skipped = writer, source, skipped
        self.rows = self.usable = self.unusable = self.bad = self.worker_rss_kb = 0
        self.worker_cpu = 0.0
        self.reservoir: list[dict] = []
        self._seen = 0
        self._rng = random.Random(os.urandom(16))
        self._map_path, self._errors_path = map_path(out), errors_path(out)
        self._map_tmp = self._private(self._map_path.with_name(self._map_path.name + ".partial"))
        self._err_tmp = self._private(self._errors_path.with_name(self._errors_path.name + ".partial"))
        self._map = pacsv.CSVWriter(str(self._map_tmp), pa.schema(
            [("ref", pa.string()), ("record_id", pa.string()), ("row", pa.int64()), ("dummy", pa.bool_())]))
        self._err_file = open(self._err_tmp, "w", encoding="utf-8", newline="")  # noqa: SIM115
        self._err = spreadsheet.DictWriter(self._err_file, list(ERROR_COLUMNS))  # BOM; imported values as text
        self._err.writeheader()

    @staticmethod
    def _private(path: Path) -> Path:
        """Create an empty file only its owner can read: the map and report hold clear record data."""
        path.unlink(missing_ok=True)
        create_private(path).close()
        return path

    def add(self, result: EncodedBatch, *, count: bool = True) -> None:
        if result.table is not None:
            self.writer.add(result.table)
        else:  # spilled by a worker
            self.writer.count(len(result.refs))
        self.worker_rss_kb = max(self.worker_rss_kb, result.peak_rss_kb)
        self.worker_cpu += result.cpu_seconds
        dummies = [rid is None for rid in result.record_ids]
        self._map.write_batch(pa.record_batch(
            [pa.array(result.refs, pa.string()), pa.array(result.record_ids, pa.string()),
             pa.array(result.rows, pa.int64()), pa.array(dummies, pa.bool_())], names=list(MAP_COLUMNS)))
        if count:
            self.rows += result.usable + result.unusable
            self.usable += result.usable
            self.unusable += result.unusable
        for e in result.errors:
            self._err.writerow(e.as_dict(self.source))
            self.bad += 1
        for row in result.sample:  # reservoir sampling over batches
            self._seen += 1
            if len(self.reservoir) < _RESERVOIR:
                self.reservoir.append(row)
            elif (j := self._rng.randrange(self._seen)) < _RESERVOIR:
                self.reservoir[j] = row

    def close(self, *, written: bool) -> None:
        """Put the map beside the package when it was ``written`` (else drop it); keep the error report."""
        if self._map is None:
            return
        for row, reason in self.skipped:
            self._err.writerow({"file": self.source, "row": row, "field": "*", "column": "", "value": "",
                                "reason": f"row skipped: {reason}"})
            self.bad += 1
        self._map.close()
        self._err_file.close()
        self._map = None
        if written:
            os.replace(self._map_tmp, self._map_path)
        else:  # no new package: an earlier package keeps its own map
            self._map_tmp.unlink(missing_ok=True)
        if self.bad:
            os.replace(self._err_tmp, self._errors_path)
        else:
            self._err_tmp.unlink(missing_ok=True)
            if written:
                self._errors_path.unlink(missing_ok=True)


def _columns(batch: Batch, needed: list[str], first_row: int) -> tuple[dict[str, pa.Array | list], list[int]]:
    """The needed columns (Arrow arrays, or lists for a dict batch), and the rows' numbers."""
    if isinstance(batch, dict):
        cols = {c: batch[c] for c in needed}
        numbers = batch.get(ROW_COLUMN)
    else:
        cols = {c: batch.column(c) for c in needed}
        numbers = batch.column(ROW_COLUMN).to_pylist() if ROW_COLUMN in batch.schema.names else None
    n = len(cols[needed[0]])
    return cols, list(numbers) if numbers is not None else list(range(first_row, first_row + n))


def _check(batch: Batch, schema: LinkageSchema, source: str) -> None:
    header = list(batch) if isinstance(batch, dict) else batch.schema.names
    schema.check_header(header, source or "input")


def _results(batches: Iterable[Batch], schema: LinkageSchema, keys: HolderKeys, agency: str, data_key: Secret,
             workers: int, writer: PackageWriter):
    """Encoded batches, in input order, with the number of input rows each came from."""
    needed = schema.input_columns()
    first_row = 2  # row 1 is the header
    checked = False
    if workers <= 1:
        encoder = RecordEncoder(schema, keys, agency, data_key)
        for batch in batches:
            if not checked:
                _check(batch, schema, "")
                checked = True
            cols, numbers = _columns(batch, needed, first_row)
            with _quiet_gc():
                result = encoder.encode(cols, numbers, sample=_SAMPLE_PER_BATCH)
            yield result, len(numbers)
            first_row += len(numbers)
        return
    context = multiprocessing.get_context("forkserver")
    initargs = (schema, keys, agency, data_key, writer.spill_dir, writer.buckets)
    with context.Pool(workers, initializer=_init_worker, initargs=initargs) as pool, _handover() as shm:
        pending: deque = deque()
        for batch in batches:
            if not checked:
                _check(batch, schema, "")
                checked = True
            if isinstance(batch, pa.RecordBatch):
                batch = batch.select([*needed, *([ROW_COLUMN] if ROW_COLUMN in batch.schema.names else [])])
                if shm is not None:
                    batch = _to_shared_memory(batch, shm)
            n = len(batch[schema.record_id]) if isinstance(batch, dict) else _rows_of(batch)
            pending.append((pool.apply_async(_work, (batch, needed, first_row)), n))
            first_row += n
            if len(pending) >= 2 * workers:
                job, rows = pending.popleft()
                yield job.get(), rows
        while pending:
            job, rows = pending.popleft()
            yield job.get(), rows


@contextlib.contextmanager
def _handover():
    """A private folder in shared memory (tmpfs) to hand batches to workers without copying them through a
    pipe; ``None`` where there is none: clear records are never written to a disk for this."""
    base = Path("/dev/shm")
    if not base.is_dir() or not os.access(base, os.W_OK):
        yield None
        return
    folder = Path(tempfile.mkdtemp(prefix="sijill-", dir=base))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True)
class _SharedBatch:
    path: str
    rows: int


def _to_shared_memory(batch: pa.RecordBatch, folder: Path) -> _SharedBatch:
    path = folder / f"{os.urandom(8).hex()}.arrow"
    with create_private(path, "wb") as f, pa.ipc.new_stream(f, batch.schema) as writer:
        writer.write_batch(batch)
    return _SharedBatch(str(path), batch.num_rows)


def _rows_of(batch) -> int:
    return batch.rows if isinstance(batch, _SharedBatch) else batch.num_rows


_encoder: RecordEncoder | None = None
_spill_to: tuple[Path, int] | None = None


@contextlib.contextmanager
def _quiet_gc():
    """No cyclic garbage collection while a batch is encoded: the caches hold millions of objects and the
    collector would scan them again and again (a third of the time); the young generation is collected
    once per batch instead."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.collect(0)
        if enabled:
            gc.enable()


def _init_worker(schema: LinkageSchema, keys: HolderKeys, agency: str, data_key: Secret, spill_dir: Path,
                 buckets: int) -> None:
    global _encoder, _spill_to
    _encoder = RecordEncoder(schema, keys, agency, data_key)
    _spill_to = (spill_dir, buckets)


def _work(batch: Batch | _SharedBatch, needed: list[str], first_row: int) -> EncodedBatch:
    assert _encoder is not None
    cpu = time.process_time()
    if isinstance(batch, _SharedBatch):
        path = batch.path
        with pa.memory_map(path) as source:
            batch = pa.ipc.open_stream(source).read_next_batch()
        os.unlink(path)  # the mapping stays valid until the batch is dropped
    cols, numbers = _columns(batch, needed, first_row)
    with _quiet_gc():
        result = _encoder.encode(cols, numbers, sample=_SAMPLE_PER_BATCH)
    spill(result.table, *_spill_to)
    result.table = None  # the encodings went to the spill folder, not back through the pipe
    result.peak_rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result.cpu_seconds = time.process_time() - cpu
    return result
