"""What a decision does to the enrolment, and nothing else does: a hit or a finding alone never suspends.

Confirmed: the enrolments the findings name are suspended, except after a death (or a person recorded twice
in one household), where the household's amount is recalculated without that member (and stops only when
nobody is left); what was paid without right becomes a recovery. Cleared (also on appeal): every change the
case made is undone and any balance still owed is written off. Confirmed again after a clearance: that
write-off is reversed by a new entry (nothing in the ledger is edited), so the balance is owed again.
"""

from __future__ import annotations

from django.db import models, router, transaction

from sijill.audit.trail import record
from sijill.registry.models import Enrolment, EnrolmentStatus

from . import checks, recovery, referrals, workflow
from .models import Case, EnrolmentChange, EntryKind, Outcome, Recovery


def decide(case: Case, outcome: str, *, actor, reason: str, request=None) -> Case:
    with transaction.atomic(using=router.db_for_write(Case)):
        workflow.decide(case, outcome, actor=actor, reason=reason, request=request)
        # The evidence the decision rests on: what the visit established for each finding.
        record("decision_evidence", request=request, user=actor, target=case, outcome=outcome,
               checks=checks.summary(case))
        if outcome == Outcome.CONFIRMED:
            _stop(case, actor, request)
            owed = recovery.open_recovery(case, actor=actor, until=workflow.today(), request=request)
            if owed is not None:  # confirmed again after a clearance: its write-off no longer stands
                recovery.reverse_write_offs(owed, actor=actor, on=workflow.today(), request=request)
        else:
            _undo(case, actor, request)
            referrals.withdraw_open(case, actor=actor, request=request)
    return case


def appeal(case: Case, *, actor, reason: str, request=None) -> Case:
    """Reopen the decided case; what the decision changed stays until the new decision."""
    workflow.appeal(case, actor=actor, reason=reason, request=request)
    return case


def _stop(case: Case, actor, request) -> None:
    today = workflow.today()
    lasting, shares = set(), {}
    partial = recovery.share_findings(case)
    for pk, enrolment, monthly in case.findings.values_list("pk", "enrolment_id", "monthly_amount_iqd"):
        if enrolment is None:
            continue
        if pk in partial:
            shares[enrolment] = max(shares.get(enrolment, 0), monthly)
        else:
            lasting.add(enrolment)
    changed = set(case.enrolment_changes.filter(undone=False).values_list("enrolment_id", flat=True))
    for enrolment in Enrolment.objects.select_for_update().filter(pk__in=(lasting | set(shares)) - changed):
        before = (enrolment.status, enrolment.monthly_amount_iqd)
        if enrolment.pk in lasting:
            if enrolment.status != EnrolmentStatus.ACTIVE:
                _hold(case, enrolment, actor, request, today)
                continue
            enrolment.status = EnrolmentStatus.SUSPENDED
        else:
            enrolment.monthly_amount_iqd = max(0, enrolment.monthly_amount_iqd - shares[enrolment.pk])
            if enrolment.monthly_amount_iqd == 0:
                enrolment.status = EnrolmentStatus.STOPPED
        enrolment.status_reason = f"{case.reference}"[:255]
        enrolment.status_changed_on = today
        enrolment.save(update_fields=["status", "monthly_amount_iqd", "status_reason", "status_changed_on"])
        EnrolmentChange.objects.create(case=case, enrolment=enrolment, status_before=before[0],
                                       status_after=enrolment.status, amount_before_iqd=before[1],
                                       amount_after_iqd=enrolment.monthly_amount_iqd, on=today)
        record("enrolment_changed", request=request, user=actor, target=enrolment, case=case.reference,
               status=[before[0], enrolment.status], amount_iqd=[before[1], enrolment.monthly_amount_iqd])


def _hold(case: Case, enrolment: Enrolment, actor, request, today) -> None:
    """Another case already suspended the enrolment: record that this case holds it too, so that clearing
    the other case does not reinstate it while this one stands. The hold restores what the first case found."""
    first = (EnrolmentChange.objects.filter(enrolment=enrolment, undone=False, status_after=enrolment.status)
             .exclude(case=case).order_by("pk").first())
    if first is None:  # suspended or stopped for a reason outside the cases: nothing of ours to hold
        return
    EnrolmentChange.objects.create(case=case, enrolment=enrolment, status_before=first.status_before,
                                   status_after=enrolment.status, amount_before_iqd=enrolment.monthly_amount_iqd,
                                   amount_after_iqd=enrolment.monthly_amount_iqd, on=today)
    record("enrolment_held", request=request, user=actor, target=enrolment, case=case.reference,
           status=enrolment.status, held_since=first.case.reference)


def _held_by_another(change: EnrolmentChange) -> bool:
    """Whether another standing decision suspended or stopped the enrolment (a recalculation alone does not)."""
    return (EnrolmentChange.objects.filter(enrolment_id=change.enrolment_id, undone=False,
                                           status_after__in=[EnrolmentStatus.SUSPENDED, EnrolmentStatus.STOPPED])
            .exclude(status_before=models.F("status_after")).exclude(case_id=change.case_id).exists())


def _undo(case: Case, actor, request) -> None:
    today = workflow.today()
    for change in case.enrolment_changes.filter(undone=False).order_by("-pk"):
        enrolment = Enrolment.objects.select_for_update().get(pk=change.enrolment_id)
        before = (enrolment.status, enrolment.monthly_amount_iqd)
        # Undo only what this case changed: another case's decision on the same enrolment (a death in the
        # household, say) stays.
        if (change.status_before != change.status_after and enrolment.status == change.status_after
                and not _held_by_another(change)):
            enrolment.status = change.status_before
        enrolment.monthly_amount_iqd += change.amount_before_iqd - change.amount_after_iqd
        enrolment.status_reason = f"{case.reference}: reinstated"[:255]
        enrolment.status_changed_on = today
        enrolment.save(update_fields=["status", "monthly_amount_iqd", "status_reason", "status_changed_on"])
        change.undone = True
        change.save(update_fields=["undone"])
        record("enrolment_changed", request=request, user=actor, target=enrolment, case=case.reference,
               status=[before[0], enrolment.status], amount_iqd=[before[1], enrolment.monthly_amount_iqd],
               reinstated=True)
    owed = Recovery.objects.filter(case=case).first()
    if owed is not None and (left := recovery.balance(owed)) > 0:
        recovery.add_entry(owed, EntryKind.WRITE_OFF, left, today, actor=actor, reference="cleared", request=request)
