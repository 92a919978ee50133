"""The insured worker's own pages: their service record, statement and pension estimate, and voluntary
retirement (pay months online, ask for another category). A worker sees only their own record."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sijill.audit.access import requires
from sijill.audit.models import Action
from sijill.audit.trail import record

from . import ledger, service_record, voluntary
from .forms import CategoryForm, VoluntaryPayForm
from .models import Subscription
from .registration import NotAllowed
from .tables import categories_on


@requires("damaan_worker")
def me(request):
    person = getattr(request.user, "insured", None)
    if person is None:
        return redirect("damaan:join_worker")
    sub = getattr(person, "subscription", None)
    record(Action.VIEW_PERSON, request=request, target=person, what="own record")
    cats = list(categories_on(dt.date.today()))
    return render(request, "damaan/me.html", {
        "person": person, "months": service_record.service_months(person)[:240],
        "estimate": service_record.estimate(person), "statement": ledger.worker_statement(person)[:60],
        "spells": person.spells.select_related("establishment"), "sub": sub,
        "unpaid": list(voluntary.unpaid(sub)) if sub else [], "pay_form": VoluntaryPayForm(),
        "category_form": CategoryForm(categories=cats), "category": voluntary.category_in(sub, dt.date.today())
        if sub and sub.start <= dt.date.today() else None, "requests": sub.requests.all() if sub else []})


@requires("damaan_worker")
@require_POST
def voluntary_pay(request):
    sub = get_object_or_404(Subscription, insured__user=request.user)
    form = VoluntaryPayForm(request.POST)
    if form.is_valid():
        try:
            payment = voluntary.pay(request.user, sub, form.cleaned_data["months"], form.cleaned_data["reference"],
                                    dt.date.today(), request=request)
            messages.success(request, _("Paid %(amount)s IQD.") % {"amount": f"{payment.amount:,}"})
        except (ValueError, NotAllowed) as e:
            messages.error(request, str(e))
    else:
        messages.error(request, _("Give the number of months and the payment's reference."))
    return redirect("damaan:me")


@requires("damaan_worker")
@require_POST
def voluntary_category(request):
    sub = get_object_or_404(Subscription, insured__user=request.user)
    form = CategoryForm(request.POST, categories=list(categories_on(dt.date.today())))
    if form.is_valid():
        try:
            voluntary.request_category(request.user, sub, form.categories[form.cleaned_data["category"]],
                                       request=request)
            messages.success(request, _("Request sent; the directorate decides."))
        except ValueError as e:
            messages.error(request, str(e))
    return redirect("damaan:me")
