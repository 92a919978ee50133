"""`make demo`: the whole story on embedded defaults.

A synthetic world (registry and partner extracts), a messy sample normalised before -> after, registry
records next to the same people as other agencies' clerks wrote them; then the web system: the registry
imported, the partner agencies and their agreements, a matching cycle in which every holder encodes and
signs its file with its own keys and uploads it, the hub's run as a background job, the hits opened into
the registry; and the web system served with one user per role.
"""

from __future__ import annotations

import csv
import json
import os
import time
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

    started = time.monotonic()
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

    console.print("\n[bold]4. The registry's web system: its members, the partner agencies and their agreements[/bold]")
    data_dir = _web_database(world, workdir, console)

    console.print("\n[bold]5. Damaan, the workers' social security: employers, workers, contributions, voluntary "
                  "retirement, the clearance certificate[/bold]")
    from .damaan import run_damaan

    figures: dict[str, object] = {"damaan": run_damaan(world, workdir, console)}

    console.print("\n[bold]6. A matching cycle: each holder encodes (Damaan its own insured-workers extract); the "
                  "agencies send to the linkage hub (a process of its own, without keys), which matches; the "
                  "registry's worker fetches and opens its hits[/bold]")
    from .cycle import run_cycle
    from .hub import start_hub

    hub = start_hub(workdir)
    try:
        # the ministry's web system, its worker and its server talk to the hub over HTTP
        os.environ["SIJILL_HUB_URL"] = hub.url
        from django.conf import settings

        settings.HUB_URL = hub.url
        extracts = {"insured": Path(figures["damaan"]["extract"])}
        figures["social_registry"] = run_cycle(world, workdir / "holders", console, hub, extracts=extracts)
        figures["hub"] = figures["social_registry"].pop("key_holders", {})
        from .field import field_figures

        figures["field_visits"] = field_figures(console)

        console.print("\n[bold]7. The household re-survey: a campaign, interviews from the researchers' phones, the "
                      "electronic monitoring, back-checks and the proxy-means test[/bold]")
        from .survey import run_survey

        figures["survey"] = run_survey(console)

        console.print("\n[bold]8. The electronic ration card: cards imported, members linked to the national card, "
                      "the dead and emigrated blocked with due process[/bold]")
        from sijill.exchange import storage
        from sijill.pprl.format.keyfiles import HOLDER_PUBLIC

        from .hub import trust_registry
        from .ration import run_ration

        figures["ration"] = run_ration(
            workdir, console, persons, DEMO_SEED,
            on_cycle_open=lambda: trust_registry(hub, storage.registry_keys_dir() / HOLDER_PUBLIC))
        figures["batch_seconds"] = round(time.monotonic() - started, 1)
        write_summary(workdir, figures)
        console.print(f"  batch part done in {figures['batch_seconds']:.0f} s; the figures in "
                      f"{workdir / 'summary.json'}")

        console.print("\n[bold]9. The web system (Arabic, right to left; English on request)[/bold]")
        _serve(data_dir, console, serve=serve, port=port)
    finally:
        hub.stop()


def write_summary(workdir: Path, figures: dict[str, object]) -> Path:
    """The demo's figures, one object per system, for machines (and for checking one run against another)."""
    path = workdir / "summary.json"
    path.write_text(json.dumps(figures, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


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


def _web_database(world: Path, workdir: Path, console: Console) -> Path:
    """Load the world's registry into the demo database and seed the partner agencies."""
    # The demo has its own SQLite database beside its files: it never touches a DATABASE_URL set for real work.
    data_dir = (workdir / "var").resolve()
    os.environ["SIJILL_DATA_DIR"] = str(data_dir)
    os.environ["DATABASE_URL"] = f"sqlite:///{data_dir / 'sijill.sqlite3'}"
    from sijill.web.bootstrap import setup

    setup()
    from django.core.management import call_command

    from sijill.exchange.seed import seed_agencies
    from sijill.registry.services import import_registry_folder

    call_command("migrate", interactive=False, verbosity=0)
    with console.status("importing the registry into the web system ..."):
        results = import_registry_folder(world / "registry")
    for r in results:
        console.print(f"  {r.schema}: {r.rows_read:,} rows read, {r.created:,} created, {r.updated:,} updated, "
                      f"{r.rejected:,} rejected")
    agencies = seed_agencies()
    console.print(f"  {len(agencies)} partner agencies, each with a data-sharing agreement in force: "
                  + ", ".join(a.code for a in agencies))
    return data_dir


def _serve(data_dir: Path, console: Console, *, serve: bool, port: int) -> None:
    """Make one user per role, print them, and serve."""
    from sijill.accounts.demo import create_demo_users

    users = Table(title="Demo users (one per role; passwords are new at every run)")
    for col in ("user", "role", "password", "governorates"):
        users.add_column(col)
    for u in create_demo_users():
        users.add_row(u.username, u.role, u.password, "، ".join(u.governorates))
    console.print(users)
    from sijill.accounts.models import User
    from sijill.cases.assignment import assign_open_cases
    from sijill.cases.models import Case

    assigned = assign_open_cases(Case.objects.all(), actor=User.objects.get(username="admin"))
    console.print(f"  {assigned['assigned']:,} cases assigned to the field researcher of their governorate "
                  f"(researcher: بغداد); {assigned['unassigned']:,} wait for a researcher of theirs.")
    console.print("  analyst: Cycles → the cycle, its packages, its run and its hits; Hits to review; Reports. "
                  "caseworker: Cases. researcher: My visits. agency: upload a package. hotline: record a tip. "
                  "Every search and view is in the audit trail (log in as auditor to see it).")
    if serve:
        import subprocess
        import sys

        from sijill.web.server import serve as run_server

        # Runs started from the browser need a worker beside the server.
        worker = subprocess.Popen([sys.executable, "-c", "from sijill.cli import app; app()", "worker"],
                                  env=os.environ.copy())
        console.print(f"  serving at http://127.0.0.1:{port} with a background worker (Ctrl-C stops both)")
        try:
            run_server(host="127.0.0.1", port=port, workers=2, threads=4, migrate=False, console=console)
        finally:
            worker.terminate()
    else:
        console.print(f"  start the server with: SIJILL_DATA_DIR={data_dir} DATABASE_URL={os.environ['DATABASE_URL']} "
                      "sijill serve   (and the worker: sijill worker)")
