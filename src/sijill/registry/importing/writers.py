"""Writing checked rows to the registry tables: one writer per kind of file, each an upsert on the
table's natural key (so that importing the same file twice changes nothing)."""

from __future__ import annotations

import datetime as dt

from sijill import identity
from sijill.common.bulk import db_now, select_in, upsert
from sijill.tabular import ROW

from ..keys import KEY_FIELDS
from ..models import Enrolment, EnrolmentStatus, Household, Membership, Payment, PaymentStatus, Person, Programme
from .addresses import record_addresses
from .rows import PERSON_COLUMNS

Refusal = tuple[int, str, str, str]  # row, field, value, reason


class Writer:
    key: tuple[str, ...] = ()

    def __init__(self, alias: str, present: set[str], source: str = ""):
        self.alias = alias
        self.present = present  # the schema's fields that the file has a column for
        self.source = source  # the file and import run, named in the history rows a writer adds

    def write(self, rows: list[dict], values: list[tuple] | None) -> tuple[int, int, list[Refusal]]:
        """Store the rows; return (created, updated, rows refused with their reason)."""
        raise NotImplementedError

    def _upsert(self, model, columns: list[str], rows: list, unique: list[str], update: list[str],
                adapt: bool = True) -> None:
        upsert(model, columns, rows, unique=unique, update=update, using=self.alias, adapt=adapt)

    def _existing(self, model, field: str, values) -> dict:
        """value of ``field`` -> pk, for the rows that exist."""
        return dict(select_in(model, field, values, [model._meta.pk.name], using=self.alias))


def _same_instant(stored, stamp: dt.datetime) -> bool:
    if isinstance(stored, str):
        stored = dt.datetime.fromisoformat(stored)
    if stored.tzinfo is None:
        stored = stored.replace(tzinfo=dt.UTC)
    return stored == stamp


class MembersWriter(Writer):
    key = ("record_id",)
    # file field -> the Person columns it sets (only those are updated on re-import)
    PERSON_FIELDS = {
        "full_name": ("full_name",), "given": ("given",), "father": ("father",), "grandfather": ("grandfather",),
        "surname": ("surname",), "mother": ("mother",), "birth_date": ("birth_date", "birth_precision", "birth_year"),
        "national_id": ("national_id",), "governorate": ("governorate",), "district": ("district",),
        "sex": ("sex",), "disability": ("disability",),
    }

    def __init__(self, alias, present, source=""):
        super().__init__(alias, present, source)
        update = {f for name in present & self.PERSON_FIELDS.keys() for f in self.PERSON_FIELDS[name]}
        if "full_name" in present:  # the parts come from the full name
            update |= {"given", "father", "grandfather", "surname"}
        self.update_fields = sorted(update | set(KEY_FIELDS) | {"updated_at"})

    def write(self, rows, values):
        if not rows:
            return 0, 0, []
        households = self._households(rows)
        stamp = dt.datetime.now(dt.UTC)
        now = db_now(self.alias, stamp)
        self._upsert(Person, [*PERSON_COLUMNS, "created_at", "updated_at"], [(*v, now, now) for v in values],
                     ["record_id"], self.update_fields, adapt=False)  # rows.person_values made them ready
        # One look-up gives the ids and tells created from updated: only the rows this batch created have
        # this batch's time as created_at (an update leaves created_at alone).
        found = {key: (pk, created) for key, pk, created in
                 select_in(Person, "record_id", [r["record_id"] for r in rows], ["id", "created_at"],
                           using=self.alias)}
        created = sum(1 for _, c in found.values() if _same_instant(c, stamp))
        memberships = [(households[r["household_id"]], found[r["record_id"]][0], r.get("relation", "other"))
                       for r in rows]
        update = ["household"] + (["relation"] if "relation" in self.present else [])
        self._upsert(Membership, ["household", "person", "relation"], memberships, ["person"], update)
        return created, len(rows) - created, []

    def _households(self, rows) -> dict[str, int]:
        """household number -> pk, adding the households this file names for the first time (with the
        governorate of their head, else of their first member)."""
        found = self._existing(Household, "household_id", {r["household_id"] for r in rows})
        new: dict[str, str] = {}
        for r in rows:
            hid = r["household_id"]
            if hid not in found and (r.get("relation") == "head" or not new.get(hid)):
                new[hid] = r.get("governorate", "") or new.get(hid, "")
        if new:
            now = db_now(self.alias)
            self._upsert(Household, ["household_id", "governorate", "district", "category", "created_at",
                                     "updated_at"], [(h, g, "", "", now, now) for h, g in new.items()],
                         ["household_id"], [])
            found.update(self._existing(Household, "household_id", new))
        return found


def _day(d: identity.PartialDate | None) -> dt.date | None:
    if d is None:
        return None
    return d.as_date() or dt.date(d.year, d.month or 1, 1)


class HouseholdsWriter(Writer):
    key = ("household_id",)

    def write(self, rows, values):
        if not rows:
            return 0, 0, []
        existing = self._existing(Household, "household_id", (r["household_id"] for r in rows))
        fields = [f for f in ("governorate", "district", "category", "enrolled_on") if f in self.present]
        now = db_now(self.alias)
        values = [(r["household_id"], r.get("governorate", ""), r.get("district", ""), r.get("category", ""),
                   _day(r.get("enrolled_on")), now, now) for r in rows]
        self._upsert(Household, ["household_id", "governorate", "district", "category", "enrolled_on", "created_at",
                                 "updated_at"], values, ["household_id"], [*fields, "updated_at"])
        ids = self._existing(Household, "household_id", (r["household_id"] for r in rows))
        record_addresses(ids, rows, self.present, self.source, self.alias)
        return len(rows) - len(existing), len(existing), []


class EnrolmentsWriter(Writer):
    key = ("enrolment_id",)

    def write(self, rows, values):
        households = self._existing(Household, "household_id", {r["household_id"] for r in rows})
        refused = [(r[ROW], "household_id", r["household_id"],
                    "no such household in the registry: import its members or households first")
                   for r in rows if r["household_id"] not in households]
        rows = [r for r in rows if r["household_id"] in households]
        if not rows:
            return 0, 0, refused
        programmes = self._programmes(rows)
        existing = self._existing(Enrolment, "enrolment_id", (r["enrolment_id"] for r in rows))
        values = []
        for r in rows:
            end = _day(r.get("end_date"))
            status = r.get("status") or (EnrolmentStatus.STOPPED if end else EnrolmentStatus.ACTIVE)
            values.append((r["enrolment_id"], households[r["household_id"]], programmes[r["programme"]], status,
                           r.get("status_reason", ""), end if status != EnrolmentStatus.ACTIVE else None,
                           _day(r.get("start_date")), end, r["monthly_amount_iqd"]))
        update = ["household", "programme", "status", "status_changed_on", "monthly_amount_iqd",
                  *(f for f in ("status_reason", "start_date", "end_date") if f in self.present)]
        self._upsert(Enrolment, ["enrolment_id", "household", "programme", "status", "status_reason",
                                 "status_changed_on", "start_date", "end_date", "monthly_amount_iqd"], values,
                     ["enrolment_id"], update)
        return len(rows) - len(existing), len(existing), refused

    def _programmes(self, rows) -> dict[str, int]:
        names = {r["programme"]: r.get("programme_name") or r["programme"] for r in rows}
        found = self._existing(Programme, "code", names)
        missing = [(c[:16], n[:150], "") for c, n in names.items() if c not in found]
        if missing:
            self._upsert(Programme, ["code", "name_ar", "name_en"], missing, ["code"], [])
            found.update(self._existing(Programme, "code", names))
        return found


class PaymentsWriter(Writer):
    key = ("enrolment_id", "month")

    def write(self, rows, values):
        enrolments = self._existing(Enrolment, "enrolment_id", {r["enrolment_id"] for r in rows})
        refused = [(r[ROW], "enrolment_id", r["enrolment_id"],
                    "no such enrolment in the registry: import the enrolments first")
                   for r in rows if r["enrolment_id"] not in enrolments]
        rows = [r for r in rows if r["enrolment_id"] in enrolments]
        if not rows:
            return 0, 0, refused
        ids = {enrolments[r["enrolment_id"]] for r in rows}
        months = {r["month"] for r in rows}
        existing = set(Payment.objects.using(self.alias).filter(enrolment_id__in=ids, month__in=months)
                       .values_list("enrolment_id", "month"))
        values = [(enrolments[r["enrolment_id"]], r["month"], r["amount_iqd"], r.get("status") or PaymentStatus.PAID,
                   r.get("payment_id", "")) for r in rows]
        self._upsert(Payment, ["enrolment", "month", "amount_iqd", "status", "reference"], values,
                     ["enrolment", "month"], ["amount_iqd", "status", "reference"])
        updated = sum(1 for v in values if (v[0], v[1]) in existing)
        return len(rows) - updated, updated, refused


WRITERS: dict[str, type[Writer]] = {
    "members": MembersWriter, "households": HouseholdsWriter, "enrolments": EnrolmentsWriter,
    "payments": PaymentsWriter,
}
