"""What was paid without right, and its recovery. Integer dinars throughout: no amount is ever a float.

A month's payment is owed back when the month (its ledger date, the first of the month) began on or after
the date the beneficiary became ineligible, and was paid (``PAID``) before the stop. After a death only the
deceased's share of each such month is owed back (likewise for a person recorded twice in one household): the
household kept its right to the rest.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import router, transaction
from django.db.models import Sum
from django.utils.translation import gettext

from sijill.audit.trail import record
from sijill.registry.models import Membership, Payment, PaymentStatus

from .models import EntryKind, Recovery, RecoveryEntry, RecoveryPlan


@dataclass(frozen=True)
class Overpayment:
    amount_iqd: int
    since: dt.date
    until: dt.date
    months: int


def overpayment(case, until: dt.date) -> Overpayment:
    """From the ledger, per enrolment the findings name: whole months from the earliest lasting finding;
    the deceased's share of months from the death that no lasting finding covers already."""
    whole: dict[int, dt.date] = {}
    share: dict[int, tuple[dt.date, int]] = {}
    shares = share_findings(case)
    for pk, enrolment, effective, monthly in case.findings.values_list(
            "pk", "enrolment_id", "effective_date", "monthly_amount_iqd"):
        if enrolment is None:
            continue
        if pk in shares:
            since, amount = share.get(enrolment, (effective, 0))
            share[enrolment] = (min(since, effective), max(amount, monthly))
        else:
            whole[enrolment] = min(whole.get(enrolment, effective), effective)
    total, months = 0, 0
    starts = list(whole.values()) + [s for s, _ in share.values()]
    for enrolment in set(whole) | set(share):
        paid = Payment.objects.filter(enrolment_id=enrolment, status=PaymentStatus.PAID, month__lte=until)
        for month, amount in paid.values_list("month", "amount_iqd"):
            if enrolment in whole and month >= whole[enrolment]:
                total += amount
                months += 1
            elif enrolment in share and month >= share[enrolment][0]:
                total += min(share[enrolment][1], amount)
                months += 1
    return Overpayment(total, min(starts) if starts else until, until, months)


def share_findings(case) -> set[int]:
    """The findings that take one member's share of the household's amount, not all of it: a death, and a
    person recorded twice in the same household (the rule's amount is then that member's share)."""
    shares = set()
    for pk, kind, details, household in case.findings.values_list(
            "pk", "rule__kind", "details", "enrolment__household_id"):
        other = (details or {}).get("other_person")
        if kind == "death" or (kind == "duplicate" and other and Membership.objects.filter(
                person_id=other, household_id=household).exists()):
            shares.add(pk)
    return shares


def balance(recovery: Recovery) -> int:
    taken = recovery.entries.exclude(kind=EntryKind.REVERSAL).aggregate(s=Sum("amount_iqd"))["s"] or 0
    reversed_ = recovery.entries.filter(kind=EntryKind.REVERSAL).aggregate(s=Sum("amount_iqd"))["s"] or 0
    return recovery.amount_due_iqd - taken + reversed_


def reverse_write_offs(recovery: Recovery, *, actor, on: dt.date, request=None) -> list[RecoveryEntry]:
    """A case cleared (its balance written off), then confirmed again on appeal: each clearance write-off still
    standing gets its reversal entry, so the balance is owed again and the ledger shows why."""
    reversed_refs = set(recovery.entries.filter(kind=EntryKind.REVERSAL).values_list("reference", flat=True))
    made = []
    for entry in recovery.entries.filter(kind=EntryKind.WRITE_OFF, reference="cleared").order_by("pk"):
        reference = f"reverses #{entry.pk}"
        if reference in reversed_refs:
            continue
        made.append(RecoveryEntry.objects.create(recovery=recovery, kind=EntryKind.REVERSAL,
                                                 amount_iqd=entry.amount_iqd, on=on, reference=reference,
                                                 recorded_by=actor))
        record("recovery_entry", request=request, user=actor, target=recovery.case, kind=EntryKind.REVERSAL,
               amount_iqd=entry.amount_iqd, on=on.isoformat(), reverses=entry.pk, balance_iqd=balance(recovery))
    return made


def open_recovery(case, *, actor, until: dt.date, request=None) -> Recovery | None:
    """The recovery of a confirmed case (none when nothing was paid without right)."""
    owed = overpayment(case, until)
    if owed.amount_iqd == 0:
        return None
    recovery, _ = Recovery.objects.update_or_create(case=case, defaults={
        "amount_due_iqd": owed.amount_iqd, "computed_from": owed.since, "computed_until": owed.until})
    record("recovery_computed", request=request, user=actor, target=case, amount_iqd=owed.amount_iqd,
           since=owed.since.isoformat(), until=owed.until.isoformat(), months=owed.months)
    return recovery


def set_plan(recovery: Recovery, plan: str, instalments: int, *, actor, request=None) -> Recovery:
    if plan not in RecoveryPlan.values:
        raise ValueError(f"unknown plan {plan!r}")
    if instalments < 1 or (plan == RecoveryPlan.LUMP_SUM and instalments != 1):
        raise ValueError(gettext("A lump sum is one instalment; instalments and deductions are one or more."))
    recovery.plan, recovery.instalments = plan, instalments
    recovery.save(update_fields=["plan", "instalments"])
    record("recovery_plan", request=request, user=actor, target=recovery.case, plan=plan, instalments=instalments)
    return recovery


def schedule(recovery: Recovery, first: dt.date) -> list[tuple[dt.date, int]]:
    """The remaining balance in ``instalments`` monthly amounts that add up exactly (the first ones carry
    the remainder of the division)."""
    left = balance(recovery)
    n = max(1, recovery.instalments)
    base, extra = divmod(left, n)
    dates = [_add_months(first, i) for i in range(n)]
    return [(d, base + (1 if i < extra else 0)) for i, d in enumerate(dates) if base or i < extra]


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def add_entry(recovery: Recovery, kind: str, amount_iqd: int, on: dt.date, *, actor, reference: str = "",
              request=None) -> RecoveryEntry:
    """A payment received, a deduction or a write-off; never more than the balance. (Reversals are made by
    ``reverse_write_offs`` only.)"""
    if kind not in EntryKind.values or kind == EntryKind.REVERSAL:
        raise ValueError(f"unknown entry kind {kind!r}")
    if not isinstance(amount_iqd, int) or amount_iqd <= 0:
        raise ValueError(gettext("An amount is a whole number of dinars above zero."))
    with transaction.atomic(using=router.db_for_write(Recovery)):
        Recovery.objects.select_for_update().filter(pk=recovery.pk).first()
        left = balance(recovery)
        if amount_iqd > left:
            raise ValueError(gettext("The balance is %(left)s IQD: an entry of %(amount)s IQD would exceed it.") % {
                "left": left, "amount": amount_iqd})
        entry = RecoveryEntry.objects.create(recovery=recovery, kind=kind, amount_iqd=amount_iqd, on=on,
                                             reference=reference, recorded_by=actor)
        record("recovery_entry", request=request, user=actor, target=recovery.case, kind=kind,
               amount_iqd=amount_iqd, on=on.isoformat(), balance_iqd=left - amount_iqd)
    return entry
