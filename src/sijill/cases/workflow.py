"""The case's state machine. Every transition is a ``CaseEvent`` (who, when, why) and an audit entry.

    opened -> assigned -> visited -> proposed -> notice_sent -> response -> decided -> closed
                                        \\________ cleared after the visit ______/      appeal -> response

No path reaches a decision without a visit (``visited`` is reached only by a visit report), no decision is
taken by the person who proposed it (four eyes), and no confirmation without the response period:
``notice_sent -> response`` needs the beneficiary's reply or the end of the period the notice gave.
Clearing, which takes nothing from anyone, may follow the visit at once.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import router, transaction
from django.utils import timezone
from django.utils.translation import gettext

from sijill.audit.trail import record

from .models import Case, CaseEvent, CaseState, Outcome

S = CaseState
ALLOWED = {
    S.OPENED: {S.ASSIGNED},
    S.ASSIGNED: {S.ASSIGNED, S.VISITED},
    # back to a visit: new findings joined the case after its visit (see ``reverify``)
    S.VISITED: {S.PROPOSED, S.ASSIGNED},
    S.PROPOSED: {S.NOTICE_SENT, S.DECIDED, S.ASSIGNED},
    S.NOTICE_SENT: {S.RESPONSE, S.ASSIGNED},
    S.RESPONSE: {S.DECIDED, S.ASSIGNED},
    S.DECIDED: {S.CLOSED, S.RESPONSE},
    S.CLOSED: {S.RESPONSE},
}


class TransitionError(ValueError):
    """A transition the case's state or deadlines do not allow; the message says why."""


def response_days() -> int:
    """The response period a notice gives (days; setting ``CASE_RESPONSE_DAYS``, default 30)."""
    return int(getattr(settings, "CASE_RESPONSE_DAYS", 30))


def visit_days() -> int:
    """How long a researcher has for the surprise visit (setting ``CASE_VISIT_DAYS``, default 14)."""
    return int(getattr(settings, "CASE_VISIT_DAYS", 14))


def appeal_days() -> int:
    """How long after a decision an appeal is received (setting ``CASE_APPEAL_DAYS``, default 30)."""
    return int(getattr(settings, "CASE_APPEAL_DAYS", 30))


def move(case: Case, to: str, *, actor, reason: str, request=None, due_on: dt.date | None = None,
         **details) -> CaseEvent:
    """Move ``case`` to ``to`` if the state machine allows it; record who, when and why."""
    if not (reason or "").strip():
        raise TransitionError(gettext("A reason is required."))
    if to not in ALLOWED.get(case.state, set()):
        raise TransitionError(gettext("A case in state “%(state)s” cannot move to “%(to)s”.") % {
            "state": case.get_state_display(), "to": S(to).label})
    with transaction.atomic(using=router.db_for_write(Case)):
        previous = case.state
        case.state = to
        case.due_on = due_on
        case.save()
        event = CaseEvent.objects.create(case=case, from_state=previous, to_state=to, actor=actor, reason=reason)
        record("case_transition", request=request, user=actor, target=case, from_state=previous, to_state=to,
               reason=reason, **details)
    return event


def today() -> dt.date:
    return timezone.localdate()


def assign(case: Case, researcher, *, actor, reason: str, request=None) -> CaseEvent:
    if researcher.role != "field_researcher" or not researcher.is_active:
        raise TransitionError(gettext("Cases are assigned to active field researchers."))
    if not researcher.sees_governorate(case.governorate):
        raise TransitionError(gettext("The researcher does not work in the case's governorate."))
    with transaction.atomic(using=router.db_for_write(Case)):
        case.assigned_to = researcher
        return move(case, S.ASSIGNED, actor=actor, reason=reason, request=request,
                    due_on=today() + dt.timedelta(days=visit_days()), researcher=researcher.get_username())


REVISIT = (S.VISITED, S.PROPOSED, S.NOTICE_SENT, S.RESPONSE)


def reverify(case: Case, *, actor, findings: int, request=None) -> CaseEvent | None:
    """New findings joined a case whose visit did not verify them: the case goes back to its researcher for a
    visit of its own, and the proposal (and any notice's period) starts again after it. A decision never
    covers a finding nobody verified."""
    if case.state not in REVISIT:
        return None
    if case.assigned_to_id is None:
        raise TransitionError(gettext("The case has no field researcher to visit again."))
    case.proposed_outcome = ""
    return move(case, S.ASSIGNED, actor=actor, request=request,
                reason=_("%(n)d new findings joined the case after its visit: they need their own visit") % {
                    "n": findings}, due_on=today() + dt.timedelta(days=visit_days()), new_findings=findings)


def visited(case: Case, visit, *, request=None) -> CaseEvent:
    """The researcher's report arrived: the case may now be proposed for a decision."""
    return move(case, S.VISITED, actor=visit.researcher, request=request, reason=_("visit report received"),
                visit=visit.pk, recommendation=visit.recommendation)


def propose(case: Case, outcome: str, *, actor, reason: str, request=None) -> CaseEvent:
    if outcome not in Outcome.values:
        raise TransitionError(gettext("The proposal is confirmed or cleared."))
    case.proposed_outcome = outcome
    return move(case, S.PROPOSED, actor=actor, reason=reason, request=request, proposed=outcome)


def notice_sent(case: Case, notice, *, actor, request=None) -> CaseEvent:
    if case.proposed_outcome != Outcome.CONFIRMED:
        raise TransitionError(gettext("A notice is sent for a proposed confirmation."))
    return move(case, S.NOTICE_SENT, actor=actor, request=request, due_on=notice.respond_by,
                reason=_("notice %(n)s sent; reply by %(d)s") % {"n": notice.reference, "d": notice.respond_by},
                notice=notice.reference)


def response(case: Case, *, actor, reason: str, replied: bool, request=None, reply=None) -> CaseEvent:
    """The beneficiary replied (any time in the period), or the period ended without a reply. A reply recorded
    through ``replies.record_reply`` is named here (its text, date, channel and documents are on the case)."""
    if case.state == S.NOTICE_SENT and not replied and case.due_on and today() <= case.due_on:
        raise TransitionError(gettext("The response period runs until %(day)s: wait for its end or record the "
                                      "beneficiary's reply.") % {"day": case.due_on})
    extra = {"reply": reply.pk, "channel": reply.channel, "attachments": reply.attachments.count()} if reply else {}
    return move(case, S.RESPONSE, actor=actor, reason=reason, request=request, replied=replied, **extra)


def decide(case: Case, outcome: str, *, actor, reason: str, request=None) -> CaseEvent:
    """The human decision. Its effects on the enrolment and the recovery follow in ``decisions``."""
    if outcome not in Outcome.values:
        raise TransitionError(gettext("The decision is confirmed or cleared."))
    if outcome == Outcome.CONFIRMED and (case.state == S.PROPOSED or not case.notices.exists()):
        # also after an appeal against a clearance taken straight after the visit: no notice was ever sent
        raise TransitionError(gettext("A confirmation needs a notice and its response period."))
    if proposer(case) == getattr(actor, "pk", actor):
        raise TransitionError(gettext("Whoever proposed the decision cannot take it: another person decides "
                                      "(four eyes)."))
    with transaction.atomic(using=router.db_for_write(Case)):
        case.outcome = outcome
        case.decided_by, case.decided_at = actor, timezone.now()
        return move(case, S.DECIDED, actor=actor, reason=reason, request=request, outcome=outcome,
                    due_on=today() + dt.timedelta(days=appeal_days()))


def proposer(case: Case) -> int | None:
    """Who proposed the decision now due (the latest proposal): the one person who may not take it. A stop, a
    recovery and a write-off (a clearance writes off what is owed) all follow from the decision."""
    return case.events.filter(to_state=S.PROPOSED).order_by("-pk").values_list("actor_id", flat=True).first()


def close(case: Case, *, actor, reason: str, request=None) -> CaseEvent:
    return move(case, S.CLOSED, actor=actor, reason=reason, request=request)


def appeal(case: Case, *, actor, reason: str, request=None) -> CaseEvent:
    """An appeal reopens the decided case at the response stage: a new decision must be taken."""
    if case.state == S.CLOSED and Case.objects.filter(person_id=case.person_id).exclude(
            state=S.CLOSED).exclude(pk=case.pk).exists():
        raise TransitionError(gettext("The person has another open case: record the appeal there."))
    with transaction.atomic(using=router.db_for_write(Case)):
        case.appeals += 1
        return move(case, S.RESPONSE, actor=actor, reason=reason, request=request, appeal=case.appeals,
                    due_on=today() + dt.timedelta(days=response_days()))


def cycle_reason(cycle: str) -> str:
    """Why the evaluator opened or joined a case (the event's reason, in Arabic)."""
    return _("findings of cycle %(c)s") % {"c": cycle}


def _(text: str) -> str:
    """Event reasons are stored in Arabic, the language of the file (translated at write time)."""
    from django.utils.translation import override

    with override("ar"):
        return gettext(text)
