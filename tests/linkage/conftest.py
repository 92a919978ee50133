"""One synthetic world for the hub's tests: keys, packages of the registry and two agencies, and a run."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sijill import pprl
from sijill.cli import app
from sijill.synth import generate_world

SCHEMAS = Path(pprl.__file__).parent / "schemas"
AGENCIES = {"courts": "agencies/courts.csv", "loans": "agencies/loans.xlsx"}
runner = CliRunner()


def encode(root: Path, who: str, source: Path) -> Path:
    out = root / f"{who}.pkg"
    result = runner.invoke(app, ["encode", str(source), "--schema", str(SCHEMAS / f"{who}.yaml"),
                                 "--keys", str(root / "keys" / who), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def hub_world(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hub")
    generate_world(root / "world", 20_000, seed=5)
    pprl.init_keys(root / "keys" / "registry", "registry")
    trusted = root / "hub" / "trusted"
    trusted.mkdir(parents=True)
    (trusted / "registry.pub").write_bytes((root / "keys" / "registry" / "holder.pub").read_bytes())
    encode(root, "registry", root / "world" / "registry" / "members.csv")
    for agency, path in AGENCIES.items():
        pprl.init_keys(root / "keys" / agency, agency, join=root / "keys" / "registry")
        pprl.trust_key(root / "keys" / "registry", root / "keys" / agency / "holder.pub")
        (trusted / f"{agency}.pub").write_bytes((root / "keys" / agency / "holder.pub").read_bytes())
        encode(root, agency, root / "world" / path)
    return root


def truth_pairs(root: Path, agency: str) -> set[tuple[str, str]]:
    with open(root / "world" / "truth" / "truth.csv", encoding="utf-8") as f:
        truth = list(csv.DictReader(f))
    person = {t["person_id"]: t["record_id"] for t in truth if t["agency"] == "registry"}
    return {(person[t["person_id"]], t["record_id"]) for t in truth
            if t["agency"] == agency and t["person_id"] in person}
