"""The trained model's spelling levels are shared along the name chain (``linkage.model``)."""

from __future__ import annotations

import math

import pytest

from sijill.linkage.comparisons import chosen
from sijill.linkage.model import SPELLING_LEVELS, with_chain_spelling_shared

DECLARED = {c.name: c for c in chosen()}
RASM = "same letters, dots differ (scanned)"


def _model(m_by_part: dict[str, dict[str, float]]) -> dict:
    """A saved model whose chain comparisons carry every declared level, with the given m where stated and
    the rest of each part's mass on "exact"."""
    comparisons = []
    for name, given in m_by_part.items():
        levels = []
        for lv in DECLARED[name].levels:
            entry = lv.splink()
            if not entry.get("is_null_level"):
                entry["m_probability"] = given.get(lv.label, 0.0)
            levels.append(entry)
        exact = next(e for e in levels if e["label_for_charts"] == "exact")
        exact["m_probability"] = 1 - sum(given.values())
        comparisons.append({"output_column_name": name, "comparison_levels": levels})
    return {"comparisons": comparisons}


def _m(model: dict, name: str, label: str) -> float:
    comparison = next(c for c in model["comparisons"] if c["output_column_name"] == name)
    return next(lv["m_probability"] for lv in comparison["comparison_levels"] if lv["label_for_charts"] == label)


CASES = [
    # m of the rasm level per part (given, father's, grandfather's) as EM left them, the shared m, why
    ((0.001, 0.059, 0.049), 0.036333, "EM never met a scanned given name among its pairs: it gets the chain's rate"),
    ((0.02, 0.02, 0.02), 0.02, "the parts already agree: nothing moves"),
]


@pytest.mark.parametrize(("rasm", "shared", "why"), CASES)
def test_a_spelling_level_weighs_alike_in_every_part_of_the_chain(rasm, shared, why):
    parts = ("given_name", "father_name", "grandfather_name")
    model = _model({p: {RASM: m, "disagree": 0.02} for p, m in zip(parts, rasm, strict=True)})
    out = with_chain_spelling_shared(model, DECLARED)
    for p in parts:
        assert _m(out, p, RASM) == pytest.approx(shared, abs=1e-6), why
        levels = next(c for c in out["comparisons"] if c["output_column_name"] == p)["comparison_levels"]
        assert math.fsum(lv["m_probability"] for lv in levels if not lv.get("is_null_level")) == pytest.approx(1)


def test_the_other_levels_keep_their_proportions():
    model = _model({"given_name": {RASM: 0.001, "variant or nickname": 0.3, "disagree": 0.02},
                    "father_name": {RASM: 0.059, "disagree": 0.02}})
    out = with_chain_spelling_shared(model, DECLARED)
    ratio = _m(out, "given_name", "variant or nickname") / _m(out, "given_name", "exact")
    assert ratio == pytest.approx(0.3 / (1 - 0.321))  # a nickname stays the given name's own: not shared
    assert _m(out, "father_name", "variant or nickname") == 0.0


def test_a_lone_part_and_the_surname_are_left_alone():
    """The chain needs two parts to share anything; the surname (a tribal name against a laqab) errs its own way."""
    alone = _model({"given_name": {RASM: 0.001}})
    assert _m(with_chain_spelling_shared(alone, DECLARED), "given_name", RASM) == 0.001
    with_surname = _model({"given_name": {RASM: 0.001}, "father_name": {RASM: 0.05}, "surname": {RASM: 0.2}})
    assert _m(with_chain_spelling_shared(with_surname, DECLARED), "surname", RASM) == 0.2


def test_the_shared_levels_are_the_spelling_ones():
    codes = {lv.code for lv in DECLARED["given_name"].levels}
    assert set(SPELLING_LEVELS) <= codes


# --- the prior from the candidate pairs' own expected matches (``prior_from_pairs``) ---------------------------

def _prior(weights, partners, pairs=1_000_000, prior=1e-6):
    import numpy as np

    from sijill.linkage.model import prior_from_pairs

    return prior_from_pairs(np.array(weights, float), np.array(partners), pairs, prior)


def test_a_prior_the_rule_set_too_small_rises_to_the_matches_the_pairs_hold():
    """Forty clear pairs (Bayes factor 2^40) among a million: the prior is 4e-5 whatever the rule said."""
    weights = [40.0] * 40 + [-20.0] * 5_000
    assert _prior(weights, range(len(weights))) == pytest.approx(40 / 1_000_000, rel=1e-3)


def test_a_partner_record_counts_once_however_many_beneficiaries_it_meets():
    """A common name meets fifty registry records with the same strong weight: one death, not fifty."""
    assert _prior([40.0] * 50, [7] * 50) == pytest.approx(1 / 1_000_000, rel=1e-3)


def test_the_prior_never_falls_below_the_rules():
    assert _prior([-30.0] * 100, range(100), prior=1e-5) == 1e-5
    assert _prior([], [], prior=1e-5) == 1e-5


def test_doubtful_pairs_count_by_their_probability_at_the_new_prior():
    """A pair that agrees on names and a guessed year (2^17 against a prior of 2^-20): 1 in 8 at the rule's
    prior; with a hundred sure pairs lifting the prior to 1e-4 it counts about as 0.93."""
    weights = [40.0] * 100 + [17.0] * 10
    prior = _prior(weights, range(len(weights)))
    assert 100 / 1_000_000 < prior < 111 / 1_000_000


def test_a_training_session_that_meets_no_pair_does_not_lose_the_run():
    """A small extract whose salted given names never agree under one session's tokens: Splink refuses that
    session; the other still trains (a flaky cycle run on PostgreSQL in CI, 2026-12-05)."""
    from splink.internals.exceptions import EMTrainingException

    from sijill.linkage.model import _train

    sessions = []

    class Training:
        def estimate_probability_two_random_records_match(self, rules, recall):
            pass

        def estimate_u_using_random_sampling(self, max_pairs, seed):
            pass

        def estimate_parameters_using_expectation_maximisation(self, rule, **_):
            sessions.append(rule)
            if len(sessions) == 1:
                raise EMTrainingException("Training rule resulted in no record pairs")

    class Linker:
        training = Training()
        _settings_obj = type("Settings", (), {"_probability_two_random_records_match": 1e-5})()

    _train(Linker(), {"birth_date", "sex", "given_name_skeleton", "father_name_skeleton"}, seed=1, max_pairs=10)
    assert len(sessions) == 2


@pytest.mark.parametrize(("present", "from_names"), [
    ({"national_id", "given_name_canonical", "father_name_skeleton", "birth_date"}, False),  # an ID and a name
    ({"ration_card", "given_name_canonical", "birth_date"}, False),  # the ration card's own rule
    ({"given_name_skeleton", "father_name_skeleton", "birth_date"}, True),  # a death register
    ({"national_id", "given_name_skeleton", "birth_date"}, True),  # an ID column but no rule of it applies
])
def test_the_prior_is_refitted_only_where_no_identifier_rule_set_it(present, from_names):
    from sijill.linkage.model import prior_is_from_names

    assert prior_is_from_names(present) is from_names
