"""`make demo`: what Sijill can do today, on data shipped with it. Grows into the full cycle."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from rich.console import Console
from rich.table import Table

from sijill import identity
from sijill.normalize_file import normalize_csv
from sijill.tabular import read_csv


def run_demo(workdir: Path, console: Console) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    sample = Path(str(resources.files("sijill.demo") / "sample_people.csv"))
    out = workdir / "sample_people.normalized.csv"
    result = normalize_csv(sample, out)
    _, before, _ = read_csv(sample)
    _, after, _ = read_csv(out)

    table = Table(title="Sample records, before → after normalisation", show_lines=True)
    for col in ("record", "full name", "birth date", "national ID", "governorate", "sex"):
        table.add_column(col)
    for b, a in zip(before, after, strict=True):
        cells = [f"{b[c]}\n→ {a[c] or '[red]invalid[/red]'}" for c in
                 ("full_name", "birth_date", "national_id", "governorate", "sex")]
        table.add_row(b["record_id"], *cells)
    console.print(table)

    _show_keys(sample, console)
    console.print(f"{result.rows} records; {len(result.errors)} invalid values reported in "
                  f"{out.with_suffix('.errors.csv')}")


def _show_keys(sample: Path, console: Console) -> None:
    """The name keys that let a registry record meet an agency record of the same person."""
    table = Table(title="Name chain keys (canonical form and cross-script skeleton)")
    for col in ("record", "given", "father", "grandfather", "surname key", "skeleton", "source"):
        table.add_column(col)
    _, rows, _ = read_csv(sample)
    for row in rows:
        chain = identity.parse_name(row["full_name"], mother=row["mother_name"])
        c = chain.canonical
        table.add_row(row["record_id"], c.given or "", c.father or "", c.grandfather or "",
                      chain.surname_key or "", " ".join(p for p in chain.skeleton[:4] if p), row["source"])
    console.print(table)
