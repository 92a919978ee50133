"""The hub end to end on a synthetic world: what it finds, what it explains, what it refuses, and what
it never holds."""

from __future__ import annotations

import inspect
import shutil
import sys
from pathlib import Path

import pytest
from linkage_world import AGENCIES, duplicate_pairs, runner, truth_pairs

from sijill import linkage
from sijill.cli import app
from sijill.pprl.format import read_hits


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
    precision, recall = tp / len(auto), tp / len({partner for _, partner in truth})
    assert precision >= 0.99, f"{agency}: {len(auto - truth)} false automatic hits"
    assert 2 * precision * recall / (precision + recall) >= min_f1


def test_dedupe_finds_double_enrolments_without_flooding_review_with_relatives(hub_world, tmp_path):
    """The world enrols 0.5 % of members a second time, written by another clerk; siblings and parents
    share most of a member's name chain and must not be taken for them."""
    hits = tmp_path / "duplicates.parquet"
    result = runner.invoke(app, ["match", str(hub_world / "registry.pkg"), "--dedupe", "--out", str(hits),
                                 "--trusted", str(hub_world / "hub" / "trusted")])
    assert result.exit_code == 0, result.output
    import csv

    with open(hub_world / "registry.pkg.map.csv", encoding="utf-8-sig") as f:
        record = {r["ref"]: r["record_id"] for r in csv.DictReader(f) if r["record_id"]}
    found = {"auto": set(), "review": set()}
    for h in read_hits(hits).to_pylist():
        pair = frozenset((record.get(h["registry_ref"]), record.get(h["partner_ref"])))
        found["review" if h["match_class"] == "review" else "auto"].add(pair)
    duplicates = duplicate_pairs(hub_world)
    assert len(duplicates) >= 10
    assert found["auto"] <= duplicates, "no relative is decided to be the member"
    assert len(found["auto"]) >= 0.7 * len(duplicates)
    assert len(found["review"] - duplicates) <= len(duplicates), "review is not flooded by relatives"


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


def test_a_second_identifier_lifts_the_sibling_guard_only_when_it_is_a_persons_own():
    """A ration card is shared by a household's members: agreeing on it is family evidence. A number that
    no two records of a package share (a social security number) is a person's own."""
    import pyarrow as pa

    from sijill.linkage.cascade import _family_only, personal_identifiers

    household_cards = pa.table({"ration_card": [7, 7, 7, 9, 9, None]})
    own_numbers = pa.table({"ration_card": [1, 2, 3, 4, 5, None]})
    assert personal_identifiers(household_cards, own_numbers) == set()
    assert personal_identifiers(own_numbers, own_numbers) == {"ration_card"}
    assert personal_identifiers(pa.table({"x": [1]}), own_numbers) == set()
    sister = [{"field": "given_name", "level": "disagree", "code": "name.disagree"},
              {"field": "ration_card", "level": "same ration card or agency number", "code": "card.exact"}]
    assert _family_only(sister, set())
    assert not _family_only(sister, {"ration_card"})
    assert _family_only([{"field": "birth_date", "level": "disagree", "code": "date.disagree"}], {"ration_card"})
    # the guard reads codes, not labels: a reworded label changes nothing
    assert _family_only([{"field": "given_name", "level": "another wording", "code": "name.disagree"}], set())


def _guard_cases():
    import csv
    from pathlib import Path

    lines = (Path(__file__).parent / "sibling_guard.csv").read_text(encoding="utf-8").splitlines()
    return [(g, d, who, review == "yes") for g, d, who, review in csv.reader(lines[1:])]


@pytest.mark.parametrize(("given", "born", "who", "review"), _guard_cases())
def test_the_sibling_guard_reads_the_levels(given, born, who, review):
    """A table a registry officer can read: which pairs of levels may be two members of one family."""
    from sijill.linkage.cascade import _family_only

    explanation = [{"field": "given_name", "code": given}, {"field": "birth_date", "code": born},
                   {"field": "father_name", "code": "name.exact"}, {"field": "mother_name", "code": "name.exact"}]
    assert _family_only(explanation) is review, who


@pytest.mark.parametrize(("compared", "guarded"), [
    ({"given_name", "father_name", "grandfather_name", "birth_date", "national_id"}, True),  # an Iraqi chain
    ({"given_name", "father_name", "birth_date"}, True),  # names and a birth date only
    ({"given_name", "surname", "mother_name", "birth_date"}, True),  # the mother's name alone
    ({"given_name", "surname", "birth_date", "ration_card", "suburb"}, False),  # FEBRL: no name siblings share by birth
])
def test_the_guard_applies_where_a_name_siblings_share_is_compared(compared, guarded):
    from sijill.linkage.cascade import families_can_outvote

    assert families_can_outvote(compared) is guarded


def test_compact_dates_as_databases_export_them_are_read():
    from sijill import identity

    assert str(identity.parse_date("19151111")) == "1915-11-11"
    with pytest.raises(identity.IdentityError):
        identity.parse_date("19861302")  # month 13: refused, not guessed
    with pytest.raises(identity.IdentityError):
        identity.parse_date("01021985")  # ddmmyyyy is not read as a year 0102


def test_a_swapped_given_name_and_surname_is_compared_only_where_the_cycle_can_see_it():
    from sijill.linkage.comparisons import comparisons, swap_column
    from sijill.pprl.format import encoding_spec

    febrl = encoding_spec({"blocking": {"names": {"any_order": ["given_name.skeleton", "surname.skeleton"]},
                                             "gy": ["given_name.skeleton", "birth_date.year"]}})
    assert swap_column(febrl.blocking) == "block_names"
    assert swap_column(encoding_spec().blocking) is None, "the Iraqi cycle's tokens keep their order"

    def labels(present, swap):
        return {c["output_column_name"]: [lv["label_for_charts"] for lv in c["comparison_levels"]]
                for c in comparisons(present, swap)}

    present = {"given_name_skeleton", "surname_skeleton", "birth_year", "block_names"}
    with_swap = labels(present, "block_names")
    assert "written as the surname (swapped)" in with_swap["given_name"]
    assert "written as the given name (swapped)" in with_swap["surname"]
    assert set(with_swap) == {"given_name", "surname", "birth_date"}, "fields no package carries are left out"
    without = labels(present - {"block_names"}, "block_names")
    assert "written as the surname (swapped)" not in without["given_name"]


def test_dice_of_two_dense_filters_does_not_overflow():
    """DuckDB's bit_count is a one-byte integer: two long names share more than 127 bits."""
    import duckdb

    from sijill.linkage.comparisons import dice_at_least

    words = ", ".join(f"CAST(-1 AS BIGINT) AS f_w{i}_l, CAST(-1 AS BIGINT) AS f_w{i}_r" for i in range(8))
    sql = f"SELECT {dice_at_least('f', 0.85)} FROM (SELECT {words}, 512 AS f_bits_l, 512 AS f_bits_r)"
    assert duckdb.connect().execute(sql).fetchone() == (True,)


def test_an_m_that_em_drives_below_what_splink_accepts_gets_the_floor():
    """EM can push a level's m to 0.0 or a subnormal on small data; Splink 5 refuses it mid-run. Within
    training it becomes the floor of an unseen level; outside, Splink's own check is untouched."""
    from splink.internals import expectation_maximisation as em
    from splink.internals.comparison_level import ComparisonLevel
    from splink.internals.dialects import SplinkDialect

    from sijill.linkage.model import M_FLOOR, _em_zero_m_floored

    level = ComparisonLevel("l.x = r.x", SplinkDialect.from_string("duckdb"), label_for_charts="exact")
    level._comparison_vector_value = 2
    for tiny in (0.0, 1.4e-311):
        with _em_zero_m_floored():
            em.populate_m_u_from_lookup(set(), level, "x", {"x": {2: {"m_probability": tiny, "u_probability": 0.1}}})
        assert (level.m_probability, level.u_probability) == (M_FLOOR, 0.1)
    with pytest.raises(ValueError, match="below the minimum"):
        em.populate_m_u_from_lookup(set(), level, "x", {"x": {2: {"m_probability": 0.0, "u_probability": 0.1}}})


# A pair's level is read back from its weight for the comparison (Splink 5 keeps no comparison vector in
# its output): the level with exactly that weight, even where two levels differ in the last bit only (EM
# can give two rare levels the same m/u ratio but for rounding); of levels that weigh exactly the same,
# the weakest.
SKELETON, NEAR = 0.007614213197973922 / 0.0031282586027111575, 0.005076142131982619 / 0.0020855057351407717
LEVELS = [(0.0, "missing"), (4.5, "exact"), (SKELETON, "skeleton (cross-script)"),
          (NEAR, "near spelling (Dice >= 0.7)"), (1.7, "variant"),
          (1.7, "a level EM never separated from the one above"), (-5.5, "disagree")]


@pytest.mark.parametrize(("weight", "label"), [
    (0.0, "missing"), (4.5, "exact"), (-5.5, "disagree"), (SKELETON, "skeleton (cross-script)"),
    (NEAR, "near spelling (Dice >= 0.7)"), (1.7, "a level EM never separated from the one above"), (-6.0, "disagree"),
])
def test_a_level_is_read_from_its_exact_weight(weight, label):
    from sijill.linkage.model import level_of

    assert SKELETON != NEAR and abs(SKELETON - NEAR) < 1e-9
    assert level_of(LEVELS, weight) == label
