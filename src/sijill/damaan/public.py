"""Damaan's public pages (no login): the portal's front page, online sign-up of an employer's representative, of a
worker and of a self-employed subscriber, and the verification of a clearance certificate, which shows the state,
the establishment's name and the dates, and nothing else."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sijill.accounts.roles import Role
from sijill.audit.trail import client_ip

from . import certificates, registration, voluntary
from .forms import AccountForm, EstablishmentForm, PersonForm, VerifyForm, VoluntaryForm
from .registration import NotAllowed
from .tables import categories_on


@login_not_required
def front(request):
    return render(request, "damaan/front.html")


def _account(form: AccountForm, role: str):
    user = get_user_model().objects.create_user(form.cleaned_data["username"], password=form.cleaned_data["password"],
                                                role=role)
    return user


@login_not_required
@require_http_methods(["GET", "POST"])
def join_employer(request):
    account, est = AccountForm(request.POST or None, prefix="a"), EstablishmentForm(request.POST or None, prefix="e")
    if request.method == "POST" and account.is_valid() and est.is_valid():
        with transaction.atomic():
            user = _account(account, Role.EMPLOYER)
            made = registration.register_establishment(user, est.cleaned_data, request=request)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Registered. The directorate reviews the establishment; you will read its answer "
                                    "here."))
        return redirect("damaan:establishment", number=made.number)
    return render(request, "damaan/join_employer.html", {"account": account, "est": est})


@login_not_required
@require_http_methods(["GET", "POST"])
def join_worker(request):
    account, person = AccountForm(request.POST or None, prefix="a"), PersonForm(request.POST or None, prefix="p")
    if request.method == "POST" and account.is_valid() and person.is_valid():
        try:
            with transaction.atomic():
                user = _account(account, Role.INSURED_WORKER)
                registration.claim_record(user, person.details, request=request)
        except NotAllowed:
            person.add_error(None, _("This record is already tied to another account; the directorate can help."))
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("damaan:me")
    return render(request, "damaan/join_worker.html", {"account": account, "person": person})


@login_not_required
@require_http_methods(["GET", "POST"])
def join_voluntary(request):
    cats = list(categories_on(dt.date.today()))
    account = AccountForm(request.POST or None, prefix="a")
    form = VoluntaryForm(request.POST or None, prefix="p", categories=cats)
    if request.method == "POST" and account.is_valid() and form.is_valid():
        try:
            with transaction.atomic():
                user = _account(account, Role.INSURED_WORKER)
                voluntary.subscribe(user, form.details, form.cleaned_data["occupation"],
                                    form.categories[form.cleaned_data["category"]], form.cleaned_data["start"],
                                    request=request)
        except (NotAllowed, ValueError):
            form.add_error(None, _("This person is already registered; log in, or ask the directorate."))
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Subscribed to voluntary retirement. Pay your first month below."))
            return redirect("damaan:me")
    return render(request, "damaan/join_voluntary.html", {"account": account, "form": form, "categories": cats})


@login_not_required
@require_http_methods(["GET", "POST"])
def verify(request, number: str = ""):
    form = VerifyForm(request.POST or ({"number": number} if number else None))
    found, asked, refused = None, False, False
    if form.is_bound and form.is_valid():
        asked = True
        try:
            found = certificates.verify(form.cleaned_data["number"], client_ip(request))
        except certificates.TooManyTries:
            refused = True
    response = render(request, "damaan/verify.html", {"form": form, "found": found, "asked": asked,
                                                      "refused": refused}, status=429 if refused else 200)
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
