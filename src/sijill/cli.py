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
) -> None:
    """Run the main job on embedded defaults (today: normalising a sample of messy records)."""
    from sijill.demo import run_demo

    run_demo(workdir, console)


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
