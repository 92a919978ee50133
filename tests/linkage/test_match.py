"""The hub end to end on a synthetic world: what it finds, what it explains, what it refuses, and what
it never holds."""

from __future__ import annotations

import inspect
import shutil
import sys
from pathlib import Path

import pytest
from linkage_world import AGENCIES, runner, truth_pairs

from sijill import linkage
from sijill.cli import app
from sijill.pprl import read_hits


@pytest.fixture(scope="module")
def run(hub_world: Path, tmp_path_factory) -> dict:
    """The analyst's run, on copies of the packages (the hub deletes partner encodings afterwards)."""
    work = tmp_path_factory.mktemp("run")
    for name in ("registry", *AGENCIES):
        shutil.copytree(hub_world / f"{name}.pkg", work / f"{name}.pkg")
    hits = work / "hits.parquet"
    result = runner.invoke(app, ["match", str(work / "registry.pkg"), *(str(work / f"{a}.pkg") for a in AGENCIES),
                                 "--out", str(hits), "--trusted", str(hub_world / "hub" / "trusted")])
    assert result.exit_code == 0, result.output
    opened = work / "opened.csv"
    result = runner.invoke(app, ["hits", "open", str(hits), "--keys", str(hub_world / "keys" / "registry"),
                                 "--map", str(hub_world / "registry.pkg.map.csv"),
                                 *(x for a in AGENCIES for x in ("--map", str(hub_world / f"{a}.pkg.map.csv"))),
                                 "--out", str(opened)])
    assert result.exit_code == 0, result.output
    import csv

    with open(opened, encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    return {"work": work, "hits": hits, "rows": rows, "output": result.output}


@pytest.mark.parametrize(("agency", "min_f1"), [("courts", 0.97), ("loans", 0.93)])
def test_accuracy_on_the_synthetic_world(hub_world, run, agency, min_f1):
    truth = truth_pairs(hub_world, agency)
    auto = {(r["registry_record_id"], r["partner_record_id"]) for r in run["rows"]
            if r["agency"] == agency and r["match_class"] in ("exact", "probable")}
    tp = len(auto & truth)
    precision, recall = tp / len(auto), tp / len(truth)
    assert precision >= 0.99, f"{agency}: {len(auto - truth)} false automatic hits"
    assert 2 * precision * recall / (precision + recall) >= min_f1


def test_every_hit_explains_itself_and_carries_its_payload(run):
    for row in run["rows"]:
        assert row["agreement"], row
        assert row["match_class"] in ("exact", "probable", "review")
    courts = [r for r in run["rows"] if r["agency"] == "courts"]
    assert all(r["payload.تاريخ العقد"] for r in courts), "the court's contract date is opened for the registry"


def test_one_partner_record_links_to_at_most_one_beneficiary(run):
    table = read_hits(run["hits"]).to_pylist()
    decided = [(h["agency"], h["partner_ref"]) for h in table if h["match_class"] != "review"]
    assert len(decided) == len(set(decided))


def test_a_sister_is_never_decided_automatically(run):
    """Without the same national ID, a pair whose given name or birth date disagrees goes to a person."""
    for h in read_hits(run["hits"]).to_pylist():
        if h["match_class"] == "exact":
            continue
        levels = {e["field"]: e["level"] for e in h["explanation"] or []}
        if levels.get("given_name") == "disagree" or levels.get("birth_date") == "disagree":
            assert h["match_class"] == "review", levels


def test_partner_encodings_are_deleted_after_the_run(run):
    for agency in AGENCIES:
        assert not (run["work"] / f"{agency}.pkg" / "encodings.parquet").exists()
    assert (run["work"] / "registry.pkg" / "encodings.parquet").exists()
    log = Path(f"{run['hits']}.log.json").read_text(encoding="utf-8")
    assert "retention policy" in log and "non-matched" in log


def test_the_hub_takes_no_secret():
    for fn in (linkage.match, linkage.run.match):
        params = inspect.signature(fn).parameters
        assert not [p for p in params if any(w in p.lower() for w in ("secret", "key", "private"))]


def test_an_untrusted_package_is_refused(hub_world, tmp_path):
    only_registry = tmp_path / "trusted"
    only_registry.mkdir()
    shutil.copy(hub_world / "hub" / "trusted" / "registry.pub", only_registry / "registry.pub")
    shutil.copytree(hub_world / "courts.pkg", tmp_path / "courts.pkg")
    result = runner.invoke(app, ["match", str(hub_world / "registry.pkg"), str(tmp_path / "courts.pkg"),
                                 "--out", str(tmp_path / "h.parquet"), "--trusted", str(only_registry)])
    assert result.exit_code == 1
    assert "courts" in result.output and "refused" in result.output


def test_a_saved_model_is_reused(hub_world, run, tmp_path):
    shutil.copytree(hub_world / "courts.pkg", tmp_path / "courts.pkg")
    result = runner.invoke(app, ["match", str(hub_world / "registry.pkg"), str(tmp_path / "courts.pkg"),
                                 "--out", str(tmp_path / "h.parquet"), "--trusted", str(hub_world / "hub" / "trusted"),
                                 "--model", f"{run['hits']}.models", "--keep"])
    assert result.exit_code == 0, result.output
    assert "training" not in result.output
    again = {(h["match_class"]) for h in read_hits(tmp_path / "h.parquet").to_pylist()}
    assert "exact" in again and "probable" in again


def test_the_spark_engine_without_its_extra_names_the_install(monkeypatch):
    from sijill.linkage.engines import open_engine

    for name in ("pyspark", "pyspark.sql"):
        monkeypatch.setitem(sys.modules, name, None)  # as if PySpark were not installed
    with pytest.raises(ImportError, match=r"pip install 'sijill\[spark\]'"):
        open_engine("spark")
    with pytest.raises(ValueError, match="unknown engine"):
        open_engine("polars")
