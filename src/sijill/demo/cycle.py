"""The demo's matching cycle, as the web system runs it: open a cycle, every holder encodes and signs its file
with its own keys and uploads it, the run goes to the background worker (a process of its own), and the
registry's hits land against its persons. Django is set up by the caller."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from .holders import REGISTRY, encode_as_holders, world_files


def run_cycle(world: Path, holders: Path, console: Console,
              extracts: dict[str, Path] | None = None) -> dict[str, object]:
    """Run the social registry's cycle and return its figures for summary.json. ``extracts`` replaces some holders'
    files of the synthetic world by the ones their own registries wrote (Damaan's insured workers)."""
    from sijill.cycles.orchestrator import start_run
    from sijill.exchange import cycles, storage, trust
    from sijill.exchange.models import Agency
    from sijill.synth.config import SynthConfig

    for folder in ("keys", "packages"):  # the holders' side of an earlier demo
        shutil.rmtree(holders / folder, ignore_errors=True)
    _close_earlier_cycles()
    cycle = cycles.open_cycle(note="demo")
    console.print(f"  cycle {cycle.code} opened: a new linkage secret in {storage.registry_keys_dir()}; each agency "
                  "joins it with its own key folder")

    figures: dict[str, object] = {"cycle": cycle.code, "packages": 0}
    table = Table(title="Each holder encodes and signs its extract, then uploads the package")
    for col in ("holder", "records encoded", "encode (s)", "upload"):
        table.add_column(col)
    started = time.monotonic()

    def uploaded(shipped, seconds: float) -> None:
        from sijill.exchange.uploads import PackageRefused, receive_package

        agency = None if shipped.holder == REGISTRY else Agency.objects.get(code=shipped.holder)
        if agency is not None:
            trust.register_key(agency, shipped.public_key.read_text(encoding="utf-8"))
        try:
            with open(shipped.archive, "rb") as f:
                package = receive_package(f, agency=agency, user=None)
            verdict = f"accepted, sha256 {package.sha256[:12]}…"
            figures["packages"] += 1
        except PackageRefused as e:
            verdict = f"[red]refused: {e.reason}[/red]"
        table.add_row(shipped.holder, f"{shipped.records:,}", f"{seconds:.1f}", verdict)

    with console.status("the holders encode (each with its own keys) and upload ..."):
        encode_as_holders({**world_files(world), **(extracts or {})}, storage.registry_keys_dir(), holders,
                          workers=2, progress=uploaded)
    console.print(table)
    console.print(f"  encoded and uploaded in {time.monotonic() - started:.0f} s; the partners' maps never left them "
                  "(their record numbers travel sealed for the registry inside each payload)")

    # The synthetic world's "today" is fixed, so that a seed gives the same findings on any day.
    run = start_run(cycle, as_of=SynthConfig().today)
    started = time.monotonic()
    worker = subprocess.Popen([sys.executable, "-c", "from sijill.cli import app; app()", "worker", "--batch",
                               "--interval", "0.2"], env=os.environ.copy(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    with console.status("the worker runs the cycle (hub, hits, rules, cases) ...") as status:
        while worker.poll() is None:
            run.refresh_from_db()
            status.update(f"run {run.pk}: {run.stage} ({run.progress_done}/{run.progress_total})")
            time.sleep(0.5)
    run.refresh_from_db()
    if run.state != "succeeded":
        console.print(f"[red]the run {run.state}: {run.error or worker.stderr.read()[-2000:]}[/red]")
        figures["run"] = run.state
        return figures
    _summary(run, time.monotonic() - started, console)
    _duplicates(run, world, console)
    by_rule, cases = _findings(run.cycle, console)
    from sijill.registry.models import Person

    figures.update(run="succeeded", persons=Person.objects.count(), hits=run.hits.count(),
                   hits_by_class={cls: sum(c.get(cls, 0) for c in run.hit_counts().values())
                                  for cls in ("exact", "probable", "review")},
                   findings=sum(by_rule.values()), findings_by_rule=by_rule, cases=cases,
                   duplicate_pairs=(run.log.get("dedupe") or {}).get("found", 0),
                   run_seconds=round(time.monotonic() - started, 1))
    return figures


def _findings(cycle, console: Console) -> tuple[dict[str, int], int]:
    """What the run's last step did: the rules in force over the cycle's hits raised findings, grouped per
    person into cases to verify."""
    from django.db.models import Count

    from sijill.cases.models import Case
    from sijill.eligibility.models import Finding, Rule

    findings = Finding.objects.filter(cycle=cycle)
    by_rule = dict(findings.values_list("rule__code").annotate(n=Count("id")).order_by("-n"))
    names = dict(Rule.objects.filter(active=True).values_list("code", "name_ar"))
    table = Table(title="Eligibility rules over the cycle's hits (the run's last step)")
    for col in ("rule", "findings"):
        table.add_column(col)
    for code, n in by_rule.items():
        table.add_row(f"{names.get(code, code)} ({code})", f"{n:,}")
    console.print(table)
    cases = Case.objects.filter(findings__cycle=cycle).distinct().count()
    console.print(f"  {cases:,} cases opened for verification. Hits for review raise nothing until an analyst "
                  "accepts them; a case stops nothing until a field visit, a notice, the response period and a "
                  "decision.")
    return by_rule, cases


def _duplicates(run, world: Path, console: Console) -> None:
    """The run's dedupe of the registry's package: the possible double enrolments sent to review, and how many
    of the world's known ones (truth/duplicates.csv) the registry's review queue holds."""
    import csv

    from sijill.registry.models import DuplicatePair

    log = run.log.get("dedupe") or {}
    with open(world / "truth" / "duplicates.csv", encoding="utf-8", newline="") as f:
        truth = {frozenset((d["record_id"], d["duplicate_record_id"])) for d in csv.DictReader(f)}
    stored = {frozenset(p) for p in DuplicatePair.objects.values_list("person_a__record_id", "person_b__record_id")}
    classes = ", ".join(f"{log.get(c, 0)} {c}" for c in ("exact", "probable", "review"))
    found = log.get("found", 0)
    console.print(f"  possible duplicates: the hub's --dedupe over the registry's package found {found:,} pairs "
                  f"({classes}; {log.get('new', 0):,} new), all sent to the duplicate review (/registry/duplicates/); "
                  f"{len(truth & stored)} of the registry's {len(stored):,} pairs are among the {len(truth)} double "
                  "enrolments of truth/duplicates.csv. A person decides each pair; \"same person\" raises the "
                  "enrolled-twice rule.")


def _close_earlier_cycles() -> None:
    """A demo run again in the same folder starts a new cycle: an earlier one still open is closed, and a run
    an interrupted demo left behind is failed."""
    from sijill.exchange import cycles, runs
    from sijill.exchange.models import Cycle, CycleState, Run

    for run in Run.objects.filter(state__in=runs.ACTIVE):
        runs.fail_run(run, "the demo was started again")
    for cycle in Cycle.objects.filter(state__in=[CycleState.OPEN, CycleState.DONE]):
        cycles.close_cycle(cycle)


def _summary(run, seconds: float, console: Console) -> None:
    from sijill.common.explain import explain

    counts = run.hit_counts()
    table = Table(title=f"Hits of cycle {run.cycle.code}, per agency and class (background run: {seconds:.0f} s, "
                        f"of which the hub {run.log.get('seconds', 0):.0f} s)")
    for col in ("agency", "exact", "probable", "for review", "total"):
        table.add_column(col)
    for agency, by_class in counts.items():
        row = [by_class.get(c, 0) for c in ("exact", "probable", "review")]
        table.add_row(agency, *map(str, row), str(sum(row)))
    totals = [sum(by_class.get(cls, 0) for by_class in counts.values()) for cls in ("exact", "probable", "review")]
    table.add_row("[bold]all[/bold]", *map(str, totals), f"[bold]{sum(totals)}[/bold]")
    console.print(table)
    examples = Table(title="Three hits as the registry sees them (explained in Arabic, with the agency's payload)",
                     show_lines=True)
    for col in ("beneficiary", "agency", "class", "why", "what the agency holds"):
        examples.add_column(col)
    for cls in ("exact", "probable", "review"):
        hit = run.hits.filter(match_class=cls).select_related("person", "agency").first()
        if hit:
            examples.add_row(hit.person.record_id, hit.agency.code, cls, "\n".join(explain(hit.explanation, "ar")),
                             "\n".join(f"{k}: {v}" for k, v in hit.payload.items() if v))
    console.print(examples)
    for line in run.log.get("retention", []):
        console.print(f"  retention: {line}")
    console.print("  A hit is a suspicion, not a verdict: no benefit stops before a field visit and a human decision.")
