"""The `sijill` command. Thin: parse the arguments, call the library, print."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from sijill import __version__

app = typer.Typer(help="Sijill: a Unified Social Registry with privacy-preserving cross-agency matching.",
                  no_args_is_help=True, rich_markup_mode="rich")
console = Console()


def _version(value: bool) -> None:
    if value:
        from sijill.identity import IDENTITY_VERSION

        console.print(f"sijill {__version__} (identity {IDENTITY_VERSION})")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """Sijill command line."""


def _parse_overrides(fields: list[str]) -> dict[str, str]:
    overrides = {}
    for item in fields:
        column, sep, kind = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"{item!r}: write COLUMN=KIND, e.g. 'اسم الام=name'")
        overrides[column.strip()] = kind.strip()
    return overrides


@app.command()
def normalize(
    input: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV file to normalise.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the normalised CSV.")],
    encoding: Annotated[str | None, typer.Option(help="Input encoding (default: UTF-8, else Windows-1256).")] = None,
    field: Annotated[list[str] | None, typer.Option(
        "--field", "-f", help="COLUMN=KIND for a column the headers do not reveal; "
        "KIND is name, date, national_id, governorate or sex. Repeatable.")] = None,
) -> None:
    """Normalise the names, dates, national IDs, governorates and sex of a CSV file.

    Invalid values are left empty in the output and listed, with row and reason, in OUT.errors.csv.
    """
    from sijill.normalize_file import normalize_csv
    from sijill.tabular import FileFormatError

    try:
        result = normalize_csv(input, out, encoding=encoding, overrides=_parse_overrides(field or []))
    except (FileFormatError, ValueError) as e:
        console.print(f"[red]error:[/red] {e}")
        raise typer.Exit(1) from None
    table = Table(title=f"{input.name}: {result.rows} rows ({result.encoding})")
    for col in ("column", "kind", "changed", "unchanged", "empty", "invalid", "example"):
        table.add_column(col)
    for f in result.fields:
        example = f"{f.examples[0][0]} → {f.examples[0][1]}" if f.examples else ""
        table.add_row(f.column, f.kind, str(f.changed), str(f.unchanged), str(f.empty), str(f.invalid), example)
    console.print(table)
    if not result.fields:
        console.print("[yellow]no identity columns recognised; name them with --field COLUMN=KIND[/yellow]")
    if result.errors:
        console.print(f"[yellow]{len(result.errors)} invalid values: see {out.with_suffix('.errors.csv')}[/yellow]")
    console.print(f"written: {out}")


@app.command()
def demo(
    workdir: Annotated[Path, typer.Option(help="Where the demo writes its files.")] = Path("out/demo"),
    serve: Annotated[bool, typer.Option(help="Serve the web system at the end (Ctrl-C stops it).")] = True,
    port: Annotated[int, typer.Option(help="Port of the web system.")] = 8000,
) -> None:
    """Run the main job on embedded defaults: a synthetic world, the matching cycle, the web system."""
    from sijill.demo import run_demo

    run_demo(workdir, console, serve=serve, port=port)


@app.command()
def synth(
    outdir: Annotated[Path, typer.Argument(file_okay=False, help="Directory to write the world into.")],
    persons: Annotated[int, typer.Option("--persons", "-n", min=50, help="Number of persons.")] = 10_000,
    seed: Annotated[int, typer.Option("--seed", "-s", help="Random seed: the same seed gives the same files.")] = 1,
    generator: Annotated[str, typer.Option(
        help="'first': the world the matcher was tuned on; 'independent': the second world, with its own names "
        "and error model, to judge the matcher on (docs/synthetic-world-b.md).")] = "first",
) -> None:
    """Generate a synthetic Iraqi population, social registry and partner-agency extracts, with ground truth.

    Writes registry/, agencies/, truth/ and a manifest.json that lists every file with its agency,
    format, encoding, rows and column roles.
    """
    if generator == "independent":
        _synth_independent(outdir, persons, seed)
        return
    if generator != "first":
        raise typer.BadParameter(f"{generator!r}: write 'first' or 'independent'", param_hint="--generator")
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from sijill.synth import SynthConfig, generate_world, stages

    config = SynthConfig()
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                  console=console, transient=False) as bar:
        tasks = {name: bar.add_task(name, total=1, start=False) for name in stages(config)}

        def report(stage: str, done: bool) -> None:
            if done:
                bar.update(tasks[stage], completed=1)
            else:
                bar.start_task(tasks[stage])

        summary = generate_world(outdir, persons, seed, config, progress=report)
    table = Table(title=f"{outdir}: {persons:,} persons, seed {seed}")
    for col in ("file", "agency", "format", "encoding", "rows"):
        table.add_column(col, justify="right" if col == "rows" else "left")
    for f in summary.files:
        table.add_row(f.path, f.agency, f.format, f.encoding, f"{f.rows:,}")
    console.print(table)
    findings = ", ".join(f"{reason} {count:,}" for reason, count in sorted(summary.findings.items()))
    console.print(f"{summary.households:,} households; {summary.beneficiary_households:,} enrolled "
                  f"({summary.beneficiaries:,} beneficiaries); expected findings: {findings}")
    console.print(f"written: {outdir / 'manifest.json'} ({sum(summary.seconds.values()):.1f} s)")


def _synth_independent(outdir: Path, persons: int, seed: int) -> None:
    import json
    import time

    from sijill.synth.independent import generate_independent_world

    t0 = time.perf_counter()
    summary = generate_independent_world(outdir, persons, seed)
    manifest = json.loads((outdir / "manifest.json").read_text(encoding="utf-8"))
    table = Table(title=f"{outdir}: {persons:,} persons, seed {seed} (independent world)")
    for col in ("file", "agency", "format", "encoding", "rows", "members"):
        table.add_column(col, justify="right" if col in ("rows", "members") else "left")
    for f in manifest["files"]:
        members = summary.members.get(f["agency"])
        table.add_row(f["path"], f["agency"], f["format"], f["encoding"], f"{f['rows']:,}",
                      "" if members is None else f"{members:,}")
    console.print(table)
    console.print(f"{summary.registry_records:,} registry records ({summary.duplicates:,} double enrolments)")
    console.print(f"written: {outdir / 'manifest.json'} ({time.perf_counter() - t0:.1f} s)")


# --- the web system (issue 6). Django is set up inside each command, never when this module loads. ---

def _django() -> None:
    from sijill.web.bootstrap import setup

    setup()


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []})
def manage(ctx: typer.Context) -> None:
    """Django's management commands: migrate, createsuperuser, demo_users, ... ([b]sijill manage help[/b])."""
    _django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["sijill manage", *ctx.args])


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0: every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int | None, typer.Option(help="Server processes (default: 2 per core + 1).")] = None,
    threads: Annotated[int, typer.Option(help="Threads per process.")] = 4,
    migrate: Annotated[bool, typer.Option(help="Apply database migrations before serving.")] = True,
) -> None:
    """Serve the web system with gunicorn (production-grade; static files served by the application)."""
    _django()
    from sijill.web.server import serve as run_server

    run_server(host=host, port=port, workers=workers, threads=threads, migrate=migrate, console=console)


import_app = typer.Typer(help="Import files into Sijill.", no_args_is_help=True)
app.add_typer(import_app, name="import")


@import_app.command("registry")
def import_registry(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV (UTF-8 or Windows-1256), XLSX "
                                         "or Parquet file.")],
    schema: Annotated[str, typer.Option(help="members, households, enrolments, payments, or a schema .yaml file.")],
    errors: Annotated[Path | None, typer.Option(help="Where to write the per-row report (default: "
                                                "FILE.errors.csv, only when there are problems).")] = None,
    workers: Annotated[int | None, typer.Option(help="Processes that parse the file (default: one per core "
                                                "for large files).")] = None,
    batch_rows: Annotated[int, typer.Option(help="Rows per batch; each batch is one transaction.")] = 5_000,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as one line of JSON.")] = False,
) -> None:
    """Import a registry file: every value checked through sijill.identity, good rows written one batch per
    transaction, problems reported per row (row, field, value, reason). Re-importing updates, never duplicates."""
    import json

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    _django()
    from sijill.registry.importing.schema import SchemaError
    from sijill.registry.importing.service import import_file, write_report
    from sijill.tabular import FileFormatError

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=Console(stderr=True), disable=as_json) as bar:
        task = bar.add_task(f"{file.name} ({schema})", total=None)

        def progress(done: int, expected: int | None) -> None:
            bar.update(task, completed=done, total=max(expected or 0, done))

        try:
            result = import_file(file, schema, actor=f"cli:{_os_user()}", workers=workers, batch_rows=batch_rows,
                                 progress=progress)
        except (FileFormatError, SchemaError, ValueError) as e:
            console.print(f"[red]error:[/red] {e}")
            raise typer.Exit(1) from None
    report = errors or file.with_name(file.name + ".errors.csv")
    if result.issues:
        write_report(result, report)
    if as_json:
        print(json.dumps({**result.summary(), "report": str(report) if result.issues else None},
                         ensure_ascii=False))
        return
    table = Table(title=f"{file.name}: {result.rows_read:,} rows ({result.format}"
                        f"{', ' + result.encoding if result.encoding else ''}) in {result.seconds:.1f} s")
    for col in ("created", "updated", "rejected rows", "values left empty"):
        table.add_column(col, justify="right")
    table.add_row(f"{result.created:,}", f"{result.updated:,}", f"{result.rejected:,}", f"{result.values_dropped:,}")
    console.print(table)
    if result.ignored_columns:
        console.print(f"columns not in schema {schema!r} (ignored): {', '.join(result.ignored_columns)}")
    if result.issues:
        console.print(f"[yellow]{len(result.issues):,} problems, row by row: {report}[/yellow]")


def _os_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify(
    checkpoints: Annotated[list[Path] | None, typer.Option(
        "--checkpoints", help="An auditor's copy of the signed checkpoints (default: the server's own file).")] = None,
    key: Annotated[str | None, typer.Option(help="The checkpoint key the auditors hold (hexadecimal).")] = None,
) -> None:
    """Check the audit trail's hash chain, then that it still holds every signed checkpoint (a trail cut short or
    wiped fails); a sound trail gets a new checkpoint."""
    _django()
    from sijill.audit.checkpoints import check_checkpoints, read_checkpoints, write_checkpoint
    from sijill.audit.models import Action
    from sijill.audit.trail import record, verify

    result = verify()
    try:
        marks = check_checkpoints(read_checkpoints(checkpoints), trusted_key=key)
    except FileNotFoundError as e:
        _pprl_fail(e)
    ok = result.ok and marks.ok
    record(Action.VERIFY, actor=f"cli:{_os_user()}", ok=ok, entries=result.entries, broken=result.broken_seq,
           checkpoints=marks.checked, checkpoint_problem=marks.reason)
    if not result.ok:
        console.print(f"[red]{result}[/red]")
        raise typer.Exit(1)
    if not marks.ok:
        console.print(f"[red]audit trail cut short, wiped or rewritten: {marks.reason}[/red]")
        raise typer.Exit(1)
    write_checkpoint()
    console.print(f"[green]{result}; {marks.checked} signed checkpoints hold[/green]")


@audit_app.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign a checkpoint of the chain's length and head, in SIJILL_DATA_DIR/audit/ (run it daily, e.g. by cron)."""
    _django()
    from sijill.audit.checkpoints import checkpoints_path, write_checkpoint

    line = write_checkpoint()
    console.print(f"checkpoint of entry #{line['seq']} ({line['hash'][:16]}…) signed by key {line['key']} in "
                  f"{checkpoints_path()}")


@audit_app.command("checkpoints")
def audit_checkpoints(out: Annotated[Path, typer.Option("--out", "-o", help="Where to copy them.")]) -> None:
    """Copy the signed checkpoints for the auditors, who keep them outside the server with the key's fingerprint."""
    import shutil

    _django()
    from sijill.audit.checkpoints import checkpoints_path

    if not checkpoints_path().exists():
        _pprl_fail(FileNotFoundError("no checkpoint yet: `sijill audit checkpoint`"))
    shutil.copyfile(checkpoints_path(), out)
    console.print(f"written: {out}")


@app.command("backup")
def backup_command(
    folder: Annotated[Path, typer.Argument(help="A new (or empty) folder for the backup; it holds the keys.")],
    tips_key_to: Annotated[Path | None, typer.Option(help="Where to save the tips key, apart from the backup "
                                                          "(another medium): it opens callers' identities.")] = None,
) -> None:
    """Back up the database (SQLite online backup or pg_dump), the key folders and the stored files."""
    _django()
    from sijill.audit.models import Action
    from sijill.audit.trail import record
    from sijill.web.backup import BackupError, backup

    try:
        manifest = backup(folder, tips_key_to=tips_key_to)
    except BackupError as e:
        console.print(f"[red]error:[/red] {e}")
        raise typer.Exit(1) from None
    record(Action.BACKUP, actor=f"cli:{_os_user()}", folder=str(folder), audit_seq=manifest.audit_seq,
           records=sum(manifest.counts.values()), files=len(manifest.files))
    console.print(f"backup written to {folder}: {sum(manifest.counts.values()):,} records in "
                  f"{len(manifest.counts)} tables, {len(manifest.files)} files, audit trail at #{manifest.audit_seq}")
    if tips_key_to is None:
        console.print("[yellow]the tips key is not in the backup[/yellow]: save it apart with --tips-key-to, or "
                      "the sealed callers cannot be opened after a restore on another server")


@app.command("restore")
def restore_command(
    folder: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="A folder `sijill backup` wrote.")],
    replace: Annotated[bool, typer.Option(help="Overwrite a database that already holds records.")] = False,
    tips_key: Annotated[Path | None, typer.Option(exists=True, dir_okay=False,
                                                  help="The tips key saved apart by --tips-key-to.")] = None,
) -> None:
    """Restore a backup, then verify it: the audit chain and every table's record count against the backup's."""
    _django()
    from sijill.audit.models import Action
    from sijill.audit.trail import record
    from sijill.web.backup import BackupError, restore

    try:
        restored = restore(folder, replace=replace, tips_key=tips_key)
    except BackupError as e:
        console.print(f"[red]error:[/red] {e}")
        raise typer.Exit(1) from None
    record(Action.RESTORE, actor=f"cli:{_os_user()}", folder=str(folder), backup_of=restored.manifest.created_at,
           audit_seq=restored.manifest.audit_seq, records=sum(restored.manifest.counts.values()))
    console.print(f"[green]restored[/green] the backup of {restored.manifest.created_at}: "
                  f"{sum(restored.manifest.counts.values()):,} records, {restored.files} files; {restored.audit}; "
                  "every table's count matches the backup")


# --- privacy-preserving linkage: keys, encoding, hits (sijill.pprl) ---------------------------------

keys_app = typer.Typer(help="Key files of a data holder: the cycle's linkage secret, signing and payload keys.",
                       no_args_is_help=True)
app.add_typer(keys_app, name="keys")
hits_app = typer.Typer(help="The hub's hits, opened by the registry.", no_args_is_help=True)
app.add_typer(hits_app, name="hits")


def _pprl_fail(error: Exception) -> None:
    console.print(f"[red]error:[/red] {error}")
    raise typer.Exit(1)


def _show_keys(info) -> None:
    table = Table(title=f"keys in {info.directory} (no secret is ever shown)", show_header=False)
    for label, value in (("holder", info.holder), ("cycle", info.cycle), ("signing key", info.holder_key),
                         ("registry public key", info.registry_key),
                         ("registry private key here", "yes" if info.has_registry_secret else "no"),
                         ("trusted holders", ", ".join(info.trusted) or "none")):
        table.add_row(label, str(value or "-"))
    console.print(table)


@keys_app.command("init")
def keys_init(
    directory: Annotated[Path, typer.Argument(help="Folder for this holder's keys (created, mode 0700).")],
    holder: Annotated[str, typer.Option(help="This data holder's name, e.g. registry or courts.")],
    cycle: Annotated[str | None, typer.Option(help="Cycle id for a new cycle (default: date + random).")] = None,
    join: Annotated[Path | None, typer.Option(
        help="Take the cycle's linkage secret and the registry's public key from this folder (received over a "
        "trusted channel) instead of starting a new cycle.")] = None,
) -> None:
    """Create a holder's keys: a new cycle (linkage secret, registry key pair), or --join an existing one."""
    from sijill.pprl.format import PprlError
    from sijill.pprl.holder import init_keys

    try:
        _show_keys(init_keys(directory, holder, cycle=cycle, join=join))
    except PprlError as e:
        _pprl_fail(e)


@keys_app.command("rotate")
def keys_rotate(
    directory: Annotated[Path, typer.Argument(help="A holder's key folder.")],
    cycle: Annotated[str | None, typer.Option(help="Id of the new cycle (default: date + random).")] = None,
    join: Annotated[Path | None, typer.Option(help="Take the new cycle from this folder instead.")] = None,
    registry: Annotated[bool, typer.Option(
        "--registry", help="Also replace the registry's key pair (the old private key is kept in retired/).")] = False,
    signing: Annotated[bool, typer.Option("--signing", help="Also replace this holder's signing key.")] = False,
) -> None:
    """Start the next matching cycle: a new linkage secret; the old one is destroyed."""
    from sijill.pprl.format import PprlError
    from sijill.pprl.holder import rotate_keys

    try:
        _show_keys(rotate_keys(directory, cycle=cycle, join=join, registry=registry, signing=signing))
    except PprlError as e:
        _pprl_fail(e)


@keys_app.command("trust")
def keys_trust(
    directory: Annotated[Path, typer.Argument(help="The key folder of the site that accepts packages.")],
    public_key: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A holder's holder.pub.")],
) -> None:
    """Accept packages signed by another data holder (copies its public key into DIR/trusted/)."""
    from sijill.pprl.format import PprlError
    from sijill.pprl.holder import trust_key

    try:
        console.print(f"trusted: {trust_key(directory, public_key)}")
    except PprlError as e:
        _pprl_fail(e)


@keys_app.command("show")
def keys_show(directory: Annotated[Path, typer.Argument(help="A holder's key folder.")]) -> None:
    """Show a key folder's holder, cycle and key fingerprints (never a secret)."""
    from sijill.pprl.format import PprlError
    from sijill.pprl.holder import key_info

    try:
        _show_keys(key_info(directory))
    except PprlError as e:
        _pprl_fail(e)


@app.command()
def encode(
    input: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV, XLSX or Parquet file.")],
    schema: Annotated[str, typer.Option(help="The linkage schema (YAML file), or example:NAME for a shipped one.")],
    keys: Annotated[Path, typer.Option(exists=True, file_okay=False, help="This holder's key folder.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The package folder to write.")],
    agency: Annotated[str | None, typer.Option(help="Agency name (default: the schema's 'agency').")] = None,
    encoding: Annotated[str | None, typer.Option(help="CSV encoding (default: UTF-8, else Windows-1256).")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes (default: one per CPU).")] = 0,
    batch_rows: Annotated[int, typer.Option(help="Rows per batch: memory is bounded by it.")] = 100_000,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing package.")] = False,
) -> None:
    """Encode a file into a signed package for the linkage hub, with its local map and error report beside it.

    The package holds no clear value; OUT.map.csv (reference -> record id) and OUT.errors.csv stay here.
    """
    import os

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from sijill.pprl.format import PprlError, load_schema
    from sijill.pprl.holder import HolderKeys
    from sijill.pprl.holder import encode as encode_package
    from sijill.tabular import FileFormatError, read_batches

    try:
        holder_keys, linkage_schema = HolderKeys.load(keys), load_schema(schema)
        source = read_batches(input, encoding, batch_rows=batch_rows)
        columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task(f"encoding {input.name}", total=source.rows)
            result = encode_package(source.batches, linkage_schema, holder_keys, out, agency=agency,
                                    source=str(input), workers=workers or os.cpu_count() or 1,
                                    expected_rows=source.rows, overwrite=force, skipped_rows=source.skipped,
                                    progress=lambda n: progress.advance(task, n))
    except (PprlError, FileFormatError) as e:
        _pprl_fail(e)
    table = Table(title=f"{input.name} → {out}", show_header=False)
    for label, value in (("rows read", f"{result.rows:,}"), ("records encoded", f"{result.encoded:,}"),
                         ("rows left out (nothing to match on)", f"{result.unusable:,}"),
                         ("invalid values (encoded as missing)", f"{result.bad_values:,}"),
                         ("records in the package (with dummies)", f"{result.records:,}"),
                         ("cycle", result.manifest.cycle), ("encoding", result.manifest.encoding_hash[:19]),
                         ("time", f"{result.seconds:.1f} s ({result.rows / max(result.seconds, 1e-9):,.0f} rows/s)")):
        table.add_row(label, value)
    console.print(table)
    if result.errors_report:
        console.print(f"[yellow]bad values: see {result.errors_report}[/yellow]")
    console.print(f"written: {out} (send it to the hub); keep {result.map} here")


@hits_app.command("open")
def hits_open(
    hits: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The hub's hits (Parquet).")],
    keys: Annotated[Path, typer.Option(exists=True, file_okay=False, help="The registry's key folder.")],
    maps: Annotated[list[Path], typer.Option(
        "--map", exists=True, dir_okay=False, help="The registry's local map (PKG.map.csv). Repeatable.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the opened hits (.csv or .parquet).")],
) -> None:
    """Open the hub's hits: the registry's record ids, the partners' record ids and their payloads."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from sijill.files import create_private
    from sijill.pprl.format import PprlError, TrustStore
    from sijill.pprl.registry import RegistryKeys, open_hits
    from sijill.spreadsheet import write_csv

    try:
        opened = open_hits(hits, RegistryKeys.load(keys), maps, TrustStore.from_dir(keys))
    except PprlError as e:
        _pprl_fail(e)
    rows = [_flat_hit(hit) for hit in opened.rows]
    header = list(dict.fromkeys(k for row in rows for k in row))
    out.unlink(missing_ok=True)
    create_private(out).close()  # opened hits name people: readable by their owner only
    if out.suffix.lower() == ".parquet":
        pq.write_table(pa.Table.from_pylist(rows), out)
    else:
        write_csv(out, header, rows)
    console.print(f"{len(opened.rows):,} hits opened; {opened.dropped_dummies:,} on dummy records dropped"
                  + (f"; [yellow]{opened.unknown_refs:,} registry references not in the maps given[/yellow]"
                     if opened.unknown_refs else ""))
    console.print(f"written: {out}")


def _flat_hit(hit) -> dict:
    """One opened hit as a row of a file: the explanation as text and as JSON, the payload as ``payload.*``."""
    import json

    levels = [level.as_dict() for level in hit.explanation]
    agreement = "; ".join(f"{e['field']}={e['level']}" + (f"({e['weight']:+.1f})" if e["weight"] is not None else "")
                          for e in levels)
    row = {"registry_record_id": hit.registry_record_id, "agency": hit.agency,
           "partner_record_id": hit.partner_record_id, "match_class": hit.match_class,
           "probability": hit.probability, "match_weight": hit.match_weight, "agreement": agreement,
           "explanation": json.dumps(levels, ensure_ascii=False)}
    return row | {f"payload.{k}": v for k, v in hit.payload.items()}


def _register_match() -> None:
    from sijill.cli_match import match_command

    app.command("match")(match_command)


_register_match()


def _register_hub() -> None:
    from sijill.cli_hub import hub_app

    app.add_typer(hub_app, name="hub")


_register_hub()


# --- the API's tokens (sijill.api, docs/api.md) ------------------------------------------------------

api_app = typer.Typer(help="The JSON API for agencies and registry lookups.", no_args_is_help=True)
app.add_typer(api_app, name="api")
api_token_app = typer.Typer(help="API tokens: create (shown once), list, revoke.", no_args_is_help=True)
api_app.add_typer(api_token_app, name="token")


api_key_app = typer.Typer(help="The registry's own signing keys (its answers are signed; public keys at "
                          "/.well-known/jwks.json).", no_args_is_help=True)
api_app.add_typer(api_key_app, name="key")


@api_key_app.command("show")
def api_key_show() -> None:
    """The registry's signing keys: id, created, retired (made on first use)."""
    _django()
    from sijill.api import registry_keys
    from sijill.api.models import RegistryKey

    registry_keys.current()
    for key in RegistryKey.objects.all():
        state = f"retired {key.retired_at:%Y-%m-%d}" if key.retired_at else "signing"
        console.print(f"{key.kid}  created {key.created_at:%Y-%m-%d}  {state}")


@api_key_app.command("rotate")
def api_key_rotate() -> None:
    """A new signing key; the old one stays in the JWKS for 30 days so earlier answers still verify."""
    _django()
    from sijill.api import registry_keys

    console.print(f"new signing key: {registry_keys.rotate()}")


@api_app.command("subscribe")
def api_subscribe(sender: Annotated[str, typer.Argument(help="The civil registry's sender id, e.g. deaths.")]) -> None:
    """Ask a civil registry (a DCI partner marked civil registry) to notify deaths (DCI subscribe)."""
    _django()
    from sijill.api import subscriptions

    try:
        sub = subscriptions.subscribe(sender, actor=f"cli:{_os_user()}")
    except subscriptions.SubscribeFailed as e:
        console.print(f"[red]error:[/red] {e}")
        raise typer.Exit(1) from None
    console.print(f"subscribe sent to {sender} (reference {sub.reference_id}); its on-subscribe confirms it")


@api_app.command("unsubscribe")
def api_unsubscribe(sender: Annotated[str, typer.Argument(help="The civil registry's sender id.")]) -> None:
    """End the registry's subscriptions at a civil registry (DCI unsubscribe)."""
    _django()
    from sijill.api import subscriptions

    try:
        count = subscriptions.unsubscribe(sender, actor=f"cli:{_os_user()}")
    except subscriptions.SubscribeFailed as e:
        console.print(f"[red]error:[/red] {e}")
        raise typer.Exit(1) from None
    console.print(f"{count} subscription(s) ended at {sender}")


@api_app.command("subscriptions")
def api_subscriptions() -> None:
    """The registry's subscriptions to civil registries: partner, state, code."""
    _django()
    from sijill.api.models import Subscription

    for sub in Subscription.objects.select_related("partner"):
        console.print(f"{sub.partner.sender_id}  {sub.event_type}  {sub.status}  {sub.code or '-'}  "
                      f"{sub.requested_at:%Y-%m-%d %H:%M}  {sub.reason}")


@api_token_app.command("create")
def api_token_create(
    username: Annotated[str, typer.Argument(help="The user the token acts as (their role decides what it may do).")],
    name: Annotated[str, typer.Option(help="What the token is for, e.g. the agency's system.")] = "API",
    days: Annotated[int, typer.Option(min=1, max=730, help="Days until the token expires.")] = 90,
    sender_key: Annotated[Path | None, typer.Option(exists=True, dir_okay=False, help="The caller's Ed25519 public "
                                                    "key (holder.pub): needed unless the user is an agency data "
                                                    "officer, whose agency's registered key is used.")] = None,
    sender_id: Annotated[str, typer.Option(help="The sender_id of its envelopes (default: the key's holder).")] = "",
    rate: Annotated[int, typer.Option(min=1, help="Requests a minute.")] = 60,
) -> None:
    """Create an API token; it is printed once and only its hash is kept."""
    _django()
    from django.core.exceptions import ValidationError

    from sijill.accounts.models import User
    from sijill.api import tokens

    user = User.objects.filter(username=username).first()
    if user is None:
        console.print(f"[red]error:[/red] no user {username!r}")
        raise typer.Exit(1)
    key = sender_key.read_text(encoding="utf-8") if sender_key else ""
    try:
        token, clear = tokens.issue(user, name=name, days=days, sender_id=sender_id, sender_key=key,
                                    rate_per_minute=rate, actor=f"cli:{_os_user()}")
    except ValidationError as e:
        console.print(f"[red]error:[/red] {' '.join(e.messages)}")
        raise typer.Exit(1) from None
    console.print(f"token for {user.username} (sender {token.sender_id}), valid until {token.expires_at:%Y-%m-%d}:")
    print(clear)
    console.print("[yellow]shown this once: hand it over by a secure channel; the registry keeps its hash "
                  "only[/yellow]")


@api_token_app.command("list")
def api_token_list(username: Annotated[str | None, typer.Argument(help="Only this user's tokens.")] = None) -> None:
    """The tokens (prefix, user, sender, expiry, revocation, last use); never the tokens themselves."""
    _django()
    from sijill.api.models import ApiToken

    tokens = ApiToken.objects.select_related("user")
    if username:
        tokens = tokens.filter(user__username=username)
    table = Table()
    for col in ("prefix", "user", "purpose", "sender", "expires", "revoked", "last used"):
        table.add_column(col)
    for t in tokens:
        table.add_row(t.prefix, t.user.username, t.name, t.sender_id, f"{t.expires_at:%Y-%m-%d}",
                      f"{t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "",
                      f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "")
    console.print(table)


@api_token_app.command("revoke")
def api_token_revoke(
    prefix: Annotated[str, typer.Argument(help="The token's prefix (`sijill api token list`).")],
) -> None:
    """Revoke a token at once; requests carrying it are refused from now on."""
    _django()
    from sijill.api import tokens
    from sijill.api.models import ApiToken

    token = ApiToken.objects.filter(prefix=prefix).first()
    if token is None:
        console.print(f"[red]error:[/red] no token with prefix {prefix!r}")
        raise typer.Exit(1)
    tokens.revoke(token, actor=f"cli:{_os_user()}")
    console.print(f"token {prefix} of {token.user.username} revoked")


# --- hotline tips and the ministry's reports (issue 9) ----------------------------------------------

tips_app = typer.Typer(help="Hotline tips: the key that seals callers' identities.", no_args_is_help=True)
app.add_typer(tips_app, name="tips")
reports_app = typer.Typer(help="The ministry's reports, written to a file.", no_args_is_help=True)
app.add_typer(reports_app, name="reports")


@tips_app.command("init-key")
def tips_init_key() -> None:
    """Create the tips key (SIJILL_TIPS_KEY_FILE, else SIJILL_DATA_DIR/keys/tips.key, mode 0600) unless it
    exists, and register its public key so that tips are sealed to it."""
    _django()
    from sijill.audit.trail import record
    from sijill.tips.sealing import init_key

    path, fingerprint, created = init_key()
    record("tips_key", actor=f"cli:{_os_user()}", fingerprint=fingerprint, created=created)
    if created:
        console.print(f"tips key created: {path} (fingerprint {fingerprint}); keep a copy offline, never in git")
    else:
        console.print(f"tips key already exists: {path} (fingerprint {fingerprint})")


@tips_app.command("rotate-key")
def tips_rotate_key() -> None:
    """A new tips key for the tips recorded from now on; the old private key is kept beside it (0600) so that
    every older tip still opens."""
    _django()
    from sijill.audit.trail import record
    from sijill.tips.sealing import KeyUnavailable, retired_path, rotate_key

    try:
        old, new = rotate_key()
    except KeyUnavailable as e:
        console.print(f"[red]error:[/red] {e}")
        raise typer.Exit(1) from None
    record("tips_key_rotated", actor=f"cli:{_os_user()}", old=old, new=new)
    console.print(f"tips key rotated: new tips are sealed to {new}; the old key {old} is kept as "
                  f"{retired_path(old)} (keep a copy offline)")


@reports_app.command("export")
def reports_export(
    out: Annotated[Path, typer.Argument(help="The file to write: .xlsx (the tables) or .pdf (the report).")],
    cycle: Annotated[str | None, typer.Option(help="A cycle's code: its cycle report instead of the dashboard.")]
    = None,
    language: Annotated[str, typer.Option(help="ar (right to left) or en.")] = "ar",
) -> None:
    """Write the dashboard (or one cycle's report) to XLSX or PDF; the export is written to the audit trail."""
    _django()
    from django.utils import translation

    from sijill.audit.models import Action
    from sijill.audit.trail import record
    from sijill.exchange.models import Cycle
    from sijill.reports import figures
    from sijill.reports.cycle import cycle_report
    from sijill.reports.pdf import report_pdf
    from sijill.reports.xlsx import workbook

    if out.suffix.lower() not in (".xlsx", ".pdf"):
        console.print("[red]error:[/red] the output must end in .xlsx or .pdf")
        raise typer.Exit(2)
    with translation.override(language):
        if cycle:
            found = Cycle.objects.filter(code=cycle).first()
            if found is None:
                console.print(f"[red]error:[/red] no cycle {cycle!r}")
                raise typer.Exit(1)
            tables = [cycle_report(found)]
        else:
            tables = figures.dashboard()
        title, rtl = tables[0].title if cycle else "Sijill", translation.get_language_bidi()
        body = workbook(tables, title, rtl=rtl) if out.suffix.lower() == ".xlsx" else report_pdf(
            title, "", tables, rtl=rtl)
    record(Action.EXPORT, actor=f"cli:{_os_user()}", what=f"cycle-{cycle}" if cycle else "dashboard",
           format=out.suffix.lower().lstrip("."), file=str(out), rows=sum(len(t.rows) for t in tables))
    out.write_bytes(body)
    console.print(f"written: {out}")


# --- matching cycles in the web system (issue 7): agencies, uploads, runs, the worker ----------------------

cycle_app = typer.Typer(help="Matching cycles in the web system: agencies, packages, runs.", no_args_is_help=True)
app.add_typer(cycle_app, name="cycle")


def _cycle_fail(error: Exception) -> None:
    console.print(f"[red]error:[/red] {error}")
    raise typer.Exit(1)


def _current_cycle(code: str | None):
    from sijill.exchange.models import Cycle

    cycle = Cycle.objects.filter(code=code).first() if code else Cycle.objects.first()
    if cycle is None:
        _cycle_fail(ValueError(f"no cycle {code}" if code else "no cycle yet: `sijill cycle open`"))
    return cycle


@cycle_app.command("seed")
def cycle_seed() -> None:
    """Create the partner agencies and their data-sharing agreements (idempotent)."""
    _django()
    from sijill.exchange.seed import seed_agencies

    for agency in seed_agencies():
        console.print(f"{agency.code}: {agency.name_en} (agreement {agency.agreement_in_force().reference})")


@cycle_app.command("open")
def cycle_open(
    note: Annotated[str, typer.Option(help="A note on the cycle.")] = "",
    rotate_registry_key: Annotated[bool, typer.Option(
        "--rotate-registry-key", help="Also replace the registry's payload key pair (yearly).")] = False,
) -> None:
    """Open the next cycle: a new linkage secret in the registry's key folder (SIJILL_DATA_DIR/keys/registry)."""
    _django()
    from sijill.exchange import cycles, storage

    try:
        cycle = cycles.open_cycle(note=note, rotate_registry_key=rotate_registry_key)
    except (cycles.CycleError, ValueError, OSError) as e:
        _cycle_fail(e)
    console.print(f"cycle {cycle.code} is open. Agencies join it with: sijill keys init DIR --holder AGENCY "
                  f"--join {storage.registry_keys_dir()} (a copy, over a trusted channel)")


@cycle_app.command("key")
def cycle_key(
    agency: Annotated[str, typer.Argument(help="The agency's code, e.g. courts.")],
    public_key: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Its holder.pub file.")],
) -> None:
    """Register an agency's signing public key: its packages are accepted only when signed with it."""
    _django()
    from sijill.exchange import trust
    from sijill.exchange.models import Agency

    found = Agency.objects.filter(code=agency).first()
    if found is None:
        _cycle_fail(ValueError(f"no agency {agency!r} (`sijill cycle seed` creates the partners)"))
    try:
        trust.register_key(found, public_key.read_text(encoding="utf-8"))
    except trust.KeyRefused as e:
        _cycle_fail(e)
    console.print(f"{agency}: signing key {found.key_fingerprint} registered")


@cycle_app.command("pack")
def cycle_pack(
    package: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="A package folder (sijill encode).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The archive to write (.tar).")],
    schema: Annotated[Path | None, typer.Option(exists=True, dir_okay=False,
                                                help="The linkage schema it was encoded with.")] = None,
    with_map: Annotated[bool, typer.Option("--map", help="Add its map (the registry's own package only).")] = False,
) -> None:
    """Make the one file a holder uploads: a tar of the package folder (the map stays out unless --map)."""
    from sijill.pprl.format.archive import pack
    from sijill.pprl.format.package import map_path

    with open(out, "wb") as f:
        pack(package, f, schema=schema, map_file=map_path(package) if with_map else None)
    console.print(f"written: {out}")


@cycle_app.command("upload")
def cycle_upload(
    archive: Annotated[Path, typer.Argument(exists=True, help="A package archive, or a package folder.")],
    agency: Annotated[str | None, typer.Option(help="The agency it comes from.")] = None,
    registry: Annotated[bool, typer.Option("--registry", help="The registry's own package (with its map).")] = False,
) -> None:
    """Check and store a package in its cycle, as the upload page does (the refusal says which check failed)."""
    import io

    _django()
    from sijill.exchange.models import Agency
    from sijill.exchange.uploads import PackageRefused, receive_package
    from sijill.pprl.format.archive import pack
    from sijill.pprl.format.package import map_path

    if registry == bool(agency):
        _cycle_fail(ValueError("give --agency CODE or --registry"))
    found = None
    if agency:
        found = Agency.objects.filter(code=agency).first()
        if found is None:
            _cycle_fail(ValueError(f"no agency {agency!r}"))
    if archive.is_dir():
        buffer = io.BytesIO()
        pack(archive, buffer, map_file=map_path(archive) if registry else None)
        buffer.seek(0)
        source = buffer
    else:
        source = open(archive, "rb")  # noqa: SIM115
    try:
        with source:
            package = receive_package(source, agency=found, user=None)
    except PackageRefused as e:
        _cycle_fail(ValueError(f"refused: {e.reason}"))
    console.print(f"accepted for cycle {package.cycle.code}: {package.records:,} records, sha256 {package.sha256}")


@cycle_app.command("run")
def cycle_run(
    code: Annotated[str | None, typer.Argument(help="The cycle (default: the latest).")] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Run the worker here until the run is done.")] = False,
) -> None:
    """Queue the cycle's run for the background worker (or run it here with --wait)."""
    _django()
    from sijill.cycles.orchestrator import start_run
    from sijill.exchange import cycles

    cycle = _current_cycle(code)
    try:
        run = start_run(cycle)
    except cycles.CycleError as e:
        _cycle_fail(e)
    console.print(f"run {run.pk} of cycle {cycle.code} queued")
    if wait:
        from django.core.management import call_command

        call_command("db_worker", batch=True, startup_delay=False, interval=0.2, verbosity=0)
        _print_status(cycle)


@cycle_app.command("status")
def cycle_status(code: Annotated[str | None, typer.Argument(help="The cycle (default: the latest).")] = None) -> None:
    """The cycle's packages, runs and hits per agency and class."""
    _django()
    _print_status(_current_cycle(code))


def _print_status(cycle) -> None:
    from sijill.exchange import cycles, runs

    runs.fail_stale_runs()
    cycle.refresh_from_db()
    table = Table(title=f"cycle {cycle.code}: {cycle.state}")
    for col in ("holder", "package", "records", "refused"):
        table.add_column(col)
    for h in cycles.holdings(cycle):
        table.add_row(h.code, h.package.sha256[:16] if h.package else "-", f"{h.package.records:,}" if h.package
                      else "", str(h.refused or ""))
    console.print(table)
    for run in cycle.runs.all():
        console.print(f"run {run.pk}: {run.state} {run.stage} {run.progress_done}/{run.progress_total} "
                      f"{run.error}".rstrip())
        if run.state == "succeeded":
            hits = Table(title=f"hits of run {run.pk} (hub {run.log.get('seconds')} s)")
            for col in ("agency", "exact", "probable", "review"):
                hits.add_column(col)
            for agency, counts in run.hit_counts().items():
                hits.add_row(agency, *(str(counts.get(c, 0)) for c in ("exact", "probable", "review")))
            console.print(hits)


@app.command()
def worker(
    batch: Annotated[bool, typer.Option("--batch", help="Run what is queued, then exit.")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between looks at the queue.")] = 1.0,
) -> None:
    """Run background tasks (matching runs) from the database queue; no broker. Fails stale runs first."""
    _django()
    from django.core.management import call_command

    from sijill.exchange.runs import fail_stale_runs

    failed = fail_stale_runs()
    if failed:
        console.print(f"[yellow]{failed} run(s) whose worker had stopped were marked failed[/yellow]")
    call_command("db_worker", batch=batch, interval=interval, startup_delay=False)


rules_app = typer.Typer(help="Eligibility rules: the versions in force, and running them over a cycle.",
                        no_args_is_help=True)
app.add_typer(rules_app, name="rules")


@rules_app.command("list")
def rules_list() -> None:
    """The rules in force: version, source agency and parameters."""
    _django()
    import json

    from sijill.eligibility.rules import in_force

    table = Table(title="eligibility rules in force")
    for col in ("rule", "version", "agency", "parameters"):
        table.add_column(col)
    for rule in in_force():
        table.add_row(rule.code, str(rule.version), rule.agency or "registry",
                      json.dumps(rule.parameters, ensure_ascii=False))
    console.print(table)


@rules_app.command("evaluate")
def rules_evaluate(
    code: Annotated[str | None, typer.Argument(help="The cycle (default: the latest).")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Evaluate as of this day (YYYY-MM-DD; default today).")]
    = None,
    no_cases: Annotated[bool, typer.Option("--no-cases", help="Raise findings only; open no cases.")] = False,
) -> None:
    """Run the rules in force over a cycle's usable hits: findings (once per cycle), then one case per person."""
    import datetime as dt

    _django()
    from sijill.cycles.orchestrator import evaluate

    cycle = _current_cycle(code)
    day = dt.date.fromisoformat(as_of) if as_of else None
    result = evaluate(cycle, actor="cli", as_of=day, open_cases=not no_cases)
    table = Table(title=f"cycle {cycle.code}: {result.hits_read:,} usable hits read as of {result.as_of}")
    table.add_column("rule")
    table.add_column("new findings", justify="right")
    for rule, n in sorted(result.raised.items()):
        table.add_row(rule, f"{n:,}")
    console.print(table)
    console.print(f"{result.created:,} new findings ({result.already:,} raised before); {result.cases_opened:,} "
                  f"cases opened, {result.cases_joined:,} joined; {result.seconds:.1f} s")
