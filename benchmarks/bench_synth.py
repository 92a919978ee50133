"""Benchmark: generate a synthetic world (population, registry, every partner extract, truth) and print
persons per second, wall time, peak memory and the time of each stage.

    .venv/bin/python benchmarks/bench_synth.py --persons 1000000

Target (issue 3): 1,000,000 persons in <= 60 s with peak memory <= 4 GB on a 2-core machine.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from sijill.synth import generate_world


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--outdir", type=Path, help="keep the world here (default: a temporary directory)")
    args = parser.parse_args()
    outdir = args.outdir or Path(tempfile.mkdtemp(prefix="sijill-synth-"))
    try:
        t0 = time.perf_counter()
        summary = generate_world(outdir, args.persons, args.seed)
        wall = time.perf_counter() - t0
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
        size_mb = sum(p.stat().st_size for p in outdir.rglob("*") if p.is_file()) / 2**20
        rows = sum(f.rows for f in summary.files if f.kind != "truth")
    finally:
        if args.outdir is None:
            shutil.rmtree(outdir, ignore_errors=True)
    print(f"persons            {args.persons:,} (seed {args.seed})")
    print(f"wall time          {wall:.1f} s")
    print(f"persons/s          {args.persons / wall:,.0f}")
    print(f"peak memory        {peak_mb:,.0f} MB (ru_maxrss)")
    print(f"rows written       {rows:,} in registry and extracts; {size_mb:,.0f} MB on disk")
    print(f"beneficiaries      {summary.beneficiaries:,} in {summary.beneficiary_households:,} households")
    print(f"expected findings  {sum(summary.findings.values()):,}")
    print("stages (s)         " + ", ".join(f"{k} {v:.2f}" for k, v in summary.seconds.items()))
    ok = wall <= 60 and peak_mb <= 4096
    print("target             " + ("met" if ok else "MISSED") + " (<= 60 s, <= 4 GB for 1,000,000 persons)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
