"""Dates as Iraqi records write them, with how precise each one really is."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from . import lexicon
from .errors import InvalidDate
from .text import normalize_text, strip_invisible, to_ascii_digits

# Civil registration wrote 1 July (or 1 January) when only the year of birth was known.
REGISTRATION_DEFAULTS = frozenset({(7, 1), (1, 1)})
MIN_YEAR, MAX_YEAR = 1880, 2100
# What databases write for "no date": refused, or two unknown dates would agree on a year.
PLACEHOLDERS = frozenset({(1900, 1, 1)})
# "1985م" (ميلادي, Gregorian) is the same date; a Hijri date (هـ) is refused rather than misread.
_GREGORIAN_SUFFIX = re.compile(r"\s*(م\.?|ميلادي(ة)?)$")
_HIJRI_SUFFIX = re.compile(r"\s*(هـ|ه\.?|هجري(ة)?)$")


@dataclass(frozen=True, slots=True)
class PartialDate:
    """A date known to ``precision`` "day", "month" or "year"; finer fields are ``None`` beyond it.

    ``registration_default`` marks a 1 July / 1 January date kept as written but trusted only to the
    year.
    """

    year: int
    month: int | None = None
    day: int | None = None
    precision: str = "day"
    registration_default: bool = False

    def __str__(self) -> str:
        if self.precision == "year":
            return f"{self.year:04d}"
        if self.precision == "month":
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    def as_date(self) -> dt.date | None:
        if self.month and self.day:
            return dt.date(self.year, self.month, self.day)
        return None


_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?")
_DMY = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?: .*)?")
_YM = re.compile(r"(\d{4})[-/.](\d{1,2})")
_MY = re.compile(r"(\d{1,2})[-/.](\d{4})")
_YEAR = re.compile(r"(\d{4})")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")  # yyyymmdd, as many databases export dates
_SHORT_YEAR = re.compile(r"\d{1,2}[-/.]\d{1,2}[-/.]\d{2}")


def _month_names() -> dict[str, int]:
    return {k: int(v) for k, v in lexicon.keyed_table("months.tsv").items()}


def _check_year(raw: str, year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidDate(raw, f"year {year} is outside {MIN_YEAR}-{MAX_YEAR}")


def _full(raw: str, year: int, month: int, day: int, swap_ok: bool) -> PartialDate:
    _check_year(raw, year)
    if month == 0 and day == 0:
        return PartialDate(year, None, None, "year")  # 00/00/1960: systems that knew only the year
    if (year, month, day) in PLACEHOLDERS:
        raise InvalidDate(raw, f"{year}-{month:02d}-{day:02d} is a placeholder for a missing date")
    try:
        dt.date(year, month, day)
    except ValueError:
        # A bank system's month/day order reads as a valid date the other way round.
        if swap_ok and day <= 12 < month:
            return _full(raw, year, day, month, swap_ok=False)
        raise InvalidDate(raw, f"no such day: day {day}, month {month}, year {year}") from None
    if (month, day) in REGISTRATION_DEFAULTS:
        return PartialDate(year, month, day, "year", registration_default=True)
    return PartialDate(year, month, day, "day")


def _month(raw: str, year: int, month: int) -> PartialDate:
    _check_year(raw, year)
    if not 1 <= month <= 12:
        raise InvalidDate(raw, f"no month {month}")
    return PartialDate(year, month, None, "month")


@lru_cache(maxsize=100_000)
def parse_date(s: str | None) -> PartialDate:
    """Read ISO, dd/mm/yyyy, d-m-yyyy, yyyy/mm/dd, compact yyyymmdd, month-year, year only, or "2 آذار 1985".

    Arabic-Indic digits are accepted. Two-digit years are refused: 05 may be 1905 or 2005.
    """
    raw = s
    if s is None or not str(s).strip():
        raise InvalidDate(raw, "date is empty")
    text = to_ascii_digits(strip_invisible(str(s))).strip()
    if _HIJRI_SUFFIX.search(text):
        raise InvalidDate(raw, "a Hijri date; give the Gregorian (ميلادي) date")
    text = _GREGORIAN_SUFFIX.sub("", text)
    if m := _ISO.fullmatch(text):
        return _full(raw, int(m[1]), int(m[2]), int(m[3]), swap_ok=False)
    if m := _DMY.fullmatch(text):
        return _full(raw, int(m[3]), int(m[2]), int(m[1]), swap_ok=True)
    if m := _YM.fullmatch(text):
        return _month(raw, int(m[1]), int(m[2]))
    if m := _MY.fullmatch(text):
        return _month(raw, int(m[2]), int(m[1]))
    if (m := _COMPACT.fullmatch(text)) and MIN_YEAR <= int(m[1]) <= MAX_YEAR:
        return _full(raw, int(m[1]), int(m[2]), int(m[3]), swap_ok=False)
    if m := _YEAR.fullmatch(text):
        _check_year(raw, int(m[1]))
        return PartialDate(int(m[1]), None, None, "year")
    if _SHORT_YEAR.fullmatch(text):
        raise InvalidDate(raw, "two-digit year is ambiguous; write the year in full")
    return _with_month_name(raw, normalize_text(text))


def _with_month_name(raw: str, text: str) -> PartialDate:
    words = text.split()
    numbers = [w for w in words if w.isdigit()]
    name = " ".join(w for w in words if not w.isdigit())
    month = _month_names().get(name)
    if month is None or not 1 <= len(numbers) <= 2:
        raise InvalidDate(raw, "not a date in a known format (e.g. 1985-03-02 or 02/03/1985)")
    year = int(numbers[-1])
    if len(numbers) == 1:
        return _month(raw, year, month)
    return _full(raw, year, month, int(numbers[0]), swap_ok=False)
