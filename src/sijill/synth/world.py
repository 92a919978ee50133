"""``generate_world``: population -> holdings -> registry -> partner extracts -> truth -> files + manifest.

Each stage draws from its own random stream (seeded by the seed and the stage's name), so a knob changed
for one agency leaves every other file as it was.
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sijill import __version__
from sijill.identity import IDENTITY_VERSION

from . import catalog
from .addresses import build_addresses
from .agencies import BUILDERS, Context, Extract, record_ids
from .config import SynthConfig
from .duplicates import duplicate_enrolments, duplicate_findings
from .holdings import build_holdings
from .mess import Renderer
from .names import GROUPS, NameBook
from .population import Population, build_population
from .registry import CATEGORIES_AR, Registry, build_registry
from .timeline import NEVER, day
from .truth import findings_table, truth_table
from .writers import write_table

Progress = Callable[[str, bool], None]


@dataclass
class FileInfo:
    path: str
    agency: str
    kind: str  # extract, registry or truth
    format: str
    encoding: str
    rows: int
    columns: list[dict[str, str]]
    title: str = ""


@dataclass
class WorldSummary:
    outdir: Path
    persons: int
    seed: int
    files: list[FileInfo] = field(default_factory=list)
    households: int = 0
    beneficiary_households: int = 0
    beneficiaries: int = 0
    findings: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def stages(config: SynthConfig) -> list[str]:
    """The stage names reported to a progress callback, in order."""
    return ["population", "holdings", "enrolment", *config.agencies, "truth", "manifest"]


def _rng(seed: int, stage: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(stage.encode())])


def generate_world(
    outdir: str | Path, persons: int, seed: int, config: SynthConfig | None = None, progress: Progress | None = None
) -> WorldSummary:
    """Write a synthetic world of ``persons`` people into ``outdir`` and describe it in manifest.json."""
    if persons < 50:
        raise ValueError(f"persons must be at least 50 (families need room), not {persons}")
    config = config or SynthConfig()
    if "registry" not in config.agencies:
        raise ValueError("config.agencies must include 'registry' (the social registry's own member list)")
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    today, start = day(config.today), day(config.registry_start)
    summary = WorldSummary(outdir, persons, seed)
    report = progress or (lambda stage, done: None)

    def stage(name: str):
        return _Stage(name, report, summary.seconds)

    with stage("population"):
        book = NameBook()
        pop = build_population(_rng(seed, "population"), persons, today, config.demography, book)
    with stage("holdings"):
        holdings = build_holdings(_rng(seed, "holdings"), pop, today)
    with stage("enrolment"):
        registry = build_registry(_rng(seed, "registry"), pop, holdings, today, start, config.rules)
        places = build_addresses(_rng(seed, "addresses"), registry.hh["gov"], today)
        for name, table in registry_tables(registry, pop, places).items():
            fmt = "parquet" if name == "payments" else "csv"
            _write(
                summary,
                table,
                f"registry/{name}.{fmt}",
                "registry",
                "registry",
                fmt,
                "utf-8",
                {c: f"payload:{c}" for c in table.column_names},
                f"Social registry: {name}",
            )
    ctx = Context(pop, holdings, registry, Renderer(pop, book, today), today)
    extracts: list[Extract] = []
    for name, spec in config.agencies.items():
        with stage(name):
            extract = BUILDERS[name](ctx, spec, _rng(seed, name))
            if name == "registry":
                extract, duplicates = duplicate_enrolments(ctx, extract, spec, config.duplicate_enrolments,
                                                           _rng(seed, "duplicates"))
            extracts.append(extract)
            path = "registry/members.csv" if name == "registry" else f"agencies/{name}.{spec.extension}"
            _write(
                summary,
                extract.table,
                path,
                name,
                "registry" if name == "registry" else "extract",
                spec.format,
                spec.encoding,
                extract.roles,
                spec.title,
            )
    with stage("truth"):
        _write(summary, truth_table(extracts), "truth/truth.csv", "truth", "truth", "csv", "utf-8", {})
        _write(summary, duplicates, "truth/duplicates.csv", "truth", "truth", "csv", "utf-8", {})
        findings = findings_table(extracts, registry, pop, config.rules, today)
        findings = pa.concat_tables([findings, duplicate_findings(duplicates)]).sort_by(
            [("person_id", "ascending"), ("reason", "ascending"), ("effective_date", "ascending")])
        _write(summary, findings, "truth/expected_findings.csv", "truth", "truth", "csv", "utf-8", {})
        _write(summary, persons_table(pop, registry), "truth/persons.parquet", "truth", "truth", "parquet", "utf-8", {})
    with stage("manifest"):
        summary.households = registry.households.count
        summary.beneficiary_households = len(registry.hh["hh"])
        summary.beneficiaries = len(registry.members["pid"])
        reasons = findings.column("reason").value_counts()
        summary.findings = {str(r["values"]): int(r["counts"]) for r in reasons.to_pylist()}
        _write_manifest(summary, config)
    return summary


class _Stage:
    def __init__(self, name: str, report: Progress, seconds: dict[str, float]) -> None:
        self.name, self.report, self.seconds = name, report, seconds

    def __enter__(self) -> None:
        self.t0 = time.perf_counter()
        self.report(self.name, False)

    def __exit__(self, *exc) -> None:
        self.seconds[self.name] = round(time.perf_counter() - self.t0, 3)
        if exc[0] is None:
            self.report(self.name, True)


def _write(
    summary: WorldSummary,
    table: pa.Table,
    path: str,
    agency: str,
    kind: str,
    fmt: str,
    encoding: str,
    roles: dict[str, str],
    title: str = "",
) -> None:
    write_table(table, summary.outdir / path, fmt, encoding)
    columns = [{"name": c, "role": roles.get(c, c)} for c in table.column_names]
    summary.files.append(
        FileInfo(path, agency, kind, fmt, encoding if fmt == "csv" else "utf-8", table.num_rows, columns, title)
    )


def _write_manifest(summary: WorldSummary, config: SynthConfig) -> None:
    manifest = {
        "generator": f"sijill {__version__}",
        "identity_version": IDENTITY_VERSION,
        "persons": summary.persons,
        "seed": summary.seed,
        "today": config.today.isoformat(),
        "registry_start": config.registry_start.isoformat(),
        "files": [vars(f) for f in summary.files],
    }
    text = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
    (summary.outdir / "manifest.json").write_text(text, encoding="utf-8")


def _dates(days: np.ndarray) -> pa.Array:
    arr = pa.array(np.asarray(days, dtype=np.int32), pa.date32())
    return pc.if_else(pa.array(np.asarray(days) != NEVER), arr, pa.scalar(None, pa.date32()))


def registry_tables(reg: Registry, pop: Population, addresses: dict[str, pa.Array] | None = None
                    ) -> dict[str, pa.Table]:
    """The registry's households, enrolments and payment ledger (members are written as an extract)."""
    hh = reg.hh
    hh_ids = record_ids("HH", len(hh["hh"]))
    members = record_ids("REG", len(reg.members["pid"]))
    _, head_index = np.unique(reg.members["row"], return_index=True)
    govs = pa.array([g["name"] for g in catalog.governorates()])
    households = pa.table(
        {
            "household_id": hh_ids,
            "governorate": govs.take(pa.array(hh["gov"].astype(np.int32))),
            "category": pa.array(CATEGORIES_AR).take(pa.array(hh["category"].astype(np.int32))),
            "enrolled_on": _dates(hh["enrolled"]),
            "head_record_id": members.take(pa.array(head_index)),
            "members": pa.array(hh["size"].astype(np.int32)),
            **(addresses or {}),
        }
    )
    e = reg.enrolments
    codes = pa.array([p["code"] for p in reg.programmes])
    titles = pa.array([p["name_ar"] for p in reg.programmes])
    enrolment_ids = record_ids("ENR", len(e["row"]))
    enrolments = pa.table(
        {
            "enrolment_id": enrolment_ids,
            "household_id": hh_ids.take(pa.array(e["row"])),
            "programme": codes.take(pa.array(e["programme"].astype(np.int32))),
            "programme_name": titles.take(pa.array(e["programme"].astype(np.int32))),
            "monthly_amount_iqd": pa.array(e["amount"]),
            "start_date": _dates(e["start"]),
            "end_date": _dates(e["end"]),
            "status": pa.array(["active", "stopped"]).take(pa.array((e["end"] != NEVER).astype(np.int8))),
        }
    )
    pay = reg.payments
    payments = pa.table(
        {
            "payment_id": pa.array(np.arange(1, len(pay["month"]) + 1, dtype=np.int64)),
            "enrolment_id": enrolment_ids.take(pa.array(pay["enrolment"])),
            "month": _dates(pay["month"]),
            "amount_iqd": pa.array(pay["amount"]),
            "status": pa.array(["paid", "returned"]).take(pa.array(pay["status"])),
        }
    )
    return {"households": households, "enrolments": enrolments, "payments": payments}


def persons_table(pop: Population, reg: Registry) -> pa.Table:
    """Everyone in the world with the true, clean values (canonical names, real dates, family links)."""
    vocab = pa.array(pop.book.vocab)

    def names(ids: np.ndarray) -> pa.Array:
        taken = vocab.take(pa.array(np.maximum(ids, 0)))
        return pc.if_else(pa.array(ids >= 0), taken, pa.scalar(None, pa.string()))

    def ids(values: np.ndarray) -> pa.Array:
        return pa.array(np.where(values >= 0, values, 0), pa.int64(), mask=values < 0)

    spouse = np.full(len(pop), -1, dtype=np.int64)
    c = pop.couples
    spouse[c["husband"]] = c["wife"]
    spouse[c["wife"]] = c["husband"]
    hh_ids = record_ids("HH", len(reg.hh["hh"]))
    row = reg.member_row
    nid = pc.cast(pa.array(pop.nid), pa.string())
    govs = pa.array([g["name"] for g in catalog.governorates()])
    return pa.table(
        {
            "person_id": pa.array(np.arange(len(pop), dtype=np.int64)),
            "sex": pa.array(["M", "F"]).take(pa.array(pop.sex.astype(np.int32))),
            "birth_date": _dates(pop.birth),
            "death_date": _dates(pop.death),
            "given": names(pop.given),
            "father": names(pop.father_name),
            "grandfather": names(pop.grandfather_name),
            "surname": names(pop.surname),
            "mother_given": names(pop.mother_given),
            "mother_father": names(pop.mother_father),
            "father_id": ids(pop.father_pid.astype(np.int64)),
            "mother_id": ids(pop.mother_pid.astype(np.int64)),
            "spouse_id": ids(spouse),
            "married_on": _dates(np.where(pop.couple >= 0, c["married"][np.maximum(pop.couple, 0)], NEVER)),
            "divorced_on": _dates(np.where(pop.couple >= 0, c["divorced"][np.maximum(pop.couple, 0)], NEVER)),
            "remarried_on": _dates(pop.remarried),
            "remarried_to": ids(pop.remarried_to.astype(np.int64)),
            "national_id": pc.if_else(pa.array(pop.nid > 0), nid, pa.scalar(None, pa.string())),
            "governorate": govs.take(pa.array(pop.gov.astype(np.int32))),
            "group": pa.array(list(GROUPS)).take(pa.array(pop.group.astype(np.int32))),
            "generation": pa.array(pop.gen.astype(np.int8)),
            "twin": pa.array(pop.twin),
            "disabled": pa.array(pop.disabled),
            "household": ids(reg.households.of_person.astype(np.int64)),
            "registry_household_id": pc.if_else(
                pa.array(row >= 0), hh_ids.take(pa.array(np.maximum(row, 0))), pa.scalar(None, pa.string())
            ),
        }
    )
