"""The Spark engine (``--engine spark``, the optional extra ``sijill[spark]``) finds the same hits as DuckDB
with the same model, on a small world and Spark ``local[2]``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from linkage_world import AGENCIES, build_world, runner

from sijill.cli import app
from sijill.pprl.format import read_hits

pytest.importorskip("pyspark", reason="the spark engine needs the optional extra: pip install 'sijill[spark]'")


@pytest.fixture(scope="module")
def small_world(tmp_path_factory) -> Path:
    """A world of 3,000 people (about 1,000 in the registry and in each agency): Spark's fixed costs, not
    the data, set the time."""
    return build_world(tmp_path_factory.mktemp("spark_world"), 3_000, seed=11)


def _match(world: Path, work: Path, *options: str) -> tuple[set[tuple[str, str, str, str]], dict]:
    for name in ("registry", *AGENCIES):
        shutil.copytree(world / f"{name}.pkg", work / f"{name}.pkg")
    hits = work / "hits.parquet"
    result = runner.invoke(app, ["match", str(work / "registry.pkg"), *(str(work / f"{a}.pkg") for a in AGENCIES),
                                 "--out", str(hits), "--trusted", str(world / "hub" / "trusted"), *options])
    assert result.exit_code == 0, result.output
    found = {(h["agency"], h["registry_ref"], h["partner_ref"], h["match_class"]) for h in read_hits(hits).to_pylist()}
    return found, json.loads(Path(f"{hits}.log.json").read_text(encoding="utf-8"))


def test_spark_finds_the_same_hits_as_duckdb(small_world, tmp_path):
    (tmp_path / "duckdb").mkdir()
    (tmp_path / "spark").mkdir()
    # DuckDB trains and saves the models; Spark reuses them, so training randomness cannot differ.
    on_duckdb, duckdb_log = _match(small_world, tmp_path / "duckdb")
    models = tmp_path / "duckdb" / "hits.parquet.models"
    on_spark, spark_log = _match(small_world, tmp_path / "spark", "--engine", "spark", "--model", str(models))
    assert duckdb_log["engine"] == "duckdb" and spark_log["engine"] == "spark"
    assert {c for _, _, _, c in on_duckdb} >= {"exact", "probable"}, "the world should exercise both stages"
    assert on_spark == on_duckdb
    assert [s["candidates"] for s in spark_log["stages"]] == [s["candidates"] for s in duckdb_log["stages"]]
