"""Hotline pages: record a tip, review it against the registry, open the sealed caller (tip officers only),
and the public status page where a caller types the tip number."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from sijill.audit.access import requires
from sijill.audit.models import Action
from sijill.audit.trail import record
from sijill.registry.models import Person

from . import services
from .forms import CloseForm, ReasonForm, StatusForm, TipForm
from .grouping import grouped
from .matching import candidates
from .models import Tip, TipState
from .sealing import KeyUnavailable


@requires("record_tips")
@require_http_methods(["GET", "POST"])
def record_tip(request):
    form = TipForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        tip = services.record_tip(user=request.user, subject=form.subject(), category=form.cleaned_data["category"],
                                  allegation=form.cleaned_data["allegation"], caller=form.caller(), request=request)
        messages.success(request, _("Tip recorded. Give the caller this tip number: %(ref)s") % {"ref": tip.reference})
        return redirect("tips:tip", pk=tip.pk) if request.user.can("review_tips") else redirect("tips:record")
    return render(request, "tips/record.html", {"form": form})


@requires("review_tips")
def tip_list(request):
    tips = Tip.objects.select_related("case", "person").order_by("-received_at", "-pk")[:500]
    return render(request, "tips/list.html", {"groups": grouped(list(tips))})


@requires("review_tips")
def tip(request, pk: int):
    item = get_object_or_404(Tip.objects.select_related("case", "person"), pk=pk)
    found = []
    if item.person_id is None and item.state != TipState.CLOSED:
        found = candidates(item, request.user)
        record(Action.SEARCH, request=request, target=item, what="tip candidates", found=len(found),
               records=[c.person.record_id for c in found])
    return render(request, "tips/tip.html", {
        "tip": item, "candidates": found, "same_subject": services.same_subject(item)[:50],
        "close_form": CloseForm(), "can_open_caller": request.user.can("open_tip_caller")})


@requires("review_tips")
@require_POST
def confirm(request, pk: int):
    item = get_object_or_404(Tip, pk=pk)
    open_ = item.person_id is None and item.state != TipState.CLOSED  # a closed tip is not confirmed
    offered = {c.person.pk for c in candidates(item, request.user)} if open_ else set()
    person = get_object_or_404(Person, pk=request.POST.get("person") or 0)
    if person.pk not in offered:
        messages.error(request, _("Choose one of the candidates shown for this tip."))
        return redirect("tips:tip", pk=item.pk)
    case = services.confirm(item, person, user=request.user, request=request)
    messages.success(request, _("The tip is linked to case %(case)s.") % {"case": case.reference})
    return redirect("tips:tip", pk=item.pk)


@requires("review_tips")
@require_POST
def close(request, pk: int):
    item = get_object_or_404(Tip, pk=pk)
    form = CloseForm(request.POST)
    if form.is_valid():
        services.close(item, form.cleaned_data["note"], user=request.user, request=request)
        messages.success(request, _("The tip is closed."))
    else:
        messages.error(request, _("Say why the tip is closed."))
    return redirect("tips:tip", pk=item.pk)


@requires("open_tip_caller")
@require_http_methods(["GET", "POST"])
def caller(request, pk: int):
    """POST only shows the caller: the reason comes first, and nothing of it is in a URL."""
    item = get_object_or_404(Tip, pk=pk)
    form = ReasonForm(request.POST or None)
    details = None
    if request.method == "POST" and form.is_valid():
        try:
            details = services.open_caller(item, form.cleaned_data["reason"], user=request.user, request=request)
        except KeyUnavailable:  # its message names the key file's path: not for the page
            form.add_error(None, _("The caller's identity cannot be opened on this server: the tips key is not here, "
                                   "or is not the key this tip was sealed with."))
    response = render(request, "tips/caller.html", {"tip": item, "form": form, "details": details})
    response["Cache-Control"] = "no-store"
    return response


@login_not_required
@require_http_methods(["GET", "POST"])
def status(request):
    """For the caller: received, under review or closed; nothing about the person the tip is about."""
    form = StatusForm(request.POST or None)
    state = None
    asked = refused = False
    if request.method == "POST" and form.is_valid():
        asked = True
        try:
            found = services.public_status(form.cleaned_data["reference"], request=request)
        except services.TooManyTries:
            found, refused = None, True
        state = TipState(found).label if found else None
    return render(request, "tips/status.html", {"form": form, "state": state, "asked": asked, "refused": refused},
                  status=429 if refused else 200)
