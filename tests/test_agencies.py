"""One file per data holder (src/sijill/agencies/): each layer finds its section there, and nothing about an agency
is declared anywhere else."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml

from sijill.pprl.format import load_schema
from sijill.pprl.format.schema import example_schemas
from sijill.synth.config import Mess, default_agencies

FILES = {p.name.removesuffix(".yaml"): yaml.safe_load(p.read_text(encoding="utf-8"))
         for p in resources.files("sijill").joinpath("agencies").iterdir() if p.name.endswith(".yaml")}
PARTNERS = sorted(code for code, data in FILES.items() if "agreement" in data)
RULES = yaml.safe_load((resources.files("sijill.eligibility") / "data" / "rules.yaml").read_text(encoding="utf-8"))


def test_the_registry_and_ten_partners_each_have_their_file():
    assert "registry" in FILES and "agreement" not in FILES["registry"]
    assert len(PARTNERS) == 10


@pytest.mark.parametrize("code", PARTNERS)
def test_a_partner_s_file_holds_its_agreement_schema_rules_and_generator(code):
    data = FILES[code]
    assert data["code"] == code and data["name_ar"] and data["name_en"]
    assert data["agreement"]["purpose"] and data["agreement"]["feed_every_days"] > 0
    schema = load_schema(f"example:{code}")
    assert schema.agency == code and schema.payload, "the payload its agreement allows"
    assert set(data["synth"]["mess"]) <= set(Mess.knobs())
    assert default_agencies()[code].title == data["synth"]["title"]


@pytest.mark.parametrize("code", PARTNERS)
def test_the_rules_a_partner_feeds_are_the_rules_that_name_it(code):
    named = [r["code"] for r in RULES if r["agency"] == code]
    assert FILES[code]["rules"] == named


def test_every_rule_of_an_agency_names_a_payload_column_it_sends():
    for rule in RULES:
        if not rule["agency"]:
            continue
        payload = set(load_schema(f"example:{rule['agency']}").payload)
        date_field = rule["parameters"].get("date_field")
        assert date_field is None or date_field in payload, (rule["code"], date_field)


def test_the_schemas_the_holders_encode_with_are_the_agencies_files():
    assert set(example_schemas()) == set(FILES)
