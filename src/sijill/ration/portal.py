"""Public, phone-first pages: the head of household's card (sign-in with card number, national ID and PIN),
their requests and notices; and the online application for an agent's licence."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import agents, blocking, requests
from .forms import ApplicationForm, ChangeForm, ContestForm, SignInForm
from .models import Block, BlockState, Card, RequestKind

SESSION_KEY = "ration_card"


def _signed_in(request) -> Card | None:
    pk = request.session.get(SESSION_KEY)
    return Card.objects.filter(pk=pk).first() if pk else None


@login_not_required
@require_http_methods(["GET", "POST"])
def sign_in(request):
    form = SignInForm(request.POST or None)
    refused = False
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            card = requests.sign_in(d["card"], d["national_id"], d["pin"], request=request)
        except PermissionError:
            card, refused = None, True
        if card is not None:
            request.session.cycle_key()
            request.session[SESSION_KEY] = card.pk
            return redirect("ration:my_card")
        form.add_error(None, _("Too many attempts. Try again later.") if refused else
                       _("These details do not match a card. Check them, or ask your centre for a new PIN."))
    return render(request, "ration/portal/sign_in.html", {"form": form}, status=429 if refused else 200)


@login_not_required
def sign_out(request):
    request.session.pop(SESSION_KEY, None)
    return redirect("ration:sign_in")


@login_not_required
def my_card(request):
    card = _signed_in(request)
    if card is None:
        return redirect("ration:sign_in")
    blocks = Block.objects.filter(member__card=card).exclude(state__in=(BlockState.PROPOSED, BlockState.DISMISSED))
    return render(request, "ration/portal/card.html", {
        "card": card, "members": card.members.exclude(status="removed").order_by("pk"),
        "requests": card.requests.order_by("-submitted_at"), "blocks": blocks.select_related("member"),
        "rules": {r.code: r for r in blocking.rules().rules}})


@login_not_required
@require_http_methods(["GET", "POST"])
def new_request(request):
    card = _signed_in(request)
    if card is None:
        return redirect("ration:sign_in")
    form = ChangeForm(request.POST or None, request.FILES or None, card=card,
                      initial={"kind": request.GET.get("kind", RequestKind.NEWBORN)})
    if request.method == "POST" and form.is_valid():
        member = card.members.filter(pk=form.cleaned_data["member"]).first() if form.cleaned_data["member"] else None
        try:
            req = requests.submit(card, form.cleaned_data["kind"], form.data_for(), member=member,
                                  document=form.cleaned_data.get("document"), request=request)
            messages.success(request, _("Request %(number)s sent to your centre.") % {"number": req.number})
            return redirect("ration:my_card")
        except requests.RequestError as e:
            form.add_error(None, str(e))
    return render(request, "ration/portal/request.html", {"form": form, "card": card})


@login_not_required
@require_http_methods(["GET", "POST"])
def my_notice(request, pk: int):
    """The household's notice of a block, printable; the household may contest it here."""
    card = _signed_in(request)
    if card is None:
        return redirect("ration:sign_in")
    item = get_object_or_404(Block.objects.exclude(state__in=(BlockState.PROPOSED, BlockState.DISMISSED)),
                             pk=pk, member__card=card)  # the household sees a block once it is notified
    form = ContestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            blocking.contest(item, form.cleaned_data["reason"])
            messages.success(request, _("Your objection was sent to your centre."))
            return redirect("ration:my_card")
        except blocking.DueProcessError as e:
            form.add_error(None, str(e))
    return render(request, "ration/notice.html", {"block": item, "rule": blocking.rules().get(item.rule),
                                                  "contest_form": form, "public": True})


@login_not_required
@require_http_methods(["GET", "POST"])
def apply(request):
    form = ApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        app = agents.apply(**form.cleaned_data, request=request)
        return render(request, "ration/portal/applied.html", {"app": app, "due": agents.due_on(app)})
    return render(request, "ration/portal/apply.html", {"form": form})
