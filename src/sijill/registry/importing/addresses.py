"""The address and GPS position columns of a households file, kept as history: a row whose address (or
position) differs from the household's latest one adds an entry; the same file imported again adds none."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ..models import HouseholdAddress, HouseholdLocation

ADDRESS_COLUMNS = ("district", "nahiya", "mahalla", "zuqaq", "dar", "landmark", "phones")


def _latest(model, household_ids, order: str, alias: str) -> dict[int, object]:
    latest: dict[int, object] = {}
    for item in model.objects.using(alias).filter(household_id__in=household_ids).order_by(order, "-pk"):
        latest.setdefault(item.household_id, item)
    return latest


def record_addresses(ids: dict[str, int], rows: list[dict], present: set[str], source: str, alias: str) -> None:
    """Add an address entry for each row whose address changed, and a location entry for each new position.

    A column the file lacks keeps the household's current value: a file of phone numbers alone does not
    erase the mahalla."""
    address_fields = [f for f in ("governorate", *ADDRESS_COLUMNS) if f in present]
    located = {"latitude", "longitude"} <= present
    if not (set(address_fields) - {"governorate", "district"}) and not located:
        return  # a households file without any address column: nothing to keep
    household_ids = [ids[r["household_id"]] for r in rows]
    current = _latest(HouseholdAddress, household_ids, "-recorded_at", alias)
    new_addresses, new_locations = [], []
    for r in rows:
        pk = ids[r["household_id"]]
        before = current.get(pk)
        values = {f: (getattr(before, f) if before and f not in address_fields else r.get(f, "")) or ""
                  for f in HouseholdAddress.FIELDS}
        if any(values.values()) and (before is None or before.values() != tuple(values.values())):
            new_addresses.append(HouseholdAddress(household_id=pk, source=source[:120], **values))
        if located and r.get("latitude") is not None and r.get("longitude") is not None:
            new_locations.append((pk, r))
    HouseholdAddress.objects.using(alias).bulk_create(new_addresses, batch_size=1000)
    if new_locations:
        _record_locations(new_locations, source, alias)


def _record_locations(items: list[tuple[int, dict]], source: str, alias: str) -> None:
    current = _latest(HouseholdLocation, [pk for pk, _ in items], "-observed_on", alias)
    new = []
    for pk, r in items:
        lat, lon = (Decimal(str(r[k])).quantize(Decimal("0.000001")) for k in ("latitude", "longitude"))
        when = r.get("located_on")
        observed = (when.as_date() or dt.date(when.year, when.month or 1, 1)) if when else dt.date.today()
        before = current.get(pk)
        if before is not None and (before.latitude, before.longitude) == (lat, lon):
            continue
        new.append(HouseholdLocation(household_id=pk, latitude=lat, longitude=lon, observed_on=observed,
                                     source=(r.get("location_source") or source)[:120]))
    HouseholdLocation.objects.using(alias).bulk_create(new, batch_size=1000)
