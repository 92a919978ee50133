"""`sijill match`: the linkage hub's command. It takes no secret: only packages and the holders'
public keys."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

console = Console()


class Engine(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


def match_command(
    registry_package: Annotated[Path, typer.Argument(exists=True, file_okay=False,
                                                     help="The registry's package (from sijill encode).")],
    partner_packages: Annotated[list[Path] | None, typer.Argument(
        exists=True, file_okay=False, help="Partner agencies' packages.")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the hits (Parquet).")] = Path("hits.parquet"),
    trusted: Annotated[Path, typer.Option(
        exists=True, file_okay=False, help="Folder of the data holders' PUBLIC signing keys (*.pub) whose "
        "packages the hub accepts.")] = Path("hub/trusted"),
    dedupe: Annotated[bool, typer.Option(help="Find people enrolled twice in the registry package.")] = False,
    keep: Annotated[bool, typer.Option(help="Keep the partners' encodings after the run (default: delete).")] = False,
    model: Annotated[Path | None, typer.Option(file_okay=False, help="Reuse trained models (<agency>.json) "
                                               "from this folder, e.g. HITS.models of an earlier run.")] = None,
    auto: Annotated[float, typer.Option(help="Match probability for the probable class.")] = 0.999,
    precision: Annotated[float, typer.Option(help="Below --auto, down to --floor, each agency's pairs are probable "
                                             "where the model's own estimated precision of the class stays at "
                                             "this (1 turns it off).")] = 0.998,
    floor: Annotated[float, typer.Option(help="The lowest match probability an agency's threshold may come "
                                         "down to.")] = 0.95,
    review: Annotated[float, typer.Option(help="Match probability from which a pair goes to review.")] = 0.80,
    engine: Annotated[Engine, typer.Option(help="duckdb (embedded) or spark (pip install 'sijill\\[spark]'; "
                                           "SIJILL_SPARK_MASTER, default local[2]).")] = Engine.duckdb,
) -> None:
    """Match the registry against partner packages on encodings only; write explained hits."""
    from sijill.linkage import Thresholds, match
    from sijill.pprl.format import PprlError, TrustStore

    if not dedupe and not partner_packages:
        raise typer.BadParameter("give partner packages, or --dedupe to match the registry with itself")
    try:
        thresholds = Thresholds(auto=auto, review=review, precision=precision, floor=floor)
        log = match(registry_package, list(partner_packages or []), out, TrustStore.from_dir(trusted),
                    dedupe=dedupe, thresholds=thresholds, model_dir=model, keep=keep,
                    engine=engine.value, progress=lambda event: console.print(f"[dim]{event.message}[/dim]"))
    except (PprlError, ValueError) as e:
        console.print(f"[red]refused:[/red] {e}")
        raise typer.Exit(1) from None
    except ImportError as e:  # --engine spark without the extra
        console.print(f"[red]cannot run:[/red] {e}")
        raise typer.Exit(1) from None
    table = Table(title=f"cycle {log.cycle}: {log.seconds:.1f} s")
    for col in ("agency", "registry", "partner", "candidate pairs", "exact", "probable", "review", "rejected", "ties",
                "probable from"):
        table.add_column(col, justify="left" if col == "agency" else "right")
    for s in log.stages:
        table.add_row(s.agency, *(f"{v:,}" for v in (s.registry_records, s.partner_records, s.candidates, s.exact,
                                                      s.probable, s.review, s.rejected, s.ties)),
                      f"{s.auto_threshold:.4f}" if s.auto_threshold is not None else "")
    console.print(table)
    for line in log.retention:
        console.print(f"retention: {line}")
    console.print(f"written: {out} (run log {out}.log.json, models {out}.models/)")
