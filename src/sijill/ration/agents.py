"""Electronic agent licensing: an application made online, checks run at once, a service clock of ten days,
a licence (PDF with its number and a QR code) on approval; renewal, suspension and transfer of cards."""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import transaction
from django.utils import timezone

from sijill import identity
from sijill.audit.trail import record

from .history import log_event
from .models import Agent, AgentApplication, AgentStatus, ApplicationState, Block, BlockState, Card, Member

SERVICE_DAYS = 10  # the ministry's promise: a decision within ten days
LICENCE_YEARS = 1


class LicensingError(ValueError):
    pass


def _number(model, field: str, digits: int = 8) -> str:
    while True:
        n = f"{secrets.randbelow(10**digits):0{digits}d}"
        if not model.objects.filter(**{field: n}).exists():
            return n


def run_checks(name: str, national_id: str, birth_date: str) -> tuple[str, list[dict]]:
    """Identity through the identity layer; not already an agent; not on a blocking list. Returns the
    normalised national ID (empty if invalid) and the checks."""
    out = []
    try:
        nid = identity.national_id(national_id)
        out.append({"check": "national ID", "passed": True, "note": nid})
    except identity.IdentityError as e:
        nid = ""
        out.append({"check": "national ID", "passed": False, "note": e.reason})
    try:
        chain = identity.parse_name(name)
        full = bool(chain.given and chain.father and chain.grandfather)
        out.append({"check": "full name", "passed": full, "note": "" if full else "give at least three names"})
    except identity.IdentityError as e:
        out.append({"check": "full name", "passed": False, "note": e.reason})
    try:
        born = identity.parse_date(birth_date).as_date()
        adult = born is not None and (timezone.localdate() - born).days >= 18 * 365
        out.append({"check": "age 18 or more", "passed": adult, "note": str(born or "")})
    except identity.IdentityError as e:
        out.append({"check": "age 18 or more", "passed": False, "note": e.reason})
    if nid:
        agent = Agent.objects.filter(national_id=nid).first()
        out.append({"check": "not already an agent", "passed": agent is None,
                    "note": agent.number if agent else ""})
        barred = Block.objects.filter(member__in=Member.objects.filter(linked_national_id=nid),
                                      state__in=(BlockState.BLOCKED, BlockState.CONFIRMED)).exists()
        suspended = Agent.objects.filter(national_id=nid, status=AgentStatus.SUSPENDED).exists()
        out.append({"check": "not on a blocking list", "passed": not (barred or suspended),
                    "note": "suspended agent" if suspended else ("blocked as dead or abroad" if barred else "")})
    return nid, out


def apply(*, name: str, national_id: str, birth_date: str, phone: str, centre, area: str, premises: str,
          request=None) -> AgentApplication:
    nid, found = run_checks(name, national_id, birth_date)
    app = AgentApplication.objects.create(
        number=_number(AgentApplication, "number"), name=" ".join(name.split()), national_id=nid or national_id[:12],
        birth_date=birth_date[:10], phone=phone[:20], centre=centre, area=area, premises=premises, checks=found,
        submitted_at=timezone.now())
    record("ration_agent_application", request=request, actor="applicant", target_type="agentapplication",
           target_id=app.number)
    return app


def due_on(app: AgentApplication) -> dt.date:
    return timezone.localdate(app.submitted_at) + dt.timedelta(days=SERVICE_DAYS)


def overdue(app: AgentApplication, today: dt.date | None = None) -> bool:
    return app.state == ApplicationState.SUBMITTED and (today or timezone.localdate()) > due_on(app)


def decide(app: AgentApplication, user, *, approve: bool, reason: str = "", request=None) -> AgentApplication:
    if app.state != ApplicationState.SUBMITTED:
        raise LicensingError("this application was already decided")
    if approve and not all(c["passed"] for c in app.checks):
        raise LicensingError("an application whose checks failed cannot be approved")
    if not approve and not reason.strip():
        raise LicensingError("say why the application is refused")
    with transaction.atomic():
        app.decided_by, app.decided_at, app.reason = user, timezone.now(), reason.strip()
        if approve:
            today = timezone.localdate()
            count = Agent.objects.filter(centre=app.centre).count() + 1
            app.agent = Agent.objects.create(
                number=f"E{app.centre.code[1:]}{count:03d}", name=app.name, national_id=app.national_id,
                centre=app.centre, area=app.area, licence_no=f"L-{_number(Agent, 'licence_no', 8)}",
                licensed_on=today, expires_on=today.replace(year=today.year + LICENCE_YEARS))
            app.state = ApplicationState.APPROVED
        else:
            app.state = ApplicationState.REFUSED
        app.save()
    record("decision", request=request, user=user, target_type="agentapplication", target_id=app.number,
           approved=approve)
    return app


def renew(agent: Agent, user, request=None) -> Agent:
    start = max(agent.expires_on or timezone.localdate(), timezone.localdate())
    agent.expires_on, agent.status = start.replace(year=start.year + LICENCE_YEARS), AgentStatus.ACTIVE
    agent.save(update_fields=["expires_on", "status"])
    record("decision", request=request, user=user, target=agent, action_="renew")
    return agent


def suspend(agent: Agent, user, reason: str, request=None) -> Agent:
    if not reason.strip():
        raise LicensingError("say why the agent is suspended")
    agent.status = AgentStatus.SUSPENDED
    agent.save(update_fields=["status"])
    record("decision", request=request, user=user, target=agent, action_="suspend", reason=reason)
    return agent


def transfer_cards(source: Agent, target: Agent, user, request=None) -> int:
    """Move every card of ``source`` to ``target`` (same centre, or the target's), each with its history."""
    if target.status != AgentStatus.ACTIVE:
        raise LicensingError("cards go only to a licensed agent")
    moved = 0
    with transaction.atomic():
        for card in Card.objects.filter(agent=source):
            card.agent, card.centre = target, target.centre
            card.save(update_fields=["agent", "centre"])
            log_event(card, "agent_changed", source="licensing", user=user,
                      before={"agent": source.number}, after={"agent": target.number})
            moved += 1
    record("decision", request=request, user=user, target=source, action_="transfer", to=target.number, cards=moved)
    return moved
