"""The pages that start the orchestrator's steps: running a cycle, running the rules over it. Routed inside the
exchange and eligibility namespaces (``cycles.urls``), where their pages link to them."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from sijill.audit.access import requires
from sijill.eligibility.forms import EvaluateForm
from sijill.eligibility.models import Finding
from sijill.exchange.cycles import CycleError
from sijill.exchange.models import Cycle

from . import orchestrator


@requires("run_cycles")
@require_POST
def cycle_run(request, code: str):
    cycle = get_object_or_404(Cycle, code=code)
    try:
        orchestrator.start_run(cycle, user=request.user, request=request)
    except CycleError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, _("The run is queued; the worker (`sijill worker`) takes it in a moment."))
    return redirect("exchange:cycle", code=cycle.code)


@requires("run_cycles")
@require_http_methods(["GET", "POST"])
def cycle_findings(request, pk: int):
    """The findings of a cycle, counted by rule, governorate and programme; and running the rules."""
    cycle = get_object_or_404(Cycle, pk=pk)
    form = EvaluateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = orchestrator.evaluate(cycle, actor=request.user, as_of=form.cleaned_data["as_of"], request=request)
        messages.success(request, _("%(n)d new findings; %(o)d cases opened, %(j)d joined.") % {
            "n": result.created, "o": result.cases_opened, "j": result.cases_joined})
        return redirect("eligibility:cycle", pk=pk)
    findings = Finding.objects.filter(cycle=cycle)
    by = {name: list(findings.values(field).annotate(n=Count("id"), monthly=Sum("monthly_amount_iqd"))
                     .order_by("-n"))
          for name, field in (("rule", "rule__name_ar"), ("governorate", "case__governorate"),
                              ("programme", "enrolment__programme__code"))}
    return render(request, "eligibility/cycle.html", {"cycle": cycle, "form": form, "by": by,
                                                      "total": findings.count()})
