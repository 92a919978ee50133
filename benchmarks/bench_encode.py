"""Records per second for `sijill encode`: a registry-like CSV in, a signed package out.

The input has the five name parts, a birth date, a national ID, a governorate, a sex and two payload
columns, written with the mess of real files (``bench_identity.make_stream``: names repeat as in life).
The run is the command's own path: read the CSV in batches, encode in worker processes, shuffle, sign.

    .venv/bin/python benchmarks/bench_encode.py [--records 1000000] [--workers 2] [--profile default]

Prints records/s (input rows per second of wall time, reading and signing included) and the peak
resident memory of the main process and of the largest worker.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_identity import make_stream
from sijill.pprl.format import load_schema
from sijill.pprl.holder import HolderKeys, encode, init_keys
from sijill.tabular import read_batches

SCHEMA = """
agency: registry
record_id: beneficiary_id
fields:
  given_name: given
  father_name: father
  grandfather_name: grandfather
  surname: surname
  mother_name: mother
  birth_date: birth_date
  national_id: national_id
  governorate: governorate
  sex: sex
payload: [household_id, district]
encoding: {profile: %s}
"""


def write_input(path: Path, n: int, seed: int) -> None:
    chunk = 200_000
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["beneficiary_id", "given", "father", "grandfather", "surname", "mother", "birth_date",
                    "national_id", "governorate", "sex", "household_id", "district"])
        for start in range(0, n, chunk):
            records = make_stream(min(chunk, n - start), seed + start)
            for i, (g, fa, gf, s, m, d, nid, gov, sex) in enumerate(records, start=start):
                w.writerow([f"B{i:08d}", g, fa, gf, s, m, d, nid, gov, sex, f"H{i // 5:07d}", "district"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--batch-rows", type=int, default=100_000)
    parser.add_argument("--profile", default="default", choices=["default", "hardened"])
    parser.add_argument("--input", type=Path, help="reuse (or create) this CSV instead of a temporary one")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        source = args.input or work / "registry.csv"
        if not source.exists():
            t = time.perf_counter()
            write_input(source, args.records, args.seed)
            print(f"input written: {source} ({source.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.0f} s")
        init_keys(work / "keys", "registry")
        keys = HolderKeys.load(work / "keys")
        (work / "schema.yaml").write_text(SCHEMA % args.profile, encoding="utf-8")
        schema = load_schema(work / "schema.yaml")
        table = read_batches(source, batch_rows=args.batch_rows)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        load = os.getloadavg()  # other jobs on the machine slow the run down: say so
        start, main_cpu = time.perf_counter(), time.process_time()
        result = encode(table.batches, schema, keys, work / "registry.pkg", workers=args.workers,
                             expected_rows=table.rows, source=str(source), skipped_rows=table.skipped)
        elapsed, main_cpu = time.perf_counter() - start, time.process_time() - main_cpu
        size = (work / "registry.pkg" / "encodings.parquet").stat().st_size
        main_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        worker_rss = result.worker_peak_rss_mb
        print(f"profile: {args.profile}  workers: {args.workers}  batch rows: {args.batch_rows:,}")
        print(f"rows: {result.rows:,}  encoded: {result.encoded:,}  package records (with dummies): "
              f"{result.records:,}  bad values: {result.bad_values:,}  package: {size / 1e6:.0f} MB")
        print(f"elapsed: {elapsed:.1f} s  throughput: {result.rows / elapsed:,.0f} records/s  (target >= 100,000)")
        cores = min(args.workers, os.cpu_count() or 1) if args.workers > 1 else 1
        print(f"CPU: {result.cpu_seconds:.1f} s ({result.cpu_seconds / result.rows * 1e6:.1f} us a record; on "
              f"{cores} idle core(s) at most {result.rows * cores / result.cpu_seconds:,.0f} records/s; main process "
              f"{main_cpu:.1f} s)  "
              f"load average before the run: {load[0]:.2f}")
        print(f"peak RSS: main {main_rss:,.0f} MB (before encoding {rss_before / 1024:,.0f} MB), "
              f"largest worker {worker_rss:,.0f} MB")


if __name__ == "__main__":
    main()
