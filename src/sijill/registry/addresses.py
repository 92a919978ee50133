"""Where households live now, and where they lived before: the latest entry of each household's address and
location history, for one household or for many at once (a researcher's round of visits)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import router, transaction

from .models import Household, HouseholdAddress, HouseholdLocation


@dataclass(frozen=True)
class Whereabouts:
    """A household's current address and last known position (either may be None)."""

    address: HouseholdAddress | None
    location: HouseholdLocation | None

    @property
    def sort_key(self) -> tuple:
        """District, then mahalla (numbers in numeric order), then zuqaq and dar: a day's round."""
        a = self.address
        if a is None:
            return (1, "", (1, 0, ""), (1, 0, ""), (1, 0, ""))
        return (0, a.district, _natural(a.mahalla), _natural(a.zuqaq), _natural(a.dar))


def _natural(text: str) -> tuple:
    digits = "".join(c for c in text if c.isdigit())
    return (0, int(digits), text) if digits and text.strip().isdigit() else (1, 0, text)


def whereabouts(household_ids) -> dict[int, Whereabouts]:
    """household pk -> its Whereabouts, in two queries."""
    ids = list(household_ids)
    addresses: dict[int, HouseholdAddress] = {}
    for a in HouseholdAddress.objects.filter(household_id__in=ids).order_by("-recorded_at", "-pk"):
        addresses.setdefault(a.household_id, a)
    locations: dict[int, HouseholdLocation] = {}
    for loc in HouseholdLocation.objects.filter(household_id__in=ids).order_by("-observed_on", "-pk"):
        locations.setdefault(loc.household_id, loc)
    return {pk: Whereabouts(addresses.get(pk), locations.get(pk)) for pk in ids}


def of(household: Household | None) -> Whereabouts:
    if household is None:
        return Whereabouts(None, None)
    return whereabouts([household.pk])[household.pk]


def record_location(household: Household, latitude: Decimal, longitude: Decimal, *, on: dt.date,
                    source: str) -> HouseholdLocation | None:
    """A position taken at the door (a field visit, the survey) joins the household's history; the same
    position again adds nothing."""
    with transaction.atomic(using=router.db_for_write(HouseholdLocation)):
        last = household.locations.order_by("-observed_on", "-pk").first()
        if last is not None and (last.latitude, last.longitude) == (latitude, longitude):
            return None
        return HouseholdLocation.objects.create(household=household, latitude=latitude, longitude=longitude,
                                                observed_on=on, source=source[:120])
