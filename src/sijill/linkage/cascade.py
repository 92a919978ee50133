"""The hub's cascade: exact tokens, then the Fellegi–Sunter model, then one-to-one assignment.

(1) The same national-ID token and at least one agreeing name part -> ``exact``. (2) Everything else
through blocking and the model -> ``probable`` above the auto threshold, ``review`` in the band below.
(3) One partner record links to at most one beneficiary; a tie goes to review.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from splink import Linker

from sijill.pprl.format.fields import EXACT_STAGE, TIE, TIE_LABEL, Level

from . import calibrate
from . import model as fs
from .comparisons import NAME_PARTS, chosen, present_columns
from .engines import Engine

Progress = Callable[[str], None]

_NAME_AGREES = " OR ".join(
    f"r.{p}_canonical = p.{p}_canonical OR r.{p}_skeleton = p.{p}_skeleton" for p in NAME_PARTS
)


@dataclass
class StageCounts:
    agency: str
    registry_records: int = 0
    partner_records: int = 0
    candidates: int = 0
    exact: int = 0
    probable: int = 0
    review: int = 0
    rejected: int = 0
    ties: int = 0
    # the automatic threshold of this agency's set of fields, as the model's own estimated precision set it
    auto_threshold: float | None = None


@dataclass
class Match:
    """One linked pair with its class, score and explanation (per comparison: level and weight)."""

    registry_ref: str
    partner_ref: str
    match_class: str
    probability: float
    match_weight: float
    explanation: list[dict] = field(default_factory=list)


def _part_level(part: str) -> str:
    """The exact stage's level of one name part, as the index of its ``EXACT_STAGE`` level."""
    return (f"CASE WHEN r.{part}_canonical = p.{part}_canonical THEN 0 "
            f"WHEN r.{part}_skeleton = p.{part}_skeleton THEN 1 "
            f"WHEN r.{part}_skeleton IS NULL OR p.{part}_skeleton IS NULL THEN 2 ELSE 3 END")


def item(field: str, level: Level, weight: float | None = None) -> dict:
    """One comparison of a hit's explanation: the field, its level's code and label, and the weight."""
    return {"field": field, "level": level.label, "code": level.code, "weight": weight}


def exact_stage(engine: Engine, registry: pa.Table, partner: pa.Table, dedupe: bool) -> list[Match]:
    order = "AND r.unique_id < p.unique_id" if dedupe else ""
    rows = engine.rows(f"""
        SELECT r.unique_id, p.unique_id,
               {", ".join(_part_level(p) for p in NAME_PARTS)}
        FROM reg r JOIN par p ON r.national_id = p.national_id {order}
        WHERE {_NAME_AGREES}
    """, {"reg": registry, "par": partner})
    matches = []
    for reg, par, *levels in rows:
        explanation = [item("national_id", EXACT_STAGE["national_id"])]
        explanation += [item(p, EXACT_STAGE["name"][lv]) for p, lv in zip(NAME_PARTS, levels, strict=True)]
        matches.append(Match(reg, par, "exact", 1.0, math.inf, explanation))
    return matches


def model_stage(
    registry: pa.Table, partner: pa.Table, rest: pa.Table, thresholds: fs.Thresholds, *, dedupe: bool,
    model: dict | None, progress: Progress, counts: StageCounts, engine: Engine, swap: str | None = None,
    extra=(),
) -> tuple[list[Match], dict]:
    """Train on all of ``partner`` (unless a model is given), then score only ``rest`` (what the exact
    stage left); returns pairs at or above the review threshold, and the model."""
    link_type = "dedupe_only" if dedupe else "link_only"
    refs = registry["unique_id"] if dedupe else pa.chunked_array([*registry["unique_id"].chunks,
                                                                    *partner["unique_id"].chunks])
    registry, partner, rest = _numbered(registry, partner, rest, dedupe)
    refit = False
    if model is None:
        progress("training the model (prior, u by random sampling, m by EM)")
        present = present_columns(registry) if dedupe else present_columns(registry, partner)
        settings = fs.settings(present, partner.column_names, link_type, swap, extra)
        linker = _linker(engine, registry, partner, settings, dedupe)
        fs.train(linker, present)
        declared = {c.name: c for c in chosen(present, swap, extra)}
        model = fs.with_chain_spelling_shared(fs.with_m_floor(linker.misc.save_model_to_json()), declared)
        refit = not dedupe and fs.prior_is_from_names(present)
    progress("scoring candidate pairs")
    linker = _linker(engine, registry, rest, model, dedupe)
    blocked = linker.inference.compute_blocked_pairs_for_predict()  # cached: predict scores these pairs
    counts.candidates = engine.count(blocked)
    progress(f"{counts.candidates:,} candidate pairs blocked; comparing them")
    predictions = linker.inference.predict(threshold_match_probability=fs.REFIT_FLOOR if refit else thresholds.review)
    table = predictions.as_pyarrow_table()
    if refit:
        table = _with_prior_from_pairs(table, model, registry.num_rows * rest.num_rows, thresholds.review)
        progress(f"prior from the candidate pairs: {model['probability_two_random_records_match']:.3g}")
    for side in ("unique_id_l", "unique_id_r"):  # back to the packages' refs
        table = table.set_column(table.schema.get_field_index(side), side, refs.take(table[side]))
    progress(f"{table.num_rows:,} pairs at or above the review threshold; explaining them")
    weights = fs.level_weights(linker)
    read: dict[tuple[str, float], str] = {}  # ``level_of`` once per distinct weight, not per pair
    declared = {c.name: c for c in chosen(None, swap or "swap", extra)}  # a level's code, by its model label
    codes = {name: {label: comparison.levels[0].code if label == "missing" else comparison.code_of(label)
                    for _, label in weights[name]}
             for name, comparison in declared.items() if name in weights}
    personal = personal_identifiers(registry, partner)
    matches = []
    needed = ("unique_id_", "source_dataset_l", "match_probability", "match_weight", "mw_")  # not Splink's tf_
    for row in table.select([c for c in table.column_names if c.startswith(needed)]).to_pylist():
        reg, par = row["unique_id_l"], row["unique_id_r"]
        if not dedupe and row["source_dataset_l"] != "registry":
            reg, par = par, reg
        explanation = []
        for name, levels in weights.items():
            weight = row.get(f"mw_{name}") or 0.0
            label = read.get((name, weight)) or read.setdefault((name, weight), fs.level_of(levels, weight))
            explanation.append({"field": name, "level": label, "code": codes.get(name, {}).get(label),
                                "weight": round(weight + (row.get(f"mw_tf_adj_{name}") or 0.0), 3)})
        matches.append(Match(reg, par, "review", row["match_probability"], row["match_weight"], explanation))
    family = families_can_outvote(set(weights))
    guarded = [family and _family_only(m.explanation, personal) for m in matches]
    # Pairs not guarded, on the set of fields both packages carry (the model's comparisons): the threshold the
    # model's own estimated precision allows them.
    # A registry matched with itself carries all its fields: the global threshold stays.
    auto = thresholds.auto if dedupe else calibrate.auto_threshold(
        (m.probability for m, g in zip(matches, guarded, strict=True) if not g),
        ceiling=thresholds.auto, floor=thresholds.floor, precision=thresholds.precision)
    counts.auto_threshold = round(auto, 6)
    for m, g in zip(matches, guarded, strict=True):
        if not g and m.probability >= auto:
            m.match_class = "probable"
    return matches, model


# Siblings share father, grandfather, surname and mother; only the given name and the birth date tell
# them apart. The model adds evidence as if the parts were independent, so a sister can outscore the
# doubt her own given name raises: such a pair is never decided automatically, unless the two records
# share a second identifier that is a person's own (see ``personal_identifiers``). The guard reads the
# levels (the table in tests/linkage/sibling_guard.csv). The same given name, or a variant or nickname of
# it, or the same letters with dots a scanner lost or added (زيبب for زينب; of the 339 given names of the
# first world's lists only three pairs differ by dots alone: خليل / جليل, حنان / جنان, رباب / زيان), lets
# the birth date be a little off (a typo, an age guessed a year off). A given name only spelt alike (the
# other script, the skeleton that also makes زهراء of زهرة) or similar needs the same birth date. One spelt
# only nearly alike is never enough: twins are often named alike (حسن and حسين).
SAME_GIVEN_NAME = frozenset({"name.exact", "name.same_or_variant", "name.variant", "name.other_reading", "name.rasm"})
ALIKE_GIVEN_NAME = frozenset({"name.skeleton", "name.swapped", "name.dice_high", "name.missing", ""})
SAME_BIRTH_DATE = frozenset({"date.exact", "date.swapped", "date.year_only"})
# The guard is needed where the family can outvote the person: where both packages carry a name that
# siblings share by birth. Files without them (FEBRL's: a given name, a surname, an address) are decided by
# the model alone, as a clear-text linker would.
FAMILY_FIELDS = frozenset({"father_name", "mother_name"})


def families_can_outvote(compared: set[str]) -> bool:
    """Whether the sibling guard applies to pairs compared on these fields."""
    return bool(FAMILY_FIELDS & compared)


SECOND_IDENTIFIER = "ration_card"
# An identifier is a person's own when (nearly) no two records of one package share it. An Iraqi ration
# card is a household's: its members share it, so agreeing on it is family evidence like the father's name.
SHARED_AT_MOST = 0.01


def personal_identifiers(*tables: pa.Table) -> set[str]:
    """The second identifier when it is a person's own in every package (tables as the engines read them)."""
    for t in tables:
        if SECOND_IDENTIFIER not in t.column_names:
            return set()
        values = t[SECOND_IDENTIFIER].drop_null()
        if not len(values):
            return set()
        counts = pc.value_counts(values).field("counts")
        shared = pc.sum(pc.if_else(pc.greater(counts, 1), counts, 0)).as_py() or 0
        if shared > SHARED_AT_MOST * len(values):
            return set()
    return {SECOND_IDENTIFIER}


def _family_only(explanation: list[dict], personal: set[str] = frozenset()) -> bool:
    """Whether the pair may be two members of one family (see ``SAME_GIVEN_NAME``)."""
    codes = {e["field"]: e.get("code") or "" for e in explanation}
    if any(codes.get(f, "").endswith(".exact") for f in personal):
        return False
    given, born = codes.get("given_name", ""), codes.get("birth_date", "")
    if given in SAME_GIVEN_NAME:
        return born.endswith(".disagree")
    return not (given in ALIKE_GIVEN_NAME and born in SAME_BIRTH_DATE)


def _with_prior_from_pairs(table: pa.Table, model: dict, pairs: int, review: float) -> pa.Table:
    """The pairs rescored with the prior their own expected matches give (``model.prior_from_pairs``), the
    model's prior updated to it, and only the pairs at or above ``review`` kept."""
    old = model["probability_two_random_records_match"]
    weights = table["match_weight"].to_numpy(zero_copy_only=False) - fs.log_odds(old)
    partners = np.maximum(table["unique_id_l"].to_numpy(zero_copy_only=False),
                          table["unique_id_r"].to_numpy(zero_copy_only=False))  # partner rows follow the registry's
    prior = fs.prior_from_pairs(weights, partners, pairs, old)
    model["probability_two_random_records_match"] = prior
    weight = weights + fs.log_odds(prior)
    probability = 1.0 / (1.0 + np.exp2(-weight))
    table = table.set_column(table.schema.get_field_index("match_weight"), "match_weight", pa.array(weight))
    table = table.set_column(table.schema.get_field_index("match_probability"), "match_probability",
                             pa.array(probability))
    return table.filter(pa.array(probability >= review))


def _numbered(registry: pa.Table, partner: pa.Table, rest: pa.Table, dedupe: bool) -> tuple[pa.Table, ...]:
    """The tables with a row number as ``unique_id`` (the partner's after the registry's): Splink joins the
    candidate pairs on it, and a 24-character ref costs DuckDB enough memory to spill at 1M x 1M."""
    def numbered(table: pa.Table, ids: pa.Array) -> pa.Table:
        return table.set_column(table.schema.get_field_index("unique_id"), "unique_id", ids)

    n = registry.num_rows
    registry = numbered(registry, pa.array(np.arange(n, dtype=np.int64)))
    if dedupe:
        return registry, registry, registry
    at = pc.add(pc.index_in(rest["unique_id"], value_set=partner["unique_id"]), n).cast(pa.int64())
    partner = numbered(partner, pa.array(np.arange(n, n + partner.num_rows, dtype=np.int64)))
    return registry, partner, numbered(rest, at)


def _linker(engine: Engine, registry: pa.Table, partner: pa.Table, settings, dedupe: bool) -> Linker:
    tables = {"registry": registry} if dedupe else {"registry": registry, "partner": partner}
    return engine.linker(tables, settings)


def one_to_one(matches: list[Match], counts: StageCounts, tie_margin: float = 1e-9) -> list[Match]:
    """Each partner record keeps its best beneficiary; equal best scores send both pairs to review."""
    by_partner: dict[str, list[Match]] = {}
    for m in matches:
        by_partner.setdefault(m.partner_ref, []).append(m)
    kept = []
    for candidates in by_partner.values():
        if len(candidates) == 1:  # most partner records
            kept.append(candidates[0])
            continue
        candidates.sort(key=lambda m: (m.match_class != "exact", -m.match_weight))
        best = candidates[0]
        # Two exact pairs both weigh infinity (inf - inf is not a number): equal, so a tie too.
        rivals = [c for c in candidates[1:] if c.match_class == best.match_class
                  and (c.match_weight == best.match_weight or abs(c.match_weight - best.match_weight) <= tie_margin)]
        if rivals:
            counts.ties += 1
            for m in (best, *rivals):
                m.match_class = "review"
                m.explanation = [*m.explanation, {"field": "*", "level": TIE_LABEL, "code": TIE, "weight": None}]
            kept += [best, *rivals]
        else:
            kept.append(best)
        counts.rejected += len(candidates) - 1 - len(rivals)
    return kept
