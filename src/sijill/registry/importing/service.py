"""`import_file`: read a registry file in batches, check every value through ``sijill.identity``, and
write the good rows, one transaction per batch. Re-importing a file updates its rows (natural keys).

Problems are kept per row and field (row, field, value, reason): a bad value in a required field
rejects the row; a bad value elsewhere is left empty and the row is kept. Nothing is dropped silently.
Large files are parsed by worker processes while this process writes (parsing is most of the work).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connections, router, transaction
from django.utils import timezone

from sijill import faults
from sijill.common.bulk import ensure_indexes, indexes_built_after
from sijill.spreadsheet import write_csv
from sijill.tabular import ROW, FileFormatError, TableSource, read_batches

from ..models import ImportIssue, ImportRun, ImportStatus, Person
from .rows import Issue, Parsed, work
from .schema import Schema, SchemaError, load_schema
from .writers import WRITERS

REPORT_COLUMNS = ["file", "row", "field", "value", "reason", "action"]
PARALLEL_FROM_ROWS = 50_000  # smaller files are parsed in this process: starting workers costs a second
BULK_LOAD_FROM_ROWS = 100_000  # a file this large that at least doubles the table: indexes built at the end


@dataclass
class ImportResult:
    run_id: int
    schema: str
    path: Path
    format: str
    encoding: str | None
    rows_read: int = 0
    created: int = 0
    updated: int = 0
    rejected: int = 0
    values_dropped: int = 0
    issues: list[Issue] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def imported(self) -> int:
        return self.created + self.updated

    def summary(self) -> dict:
        return {"run": self.run_id, "schema": self.schema, "file": str(self.path), "format": self.format,
                "encoding": self.encoding, "rows_read": self.rows_read, "created": self.created,
                "updated": self.updated, "rejected": self.rejected, "values_left_empty": self.values_dropped,
                "ignored_columns": self.ignored_columns, "seconds": round(self.seconds, 3)}


def import_file(path: Path | str, schema: str | Schema, *, actor: str = "cli", user=None, batch_rows: int = 5_000,
                workers: int | None = None, progress: Callable[[int, int | None], None] | None = None,
                audit_request=None) -> ImportResult:
    """Import ``path`` with ``schema``; ``progress(rows_done, rows_expected)`` after each batch.

    ``workers``: processes that parse (default: one per core for large files, none for small ones).
    Raises FileFormatError or SchemaError, before anything is written, when the file cannot be read as
    that schema at all; the audit trail records every import, failed or not.
    """
    from sijill.audit.models import Action
    from sijill.audit.trail import record

    started = time.perf_counter()
    path = Path(path)
    try:
        schema = schema if isinstance(schema, Schema) else load_schema(schema)
        source = read_batches(path, batch_rows=batch_rows)
        columns = schema.columns(source.header, path)
    except (FileFormatError, SchemaError, ValueError) as e:  # refused before anything is written: audited too
        record(Action.IMPORT_REFUSED, request=audit_request, user=user, actor=None if user else actor,
               target_type="import", target_id=path.name, file=path.name,
               schema=getattr(schema, "name", schema), reason=str(e).replace(str(path), path.name)[:500])
        raise
    target = schema.name if schema.name in WRITERS else _writer_for(schema)
    alias = router.db_for_write(Person)
    run = ImportRun.objects.using(alias).create(schema=schema.name, file_name=path.name[:255],
                                                file_format=source.format, encoding=source.encoding or "",
                                                actor=user.get_username() if user else actor)
    result = ImportResult(run.pk, schema.name, path, source.format, source.encoding, columns=columns,
                          ignored_columns=[h for h in source.header if h not in columns.values()])
    writer = WRITERS[target](alias, set(columns), source=f"{path.name[:100]} (#{run.pk})")
    if workers is None:
        workers = min(4, os.cpu_count() or 1) if (source.rows or 0) >= PARALLEL_FROM_ROWS else 1
    audit = {"request": audit_request, "user": user, "actor": None if user else actor, "target": run,
             "schema": schema.name, "file": path.name}
    try:
        with _load_mode(target, source, alias):
            _run(source, schema, columns, target, workers, writer, run, result, alias, progress)
    except Exception as e:
        _finish(run, result, ImportStatus.FAILED, str(e), alias)
        record(Action.IMPORT, **audit, status="failed", error=str(e)[:500])
        raise
    result.seconds = time.perf_counter() - started
    faults.point("import.before_finish")
    _finish(run, result, ImportStatus.DONE, "", alias)
    record(Action.IMPORT, **audit, rows=result.rows_read, created=result.created, updated=result.updated,
           rejected=result.rejected, values_left_empty=result.values_dropped)
    return result


def _load_mode(target: str, source: TableSource, alias: str):
    """For a large first load of persons, their search indexes are built once at the end."""
    ensure_indexes(Person, alias)  # repairs a load that was interrupted before it could rebuild them
    expected = source.rows or 0
    if target == "members" and expected >= BULK_LOAD_FROM_ROWS and expected >= Person.objects.using(alias).count():
        return indexes_built_after(Person, alias)
    return contextlib.nullcontext()


def _run(source: TableSource, schema: Schema, columns, target: str, workers: int, writer, run: ImportRun,
         result: ImportResult, alias: str, progress) -> None:
    seen: dict = {}
    skipped_done = 0  # CSV rows the reader could not split into the header's columns, reported as met
    for parsed in _parsed_batches(source, schema, columns, target, workers, alias):
        unsplit = [Issue(r, "(row)", "", why, True) for r, why in source.skipped[skipped_done:]]
        skipped_done = len(source.skipped)
        rows, values, issues = _first_of_each_key(parsed, schema, seen)
        issues = unsplit + issues
        with transaction.atomic(using=alias):
            created, updated, refused = writer.write(rows, values)
            issues += [Issue(r, f, v, reason, True) for r, f, v, reason in refused]
            issues.sort(key=lambda i: i.row)  # the report reads in file order
            _save_issues(run, issues, alias)
        faults.point("import.batch_written")
        result.rows_read += parsed.read + len(unsplit)
        result.created += created
        result.updated += updated
        _count(result, issues)
        if progress:
            progress(result.rows_read, source.rows)
    late = [Issue(r, "(row)", "", why, True) for r, why in source.skipped[skipped_done:]]
    _save_issues(run, late, alias)
    result.rows_read += len(late)
    _count(result, late)


def _parsed_batches(source: TableSource, schema: Schema, columns, target: str, workers: int,
                    alias: str) -> Iterator[Parsed]:
    """The file's batches, parsed, in file order: here, or by ``workers`` processes a few batches ahead."""
    needed = [*columns.values(), ROW]
    data = ({c: batch.column(c).to_pylist() for c in needed} for batch in source.batches)
    text_dates = connections[alias].vendor == "sqlite"
    if workers <= 1:
        for d in data:
            yield work(d, schema, columns, target, text_dates)
        return
    context = multiprocessing.get_context("forkserver")  # a clean interpreter: no inherited DB connections
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        ahead: deque = deque()
        for d in data:
            ahead.append(pool.submit(work, d, schema, columns, target, text_dates))
            if len(ahead) >= 2 * workers:
                yield ahead.popleft().result()
        while ahead:
            yield ahead.popleft().result()


def _first_of_each_key(parsed: Parsed, schema: Schema, seen: dict):
    """Drop the rows whose natural key an earlier row of the file already had (reported, not merged)."""
    rows, values, issues = [], [] if parsed.values is not None else None, list(parsed.issues)
    single = schema.key[0] if len(schema.key) == 1 else None
    for n, row in enumerate(parsed.rows):
        key = row.get(single) if single else tuple(row.get(k) for k in schema.key)
        number = row[ROW]
        first = seen.setdefault(key, number)
        if first != number:
            shown = key if single else " ".join(map(str, key))
            issues.append(Issue(number, "/".join(schema.key), str(shown)[:255],
                                f"the same key is on row {first} of this file", True))
            continue
        rows.append(row)
        if values is not None:
            values.append(parsed.values[n])
    return rows, values, issues


def _writer_for(schema: Schema) -> str:
    """A schema from a YAML file writes like the built-in schema with the same key."""
    for name, cls in WRITERS.items():
        if cls.key == schema.key:
            return name
    raise ValueError(f"schema {schema.name!r}: its key {list(schema.key)} matches no registry table "
                     f"({', '.join(f'{n}: {list(c.key)}' for n, c in WRITERS.items())})")


def _count(result: ImportResult, issues: list[Issue]) -> None:
    rejected_rows = {i.row for i in issues if i.rejected}
    result.rejected += len(rejected_rows)
    result.values_dropped += sum(1 for i in issues if not i.rejected and i.row not in rejected_rows)
    result.issues.extend(issues)


def _save_issues(run: ImportRun, issues: list[Issue], alias: str) -> None:
    if issues:
        ImportIssue.objects.using(alias).bulk_create(
            [ImportIssue(run=run, row=i.row, field=i.field[:64], value=i.value[:255], reason=i.reason[:255],
                         rejected=i.rejected) for i in issues], batch_size=1000)


def _finish(run: ImportRun, result: ImportResult, status: str, message: str, alias: str) -> None:
    run.status, run.message, run.finished_at = status, message[:2000], timezone.now()
    run.rows_read, run.rows_created, run.rows_updated = result.rows_read, result.created, result.updated
    run.rows_rejected, run.values_dropped = result.rejected, result.values_dropped
    run.save(using=alias)


def write_report(result: ImportResult, path: Path) -> None:
    """The per-row report as CSV (UTF-8 with BOM, so Arabic opens in Excel): file, row, field, value,
    reason, action."""
    write_csv(path, REPORT_COLUMNS, (
        {"file": result.path.name, "row": i.row, "field": i.field, "value": i.value, "reason": i.reason,
         "action": "row rejected" if i.rejected else "value left empty"} for i in result.issues))
