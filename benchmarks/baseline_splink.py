"""Plain Splink 5 in clear text, as a competent analyst would first try it: the baseline the hub must beat
while seeing only encodings.

Names split on spaces (full names read as given, father, grandfather, last word as surname), dates and
national IDs parsed, generic comparisons (NameComparison, Levenshtein on date and ID), blocking on the
raw fields, prior from the national ID, u by random sampling, m by EM. Used by bench_linkage.py --baseline.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from sijill import identity
from sijill.tabular import read_batches

PARTS = ("given", "father", "grandfather", "surname", "mother")


def _clean(value: str | None, parse) -> str | None:
    try:
        return str(parse(value)) if value else None
    except identity.IdentityError:
        return None


def clear_table(world: Path, path: str, columns: list[dict]) -> pa.Table:
    roles = {c["name"]: c["role"] for c in columns}
    rows = []
    for batch in read_batches(world / path).batches:
        for rec in batch.to_pylist():
            by_role = {role: rec.get(col) for col, role in roles.items()}
            if by_role.get("full_name"):
                words = str(by_role["full_name"]).split()
                split = dict(zip(("given", "father", "grandfather"), words, strict=False))
                if len(words) >= 4:
                    split["surname"] = words[-1]
                by_role |= split
            rows.append({
                "unique_id": str(by_role.get("record_id")),
                **{p: (str(by_role[p]).strip().lower() or None) if by_role.get(p) else None for p in PARTS},
                "dob": _clean(by_role.get("birth_date"), identity.parse_date),
                "national_id": _clean(by_role.get("national_id"), identity.national_id),
                "sex": by_role.get("sex"),
                "governorate": by_role.get("governorate"),
            })
    return pa.Table.from_pylist(rows)


def link(world: Path, agency: str, threshold: float = 0.999) -> set[tuple[str, str]]:
    manifest = json.loads((world / "manifest.json").read_text(encoding="utf-8"))
    files = {f["agency"]: f for f in manifest["files"] if f["kind"] == "extract"}
    registry = next(f for f in manifest["files"] if f["path"] == "registry/members.csv")
    return link_tables(clear_table(world, registry["path"], registry["columns"]),
                       clear_table(world, files[agency]["path"], files[agency]["columns"]), agency, threshold)


def link_tables(registry: pa.Table, partner: pa.Table, agency: str, threshold: float = 0.999) -> set[tuple[str, str]]:
    """(registry record, partner record) pairs at or above ``threshold`` (tables from ``clear_table``)."""
    db = DuckDBAPI(connection=duckdb.connect())
    reg = db.register(registry, dataset_display_name="registry")
    par = db.register(partner, dataset_display_name=agency)
    settings = SettingsCreator(
        link_type="link_only",
        comparisons=[*(cl.NameComparison(p) for p in PARTS), cl.LevenshteinAtThresholds("dob", [1, 2]),
                     cl.LevenshteinAtThresholds("national_id", [1, 2]), cl.ExactMatch("sex"),
                     cl.ExactMatch("governorate")],
        blocking_rules_to_generate_predictions=[block_on("national_id"), block_on("given", "dob"),
                                                block_on("father", "grandfather"), block_on("mother", "dob")],
    )
    linker = Linker([reg, par], settings, log_level="ERROR")
    linker.training.estimate_probability_two_random_records_match([block_on("national_id")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("national_id"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    table = predictions.as_duckdbpyrelation().to_arrow_table().to_pylist()
    pairs = set()
    for row in table:
        left, right = row["unique_id_l"], row["unique_id_r"]
        pairs.add((left, right) if row["source_dataset_l"] == "registry" else (right, left))
    return pairs
