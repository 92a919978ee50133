"""Rules pages: the rules in force and their versions, a change with its what-if preview, and running the
rules over a cycle. Aggregates only: no page here lists beneficiaries."""

from __future__ import annotations

import json

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from sijill.audit.access import deny, requires
from sijill.exchange.models import Cycle

from . import rules as rule_versions
from .evaluate import RuleSpec, preview
from .forms import RuleChangeForm
from .models import Rule


def rule_list(request):
    """The rules and their versions (who may preview), and links to each cycle's findings (who runs cycles)."""
    if not (request.user.can("preview_rules") or request.user.can("run_cycles")):
        raise deny(request, "role lacks preview_rules")
    in_force = {r.pk for r in rule_versions.in_force()}
    versions = Rule.objects.annotate(findings_count=Count("findings")).order_by("code", "-version")
    cycles = Cycle.objects.all()[:12] if request.user.can("run_cycles") else []
    return render(request, "eligibility/rules.html", {"versions": versions, "in_force": in_force, "cycles": cycles})


@requires("preview_rules")
@require_http_methods(["GET", "POST"])
def rule(request, pk: int):
    """A version, its history, and a change: previewed (what-if) before it is saved, saved as a new version."""
    current = get_object_or_404(Rule, pk=pk)
    initial = {"name_ar": current.name_ar, "cycle": Cycle.objects.first(),
               "parameters": json.dumps(current.parameters, ensure_ascii=False, indent=2)}
    form = RuleChangeForm(request.POST or None, kind=current.kind, initial=initial)
    what_if = base = None
    if request.method == "POST" and form.is_valid():
        action = request.POST.get("action", "preview")
        if action in ("save", "save_in_force"):
            if not request.user.can("manage_rules"):
                messages.error(request, _("Only administrators change rules."))
            else:
                created = rule_versions.new_version(current, parameters=form.cleaned_data["parameters"],
                                                    note=form.cleaned_data["note"], user=request.user,
                                                    active=action == "save_in_force",
                                                    name_ar=form.cleaned_data["name_ar"], request=request)
                messages.success(request, _("Saved as version %(v)d.") % {"v": created.version})
                return redirect("eligibility:rule", pk=created.pk)
        cycle = form.cleaned_data["cycle"]
        if cycle is not None:
            draft = RuleSpec(current.code, current.kind, current.agency, form.cleaned_data["parameters"])
            what_if, base = preview(draft, cycle), preview(RuleSpec.of(current), cycle)
    history = Rule.objects.filter(code=current.code).select_related("created_by").order_by("-version")
    return render(request, "eligibility/rule.html", {"rule": current, "form": form, "what_if": what_if,
                                                     "base": base, "history": history})


@requires("manage_rules")
@require_POST
def set_in_force(request, pk: int):
    current = get_object_or_404(Rule, pk=pk)
    if request.POST.get("withdraw"):
        rule_versions.withdraw(current, user=request.user, request=request)
        messages.success(request, _("The rule is no longer in force."))
    else:
        rule_versions.put_in_force(current, user=request.user, request=request)
        messages.success(request, _("Version %(v)d is in force.") % {"v": current.version})
    return redirect("eligibility:rule", pk=pk)
