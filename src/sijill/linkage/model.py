"""The Fellegi–Sunter model with Splink: settings, unsupervised training, saving and reuse.

Training is unsupervised: the prior from deterministic rules, u by random sampling, m by EM in two
sessions blocked on different tokens so that every comparison is estimated in one of them.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from splink import Linker, SettingsCreator, block_on
from splink.internals.exceptions import EMTrainingException

from .comparisons import IDENTIFIERS, NAME_PARTS, blocking_columns, comparisons


@dataclass(frozen=True)
class Thresholds:
    """``probable`` at or above ``auto`` (chosen for precision: a false hit can cost a family its income), or
    at or above its set of fields' own threshold (``floor`` to ``auto``); ``review`` from ``review`` up to it,
    for a person to decide."""

    auto: float = 0.999
    review: float = 0.80
    # Below ``auto``, a set of fields compared gets its own threshold down to ``floor``: the lowest at which
    # the model's own estimated precision of its automatic pairs stays at ``precision`` (``calibrate``).
    precision: float = 0.998
    floor: float = 0.95


def settings(present: set[str], columns: list[str], link_type: str = "link_only",
             swap: str | None = None, extra=()) -> SettingsCreator:
    """The model's settings for packages whose columns with values on both sides are ``present``
    (``extra``: the cycle's extra fields, ``EncodingSpec.extra``)."""
    return SettingsCreator(
        link_type=link_type,
        unique_id_column_name="unique_id",
        comparisons=comparisons(present, swap, extra),
        blocking_rules_to_generate_predictions=[block_on(t) for t in blocking_columns(present, columns)],
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=False,
    )


MIN_PRIOR = 1e-7


# Deterministic rules for the prior: pairs they find are nearly all one person.
PRIOR_RULES = (
    ("national_id", "given_name_canonical"),
    ("ration_card", "given_name_canonical"),
    ("given_name_skeleton", "father_name_skeleton", "birth_date"),
)
PRIOR_FALLBACK = ("given_name_skeleton", "surname_skeleton", "birth_date")  # packages without a father's name


def _em_sessions(present: set[str]) -> list:
    """Blocking of the EM sessions when national IDs are too few: two of a second identifier, the birth
    date and the name, so that every comparison is estimated in at least one of them."""
    date = ("birth_date", "sex") if "sex" in present else ("birth_date",)
    name = (("given_name_skeleton", "father_name_skeleton") if "father_name_skeleton" in present
            else ("given_name_skeleton", "surname_skeleton"))
    options = [("ration_card",), date, name]
    return [block_on(*cols) for cols in options if set(cols) <= present][:2]


@contextmanager
def _em_zero_m_floored():
    """EM can drive a level's m to 0.0 or below 1e-300 (no pair of that level keeps any match probability
    once it underflows), which Splink 5 refuses with a ValueError mid-session. Such a level is rare, not impossible:
    it gets ``M_FLOOR``, as an unseen level does."""
    from splink.internals import expectation_maximisation as em

    original = em.populate_m_u_from_lookup

    def floored(fixed, level, column, lookup):
        found = lookup.get(column, {}).get(level.comparison_vector_value)
        m = found.get("m_probability") if found is not None else None
        if isinstance(m, float) and m < 1e-300:  # 0.0, or a subnormal Splink refuses as well
            found["m_probability"] = M_FLOOR
        original(fixed, level, column, lookup)

    em.populate_m_u_from_lookup = floored
    try:
        yield
    finally:
        em.populate_m_u_from_lookup = original


def train(linker: Linker, present: set[str], *, seed: int = 1, max_pairs: float = 2e6) -> None:
    """Prior from deterministic rules, u by random sampling, m by EM (see the module docstring)."""
    with _em_zero_m_floored():
        _train(linker, present, seed=seed, max_pairs=max_pairs)


def _train(linker: Linker, present: set[str], *, seed: int, max_pairs: float) -> None:
    t = linker.training
    rules = [r for r in PRIOR_RULES if set(r) <= present] or [PRIOR_FALLBACK]
    t.estimate_probability_two_random_records_match([block_on(*r) for r in rules], recall=0.7)
    settings_obj = linker._settings_obj  # Splink exposes no public setter for the prior
    if not settings_obj._probability_two_random_records_match:
        # No pair met the deterministic rules (a registry without duplicates): a small prior, not zero.
        settings_obj._probability_two_random_records_match = MIN_PRIOR
    t.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
    # Pairs with one national-ID token are nearly all one person: EM there learns every other field.
    # Where an agency has too few IDs, two sessions blocked on name and date tokens learn them instead.
    if "national_id" in present:
        try:
            t.estimate_parameters_using_expectation_maximisation(block_on("national_id"),
                                                                 estimate_without_term_frequencies=True)
            return
        except Exception:  # too few pairs share a national ID: the other sessions learn instead
            pass
    for rule in _em_sessions(present):
        try:
            t.estimate_parameters_using_expectation_maximisation(rule, estimate_without_term_frequencies=True)
        except EMTrainingException:
            # No pair shares this session's tokens (a small extract whose given names are salted with a
            # grandfather it lacks): the other session learns; a run is not lost for want of one.
            continue


# The candidate pairs the prior is refitted on: those at least this probable under the rule's prior. Below
# it a pair adds under a hundredth of a match even at a prior ten times higher, and a national extract's
# tens of millions of such pairs would not fit in memory with their comparison columns.
REFIT_FLOOR = 0.001


def prior_is_from_names(present: set[str]) -> bool:
    """Whether ``_train`` took the prior from a rule on names and the birth date alone (no rule of an
    identifier applies to these columns)."""
    return not any(set(rule) <= present and set(rule) & set(IDENTIFIERS) for rule in PRIOR_RULES)


def log_odds(probability: float) -> float:
    """A probability as Splink's match weights count it: log2 of its odds."""
    return math.log2(probability / (1 - probability))


def prior_from_pairs(weights: np.ndarray, partners: np.ndarray, pairs: int, prior: float,
                     rounds: int = 100) -> float:
    """The prior at which the candidate pairs' expected matches are as many as the prior says.

    The rule-based prior assumes its rule finds 70 % of true pairs. On an extract of names and a guessed age
    the rule (given, father, full date) finds far fewer, so the prior is several times too small and every
    pair scores too low (world B's death register: 2.8e-6 against a true 1.9e-5). This is EM's update of the
    prior with m and u held: ``weights`` are the candidate pairs' match weights less the prior's log-odds,
    ``partners`` each pair's partner record (one record is at most one match: its expected matches are capped
    at one), ``pairs`` all registry x partner pairs. Never below ``prior``: where the rule's recall holds, the
    candidates' sum adds only noise."""
    if not len(weights) or pairs <= 0:
        return prior
    _, group = np.unique(partners, return_inverse=True)
    current = prior
    for _ in range(rounds):
        p = 1.0 / (1.0 + np.exp2(-(weights + log_odds(current))))
        expected = np.minimum(np.bincount(group, weights=p), 1.0).sum()
        updated = min(max(expected / pairs, prior), 0.5)
        if abs(updated - current) <= 1e-3 * current:
            return updated
        current = updated
    return current


# A level never seen among the training matches (a birth date that disagrees, say) is rare, not
# impossible: it gets this m rather than Splink's default, so it counts as strong evidence against.
M_FLOOR = 0.001


def with_m_floor(model: dict) -> dict:
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if not level.get("is_null_level") and level.get("m_probability") is None:
                level["m_probability"] = M_FLOOR
    return model


# A scanner's lost dot, a keyboard slip or a romanisation errs alike in every part of the name chain, so
# among true pairs a given name is as often "only spelt alike" as a father's name is. EM estimates each part
# alone, and where one part's level is rare in its training pairs it leaves that level at the floor: a given
# name with a lost dot then weighs nothing (-0.3) while the father's with the same lost dot weighs +6.4.
SPELLING_LEVELS = ("name.skeleton", "name.rasm", "name.dice_high", "name.dice_near")


def with_chain_spelling_shared(model: dict, declared: dict) -> dict:
    """Each spelling level's m, the mean over the chain's parts (given, father's, grandfather's name), the
    part's other levels scaled so that its m still sum to one. ``declared``: comparison name -> its
    ``Comparison`` (to read a level's code from its label)."""
    chain = [c for c in model["comparisons"] if c["output_column_name"] in NAME_PARTS
             and c["output_column_name"] in declared]
    if len(chain) < 2:
        return model

    def spelling(comparison: dict) -> dict[str, dict]:
        found = declared[comparison["output_column_name"]]
        return {code: lv for lv in comparison["comparison_levels"]
                if (code := found.code_of(lv.get("label_for_charts"))) in SPELLING_LEVELS}

    levels = [spelling(c) for c in chain]
    shared = {code: sum(lv[code]["m_probability"] for lv in levels) / len(levels)
              for code in SPELLING_LEVELS if all(code in lv for lv in levels)}
    for comparison, own in zip(chain, levels, strict=True):
        tied = [own[code] for code in shared]
        others = [lv for lv in comparison["comparison_levels"]
                  if not lv.get("is_null_level") and all(lv is not t for t in tied)]
        rest = sum(lv["m_probability"] for lv in others)
        for code, m in shared.items():
            own[code]["m_probability"] = m
        scale = (1 - sum(shared.values())) / rest if rest else 1.0
        for lv in others:
            lv["m_probability"] *= scale
    return model


def level_weights(linker: Linker) -> dict[str, list[tuple[float, str]]]:
    """For each comparison, (match weight, label) of its levels as Splink scores them: Splink reports a
    pair's weight per comparison, and the level is the one with that weight. Read from Splink's own levels,
    not the saved model: a level whose u random sampling never met still gets a weight there (from
    Splink's defaults), and reading it as "missing" would let the sibling guard pass a near spelling."""
    out: dict[str, list[tuple[float, str]]] = {}
    for comparison in linker._settings_obj.comparisons:
        out[comparison.output_column_name] = [
            (0.0, "missing") if lvl.is_null_level else (lvl._match_weight, lvl.label_for_charts)
            for lvl in comparison.comparison_levels if lvl.is_null_level or lvl._match_weight is not None]
    return out


def level_of(levels: list[tuple[float, str]], weight: float) -> str:
    """The level with exactly this weight (Splink writes each level's weight into its SQL as Python prints
    it); of levels that weigh exactly the same, the weakest (the last), the cautious reading for the sibling
    guard; else the nearest."""
    exact = [label for w, label in levels if w == weight]
    return exact[-1] if exact else min(levels, key=lambda wl: abs(wl[0] - weight))[1]
