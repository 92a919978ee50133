"""Damaan's contribution arithmetic, as tables of cases a directorate accountant can review
(data/damaan_contributions.csv, data/damaan_penalties.csv), and its invariants as properties."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt

import pytest
from conftest import DATA
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sijill.damaan import contributions as c


def _cases(name: str) -> list[dict]:
    with open(DATA / name, encoding="utf-8") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def _month(text: str) -> dt.date:
    return dt.date.fromisoformat(f"{text}-01")


@pytest.fixture
def mid_year_table(db):
    """A second version in force from July 2025, added beside the shipped one (as a real change would be)."""
    from sijill.damaan.models import RateTable

    shipped = RateTable.objects.get(version="law18-2023")
    return RateTable.objects.create(**{**{f.name: getattr(shipped, f.name) for f in RateTable._meta.fields
                                          if f.name not in ("id",)},
                                       "version": "test-2025-07", "valid_from": dt.date(2025, 7, 1),
                                       "employer_bp": 1300, "minimum_wage": 400_000, "source": "test"})


@pytest.mark.parametrize("case", _cases("damaan_contributions.csv"), ids=lambda r: r["case"])
def test_contribution_of_one_worker_for_one_month(case, mid_year_table):
    from sijill.damaan.tables import table_for

    table = table_for(_month(case["month"]))
    assert table.version == case["table"], "the month is assessed under the version in force on its first day"
    figures = c.line(int(case["wage"]), int(case["allowances"]), case["sector"], table.rates())
    assert (figures.base, figures.worker, figures.employer) == (int(case["base"]), int(case["worker"]),
                                                                int(case["employer"])), case["note"]


@pytest.mark.parametrize("case", _cases("damaan_penalties.csv"), ids=lambda r: r["case"])
def test_delay_fine(case, db):
    from sijill.damaan.tables import rates_for

    month = _month(case["month"])
    payments = [(dt.date.fromisoformat(p.split(":")[0]), int(p.split(":")[1]))
                for p in case["payments"].split(";") if p]
    fine = c.penalty(month, int(case["principal"]), payments, dt.date.fromisoformat(case["today"]), rates_for(month))
    assert fine == int(case["penalty"]), case["note"]


# Arithmetic on integers: fast, but the shared test machine can be slow; no timing checks.
PROPERTY = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
RATES = c.Rates("t", dt.date(2023, 11, 28), 500, 1200, 2500, 350_000, 5, 1, 120, 100)


@PROPERTY
@given(st.integers(0, 50_000_000), st.integers(0, 5_000_000), st.sampled_from(c.SECTORS))
def test_the_base_stays_between_the_floor_and_the_ceiling(wage, allowances, sector):
    f = c.line(wage, allowances, sector, RATES)
    assert RATES.minimum_wage <= f.base <= RATES.ceiling
    assert f.base == wage + allowances or f.base in (RATES.minimum_wage, RATES.ceiling)
    assert 0 <= f.worker <= f.base and 0 <= f.employer <= f.base


@PROPERTY
@given(st.integers(0, 5_000_000), st.integers(0, 5_000_000))
def test_a_higher_wage_never_costs_less(a, b):
    low, high = sorted((a, b))
    assert c.line(low, 0, "private", RATES).total <= c.line(high, 0, "private", RATES).total


@PROPERTY
@given(st.integers(1, 10_000_000), st.integers(0, 400), st.integers(0, 400))
def test_paying_later_never_lowers_the_fine(principal, early, late):
    month = dt.date(2025, 1, 1)
    due = c.due_date(month, RATES)
    first = c.penalty(month, principal, [(due + dt.timedelta(days=early), principal)], dt.date(2027, 1, 1), RATES)
    later = c.penalty(month, principal, [(due + dt.timedelta(days=early + late), principal)], dt.date(2027, 1, 1),
                      RATES)
    assert first <= later


def test_percentages_are_read_exactly():
    assert [c.pct_to_bp(t) for t in ("5", "12", "12.5", "0.25")] == [500, 1200, 1250, 25]
    with pytest.raises(ValueError):
        c.pct_to_bp("twelve")


def test_a_shipped_version_is_never_edited_by_a_new_release(db, monkeypatch):
    from sijill.damaan import tables

    original = tables._rows

    def changed(name):
        rows = original(name)
        if name == "rates.csv":
            rows = [(n, {**row, "worker_pct": "6"}) for n, row in rows]
        return rows

    monkeypatch.setattr(tables, "_rows", changed)
    with pytest.raises(tables.TableError, match=r"rates.csv, row 7: version law18-2023 .* must be a new version"):
        tables.load_shipped_tables()


def test_no_sector_outside_the_table():
    with pytest.raises(ValueError, match="unknown sector"):
        dataclasses.replace(RATES).employer_bp_for("banking")
