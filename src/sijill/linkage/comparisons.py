"""The Fellegi–Sunter comparisons of the hub, on encodings only, as Splink comparison dictionaries.

The comparisons and their levels are declared with the encoded fields (``sijill.pprl.format.fields``: one object
per field, each level with a stable code); here they are chosen for a pair of packages. Each comparison
is a list of levels (SQL conditions over ``<column>_l`` / ``<column>_r``), strongest first; Splink turns
them into one CASE WHEN. The SQL uses only what DuckDB and Spark share (``=``, ``&`` on BIGINT,
``bit_count``), so one model runs on both engines.
"""

from __future__ import annotations

from sijill.pprl.format.fields import BLOCK_PREFIX, IDENTIFIER_FIELDS, Comparison, Extra, Fields, dice_at_least

NAME_PARTS = ("given_name", "father_name", "grandfather_name")
IDENTIFIERS = IDENTIFIER_FIELDS  # identifiers block alone (a person's own number)

__all__ = ["BLOCK_PREFIX", "IDENTIFIERS", "NAME_PARTS", "blocking_columns", "chosen", "comparisons",
           "dice_at_least", "present_columns", "swap_column"]


def chosen(present: set[str] | None = None, swap: str | None = None, extra=()) -> list[Comparison]:
    """The comparisons of fields that both sides carry (``present``: columns with at least one value on
    each side; ``None``: all). A field no record of one side has is left out rather than read as missing
    in every pair: the model and each hit's explanation then speak only of what was compared. ``swap``:
    the column of a blocking token of the given name and surname in any order (``swap_column``); ``extra``:
    the cycle's extra fields (``EncodingSpec.extra``), compared when both sides carry them."""
    if present is not None and swap not in present:
        swap = None
    found = Fields(tuple(Extra(x) for x in extra)).comparisons(swap, present)
    return [c for c in found if present is None or c.presence in present]


def comparisons(present: set[str] | None = None, swap: str | None = None, extra=()) -> list[dict]:
    """``chosen`` as Splink comparison dictionaries."""
    return [c.splink() for c in chosen(present, swap, extra)]


def swap_column(blocking) -> str | None:
    """The column of the cycle's blocking token of the given name and surname in any order, if it has one
    (``blocking``: the ``BlockingKey``s of the packages' encoding settings)."""
    for key in blocking:
        if key.any_order and {p.partition(".")[0] for p in key.parts} == {"given_name", "surname"}:
            return BLOCK_PREFIX + key.name
    return None


def blocking_columns(present: set[str], columns: list[str]) -> list[str]:
    """The identifiers and the packages' blocking tokens that both sides carry, in a stable order. Every
    blocking token is made by the encoder from two or more fields (``block_*`` columns, set by the cycle's
    encoding settings), so that no single common name opens a block and one typo does not lose a true pair."""
    return [c for c in (*IDENTIFIERS, *(c for c in columns if c.startswith(BLOCK_PREFIX))) if c in present]


def present_columns(*tables) -> set[str]:
    """Columns that hold at least one value in every given table (pyarrow tables)."""
    names = set(tables[0].column_names)
    for t in tables:
        names &= {c for c in t.column_names if t[c].null_count < t.num_rows}
    return names
