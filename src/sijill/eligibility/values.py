"""Reading payload values as partner clerks wrote them: dates in several formats and digit sets, amounts
with separators. Each distinct text is parsed once (a cycle has many rows but few distinct dates)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from sijill import identity
from sijill.registry.importing.kinds import Invalid
from sijill.registry.importing.kinds import amount as _amount


@lru_cache(maxsize=200_000)
def date_of(text) -> dt.date | None:
    """A day-precise date, or None when empty or unreadable (a rule then raises nothing for the row)."""
    if text is None or text == "":
        return None
    if isinstance(text, dt.date):
        return text
    try:
        return identity.parse_date(str(text)).as_date()
    except identity.IdentityError:
        return None


@lru_cache(maxsize=200_000)
def amount_of(text) -> int | None:
    """Whole dinars, or None when empty or unreadable."""
    if text is None or text == "":
        return None
    if isinstance(text, int):
        return text
    try:
        return _amount(str(text))
    except Invalid:
        return None


@lru_cache(maxsize=10_000)
def same_text(text) -> str:
    """The form two spellings of one value share (hamza, ta marbuta, diacritics)."""
    return identity.normalize_text(str(text or ""))
