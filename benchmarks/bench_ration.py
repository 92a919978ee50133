"""The ration registry at scale, end to end through its real services, on a fresh SQLite database.

1. the synthetic ration world of ``--persons`` people (``sijill.synth.ration``);
2. the import of its card file (Windows-1256 CSV, one row per member): rows per second;
3. the national-ID linkage cycle: Interior encodes its national card register with its own keys and uploads it,
   the ration registry's members are encoded, matched at the hub, the hits opened and stored (the orchestrator's
   own ``execute_run``, in this process): seconds and this process's peak memory; precision and recall of the
   linked members against the world's truth, and the counts of linked / not found / conflict;
4. the month close of every card: seconds and cards per second.

    nice -n 10 .venv/bin/python benchmarks/bench_ration.py --persons 50000 --workdir /tmp/bench-ration
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import shutil
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=50_000, help="people in the synthetic world")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/bench-ration"), help="emptied first")
    args = parser.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    (args.workdir / "var").mkdir(parents=True)
    os.environ["SIJILL_DATA_DIR"] = str(args.workdir / "var")
    os.environ["DATABASE_URL"] = f"sqlite:///{args.workdir / 'var' / 'bench.sqlite3'}"
    from sijill.web.bootstrap import setup

    setup()
    from django.core.management import call_command
    from rich.console import Console

    from sijill.demo import ration as story
    from sijill.ration.distribution import execute_close, queue_close
    from sijill.ration.importing import import_cards, import_network
    from sijill.ration.models import Card, LinkState, Member
    from sijill.synth.ration import generate_ration_world

    call_command("migrate", interactive=False, verbosity=0)
    world = args.workdir / "world"
    t = time.perf_counter()
    summary = generate_ration_world(world, args.persons, args.seed)
    print(f"world: {args.persons:,} persons, {summary.cards:,} cards, {summary.members:,} card rows "
          f"({time.perf_counter() - t:.1f} s)")

    import_network(world / "ration/centres.csv", world / "ration/agents.csv")
    t = time.perf_counter()
    report = import_cards(world / "ration/cards.csv")
    seconds = time.perf_counter() - t
    print(f"import: {report.rows:,} rows in {seconds:.1f} s = {report.rows / seconds:,.0f} rows/s "
          f"({report.created:,} created, {report.rejected} rejected)")

    from sijill.exchange import runs

    runs.HEARTBEAT_SECONDS = 3600  # one process: the run's stages beat from its own thread (no SQLite lock wait)
    console = Console(quiet=True)
    t = time.perf_counter()
    from sijill.ration.cycles import open_ration_cycle

    cycle = open_ration_cycle(note="benchmark")
    story._interior_upload("national_cards", world / "interior/national_cards.csv", args.workdir / "holders")
    uploaded = time.perf_counter() - t
    t = time.perf_counter()
    story._run(cycle, console, inline=True)
    seconds = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    counts = {s: Member.objects.filter(link_state=s).count() for s in LinkState.values}
    accuracy = story._accuracy(world)
    print(f"national-ID linkage: Interior encoded and uploaded the register of {args.persons:,} persons in "
          f"{uploaded:.1f} s; the cycle (registry encoded, hub, open, store) in {seconds:.1f} s; peak memory of "
          f"this process {peak:,.0f} MB")
    print(f"  linked {counts['linked']:,}, not found {counts['not_found']:,}, conflict {counts['conflict']:,}; "
          f"precision {accuracy['precision']:.4f}, recall {accuracy['recall']:.4f}")

    t = time.perf_counter()
    close = execute_close(queue_close(dt.date(2025, 6, 1)).pk)
    seconds = time.perf_counter() - t
    cards = Card.objects.count()
    print(f"month close: {cards:,} cards in {seconds:.1f} s = {cards / seconds:,.0f} cards/s ({close.state})")


if __name__ == "__main__":
    main()
