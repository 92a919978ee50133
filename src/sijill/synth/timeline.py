"""Dates as int32 day numbers since 1970-01-01, so that whole columns are numpy arrays."""

from __future__ import annotations

import datetime as dt

import numpy as np

YEAR = 365.2425
NEVER = np.int32(2**31 - 1)  # "has not happened" (death of the living, divorce of a lasting marriage)
_EPOCH = dt.date(1970, 1, 1)


def day(d: dt.date) -> int:
    return (d - _EPOCH).days


def years(x: np.ndarray | float) -> np.ndarray:
    """A number of years as a number of days."""
    return np.asarray(np.asarray(x) * YEAR).astype(np.int64)


def year_of(days: np.ndarray) -> np.ndarray:
    return np.asarray(days, dtype="int64").astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970


def ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = np.asarray(days, dtype="int64").astype("datetime64[D]")
    y = d.astype("datetime64[Y]")
    m = d.astype("datetime64[M]")
    return (
        y.astype(int) + 1970,
        (m - y.astype("datetime64[M]")).astype(int) + 1,
        (d - m.astype("datetime64[D]")).astype(int) + 1,
    )


def from_ymd(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    months = (np.asarray(y) - 1970) * 12 + np.asarray(m) - 1
    return (
        np.asarray(months).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) + np.asarray(d) - 1
    ).astype(np.int32)


def age_at(birth: np.ndarray, when: np.ndarray | int) -> np.ndarray:
    """Whole years of age (close enough for eligibility: a day or so around birthdays)."""
    return ((np.asarray(when, dtype=np.int64) - birth) / YEAR).astype(np.int32)


def uniform_between(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """A day drawn uniformly in [lo, hi] (hi below lo gives lo)."""
    lo = np.asarray(lo, dtype=np.int64)
    span = np.maximum(np.asarray(hi, dtype=np.int64) - lo, 0)
    return (lo + (rng.random(len(lo)) * (span + 1)).astype(np.int64)).astype(np.int32)
