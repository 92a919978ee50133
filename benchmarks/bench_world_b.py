"""Time the second (independent) synthetic world and measure, from its files and truth, how each holder writes.

    .venv/bin/python benchmarks/bench_world_b.py [--persons 200000] [--seed 1001]

Per agency: rows, registry members held (and their share of the registry), siblings and fathers of members
among the other rows (kin; cousins not counted), rows in Latin script, national IDs left empty or wrong, birth
dates other than the civil record's, and Arabic given names written other than the name list's spelling.
Nothing here runs the matcher.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import re
import resource
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from sijill.synth.independent import generate_independent_world
from sijill.synth.independent.world import linkage
from sijill.synth.writers import read_table

_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})|(\d{2})/(\d{2})/(\d{4})|(\d{4})/(\d{2})/(\d{2})"
                   r"|(\d{1,2})-(\d{1,2})-(\d{4})")


def _date(text: str | None) -> dt.date | None:
    """Day-first and year-first dates as the holders write them (US dates read day-first, as a reader would)."""
    m = _DATE.fullmatch(text or "")
    if not m:
        return None
    g = [x for x in m.groups() if x is not None]
    y, mo, d = (g[0], g[1], g[2]) if len(g[0]) == 4 else (g[2], g[1], g[0])
    try:
        return dt.date(int(y), int(mo), int(d))
    except ValueError:
        return None


def measure(world: Path) -> list[dict]:
    manifest = json.loads((world / "manifest.json").read_text(encoding="utf-8"))
    people = pq.read_table(world / "truth" / "persons.parquet",
                           columns=["given", "birth_date", "national_id", "father_id"]).to_pylist()
    with open(world / "truth" / "truth.csv", encoding="utf-8") as f:
        truth = list(csv.DictReader(f))
    members = {int(t["person_id"]) for t in truth if t["agency"] == "registry"}
    father = {i: p["father_id"] for i, p in enumerate(people)}
    member_fathers = {father[m] for m in members if father[m] is not None}
    out = []
    for info in manifest["files"]:
        if info["kind"] != "extract":
            continue
        agency, spec = info["agency"], linkage(info["agency"])
        fields = spec["fields"]
        rows = read_table(world / info["path"], info["format"], info["encoding"]).to_pylist()
        person = {t["record_id"]: int(t["person_id"]) for t in truth if t["agency"] == agency}
        n = len(rows)
        held = latin = nid_empty = nid_wrong = date_other = given_other = kin = 0
        for r in rows:
            p = person[r[spec["record_id"]]]
            truth_p = people[p]
            held += p in members
            kin += p not in members and (father[p] in member_fathers or p in member_fathers)
            name = r.get(fields.get("given_name")) or r.get(fields.get("full_name")) or ""
            is_latin = not any("\u0600" <= ch <= "\u06ff" for ch in name)
            latin += is_latin
            nid = None if r[fields["national_id"]] is None else str(r[fields["national_id"]])
            nid_empty += not nid
            nid_wrong += bool(nid) and nid != truth_p["national_id"]
            date_other += _date(r[fields["birth_date"]]) != truth_p["birth_date"]
            if not is_latin:
                given_other += not name.startswith(truth_p["given"])
        out.append({"agency": agency, "rows": n, "members": held, "member_share": held / len(members),
                    "kin": kin / max(n - held, 1), "latin": latin / n, "nid_empty": nid_empty / n,
                    "nid_wrong": nid_wrong / n, "date_other": date_other / n,
                    "given_other": given_other / max(n - latin, 1)})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1001)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        summary = generate_independent_world(Path(tmp), args.persons, args.seed)
        seconds = time.perf_counter() - t0
        rows = measure(Path(tmp))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"world B: {args.persons:,} persons, seed {args.seed}: {seconds:.1f} s, peak memory {peak:,.0f} MB; "
          f"{summary.registry_records:,} registry records ({summary.duplicates:,} double enrolments)")
    print(f"{'agency':9} {'rows':>6} {'members':>7} {'of reg.':>7} {'kin':>5} {'latin':>5} {'no ID':>5} "
          f"{'bad ID':>6} {'date≠':>5} {'given≠':>6}")
    for r in rows:
        print(f"{r['agency']:9} {r['rows']:6,} {r['members']:7,} {r['member_share']:7.1%} {r['kin']:5.0%} "
              f"{r['latin']:5.0%} {r['nid_empty']:5.0%} {r['nid_wrong']:6.1%} {r['date_other']:5.0%} "
              f"{r['given_other']:6.0%}")


if __name__ == "__main__":
    main()
