"""From packages to opened hits: a stand-in hub (DuckDB over the Parquet files), then `sijill hits open`."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pprl_world import read_csv
from typer.testing import CliRunner

from sijill.cli import app
from sijill.pprl.format import Package, PackageError, TrustStore, hits_table, open_package, read_hits, write_hits
from sijill.pprl.holder import HolderKeys
from sijill.pprl.holder.tokens import dice
from sijill.pprl.registry import RegistryKeys, open_hits

runner = CliRunner()


def said(result) -> str:
    return " ".join(result.output.split())

DICE = "2 * bit_count(r.{f}::BIT & p.{f}::BIT) / (bit_count(r.{f}::BIT) + bit_count(p.{f}::BIT))"


def stand_in_hub(registry: Package, partner: Package) -> pa.Table:
    """The exact class of the cascade: same national-ID token and at least one agreeing name part.

    Only what a hub has is used: the packages (no key). The real engine is ``sijill.linkage``.
    """
    sql = f"""
        select r.ref as registry_ref, p.ref as partner_ref, p.payload,
               r.given_name = p.given_name as given_agrees, r.father_name = p.father_name as father_agrees,
               {DICE.format(f="given_name_bloom")} as given_dice
        from read_parquet('{registry.encodings_path}') r
        join read_parquet('{partner.encodings_path}') p on r.national_id = p.national_id
        where r.given_name = p.given_name or r.father_name = p.father_name
    """
    pairs = duckdb.sql(sql).fetchall()
    return hits_table([
        {"cycle": partner.manifest.cycle, "registry_ref": r_ref, "agency": partner.agency, "partner_ref": p_ref,
         "match_class": "exact", "probability": 1.0, "match_weight": 20.0,
         "explanation": [{"field": "national_id", "level": "exact", "weight": 15.0},
                         {"field": "given_name", "level": "exact" if given else f"bloom {dice_:.2f}", "weight": 3.0},
                         {"field": "father_name", "level": "exact" if father else "disagree", "weight": 2.0}],
         "payload_key": partner.manifest.sealed_payload_key, "payload": payload}
        for r_ref, p_ref, payload, given, father, dice_ in pairs])


@pytest.fixture
def hub(world, packages) -> list[Package]:
    trust = TrustStore.from_dir(world / "keys" / "registry")
    return [open_package(packages[w].package, trust) for w in ("registry", "courts")]


@pytest.fixture
def hits(hub, tmp_path) -> pa.Table:
    table = stand_in_hub(*hub)
    write_hits(tmp_path / "hits.parquet", table, hub)
    return table


def test_the_registry_opens_its_hits(world, packages, hits, tmp_path):
    assert hits.num_rows == 2
    result = runner.invoke(app, ["hits", "open", str(tmp_path / "hits.parquet"), "--keys",
                                 str(world / "keys" / "registry"), "--map", str(packages["registry"].map),
                                 "--out", str(tmp_path / "opened.csv")])
    assert result.exit_code == 0, result.output
    assert "2 hits opened" in said(result)
    opened = {r["registry_record_id"]: r for r in read_csv(tmp_path / "opened.csv")}
    assert opened.keys() == {"B001", "B002"}
    assert (opened["B001"]["partner_record_id"], opened["B001"]["payload.court"],
            opened["B001"]["payload.contract_date"]) == ("C-17", "Karkh", "2024-03-02")
    assert opened["B002"]["agency"] == "courts" and opened["B002"]["match_class"] == "exact"
    assert "national_id=exact(+15.0)" in opened["B001"]["agreement"]
    assert oct((tmp_path / "opened.csv").stat().st_mode)[-3:] == "600"
    as_parquet = runner.invoke(app, ["hits", "open", str(tmp_path / "hits.parquet"), "--keys",
                                     str(world / "keys" / "registry"), "--map", str(packages["registry"].map),
                                     "--out", str(tmp_path / "opened.parquet")])
    assert as_parquet.exit_code == 0 and pq.read_table(tmp_path / "opened.parquet").num_rows == 2


def test_hits_on_dummies_are_dropped(world, packages, tmp_path):
    trust = TrustStore.from_dir(world / "keys" / "registry")
    courts = open_package(packages["courts"].package, trust)
    dummy = next(m["ref"] for m in read_csv(packages["courts"].map) if m["dummy"] == "true")
    registry_dummy = next(m["ref"] for m in read_csv(packages["registry"].map) if m["dummy"] == "true")
    registry_real = next(m["ref"] for m in read_csv(packages["registry"].map) if m["dummy"] == "false")
    rows = {r["ref"]: r for r in courts.read().to_pylist()}
    table = hits_table([
        {"cycle": courts.manifest.cycle, "registry_ref": reg, "agency": "courts", "partner_ref": dummy,
         "match_class": "review", "probability": 0.5, "match_weight": 0.0, "explanation": None,
         "payload_key": courts.manifest.sealed_payload_key, "payload": rows[dummy]["payload"]}
        for reg in (registry_real, registry_dummy)])
    write_hits(tmp_path / "hits.parquet", table, [courts])
    opened = open_hits(tmp_path / "hits.parquet", RegistryKeys.load(world / "keys" / "registry"),
                            [packages["registry"].map], TrustStore.from_dir(world / "keys" / "registry"))
    assert opened.rows == [] and opened.dropped_dummies == 2


def test_a_swapped_payload_is_refused_by_the_command(world, packages, hub, hits, tmp_path):
    swapped = hits.set_column(hits.schema.get_field_index("payload"), "payload",
                              pa.array(list(reversed(hits["payload"].to_pylist())), pa.binary()))
    write_hits(tmp_path / "swapped.parquet", swapped, hub)
    result = runner.invoke(app, ["hits", "open", str(tmp_path / "swapped.parquet"), "--keys",
                                 str(world / "keys" / "registry"), "--map", str(packages["registry"].map),
                                 "--out", str(tmp_path / "x.csv")])
    assert result.exit_code == 1 and "belongs to another record" in said(result)


def test_a_payload_forged_with_the_registry_public_key_is_refused(world, packages, hub, hits, tmp_path):
    """The registry's key is public: anyone can seal to it. Only the key the partner signed is accepted."""
    from nacl.public import PublicKey, SealedBox

    from sijill.pprl.format.keyfiles import Secret
    from sijill.pprl.holder.payload import Plaintexts, encrypt

    registry_public = HolderKeys.load(world / "keys" / "courts").registry_public
    forged_key = Secret(bytes(32))
    ref = hits["partner_ref"][0].as_py()
    payload = encrypt(forged_key, Plaintexts("courts", ("court",)).records([ref], ["C-99"], [["forged"]]))[0]
    forged = hits.slice(0, 1).to_pylist()[0] | {
        "payload_key": SealedBox(PublicKey(registry_public)).encrypt(forged_key.reveal()), "payload": payload}
    write_hits(tmp_path / "forged.parquet", hits_table([forged]), hub)
    result = runner.invoke(app, ["hits", "open", str(tmp_path / "forged.parquet"), "--keys",
                                 str(world / "keys" / "registry"), "--map", str(packages["registry"].map),
                                 "--out", str(tmp_path / "x.csv")])
    assert result.exit_code == 1 and "not the one courts signed" in said(result)


def test_hits_carry_the_manifests_of_every_agency_they_name(hub, hits, tmp_path):
    with pytest.raises(PackageError, match="packages were not given: courts"):
        write_hits(tmp_path / "x.parquet", hits, [hub[0]])


def test_a_partner_cannot_open_hits(world, packages, hits, tmp_path):
    result = runner.invoke(app, ["hits", "open", str(tmp_path / "hits.parquet"), "--keys",
                                 str(world / "keys" / "courts"), "--map", str(packages["registry"].map),
                                 "--out", str(tmp_path / "x.csv")])
    assert result.exit_code == 1 and "only the registry's key directory can open payloads" in said(result)


def test_hits_must_follow_the_schema(tmp_path):
    with pytest.raises(PackageError, match="unknown match classes"):
        hits_table([{"cycle": "c", "registry_ref": "a", "agency": "x", "partner_ref": "b",
                          "match_class": "certain", "probability": 1.0, "match_weight": 1.0, "explanation": [],
                          "payload_key": b"", "payload": b""}])
    pq.write_table(pa.table({"x": [1]}), tmp_path / "other.parquet")
    with pytest.raises(PackageError, match="not a hits file"):
        read_hits(tmp_path / "other.parquet")


def test_the_hub_can_compare_bloom_filters_in_sql(world, packages):
    trust = TrustStore.from_dir(world / "keys" / "registry")
    registry, courts = (open_package(packages[w].package, trust) for w in ("registry", "courts"))
    sql = f"""select r.given_name_bloom, p.given_name_bloom, {DICE.format(f="given_name_bloom")}
              from read_parquet('{registry.encodings_path}') r, read_parquet('{courts.encodings_path}') p
              where r.given_name_bloom is not null and p.given_name_bloom is not null limit 50"""
    for a, b, similarity in duckdb.sql(sql).fetchall():
        assert similarity == pytest.approx(dice(a, b))
