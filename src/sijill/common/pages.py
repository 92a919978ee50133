"""Paging through lists: the page number as a user may type it."""

from __future__ import annotations

from sijill.identity.text import to_ascii_digits


def page_number(params) -> int:
    """The page asked for, in Latin or Arabic-Indic digits (1 when absent or not a number)."""
    value = to_ascii_digits(params.get("page", "1"))
    return int(value) if value.isdigit() else 1
