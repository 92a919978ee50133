"""The ministry's dashboard and cycle reports; their XLSX and PDF exports (each written to the audit trail)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sijill.audit.access import requires
from sijill.audit.models import Action
from sijill.audit.trail import record
from sijill.exchange.models import Cycle

from . import figures
from .charts import bar_chart
from .cycle import cycle_report
from .pdf import report_pdf
from .xlsx import workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _rtl() -> bool:
    return translation.get_language_bidi()


def _charted(tables):
    return [(t, bar_chart(t, rtl=_rtl())) for t in tables]


def _export(request, fmt: str, name: str, title: str, tables, notes=(), **details):
    """The XLSX or PDF of ``tables``, after an audit entry naming what left the system."""
    record(Action.EXPORT, request=request, what=name, format=fmt, tables=[t.key for t in tables],
           rows=sum(len(t.rows) for t in tables), **details)
    stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    if fmt == "xlsx":
        body, content_type = workbook(tables, title, rtl=_rtl()), XLSX
    else:
        subtitle = _("Produced by Sijill on %(when)s") % {"when": stamp}
        body, content_type = report_pdf(title, subtitle, tables, notes, rtl=_rtl()), "application/pdf"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="sijill-{name}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response


def _headline_notes(numbers: dict) -> list[str]:
    return [
        _("Findings: %(findings)s, about %(persons)s beneficiaries. Cases: %(cases)s, of which %(decided)s decided "
          "(%(confirmed)s confirmed, %(cleared)s cleared).") % {k: f"{v:,}" for k, v in numbers.items()},
        _("Monthly saving from confirmed stops: %(monthly_saving)s IQD. Due: %(due)s IQD; recovered: %(recovered)s "
          "IQD; written off: %(written_off)s IQD.") % {k: f"{v:,}" for k, v in numbers.items()},
    ]


@requires("view_reports")
def dashboard(request):
    tables = figures.dashboard()
    numbers = figures.headline()
    fmt = request.GET.get("format")
    if fmt in ("xlsx", "pdf"):
        return _export(request, fmt, "dashboard", _("What the cross-matching achieved"), tables,
                       _headline_notes(numbers))
    cycles = Cycle.objects.order_by("-opened_at")[:24]
    return render(request, "reports/dashboard.html", {"tables": _charted(tables), "numbers": numbers,
                                                      "cycles": cycles})


@requires("view_reports")
def cycle(request, code: str):
    item = get_object_or_404(Cycle, code=code)
    tables = [cycle_report(item)]
    fmt = request.GET.get("format")
    if fmt in ("xlsx", "pdf"):
        return _export(request, fmt, f"cycle-{item.code}", f"{_('Cycle report')} {item.code}", tables,
                       cycle=item.code)
    return render(request, "reports/cycle.html", {"cycle": item, "tables": _charted(tables)})
