"""``generate_independent_world``: families -> registry -> eight agencies' extracts -> truth -> manifest.

Every stage draws from its own stream, seeded by the seed and the stage's name, so the same seed gives the
same files. The columns of each file are those of the agency's ``linkage`` section in sijill/agencies/.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import zlib
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path

import numpy as np
import pyarrow as pa
import yaml

from ..writers import write_table
from .coined import with_coined_names
from .data import GROUPS, knowledge
from .families import TODAY, Population, build_population
from .payloads import payload
from .records import Writer, Written
from .selection import Kin, Registry, agency_rows, ages, build_registry

AGENCIES = ("courts", "deaths", "travel", "loans", "vehicles", "pensions", "payroll", "insured")
_PREFIX = {"registry": "SR", "courts": "SJC", "deaths": "MOH-D", "travel": "BP", "loans": "BNK", "vehicles": "TRF",
           "pensions": "NRA", "payroll": "MOF", "insured": "SSF"}
_ROLES = {"given_name": "given", "father_name": "father", "grandfather_name": "grandfather", "surname": "surname",
          "full_name": "full_name", "mother_name": "mother", "birth_date": "birth_date",
          "national_id": "national_id", "governorate": "governorate", "sex": "sex"}


@dataclass
class IndependentSummary:
    outdir: Path
    persons: int
    seed: int
    registry_records: int = 0
    duplicates: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    members: dict[str, int] = field(default_factory=dict)  # rows with a registry member behind them


@cache
def linkage(agency: str) -> dict:
    """The agency's file contract: its record id header, the headers of its fields, its payload headers."""
    text = (files("sijill.agencies") / f"{agency}.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)["linkage"]


def _np_rng(seed: int, stage: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(stage.encode())])


def _rng(seed: int, stage: str) -> random.Random:
    return random.Random(f"{seed}:{stage}")


def generate_independent_world(outdir: str | Path, persons: int, seed: int) -> IndependentSummary:
    """Write the second synthetic world of ``persons`` people into ``outdir``; the same seed gives the same files."""
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    k = with_coined_names(knowledge(), seed)
    pop = build_population(persons, _np_rng(seed, "families"), k)
    registry = build_registry(pop, _np_rng(seed, "registry"), k.governorates.poverty)
    summary = IndependentSummary(out, persons, seed)
    files_: list[dict] = []
    truth: list[tuple[str, pa.Array, np.ndarray]] = []

    ids, table = _registry_table(pop, registry, k, seed)
    files_.append(_write(out, table, "registry/members.csv", "registry", "registry", "csv", "utf-8",
                         linkage("registry")))
    truth.append(("registry", ids, registry.person))
    summary.registry_records = table.num_rows
    dup = np.flatnonzero(registry.duplicate_of >= 0)
    summary.duplicates = len(dup)
    duplicates = pa.table({"person_id": pa.array(registry.person[dup].astype(np.int64)),
                           "record_id": ids.take(pa.array(registry.duplicate_of[dup])),
                           "duplicate_record_id": ids.take(pa.array(dup))})

    member = np.zeros(len(pop), dtype=bool)
    member[registry.person] = True
    kin = Kin(pop)
    for agency in AGENCIES:
        profile = k.profiles[agency]
        people = agency_rows(pop, registry, profile["who"], kin, _np_rng(seed, f"who:{agency}"))
        ids, table = _agency_table(agency, profile, pop, people, k, seed)
        fmt = profile["format"]
        files_.append(_write(out, table, f"agencies/{agency}.{fmt}", agency, "extract", fmt,
                             profile["encoding"], linkage(agency)))
        truth.append((agency, ids, people))
        summary.rows[agency] = len(people)
        summary.members[agency] = int(member[people].sum())

    truth_table = pa.table({
        "agency": pa.array([a for a, _, p in truth for _ in range(len(p))]),
        "record_id": pa.concat_arrays([r for _, r, _ in truth]),
        "person_id": pa.array(np.concatenate([p for _, _, p in truth]).astype(np.int64)),
    })
    files_.append(_write(out, truth_table, "truth/truth.csv", "truth", "truth", "csv", "utf-8"))
    files_.append(_write(out, duplicates, "truth/duplicates.csv", "truth", "truth", "csv", "utf-8"))
    files_.append(_write(out, _persons_table(pop, k), "truth/persons.parquet", "truth", "truth", "parquet", "utf-8"))
    manifest = {
        "generator": "independent",
        "persons": persons,
        "seed": seed,
        "today": TODAY.isoformat(),
        "files": files_,
        "profiles": {a: " ".join(k.profiles[a]["description"].split()) for a in ("registry", *AGENCIES)},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return summary


def _record_ids(agency: str, n: int) -> pa.Array:
    return pa.array([f"{_PREFIX[agency]}-{i + 1:07d}" for i in range(n)], pa.string())


def _columns(spec: dict, written: list[Written]) -> dict[str, list]:
    cols: dict[str, list] = {}
    for key, header in spec["fields"].items():
        attr = {"given_name": "given", "father_name": "father", "grandfather_name": "grandfather",
                "mother_name": "mother"}.get(key, key)
        cols[header] = [getattr(w, attr) or None for w in written]
    return cols


def _registry_table(pop: Population, reg: Registry, k, seed: int) -> tuple[pa.Array, pa.Table]:
    spec = linkage("registry")
    first = Writer(k.profiles["registry"], k, pop, _rng(seed, "registry"))
    # a double enrolment is written by another clerk, in another household, from what the family said
    second_profile = dict(k.profiles["registry"])
    second_profile["names"] = {**second_profile["names"], "hamza": 0.5, "join": 0.4, "nickname": 0.05,
                               "drop_surname": 0.3, "mother_given_only": 0.5}
    second_profile["ids"] = {"missing": 0.3, "typo": 0.02}
    second = Writer(second_profile, k, pop, _rng(seed, "registry:again"))
    age = ages(pop)
    written = [(second if reg.duplicate_of[i] >= 0 else first).write(int(p), age=int(age[p]))
               for i, p in enumerate(reg.person)]
    ids = _record_ids("registry", len(reg.person))
    cols = {spec["record_id"]: ids, **_columns(spec, written)}
    household_ids = [f"HH-{int(h) + 1:07d}" for h in reg.household]
    relation = _relations(pop, reg)
    disability = np.where(_np_rng(seed, "disability").random(len(reg.person)) < 0.03, "نعم", "لا")
    for header, values in zip(spec["payload"], (household_ids, relation, disability.tolist()), strict=True):
        cols[header] = values
    return ids, pa.table(cols)


def _relations(pop: Population, reg: Registry) -> list[str]:
    """صلة القرابة to the head: the husband, or the wife when he is not there, or the eldest."""
    heads: dict[int, int] = {}
    for i in np.argsort(pop.birth[reg.person], kind="stable"):
        h, p = int(reg.household[i]), int(reg.person[i])
        best = heads.get(h)
        if best is None or (pop.sex[p] == "M" and pop.spouse_id[p] >= 0 and pop.sex[best] != "M"):
            heads[h] = p
    out = []
    for h, p in zip(reg.household, reg.person, strict=True):
        head = heads[int(h)]
        male = pop.sex[p] == "M"
        if p == head:
            out.append("رب الأسرة")
        elif pop.spouse_id[p] == head:
            out.append("زوج" if male else "زوجة")
        elif head in (pop.father_id[p], pop.mother_id[p]):
            out.append("ابن" if male else "بنت")
        elif pop.father_id[p] >= 0 and pop.father_id[p] == pop.father_id[head]:
            out.append("أخ" if male else "أخت")
        elif p in (pop.father_id[head], pop.mother_id[head]):
            out.append("أب" if male else "أم")
        else:
            out.append("فرد آخر")
    return out


def _agency_table(agency: str, profile: dict, pop: Population, people: np.ndarray, k, seed: int
                  ) -> tuple[pa.Array, pa.Table]:
    spec = linkage(agency)
    writer = Writer(profile, k, pop, _rng(seed, agency))
    rng = _rng(seed, f"payload:{agency}")
    age = ages(pop)
    written, payloads = [], []
    for row, p in enumerate(people):
        convention = writer.convention()
        written.append(writer.write(int(p), convention, int(age[p])))
        payloads.append(payload(agency, pop, int(p), row, rng, convention))
    ids = _record_ids(agency, len(people))
    cols = {spec["record_id"]: ids, **_columns(spec, written)}
    for j, header in enumerate(spec["payload"]):
        cols[header] = [row[j] if row[j] != "" else None for row in payloads]
    return ids, pa.table(cols)


def _persons_table(pop: Population, k) -> pa.Table:
    def nullable(a: np.ndarray) -> pa.Array:
        return pa.array(a.astype(np.int64), mask=a < 0)

    def dates(a: np.ndarray) -> pa.Array:
        days = a.astype(np.int64) - dt.date(1970, 1, 1).toordinal()
        return pa.array(days.astype(np.int32), pa.date32(), mask=a == 0)

    given_lists = [k.male if s == "M" else k.female for s in pop.sex]
    return pa.table({
        "person_id": pa.array(np.arange(len(pop), dtype=np.int64)),
        "sex": pa.array(pop.sex.tolist()),
        "birth_date": dates(pop.registered_birth),
        "true_birth_date": dates(pop.birth),
        "birth_is_default": pa.array(pop.birth_is_default),
        "death_date": dates(pop.death),
        "given": [g.arabic[int(i)] for g, i in zip(given_lists, pop.given, strict=True)],
        "father": [k.male.arabic[int(i)] for i in pop.father_name],
        "grandfather": [k.male.arabic[int(i)] for i in pop.grandfather_name],
        "surname": [k.surnames.arabic[int(i)] if i >= 0 else None for i in pop.surname],
        "mother_given": [k.female.arabic[int(i)] for i in pop.mother_given],
        "mother_father": [k.male.arabic[int(i)] for i in pop.mother_father],
        "father_id": nullable(pop.father_id),
        "mother_id": nullable(pop.mother_id),
        "spouse_id": nullable(pop.spouse_id),
        "national_id": pa.array([s or None for s in pop.national_id.tolist()], pa.string()),
        "governorate": [k.governorates.arabic[int(g)] for g in pop.governorate],
        "group": [GROUPS[int(g)] for g in pop.group],
        "household": nullable(pop.household),
        "twin": pa.array(pop.twin.astype(bool)),
    })


def _write(out: Path, table: pa.Table, path: str, agency: str, kind: str, fmt: str, encoding: str,
           spec: dict | None = None) -> dict:
    write_table(table, out / path, fmt, encoding)
    roles: dict[str, str] = {}
    if spec:
        roles[spec["record_id"]] = "record_id"
        roles.update({header: _ROLES[key] for key, header in spec["fields"].items()})
        roles.update({header: f"payload:{header}" for header in spec["payload"]})
    return {"path": path, "agency": agency, "kind": kind, "format": fmt,
            "encoding": encoding if fmt == "csv" else "utf-8", "rows": table.num_rows,
            "columns": [{"name": c, "role": roles.get(c, c)} for c in table.column_names]}
