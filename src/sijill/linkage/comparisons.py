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
    # DuckDB's bit_count of a BIGINT is a TINYINT: eight of them summed overflow past 127 common bits (two
    # long names), so each is widened first.
    common = " + ".join(f"CAST(bit_count({field}_w{i}_l & {field}_w{i}_r) AS INTEGER)" for i in range(BLOOM_WORDS))
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


def _swapped(swap: str | None, label: str) -> list[dict]:
    """A level for a given name and surname written in each other's place, when the cycle's encoding has
    a blocking token of the two in any order (``swap``, its column): per-field keys cannot see a swap."""
    return [_level(f"{swap}_l = {swap}_r", label)] if swap else []


def name_part(part: str, swap: str | None = None) -> dict:
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
        *(_swapped(swap, "written as the surname (swapped)") if part == "given_name" else []),
        ELSE,
    ]
    return {"output_column_name": part, "comparison_levels": levels}


def surname(swap: str | None = None) -> dict:
    return {"output_column_name": "surname", "comparison_levels": [
        _null("surname_skeleton"),
        _equal("surname", "exact", tf="surname"),
        _equal("surname_key", "same family name without ال / البو"),
        _equal("surname_skeleton", "skeleton (cross-script)"),
        _level(dice_at_least("surname_bloom", 0.8), "similar spelling (Dice >= 0.8)"),
        _level(dice_at_least("surname_bloom", 0.7), "near spelling (Dice >= 0.7)"),
        *_swapped(swap, "written as the given name (swapped)"),
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


def second_identifier() -> dict:
    """The ration card, or another agency's own person number carried in its place (learnt, not fixed:
    an Iraqi ration card is a household's, so agreeing on it is weaker evidence than a national ID)."""
    return exact_or_not("ration_card", "same ration card or agency number") | {"comparison_description":
                                                                                 "second identifier"}


# Each comparison and the column that tells whether a package carries its field at all.
_COMPARISONS = (
    *((lambda swap, p=p: name_part(p, swap), f"{p}_skeleton") for p in NAME_PARTS),
    (lambda swap: surname(swap), "surname_skeleton"),
    (lambda _: mother_name(), "mother_name_skeleton"),
    (lambda _: birth_date(), "birth_year"),
    (lambda _: national_id(), "national_id"),
    (lambda _: second_identifier(), "ration_card"),
    (lambda _: exact_or_not("sex", "same sex"), "sex"),
    (lambda _: exact_or_not("governorate", "same governorate"), "governorate"),
)


def extra_field(field, present: set[str] | None = None) -> dict:
    """An extra field of the cycle (``pprl.schema.ExtraField``: declared by the schemas, not the hub): the
    same token (term-frequency adjusted: agreeing on a common locality weighs less), then for ``text`` the
    Bloom filters' Dice bands; missing on either side is neutral."""
    token, bloom = field.token_column, field.bloom_column
    has_token = present is None or token in present
    levels = [_null(f"{bloom}_bits" if bloom else token)]
    if has_token:
        levels.append(_equal(token, "exact", tf=token))
    if bloom:
        levels += [_level(dice_at_least(bloom, 0.85), "similar (Dice >= 0.85)"),
                   _level(dice_at_least(bloom, 0.7), "near (Dice >= 0.7)")]
    return {"output_column_name": field.name, "comparison_levels": [*levels, ELSE],
            "comparison_description": f"extra field ({field.kind})"}


def _extra_present(field, present: set[str] | None) -> bool:
    return present is None or (f"{field.bloom_column}_bits" if field.bloom_column else field.token_column) in present


def comparisons(present: set[str] | None = None, swap: str | None = None, extra=()) -> list[dict]:
    """The comparisons of fields that both sides carry (``present``: columns with at least one value on
    each side; ``None``: all). A field no record of one side has is left out rather than read as missing
    in every pair: the model and each hit's explanation then speak only of what was compared. ``swap``:
    the column of a blocking token of the given name and surname in any order (``swap_column``); ``extra``:
    the cycle's extra fields (``EncodingSpec.extra``), compared when both sides carry them."""
    if present is not None and swap not in present:
        swap = None
    out = [make(swap) for make, column in _COMPARISONS if present is None or column in present]
    return out + [extra_field(x, present) for x in extra if _extra_present(x, present)]


def swap_column(blocking) -> str | None:
    """The column of the cycle's blocking token of the given name and surname in any order, if it has one
    (``blocking``: the ``BlockingKey``s of the packages' encoding settings)."""
    for key in blocking:
        if key.any_order and {p.partition(".")[0] for p in key.parts} == {"given_name", "surname"}:
            return BLOCK_PREFIX + key.name
    return None


# Identifiers block alone (a person's own number); every other blocking token is made by the encoder
# from two or more fields (``block_*`` columns, set by the cycle's encoding settings), so that no single
# common name opens a block and one typo does not lose a true pair.
IDENTIFIERS = ("national_id", "ration_card")
BLOCK_PREFIX = "block_"


def blocking_columns(present: set[str], columns: list[str]) -> list[str]:
    """The identifiers and the packages' blocking tokens that both sides carry, in a stable order."""
    return [c for c in (*IDENTIFIERS, *(c for c in columns if c.startswith(BLOCK_PREFIX))) if c in present]


def present_columns(*tables) -> set[str]:
    """Columns that hold at least one value in every given table (pyarrow tables)."""
    names = set(tables[0].column_names)
    for t in tables:
        names &= {c for c in t.column_names if t[c].null_count < t.num_rows}
    return names
