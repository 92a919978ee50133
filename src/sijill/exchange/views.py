"""Exchange pages: feeds and keys, uploads, cycles and their runs, hits and their review.

No page shows what a package holds (only its hash, size, record count and verdict). Hits are personal
data: every list and every hit opened is written to the audit trail.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sijill.audit.access import deny, requires
from sijill.audit.trail import record
from sijill.common.explain import explain
from sijill.common.scoping import in_scope
from sijill.registry.models import Person

from . import cycles, runs, services, trust
from .forms import KeyForm, OpenCycleForm, PackageForm, ReviewForm
from .models import Agency, Cycle, CycleState, Hit, MatchClass, Package, Run, RunState
from .uploads import PackageRefused, receive_package

PAGE_SIZE = 50


@requires("view_hits")
def dashboard(request):
    return render(request, "exchange/dashboard.html", {"feeds": services.feeds(),
                                                       "cycles": Cycle.objects.all()[:5]})


@requires("manage_agencies")
@require_http_methods(["GET", "POST"])
def agency_key(request, code: str):
    agency = get_object_or_404(Agency, code=code)
    form = KeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            trust.register_key(agency, form.cleaned_data["key"], user=request.user, request=request)
        except trust.KeyRefused as e:
            form.add_error("key", str(e))
        else:
            messages.success(request, _("The signing key of %(agency)s is registered (fingerprint %(fp)s).")
                             % {"agency": agency.name, "fp": agency.key_fingerprint})
            return redirect("exchange:dashboard")
    return render(request, "exchange/agency_key.html", {"agency": agency, "form": form})


@requires("upload_packages")
@require_GET
def upload(request):
    """An agency data officer's page: where to send the package (the hub, never here) and its verdicts there."""
    from . import hub

    agency = Agency.objects.filter(code=request.user.agency, active=True).first()
    if agency is None:
        raise deny(request, "officer of no active agency", agency=request.user.agency)
    open_cycle = Cycle.objects.filter(state=CycleState.OPEN).first()
    at_hub, hub_down = [], False
    if open_cycle is not None:
        try:
            at_hub = [p for p in hub.hub_packages(open_cycle) if p.holder == agency.code]
        except hub.HubError:
            hub_down = True
    refused_here = Package.objects.filter(agency=agency).select_related("cycle")[:50]
    return render(request, "exchange/upload.html", {
        "agency": agency, "open": open_cycle, "agreement": agency.agreement_in_force(), "at_hub": at_hub,
        "hub_down": hub_down, "hub_url": settings.HUB_URL or "HUB_ADDRESS", "uploads": refused_here})


@requires("run_cycles")
@require_http_methods(["GET", "POST"])
def cycle_list(request):
    form = OpenCycleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cycle = cycles.open_cycle(user=request.user, request=request, note=form.cleaned_data["note"],
                                      rotate_registry_key=form.cleaned_data["rotate_registry_key"])
        except (cycles.CycleError, OSError, ValueError) as e:
            messages.error(request, str(e))
        else:
            return redirect("exchange:cycle", code=cycle.code)
    return render(request, "exchange/cycles.html", {"cycles": Cycle.objects.all()[:50], "form": form})


@requires("run_cycles")
@require_http_methods(["GET", "POST"])
def cycle_page(request, code: str):
    cycle = get_object_or_404(Cycle, code=code)
    runs.fail_stale_runs()
    cycle.refresh_from_db()
    form = PackageForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():  # the registry's own package
        try:
            receive_package(form.cleaned_data["file"], agency=None, user=request.user, cycle=cycle, request=request)
        except PackageRefused as refused:
            messages.error(request, _("The package was refused: %(reason)s") % {"reason": refused.reason})
        else:
            messages.success(request, _("The registry's package was accepted."))
        return redirect("exchange:cycle", code=cycle.code)
    context = {"cycle": cycle, "holdings": cycles.holdings(cycle), "reminder": cycles.key_reminder(cycle),
               "runs": cycle.runs.select_related("started_by"), "form": form,
               "counts": _counts(cycle)}
    return render(request, "exchange/cycle.html", context)


def _counts(cycle: Cycle) -> list[tuple[Agency, dict]]:
    """Hits of the cycle's last successful run, per agency and class."""
    last = cycle.runs.filter(state=RunState.SUCCEEDED).first()
    if last is None:
        return []
    counts = last.hit_counts()
    agencies = Agency.objects.in_bulk(list(counts), field_name="code")
    return [(agencies[code], by_class) for code, by_class in counts.items()]


@requires("run_cycles")
@require_POST
def cycle_close(request, code: str):
    cycle = get_object_or_404(Cycle, code=code)
    try:
        cycles.close_cycle(cycle, user=request.user, request=request)
    except cycles.CycleError as e:
        messages.error(request, str(e))
    return redirect("exchange:cycle", code=cycle.code)


@requires("run_cycles")
def run_progress(request, pk: int):
    """The run's stage and progress; htmx polls it while the run is queued or running."""
    runs.fail_stale_runs()
    run = get_object_or_404(Run.objects.select_related("cycle"), pk=pk)
    return render(request, "exchange/_run.html", {"run": run})


def _visible_hits(request):
    return in_scope(Hit.objects.select_related("person", "agency", "cycle"), request.user, "person__governorate")


@requires("view_hits")
def hit_list(request, code: str):
    cycle = get_object_or_404(Cycle, code=code)
    run = cycle.runs.filter(state=RunState.SUCCEEDED).first()
    hits = _visible_hits(request).filter(run=run) if run else Hit.objects.none()
    agency, match_class = request.GET.get("agency", ""), request.GET.get("class", "")
    if agency:
        hits = hits.filter(agency__code=agency)
    if match_class in MatchClass.values:
        hits = hits.filter(match_class=match_class)
    page = Paginator(hits.order_by("agency__code", "match_class", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    record("hits_list", request=request, target=cycle, agency=agency, match_class=match_class, page=page.number,
           shown=len(page.object_list))
    return render(request, "exchange/hits.html", {
        "cycle": cycle, "run": run, "page": page, "agencies": Agency.objects.filter(hits__cycle=cycle).distinct(),
        "agency": agency, "match_class": match_class, "classes": MatchClass.choices,
        "rows": [(h, explain(h.explanation)) for h in page.object_list]})


@requires("view_hits")
@require_http_methods(["GET", "POST"])
def hit_page(request, pk: int):
    hit = get_object_or_404(_visible_hits(request), pk=pk)
    form = ReviewForm(request.POST or None)
    if request.method == "POST":
        if not request.user.can("review_hits"):
            raise deny(request, "role lacks review_hits")
        if form.is_valid():
            try:
                services.review_hit(hit, form.cleaned_data["decision"], form.cleaned_data["note"],
                                    user=request.user, request=request)
            except services.ReviewError:
                messages.error(request, _("This hit is not awaiting review."))
            else:
                messages.success(request, _("Your decision is recorded."))
                nxt = services.review_queue(_visible_hits(request)).first()
                return redirect("exchange:hit", pk=nxt.pk) if nxt else redirect("exchange:review")
    record("hit_view", request=request, target=hit.person, hit=hit.pk, agency=hit.agency.code,
           cycle=hit.cycle.code)
    return render(request, "exchange/hit.html", {"hit": hit, "sentences": explain(hit.explanation), "form": form})


@requires("review_hits")
def review_queue(request):
    hits = services.review_queue(_visible_hits(request))
    page = Paginator(hits, PAGE_SIZE).get_page(request.GET.get("page"))
    record("hits_list", request=request, review="pending", page=page.number, shown=len(page.object_list))
    return render(request, "exchange/review.html", {
        "page": page, "rows": [(h, explain(h.explanation)) for h in page.object_list]})


@requires("view_hits")
def person_hits(request, pk: int):
    person = get_object_or_404(Person, pk=pk)
    if not request.user.sees_governorate(person.governorate):
        raise deny(request, "record outside the user's governorates", record=person.record_id)
    hits = person.hits.select_related("agency", "cycle").order_by("-cycle__opened_at", "agency__code")
    record("hit_view", request=request, target=person, hits=[h.pk for h in hits])
    return render(request, "exchange/person_hits.html", {
        "person": person, "rows": [(h, explain(h.explanation)) for h in hits]})
