"""Registry pages. Search-first: no page lists beneficiaries; every search and every view of a record is
written to the audit trail."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sijill import spreadsheet
from sijill.audit.access import deny, requires
from sijill.audit.models import Action
from sijill.audit.trail import record
from sijill.common.explain import MatchClass, explain
from sijill.common.pages import page_number
from sijill.registry.importing.schema import SchemaError
from sijill.tabular import FileFormatError

from . import addresses, services
from .forms import DecisionForm, ImportForm, SearchForm
from .models import DuplicatePair, ImportRun, Payment, Person
from .search import search as run_search


@requires("search_people")
@require_http_methods(["GET", "POST"])
def search(request):
    """POST, so that no name or national ID ends up in a URL (browser history, server and proxy logs)."""
    form = SearchForm(request.POST or None)
    result = page = None
    if form.is_bound and form.is_valid():
        query = form.query()
        result = run_search(query, request.user, settings.SEARCH_LIMIT)
        page = Paginator(result.people, settings.SEARCH_PAGE_SIZE).get_page(page_number(request.POST))
        record(Action.SEARCH, request=request, query=query.as_dict(), found=len(result.people),
               truncated=result.truncated, approximate=result.approximate, page=page.number)
    template = "registry/_results.html" if request.htmx else "registry/search.html"
    return render(request, template, {"form": form, "result": result, "page": page})


@requires("view_person")
def person(request, pk: int):
    subject = get_object_or_404(Person.objects.select_related("membership__household"), pk=pk)
    if not request.user.sees_governorate(subject.governorate):
        raise deny(request, "record outside the user's governorates", record=subject.record_id)
    record(Action.VIEW_PERSON, request=request, target=subject)
    membership = getattr(subject, "membership", None)
    household = membership.household if membership else None
    context = {"person": subject, "membership": membership, "household": household, "members": [],
               "enrolments": [], "payments": []}
    if household:
        context["where"] = addresses.of(household)
        context["addresses"] = household.addresses.all()
        context["locations"] = household.locations.all()
        context["members"] = household.memberships.select_related("person").order_by("person__birth_date")
        context["enrolments"] = household.enrolments.select_related("programme").order_by("start_date")
        context["payments"] = (Payment.objects.filter(enrolment__household=household)
                               .select_related("enrolment__programme").order_by("-month")[:24])
    context["pairs"] = DuplicatePair.objects.filter(person_a=subject) | DuplicatePair.objects.filter(person_b=subject)
    return render(request, "registry/person.html", context)


@requires("import_registry")
@require_http_methods(["GET", "POST"])
def import_page(request):
    form = ImportForm(request.POST or None, request.FILES or None, max_bytes=settings.UPLOAD_MAX_BYTES)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.import_upload(form.cleaned_data["file"], form.cleaned_data["schema"], request.user,
                                            request)
        except (FileFormatError, SchemaError, ValueError) as e:
            form.add_error("file", _("This file cannot be imported: %(reason)s") % {"reason": e})
        else:
            messages.success(request, _("Imported %(n)d rows.") % {"n": result.imported})
            return redirect("registry:import_run", pk=result.run_id)
    runs = ImportRun.objects.all()[:20]
    return render(request, "registry/import.html", {"form": form, "runs": runs})


@requires("import_registry")
def import_run(request, pk: int):
    run = get_object_or_404(ImportRun, pk=pk)
    return render(request, "registry/import_run.html", {"run": run, "issues": run.issues.all()[:200]})


@requires("import_registry")
def import_issues_csv(request, pk: int):
    run = get_object_or_404(ImportRun, pk=pk)
    record(Action.EXPORT, request=request, target=run, what="import problems", rows=run.issues.count())
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{run.pk}-problems.csv"'
    writer = spreadsheet.csv_writer(response)
    writer.writerow(["file", "row", "field", "value", "reason", "action"])
    for i in run.issues.iterator():
        writer.writerow([run.file_name, i.row, i.field, i.value, i.reason,
                         "row rejected" if i.rejected else "value left empty"])
    return response


@requires("review_duplicates")
def duplicates(request):
    pairs = (DuplicatePair.objects.visible_to(request.user).pending()
             .select_related("person_a", "person_b").order_by("-score", "pk"))
    page = Paginator(pairs, 20).get_page(page_number(request.GET))
    return render(request, "registry/duplicates.html", {"page": page})


@requires("review_duplicates")
@require_http_methods(["GET", "POST"])
def pair(request, pk: int):
    item = get_object_or_404(DuplicatePair.objects.select_related("person_a", "person_b"), pk=pk)
    if not (request.user.sees_governorate(item.person_a.governorate)
            and request.user.sees_governorate(item.person_b.governorate)):
        raise deny(request, "pair outside the user's governorates", pair=item.pk)
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.decide_pair(item, request.user, form.cleaned_data["decision"], form.cleaned_data["note"], request)
        messages.success(request, _("Decision recorded."))
        return redirect("registry:duplicates")
    if request.method == "GET":
        record(Action.VIEW_PERSON, request=request, target=item,
               records=[item.person_a.record_id, item.person_b.record_id])
    return render(request, "registry/pair.html", {"pair": item, "form": form, "reasons": _reasons(item),
                                                  "match_class": _class_label(item)})


def _class_label(item: DuplicatePair) -> str:
    return dict(MatchClass.choices).get(item.match_class, item.match_class)


def _reasons(item: DuplicatePair) -> list[str]:
    """The hub's explanation in plain sentences (a list of per-field levels, as the hits keep it); an
    explanation written by hand as field -> level is shown as it is."""
    if isinstance(item.explanation, dict):
        return [f"{field}: {level}" for field, level in item.explanation.items()]
    return explain(item.explanation)


@requires("view_overview")
def overview(request):
    figures = services.overview()
    if request.GET.get("format") == "csv":
        record(Action.EXPORT, request=request, what="registry overview", rows=len(figures["rows"]))
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="registry-overview.csv"'
        writer = spreadsheet.DictWriter(response, list(figures["rows"][0]) if figures["rows"] else ["governorate"])
        writer.writeheader()
        writer.writerows(figures["rows"])
        return response
    return render(request, "registry/overview.html", figures)
