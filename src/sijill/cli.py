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
) -> None:
    """Generate a synthetic Iraqi population, social registry and partner-agency extracts, with ground truth.

    Writes registry/, agencies/, truth/ and a manifest.json that lists every file with its agency,
    format, encoding, rows and column roles.
    """
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
def audit_verify() -> None:
    """Check the audit trail's hash chain from the first entry to the last; name the first broken entry."""
    _django()
    from sijill.audit.models import Action
    from sijill.audit.trail import record, verify

    result = verify()
    record(Action.VERIFY, actor=f"cli:{_os_user()}", ok=result.ok, entries=result.entries,
           broken=result.broken_seq)
    if result.ok:
        console.print(f"[green]{result}[/green]")
    else:
        console.print(f"[red]{result}[/red]")
        raise typer.Exit(1)


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
    from sijill.pprl import PprlError, init_keys

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
    from sijill.pprl import PprlError, rotate_keys

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
    from sijill.pprl import PprlError, trust_key

    try:
        console.print(f"trusted: {trust_key(directory, public_key)}")
    except PprlError as e:
        _pprl_fail(e)


@keys_app.command("show")
def keys_show(directory: Annotated[Path, typer.Argument(help="A holder's key folder.")]) -> None:
    """Show a key folder's holder, cycle and key fingerprints (never a secret)."""
    from sijill.pprl import PprlError, key_info

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

    from sijill.pprl import HolderKeys, PprlError, load_schema
    from sijill.pprl import encode as encode_package
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

    from sijill.pprl import PprlError, RegistryKeys, TrustStore, open_hits
    from sijill.tabular import write_csv

    try:
        opened = open_hits(hits, RegistryKeys.load(keys), maps, TrustStore.from_dir(keys))
    except PprlError as e:
        _pprl_fail(e)
    header = list(dict.fromkeys(k for row in opened.rows for k in row))
    out.unlink(missing_ok=True)
    out.touch(mode=0o600)  # opened hits name people: readable by their owner only
    if out.suffix.lower() == ".parquet":
        pq.write_table(pa.Table.from_pylist(opened.rows), out)
    else:
        write_csv(out, header, opened.rows)
    console.print(f"{len(opened.rows):,} hits opened; {opened.dropped_dummies:,} on dummy records dropped"
                  + (f"; [yellow]{opened.unknown_refs:,} registry references not in the maps given[/yellow]"
                     if opened.unknown_refs else ""))
    console.print(f"written: {out}")


def _register_match() -> None:
    from sijill.cli_match import match_command

    app.command("match")(match_command)


_register_match()
