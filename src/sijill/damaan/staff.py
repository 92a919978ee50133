"""The directorate's pages: the establishments waiting for review, decisions with reasons, insured persons
(every view of a person audited), flagged duplicates, category requests, the contribution tables and the explicit
recomputation of a month under another table version."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from sijill.audit.access import requires
from sijill.audit.models import Action
from sijill.audit.trail import record
from sijill.identity.text import to_ascii_digits

from . import declarations, ledger, registration, service_record, voluntary
from .forms import DecisionForm, RecomputeForm
from .models import (
    CategoryRequest,
    Certificate,
    Conditions,
    Declaration,
    DuplicateFlag,
    Establishment,
    EstablishmentState,
    Insured,
    RateTable,
    Subscription,
    VoluntaryCategory,
)


@requires("damaan_staff")
def dashboard(request):
    state = request.GET.get("state") or EstablishmentState.PENDING
    establishments = (Establishment.objects.filter(state=state) if state != "all" else Establishment.objects.all())
    return render(request, "damaan/staff.html", {
        "state": state, "states": EstablishmentState.choices,
        "establishments": establishments.annotate(workers=Count("spells", filter=Q(spells__end__isnull=True)))[:200],
        "counts": {"establishments": Establishment.objects.count(), "insured": Insured.objects.count(),
                   "without_id": Insured.objects.filter(national_id="").count(),
                   "voluntary": Subscription.objects.count(), "declarations": Declaration.objects.count(),
                   "certificates": Certificate.objects.count(),
                   "revoked": Certificate.objects.filter(revoked_on__isnull=False).count()},
        "duplicates": DuplicateFlag.objects.filter(resolved=False).count(),
        "requests": CategoryRequest.objects.filter(state=CategoryRequest.State.PENDING).select_related(
            "subscription__insured", "category")})


@requires("damaan_approve")
@require_http_methods(["GET", "POST"])
def decide(request, number: str):
    est = get_object_or_404(Establishment, number=number)
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        registration.decide_establishment(request.user, est, form.cleaned_data["approve"],
                                          form.cleaned_data.get("note") or "", request=request)
        messages.success(request, _("Decision recorded."))
        return redirect("damaan:staff")
    return render(request, "damaan/decide.html", {"est": est, "form": form})


@requires("damaan_staff")
def insured_search(request):
    q = to_ascii_digits(request.GET.get("q", "")).strip()
    found = []
    if q:
        found = list(Insured.objects.filter(Q(national_id=q) | Q(number=q))[:20])
        record(Action.SEARCH, request=request, what="damaan insured", found=len(found),
               records=[p.number for p in found])
    return render(request, "damaan/insured_search.html", {"q": q, "found": found})


@requires("damaan_staff")
def insured(request, number: str):
    person = get_object_or_404(Insured, number=number)
    record(Action.VIEW_PERSON, request=request, target=person)
    return render(request, "damaan/insured.html", {
        "person": person, "months": service_record.service_months(person)[:240],
        "estimate": service_record.estimate(person), "statement": ledger.worker_statement(person)[:60],
        "spells": person.spells.select_related("establishment"),
        "flags": DuplicateFlag.objects.filter(Q(first=person) | Q(second=person)).select_related("first", "second")})


@requires("damaan_staff")
def duplicates(request):
    flags = DuplicateFlag.objects.filter(resolved=False).select_related("first", "second")[:200]
    return render(request, "damaan/duplicates.html", {"flags": flags})


@requires("damaan_approve")
@require_POST
def resolve_duplicate(request, pk: int):
    flag = get_object_or_404(DuplicateFlag, pk=pk)
    note = (request.POST.get("note") or "").strip()
    if not note:
        messages.error(request, _("Say what was found."))
        return redirect("damaan:duplicates")
    flag.resolved, flag.note = True, note
    flag.save(update_fields=["resolved", "note"])
    record(Action.DECISION, request=request, target=flag.first, what="duplicate flag", other=flag.second.number,
           note=note)
    return redirect("damaan:duplicates")


@requires("damaan_approve")
@require_POST
def decide_category(request, pk: int):
    req = get_object_or_404(CategoryRequest, pk=pk)
    try:
        voluntary.decide_category(request.user, req, request.POST.get("approve") == "1", request.POST.get("note", ""),
                                  request=request)
    except ValueError as e:
        messages.error(request, str(e))
    return redirect("damaan:staff")


@requires("damaan_tables")
def tables(request):
    return render(request, "damaan/tables.html", {
        "rates": RateTable.objects.all(), "conditions": Conditions.objects.all(),
        "categories": VoluntaryCategory.objects.all()})


@requires("damaan_tables")
@require_http_methods(["GET", "POST"])
def recompute(request, pk: int):
    declaration = get_object_or_404(Declaration.objects.select_related("establishment"), pk=pk, current=True)
    form = RecomputeForm(request.POST or request.GET or None)
    diff = None
    if form.is_bound and form.is_valid():
        diff = declarations.preview_recompute(declaration, form.cleaned_data["table"])
        if request.method == "POST" and request.POST.get("confirm") == "1":
            declarations.recompute(request.user, declaration, form.cleaned_data["table"], form.cleaned_data["reason"],
                                   request=request)
            messages.success(request, _("Recomputed; the difference is in the audit trail."))
            return redirect("damaan:establishment", number=declaration.establishment.number)
    return render(request, "damaan/recompute.html", {"declaration": declaration, "form": form, "diff": diff,
                                                     "history": declaration.assessments.select_related("table")})
