"""Staff pages of the ration card: the clerk's centre (cards, blocks to verify and decide, citizens' requests),
the agent's cards and allocation, the planner's coverage, blocks lifted and licence applications."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sijill.audit.access import requires
from sijill.audit.trail import record
from sijill.cycles import orchestrator
from sijill.exchange.cycles import CycleError
from sijill.exchange.models import Cycle
from sijill.identity import to_ascii_digits as ascii_digits

from . import agents, blocking, cycles, distribution, linkage, requests, scope
from .baskets import agent_allocation
from .forms import ReasonForm
from .licence import licence_pdf
from .models import (
    Agent,
    AgentApplication,
    ApplicationState,
    Block,
    BlockState,
    Card,
    ChangeRequest,
    Distribution,
    MonthClose,
    RequestState,
)


def home(request):
    """Each role's page: the clerk's queues, the agent's cards, the planner's figures."""
    user = request.user
    if user.can("ration_agent_cards"):
        return agent_home(request)
    if not (user.can("ration_view_cards") or user.can("ration_reports")):
        raise PermissionDenied
    if number := "".join(ch for ch in ascii_digits(request.GET.get("card", "")) if ch.isdigit()):
        return redirect("ration:card", number=number)
    cards = scope.cards_for(user)
    ctx = {"centre": scope.centre_of(user), "can_verify": user.can("ration_verify_blocks")}
    blocks = Block.objects.filter(member__card__in=cards).select_related("member__card")
    ctx["to_verify"] = blocks.filter(state=BlockState.PROPOSED)[:200]
    ctx["to_apply"] = blocks.filter(state=BlockState.NOTIFIED, respond_by__lt=timezone.localdate())[:200]
    ctx["contested"] = blocks.filter(state=BlockState.CONTESTED)[:200]
    ctx["requests"] = ChangeRequest.objects.filter(card__in=cards, state=RequestState.SUBMITTED
                                                   ).select_related("card")[:200]
    if user.can("ration_reports"):
        ctx["coverage"] = linkage.coverage()
        ctx["lifted"] = blocking.lifted_share()
    if user.can("ration_run_linkage"):
        ctx["cycles"] = Cycle.objects.filter(registry=linkage.CODE).order_by("-pk").prefetch_related(
            "packages__agency", "runs")[:5]
    if user.can("ration_license_agents"):
        apps = list(AgentApplication.objects.select_related("centre").order_by("-submitted_at")[:200])
        ctx["applications"] = [(a, agents.due_on(a), agents.overdue(a)) for a in apps]
    return render(request, "ration/home.html", ctx)


@requires("ration_agent_cards")
def agent_home(request):
    agent = scope.agent_of(request.user)
    month = timezone.localdate().replace(day=1)
    if request.method == "POST" and agent is not None:
        card = scope.cards_for(request.user).filter(number=request.POST.get("card", "")).first()
        try:
            if card is None:
                raise distribution.CloseError(_("This card is not one you serve."))
            distribution.record_collection(card, agent, month=month, by=request.POST.get("by", ""),
                                           proxy_name=request.POST.get("proxy", ""), user=request.user,
                                           request=request)
            messages.success(request, _("Collection recorded."))
        except distribution.CloseError as e:
            messages.error(request, str(e))
        return redirect("ration:agent")
    cards = scope.cards_for(request.user).prefetch_related("members").order_by("number")
    collected = set(Distribution.objects.filter(agent=agent, month=month).values_list("card_id", flat=True))
    return render(request, "ration/agent.html", {"agent": agent, "cards": cards, "collected": collected,
                                                 "month": month,
                                                 "allocation": agent_allocation(agent, month) if agent else None})


@requires("ration_run_linkage")
@require_POST
def cycle(request):
    """Open a cycle with the ration registry on its registry side, or run the open one (the worker runs it)."""
    try:
        if request.POST.get("action") == "open":
            opened = cycles.open_ration_cycle(user=request.user, request=request)
            messages.success(request, _("Cycle %(code)s opened: Interior uploads its packages to it.")
                             % {"code": opened.code})
        else:
            current = get_object_or_404(Cycle, pk=request.POST.get("cycle"), registry=linkage.CODE)
            orchestrator.start_run(current, user=request.user, request=request)
            messages.success(request, _("The run is queued for the background worker."))
    except CycleError as e:
        messages.error(request, str(e))
    return redirect("ration:home")


@requires("ration_close_months")
def months(request):
    if request.method == "POST":
        try:
            month = dt.date.fromisoformat(ascii_digits(request.POST.get("month", "")) + "-01")
            distribution.queue_close(month, user=request.user, request=request)
            messages.success(request, _("The month's close is queued for the background worker."))
        except (ValueError, LookupError) as e:
            messages.error(request, str(e))
        return redirect("ration:months")
    return render(request, "ration/months.html", {"closes": MonthClose.objects.order_by("-month")[:36]})


def _card(request, number: str) -> Card:
    card = scope.cards_for(request.user).filter(number=number).first()
    if card is None:
        record("denied", request=request, path=request.path, reason="card outside the user's scope")
        raise PermissionDenied
    return card


@requires("ration_view_cards")
def card(request, number: str):
    item = _card(request, number)
    record("view_person", request=request, target=item, what="ration card")
    return render(request, "ration/card.html", {
        "card": item, "members": item.members.order_by("pk"), "events": item.events.select_related("user"),
        "blocks": Block.objects.filter(member__card=item).order_by("-proposed_at"),
        "can_pin": request.user.can("ration_decide_requests")})


@requires("ration_decide_requests")
@require_POST
def issue_pin(request, number: str):
    pin = requests.issue_pin(_card(request, number), request.user, request=request)
    messages.success(request, _("New PIN for the head of household (give it in person; it is not shown again): "
                                "%(pin)s") % {"pin": pin})
    return redirect("ration:card", number=number)


@requires("ration_view_cards")
def block(request, pk: int):
    item = get_object_or_404(Block.objects.select_related("member__card"), pk=pk)
    _card(request, item.member.card.number)
    if request.method == "POST":
        form = ReasonForm(request.POST)
        reason = form.data.get("reason", "")
        action = request.POST.get("action")
        try:
            if action in ("verify", "dismiss") and request.user.can("ration_verify_blocks"):
                blocking.verify(item, request.user, confirmed=action == "verify", note=reason)
            elif action == "apply" and request.user.can("ration_decide_blocks"):
                blocking.apply_block(item, request.user)
            elif action == "contest" and request.user.can("ration_verify_blocks"):
                blocking.contest(item, reason, user=request.user)
            elif action in ("lift", "keep") and request.user.can("ration_decide_blocks"):
                blocking.decide_contest(item, request.user, lift=action == "lift", reason=reason)
            else:
                raise PermissionDenied
            record("decision", request=request, target=item.member, block=item.pk, step=action)
            messages.success(request, _("Done."))
        except blocking.DueProcessError as e:
            messages.error(request, str(e))
        return redirect("ration:block", pk=pk)
    rule = blocking.rules().get(item.rule)
    return render(request, "ration/block.html", {"block": item, "rule": rule, "form": ReasonForm()})


def notice(request, pk: int):
    item = get_object_or_404(Block.objects.select_related("member__card__centre"), pk=pk)
    _card(request, item.member.card.number)
    return render(request, "ration/notice.html", {"block": item, "rule": blocking.rules().get(item.rule)})


@requires("ration_decide_requests")
def change_request(request, pk: int):
    item = get_object_or_404(ChangeRequest.objects.select_related("card", "member"), pk=pk)
    _card(request, item.card.number)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            requests.decide(item, request.user, approve=request.POST.get("action") == "approve",
                            reason=form.cleaned_data["reason"])
            record("decision", request=request, target=item.card, request_number=item.number)
            return redirect("ration:home")
        except requests.RequestError as e:
            form.add_error(None, str(e))
    return render(request, "ration/request.html", {"req": item, "checks": requests.checks(item), "form": form})


@requires("ration_decide_requests")
def document(request, pk: int):
    item = get_object_or_404(ChangeRequest, pk=pk)
    _card(request, item.card.number)
    record("view_person", request=request, target=item.card, what="request document", request_number=item.number)
    return FileResponse(item.document.open("rb"))


@requires("ration_license_agents")
def application(request, pk: int):
    item = get_object_or_404(AgentApplication.objects.select_related("centre", "agent"), pk=pk)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and item.state == ApplicationState.SUBMITTED:
        try:
            agents.decide(item, request.user, approve=request.POST.get("action") == "approve",
                          reason=form.data.get("reason", ""), request=request)
            return redirect("ration:application", pk=pk)
        except agents.LicensingError as e:
            form.add_error(None, str(e))
    return render(request, "ration/application.html", {"app": item, "form": form, "due": agents.due_on(item),
                                                       "overdue": agents.overdue(item)})


@requires("ration_license_agents")
def agent(request, number: str):
    """The planner's page of an agent: renew or suspend the licence, move its cards to another agent."""
    item = get_object_or_404(Agent.objects.select_related("centre"), number=number)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "renew":
                agents.renew(item, request.user, request=request)
            elif action == "suspend":
                agents.suspend(item, request.user, request.POST.get("reason", ""), request=request)
            elif action == "transfer":
                target = Agent.objects.filter(number=request.POST.get("to", "").strip().upper()).first()
                if target is None:
                    raise agents.LicensingError(_("No agent has that number."))
                moved = agents.transfer_cards(item, target, request.user, request=request)
                messages.success(request, _("%(n)d cards moved.") % {"n": moved})
        except agents.LicensingError as e:
            messages.error(request, str(e))
        return redirect("ration:agent_page", number=number)
    return render(request, "ration/agent_page.html", {"agent": item, "cards": item.cards.count()})


@requires("ration_license_agents")
def licence(request, pk: int):
    item = get_object_or_404(AgentApplication.objects.select_related("agent__centre"), pk=pk, agent__isnull=False)
    record("export", request=request, target=item.agent, what="agent licence")
    response = HttpResponse(licence_pdf(item.agent, request.build_absolute_uri("/")), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="licence-{item.agent.licence_no}.pdf"'
    return response
