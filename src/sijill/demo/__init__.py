"""`make demo`: what Sijill can do today, on embedded defaults. Grows into the full cross-matching cycle.

Today: a synthetic world (registry and partner extracts), a messy sample normalised before -> after,
registry records next to the same people as other agencies' clerks wrote them, and the privacy-preserving
cycle: each holder encodes and signs its file, the hub matches encodings only, the registry opens its hits.
"""

from __future__ import annotations

import csv
import json
from importlib import resources
from pathlib import Path

from rich.console import Console
from rich.table import Table

from sijill import identity
from sijill.normalize_file import normalize_csv
from sijill.tabular import read_csv

DEMO_PERSONS = 20_000
DEMO_SEED = 2026
NAME_ROLES = ("full_name", "given", "father", "grandfather", "surname", "mother")


def run_demo(workdir: Path, console: Console, persons: int = DEMO_PERSONS, serve: bool = True,
             port: int = 8000) -> None:
    from sijill.synth import generate_world

    workdir.mkdir(parents=True, exist_ok=True)
    world = workdir / "world"
    with console.status(f"generating a synthetic world of {persons:,} persons ..."):
        summary = generate_world(world, persons, DEMO_SEED)
    console.print(f"[bold]1. Synthetic world[/bold] in {world}: {summary.households:,} households, "
                  f"{summary.beneficiaries:,} beneficiaries, {len(summary.files)} files (see manifest.json)")

    console.print("\n[bold]2. A messy sample, before → after normalisation[/bold]")
    _show_sample(workdir, console)

    console.print("\n[bold]3. The same people as the registry and another agency's clerk wrote them[/bold]")
    _show_pairs(world, console)

    console.print("\n[bold]4. The cycle: encode at each holder → match at the hub → open at the registry[/bold]")
    _run_cycle(world, workdir / "cycle", console)

    console.print("\n[bold]5. The registry's web system (Arabic, right to left; English on request)[/bold]")
    _web(world, workdir, console, serve=serve, port=port)


def _show_sample(workdir: Path, console: Console) -> None:
    sample = Path(str(resources.files("sijill.demo") / "sample_people.csv"))
    out = workdir / "sample_people.normalized.csv"
    result = normalize_csv(sample, out)
    _, before, _ = read_csv(sample)
    _, after, _ = read_csv(out)
    table = Table(show_lines=True)
    for col in ("record", "full name", "birth date", "national ID", "governorate", "sex"):
        table.add_column(col)
    for b, a in zip(before, after, strict=True):
        cells = [f"{b[c]}\n→ {a[c] or '[red]invalid[/red]'}" for c in
                 ("full_name", "birth_date", "national_id", "governorate", "sex")]
        table.add_row(b["record_id"], *cells)
    console.print(table)
    console.print(f"{result.rows} records; {len(result.errors)} invalid values reported, with row and reason, "
                  f"in {out.with_suffix('.errors.csv')}")


def _chain(row: dict[str, str], roles: dict[str, str]) -> identity.NameChain:
    by_role = {role: row.get(col) or None for col, role in roles.items() if role in NAME_ROLES}
    return identity.parse_name(by_role.pop("full_name", None), **by_role)


def _records(world: Path, info: dict) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    roles = {c["name"]: c["role"] for c in info["columns"]}
    id_col = next(col for col, role in roles.items() if role == "record_id")
    _, rows, _ = read_csv(world / info["path"], info["encoding"])
    return {r[id_col]: r for r in rows}, roles


def _show_pairs(world: Path, console: Console, per_agency: int = 2) -> None:
    manifest = json.loads((world / "manifest.json").read_text(encoding="utf-8"))
    files = {f["path"]: f for f in manifest["files"]}
    registry, registry_roles = _records(world, files["registry/members.csv"])
    with open(world / "truth" / "truth.csv", encoding="utf-8", newline="") as f:
        truth = list(csv.DictReader(f))
    person_record = {t["person_id"]: t["record_id"] for t in truth if t["agency"] == "registry"}

    table = Table(show_lines=True)
    for col in ("agency", "registry record", "agency record", "canonical chains agree", "skeletons agree"):
        table.add_column(col)
    for path in ("agencies/courts.csv", "agencies/deaths.csv", "agencies/payroll.csv", "agencies/insured.csv"):
        info = files.get(path)
        if info is None:
            continue
        records, roles = _records(world, info)
        links = [t for t in truth if t["agency"] == info["agency"] and t["person_id"] in person_record]
        for link in links[:per_agency]:
            ours, theirs = registry[person_record[link["person_id"]]], records[link["record_id"]]
            a, b = _chain(ours, registry_roles), _chain(theirs, roles)
            agree = a.canonical[:3] == b.canonical[:3]
            table.add_row(info["agency"], _describe(ours, registry_roles, a), _describe(theirs, roles, b),
                          "✓" if agree else "✗ (a near miss)",
                          "✓" if a.skeleton[:3] == b.skeleton[:3] else "✗")
    console.print(table)
    console.print("Exact agreement is not required: the hub (a later stage) weighs each part's agreement level.")


def _describe(row: dict[str, str], roles: dict[str, str], chain: identity.NameChain) -> str:
    """The name as the clerk wrote it, then the keys it is matched on."""
    written = " ".join(row[col] for col, role in roles.items() if role in NAME_ROLES[:5] and row.get(col))
    return f"{written}\nkeys: {' '.join(p for p in chain.canonical[:3] if p)}"


CYCLE_AGENCIES = {"courts": "agencies/courts.csv", "deaths": "agencies/deaths.csv", "loans": "agencies/loans.xlsx"}


def _run_cycle(world: Path, root: Path, console: Console) -> None:
    """What each party runs on its own machine, here in one process with separate key folders."""
    import shutil

    from sijill import pprl
    from sijill.linkage import match

    shutil.rmtree(root, ignore_errors=True)
    files = {who: world / path for who, path in {"registry": "registry/members.csv", **CYCLE_AGENCIES}.items()}

    def said(who: str, result: pprl.EncodeResult) -> None:
        console.print(f"  {who}: {result.encoded:,} records encoded and signed → {who}.pkg "
                      f"(its map {who}.pkg.map.csv stays with {who})")

    with console.status("each holder encodes and signs its file with its own keys ..."):
        packages = pprl.encode_holders(root, files, progress=said)
    trusted = root / "hub" / "trusted"
    hits = root / "hits.parquet"
    with console.status("hub: matching encodings (no key of any holder) ..."):
        partners = [packages[a] for a in CYCLE_AGENCIES]
        log = match(packages["registry"], partners, hits, pprl.TrustStore.from_dir(trusted))
    for s in log.stages:
        console.print(f"  hub, {s.agency}: {s.candidates:,} candidate pairs → {s.exact} exact, {s.probable} probable, "
                      f"{s.review} for review")
    for line in log.retention:
        console.print(f"  retention: {line}")
    opened = pprl.open_hits(hits, pprl.RegistryKeys.load(root / "keys" / "registry"),
                            [Path(f"{p}.map.csv") for p in packages.values()],
                            pprl.TrustStore.from_dir(root / "keys" / "registry"))
    table = Table(title="The registry opens its hits: explained, with the partner's payload", show_lines=True)
    for col in ("beneficiary", "agency", "record", "class", "why", "what the agency holds"):
        table.add_column(col)
    shown: set[tuple[str, str]] = set()
    for row in opened.rows:  # one hit of each agency and class
        if (row["agency"], row["match_class"]) in shown:
            continue
        shown.add((row["agency"], row["match_class"]))
        payload = "; ".join(f"{k.removeprefix('payload.')}: {v}" for k, v in row.items()
                            if k.startswith("payload.") and v not in (None, ""))
        table.add_row(row["registry_record_id"], row["agency"], row["partner_record_id"], row["match_class"],
                      row["agreement"].replace("; ", "\n"), payload)
    console.print(table)
    console.print(f"  {len(opened.rows):,} hits opened by the registry in {root}. A hit is a suspicion, not a "
                  "verdict: no benefit stops before a field visit and a human decision.")


def _web(world: Path, workdir: Path, console: Console, *, serve: bool, port: int) -> None:
    """Load the world's registry into the demo database, make one user per role, and serve."""
    import os

    # The demo has its own SQLite database beside its files: it never touches a DATABASE_URL set for real work.
    data_dir = (workdir / "var").resolve()
    os.environ["SIJILL_DATA_DIR"] = str(data_dir)
    os.environ["DATABASE_URL"] = f"sqlite:///{data_dir / 'sijill.sqlite3'}"
    from sijill.web.bootstrap import setup

    setup()
    from django.core.management import call_command

    from sijill.accounts.demo import create_demo_users
    from sijill.registry.services import import_registry_folder

    call_command("migrate", interactive=False, verbosity=0)
    with console.status("importing the registry into the web system ..."):
        results = import_registry_folder(world / "registry")
    for r in results:
        console.print(f"  {r.schema}: {r.rows_read:,} rows read, {r.created:,} created, {r.updated:,} updated, "
                      f"{r.rejected:,} rejected")
    users = Table(title="Demo users (one per role; passwords are new at every run)")
    for col in ("user", "role", "password", "governorates"):
        users.add_column(col)
    for u in create_demo_users():
        users.add_row(u.username, u.role, u.password, "، ".join(u.governorates))
    console.print(users)
    console.print("  Search needs a national ID, or a name and one more field; every search and view is in "
                  "the audit trail (log in as auditor to see it).")
    if serve:
        from sijill.web.server import serve as run_server

        run_server(host="127.0.0.1", port=port, workers=2, threads=4, migrate=False, console=console)
    else:
        console.print(f"  start the server with: SIJILL_DATA_DIR={data_dir} DATABASE_URL={os.environ['DATABASE_URL']} "
                      "sijill serve")
