"""The Fellegi–Sunter comparisons of the hub, on encodings only, as Splink comparison dictionaries.

Each comparison is a list of levels (SQL conditions over ``<column>_l`` / ``<column>_r``), strongest
first; Splink turns them into one CASE WHEN. The SQL uses only what DuckDB and Spark share (``=``, ``&``
on BIGINT, ``bit_count``), so one model runs on both engines.
"""

from __future__ import annotations

from .encodings import BLOOM_WORDS

NAME_PARTS = ("given_name", "father_name", "grandfather_name")


def dice_at_least(field: str, threshold: float) -> str:
    """Dice coefficient of two Bloom filters (stored as BLOOM_WORDS 64-bit words) >= threshold."""
    common = " + ".join(f"bit_count({field}_w{i}_l & {field}_w{i}_r)" for i in range(BLOOM_WORDS))
    bits = f"({field}_bits_l + {field}_bits_r)"
    return f"{bits} > 0 AND 2.0 * ({common}) >= {threshold} * {bits}"


def _null(column: str) -> dict:
    return {"sql_condition": f"{column}_l IS NULL OR {column}_r IS NULL", "label_for_charts": "missing",
            "is_null_level": True}


def _equal(column: str, label: str, tf: str | None = None) -> dict:
    level = {"sql_condition": f"{column}_l = {column}_r", "label_for_charts": label}
    if tf:
        level |= {"tf_adjustment_column": tf, "tf_adjustment_weight": 1.0}
    return level


def _level(sql: str, label: str) -> dict:
    return {"sql_condition": sql, "label_for_charts": label}


ELSE = {"sql_condition": "ELSE", "label_for_charts": "disagree"}


def name_part(part: str) -> dict:
    """A part of the name chain. A missing part is neutral (a null level), so a chain without its
    grandfather is not penalised; agreeing on a common name weighs less (term frequencies)."""
    alt = f"{part}_alt"
    levels = [
        _null(f"{part}_skeleton"),
        _equal(part, "exact", tf=part),
        _equal(f"{part}_canonical", "variant or nickname"),
        _level(f"{alt}_l = {part}_r OR {part}_l = {alt}_r OR {alt}_l = {alt}_r", "other reading (محمد علي)"),
        _equal(f"{part}_skeleton", "skeleton (cross-script)"),
        _level(dice_at_least(f"{part}_bloom", 0.85), "similar spelling (Dice >= 0.85)"),
        _level(dice_at_least(f"{part}_bloom", 0.7), "near spelling (Dice >= 0.7)"),
        ELSE,
    ]
    return {"output_column_name": part, "comparison_levels": levels}


def surname() -> dict:
    return {"output_column_name": "surname", "comparison_levels": [
        _null("surname_skeleton"),
        _equal("surname", "exact", tf="surname"),
        _equal("surname_key", "same family name without ال / البو"),
        _equal("surname_skeleton", "skeleton (cross-script)"),
        _level(dice_at_least("surname_bloom", 0.8), "similar spelling (Dice >= 0.8)"),
        ELSE,
    ]}


def mother_name() -> dict:
    return {"output_column_name": "mother_name", "comparison_levels": [
        _null("mother_name_skeleton"),
        _equal("mother_name", "exact"),
        _equal("mother_name_canonical", "variant or nickname"),
        _level(dice_at_least("mother_name_bloom", 0.8), "similar spelling (Dice >= 0.8)"),
        _equal("mother_first", "same first name"),
        ELSE,
    ]}


def birth_date() -> dict:
    """Exact day, day and month swapped, same month, same year, a year apart; a registration
    default date (1 July / 1 January) is trusted to its year only."""
    both_days = "birth_precision_l = 3 AND birth_precision_r = 3"
    return {"output_column_name": "birth_date", "comparison_levels": [
        _null("birth_year"),
        _level(f"{both_days} AND birth_date_l = birth_date_r", "exact date"),
        _level(f"{both_days} AND (birth_date_swapped_l = birth_date_r OR birth_date_l = birth_date_swapped_r)",
               "day and month swapped"),
        _level("birth_month_l = birth_month_r", "same year and month"),
        _level("birth_year_l = birth_year_r AND (birth_precision_l = 1 OR birth_precision_r = 1)",
               "same year (a date known to its year only)"),
        _equal("birth_year", "same year, different day"),
        _level("birth_year_near_l = birth_year_r OR birth_year_l = birth_year_near_r", "a year apart"),
        ELSE,
    ]}


def exact_or_not(column: str, label: str) -> dict:
    return {"output_column_name": column, "comparison_levels": [_null(column), _equal(column, label), ELSE]}


# How often one person's two records carry different national numbers (a clerk's typo, an old card).
# Fixed rather than learnt: the exact stage takes most pairs with equal numbers before the model runs.
NATIONAL_ID_MISMATCH = 0.03


def national_id() -> dict:
    equal = _equal("national_id", "same national ID") | {"m_probability": 1 - NATIONAL_ID_MISMATCH,
                                                          "fix_m_probability": True}
    differ = ELSE | {"label_for_charts": "different national ID", "m_probability": NATIONAL_ID_MISMATCH,
                     "fix_m_probability": True}
    return {"output_column_name": "national_id", "comparison_levels": [_null("national_id"), equal, differ]}


def comparisons() -> list[dict]:
    return [
        *(name_part(p) for p in NAME_PARTS),
        surname(),
        mother_name(),
        birth_date(),
        national_id(),
        exact_or_not("sex", "same sex"),
        exact_or_not("governorate", "same governorate"),
    ]


# Candidate pairs: each blocking token already pairs two fields (never one alone); the national ID
# token catches records whose names were written too differently.
BLOCKING_TOKENS = (
    "national_id",
    "block_given_father",
    "block_given_year",
    "block_father_grandfather",
    "block_mother_year",
    "block_surname_year",
    "block_date_sex",
)
