"""The monthly basket as dated data (``data/basket.csv``), and what it gives a card or an agent in a month.

A card's entitlement is the basket of the month times its members receiving a share (a blocked or removed
member counts for nothing); an agent's allocation is the sum over the cards attached to it.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources

from django.db.models import Count, Q

from .models import Card, MemberStatus


@dataclass(frozen=True)
class Item:
    code: str
    ar: str
    unit: str
    per_person: Decimal


@cache
def _table() -> dict[str, tuple[Item, ...]]:
    text = (resources.files("sijill.ration") / "data" / "basket.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if line and not line.startswith("#"))
    table: dict[str, list[Item]] = {}
    for r in rows:
        table.setdefault(r["valid_from"], []).append(Item(r["item"], r["item_ar"], r["unit"],
                                                          Decimal(r["quantity_per_person"])))
    return {k: tuple(v) for k, v in sorted(table.items())}


def basket_on(month: dt.date) -> tuple[str, tuple[Item, ...]]:
    """The basket in force in ``month``, with the month it has applied from (its version)."""
    key = f"{month.year:04d}-{month.month:02d}"
    valid = [k for k in _table() if k <= key]
    if not valid:
        raise LookupError(f"no basket in force in {key}")
    return valid[-1], _table()[valid[-1]]


def months_between(first: dt.date, on: dt.date) -> int:
    """Months from ``first`` (a month's first day) up to and including the month of ``on``; 0 if ``on`` is before."""
    return max(0, (on.year - first.year) * 12 + on.month - first.month + 1)


def quantities(people: int, month: dt.date) -> dict[str, Decimal]:
    _, items = basket_on(month)
    return {i.code: i.per_person * people for i in items}


def entitlement(card: Card, month: dt.date) -> dict[str, Decimal]:
    return quantities(card.members.filter(status=MemberStatus.ACTIVE).count(), month)


def agent_allocation(agent, month: dt.date) -> dict:
    """The agent's allocation for ``month``: cards served, persons with a share, and the quantities."""
    row = Card.objects.filter(agent=agent).aggregate(
        cards=Count("pk", distinct=True), people=Count("members", filter=Q(members__status=MemberStatus.ACTIVE)))
    version, items = basket_on(month)
    return {"cards": row["cards"], "people": row["people"], "basket": version,
            "items": [(i, i.per_person * row["people"]) for i in items]}
