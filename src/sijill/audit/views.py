"""The auditor's pages: browse and filter the trail, export it, and check its chain."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from sijill import spreadsheet
from sijill.audit.access import requires
from sijill.common.pages import page_number

from . import alerts
from .forms import TrailFilterForm
from .models import Action, AuditEntry
from .trail import record, verify


def _filtered(request):
    form = TrailFilterForm(request.GET or None)
    entries = AuditEntry.objects.all()
    if form.is_bound and form.is_valid():
        entries = form.filter(entries)
    return form, entries.order_by("-seq")


@requires("browse_audit")
def trail(request):
    form, entries = _filtered(request)
    page = Paginator(entries, 50).get_page(page_number(request.GET))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/trail.html", {"form": form, "page": page, "query": query.urlencode(),
                                                "alerts": alerts.recent()})


@requires("browse_audit")
def export(request):
    form, entries = _filtered(request)
    count = entries.count()
    record(Action.EXPORT, request=request, what="audit trail", rows=count,
           filters=form.as_dict() if form.is_bound and form.is_valid() else {})
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-trail.csv"'
    writer = spreadsheet.csv_writer(response)
    writer.writerow(["seq", "at", "actor", "role", "action", "target_type", "target_id", "details", "ip",
                     "prev_hash", "hash"])
    for e in entries.iterator(chunk_size=2000):
        writer.writerow([e.seq, e.at.isoformat(), e.actor, e.role, e.action, e.target_type, e.target_id,
                         e.details, e.ip, e.prev_hash, e.hash])
    return response


@requires("browse_audit")
@require_POST
def check(request):
    result = verify()
    record(Action.VERIFY, request=request, ok=result.ok, entries=result.entries, broken=result.broken_seq)
    template = "audit/_verification.html" if request.htmx else "audit/verified.html"
    return render(request, template, {"result": result})
