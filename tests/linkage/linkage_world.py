"""The hub tests' world: a synthetic population, its holders' packages and the hub's public keys."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from sijill.pprl.holder import encode_holders
from sijill.synth import generate_world

AGENCIES = {"courts": "agencies/courts.csv", "loans": "agencies/loans.xlsx"}
runner = CliRunner()


def build_world(root: Path, persons: int, seed: int) -> Path:
    """A synthetic world, its holders' keys and packages, and the hub's folder of public keys."""
    generate_world(root / "world", persons, seed=seed)
    files = {"registry": root / "world" / "registry" / "members.csv"}
    encode_holders(root, files | {a: root / "world" / path for a, path in AGENCIES.items()})
    return root


def truth_pairs(root: Path, agency: str) -> set[tuple[str, str]]:
    """(registry record, partner record) of one person; a member enrolled twice has two registry records."""
    with open(root / "world" / "truth" / "truth.csv", encoding="utf-8") as f:
        truth = list(csv.DictReader(f))
    person: dict[str, list[str]] = {}
    for t in truth:
        if t["agency"] == "registry":
            person.setdefault(t["person_id"], []).append(t["record_id"])
    return {(r, t["record_id"]) for t in truth if t["agency"] == agency and t["person_id"] in person
            for r in person[t["person_id"]]}


def duplicate_pairs(root: Path) -> set[frozenset[str]]:
    with open(root / "world" / "truth" / "duplicates.csv", encoding="utf-8") as f:
        return {frozenset((d["record_id"], d["duplicate_record_id"])) for d in csv.DictReader(f)}
