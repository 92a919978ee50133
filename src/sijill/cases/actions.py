"""The caseworker's actions on one case page: which forms it shows in each state, and running one."""

from __future__ import annotations

from collections import Counter

from django.utils.translation import gettext as _

from sijill.accounts.models import User
from sijill.registry import addresses
from sijill.registry.models import Payment

from . import checks, decisions, notices, recovery, referrals, replies, workflow
from .forms import EntryForm, OutcomeForm, PlanForm, ReasonForm, ReferralForm, ReferralStatusForm, ResponseForm
from .models import Case, CaseState, Recovery

S = CaseState
FORMS = {"propose": OutcomeForm, "response": ResponseForm, "decide": OutcomeForm, "close": ReasonForm,
         "appeal": ReasonForm, "plan": PlanForm, "entry": EntryForm, "assign": ReasonForm}
DECIDING = {"decide", "plan", "entry"}


def available(case: Case) -> list[str]:
    """The actions the case's state allows (the state machine refuses the others anyway)."""
    by_state = {S.OPENED: ["assign"], S.ASSIGNED: ["assign"], S.VISITED: ["propose"],
                S.PROPOSED: ["notice", "decide"], S.NOTICE_SENT: ["response"], S.RESPONSE: ["decide"],
                S.DECIDED: ["close", "appeal"], S.CLOSED: ["appeal"]}
    names = list(by_state.get(case.state, []))
    if Recovery.objects.filter(case=case).exists():
        names += ["plan", "entry"]
    return names


def context(case: Case, user) -> dict:
    owed = Recovery.objects.filter(case=case).first()
    researchers = [r for r in User.objects.filter(role="field_researcher", is_active=True).order_by("username")
                   if r.sees_governorate(case.governorate)]
    household = getattr(getattr(case.person, "membership", None), "household", None)
    findings = list(case.findings.select_related("rule", "hit__agency", "enrolment__programme"))
    verified = checks.by_finding(case)
    for f in findings:
        f.verification = verified.get(f.pk)  # the latest visit's answers for this finding
    verdicts = Counter(v.verdict_label for v in verified.values())  # what the decision rests on, at a glance
    return {
        "case": case, "findings": findings,
        "events": case.events.select_related("actor"), "visits": case.visits.prefetch_related("photos"),
        "notices": case.notices.all(), "replies": case.replies.prefetch_related("attachments"),
        "recovery": owed, "balance": recovery.balance(owed) if owed else None,
        "schedule": recovery.schedule(owed, workflow.today().replace(day=1)) if owed else [],
        "entries": owed.entries.select_related("recorded_by") if owed else [],
        "changes": case.enrolment_changes.select_related("enrolment"), "researchers": researchers,
        "forms": {name: FORMS[name](prefix=name) for name in available(case) if name in FORMS},
        "available": available(case),
        "payments": Payment.objects.filter(enrolment__household=household).order_by("-month")[:12] if household else [],
        "verdicts": sorted(verdicts.items()), "where": addresses.of(household),
        "referrals": case.referrals.select_related("created_by"),
        "referral_form": ReferralForm(prefix="refer") if referrals.can_refer(case) else None,
        "referral_status_form": ReferralStatusForm(prefix="referral"),
    }


def run(case: Case, action: str, request) -> str | None:
    """Run ``action``; an error message for the user, or None."""
    user = request.user
    if action not in available(case):
        return _("This action is not possible in the case's current state.")
    if action in DECIDING and not user.can("decide_cases"):
        return _("Your role does not decide cases.")
    form = FORMS[action](request.POST, request.FILES, prefix=action) if action in FORMS else None
    if form is not None and not form.is_valid():
        return _("Check the form: %(errors)s") % {"errors": "; ".join(
            f"{k}: {' '.join(v)}" for k, v in form.errors.items())}
    data = form.cleaned_data if form is not None else {}
    try:
        _dispatch(case, action, data, request)
    except (workflow.TransitionError, ValueError) as e:
        return str(e)
    return None


def _dispatch(case: Case, action: str, data: dict, request) -> None:
    user = request.user
    if action == "assign":
        researcher = User.objects.filter(pk=request.POST.get("researcher") or 0).first()
        if researcher is None:
            raise ValueError(_("Choose a field researcher."))
        workflow.assign(case, researcher, actor=user, reason=data["reason"], request=request)
    elif action == "propose":
        workflow.propose(case, data["outcome"], actor=user, reason=data["reason"], request=request)
    elif action == "notice":
        notices.issue_notice(case, actor=user, request=request)
    elif action == "response" and data["replied"]:
        replies.record_reply(case, actor=user, text=data["text"], received_on=data["received_on"],
                             channel=data["channel"], files=data["attachments"], request=request)
    elif action == "response":
        workflow.response(case, actor=user, reason=data["reason"], replied=False, request=request)
    elif action == "decide":
        decisions.decide(case, data["outcome"], actor=user, reason=data["reason"], request=request)
    elif action == "close":
        workflow.close(case, actor=user, reason=data["reason"], request=request)
    elif action == "appeal":
        decisions.appeal(case, actor=user, reason=data["reason"], request=request)
    elif action == "plan":
        recovery.set_plan(case.recovery, data["plan"], data["instalments"], actor=user, request=request)
    elif action == "entry":
        recovery.add_entry(case.recovery, data["kind"], data["amount_iqd"], data["on"], actor=user,
                           reference=data["reference"], request=request)
