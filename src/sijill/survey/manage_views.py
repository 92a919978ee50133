"""The survey manager's and supervisors' pages: campaigns and their progress, assignment, questionnaires,
interviews with their flags, back-checks, the monitoring dashboard and the proxy-means test."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sijill.audit.access import requires
from sijill.audit.models import Action
from sijill.audit.trail import record
from sijill.common.pages import page_number
from sijill.reports.charts import bar_chart
from sijill.reports.xlsx import workbook

from . import backchecks, campaigns, dashboard, monitoring, pmt, xlsform
from .forms import CampaignForm, PmtForm, QuestionnaireForm, ReassignForm
from .models import BackCheck, BackCheckState, Campaign, PmtModel, Questionnaire
from .queries import interview_for, interviews_for, targets_for
from .rescore import rescore_task


def home(request):
    if request.user.can("do_interviews"):
        return redirect("survey:mine")
    return redirect("survey:campaigns")


@requires("supervise_survey")
def campaign_list(request):
    form = CampaignForm(request.POST or None) if request.user.can("manage_survey") else None
    if form is not None and request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if Campaign.objects.filter(code=data["code"]).exists():
            form.add_error("code", _("A campaign with this code exists."))
        else:
            item = campaigns.create(actor=request.user, **data)
            messages.success(request, _("Campaign created with %(n)d households.") % {"n": item.targets.count()})
            return redirect("survey:campaign", pk=item.pk)
    if form is not None and not form.is_bound:
        form.initial["questionnaire"] = campaigns.default_questionnaire()
    return render(request, "survey/campaigns.html", {"items": Campaign.objects.select_related("questionnaire"),
                                                     "form": form})


@requires("supervise_survey")
def campaign(request, pk: int):
    item = get_object_or_404(Campaign, pk=pk)
    form = ReassignForm(request.POST or None)
    if request.method == "POST" and request.user.can("manage_survey") and form.is_valid():
        data = form.cleaned_data
        chosen = item.targets.all()
        numbers = [n.strip() for n in data["households"].splitlines() if n.strip()]
        if numbers:
            chosen = chosen.filter(household__household_id__in=numbers)
        elif data["from_researcher"]:
            chosen = chosen.filter(researcher=data["from_researcher"])
        else:
            chosen = chosen.none()
        try:
            moved = campaigns.reassign(chosen, data["researcher"], actor=request.user, reason=data["reason"])
        except campaigns.ReassignRefused as e:
            form.add_error("researcher", str(e))
        else:
            messages.success(request, _("%(n)d households re-assigned.") % {"n": moved})
            return redirect("survey:campaign", pk=pk)
    return render(request, "survey/campaign.html", {"item": item, "form": form,
                                                    "progress": campaigns.progress(item, targets_for(request.user)
                                                                                   .filter(campaign=item))})


@requires("manage_survey")
@require_POST
def assign(request, pk: int):
    done = campaigns.assign(get_object_or_404(Campaign, pk=pk), actor=request.user)
    messages.success(request, _("%(a)d households assigned; %(u)d found no researcher in their governorate.") % {
        "a": done["assigned"], "u": done["unassigned"]})
    return redirect("survey:campaign", pk=pk)


@requires("manage_survey")
def questionnaires(request):
    form = QuestionnaireForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            item = campaigns.upload_questionnaire(upload.read(), upload.name, request.user)
        except xlsform.FormError as e:
            form.add_error("file", str(e))
        else:
            messages.success(request, _("Questionnaire %(v)s loaded.") % {"v": item})
            return redirect("survey:questionnaires")
    campaigns.default_questionnaire()
    return render(request, "survey/questionnaires.html", {"items": Questionnaire.objects.all(), "form": form})


@requires("manage_survey")
def questionnaire_file(request, pk: int):
    item = get_object_or_404(Questionnaire, pk=pk)
    return HttpResponse(bytes(item.source), content_type="application/octet-stream",
                        headers={"Content-Disposition": f'attachment; filename="{item.file_name}"'})


@requires("supervise_survey")
def interview_list(request):
    items = interviews_for(request.user).select_related("target__household", "researcher").prefetch_related("flags")
    if request.GET.get("flagged"):
        items = monitoring.flagged_interviews(items)
    page = Paginator(items.order_by("-started_at", "pk"), 30).get_page(page_number(request.GET))
    return render(request, "survey/interviews.html", {"page": page, "flagged": bool(request.GET.get("flagged"))})


@requires("supervise_survey")
def interview(request, pk: int):
    item = interview_for(request, pk)
    record(Action.VIEW_PERSON, request=request, target=item.target.household or item.target, interview=item.pk)
    spec, language = item.questionnaire.spec, (request.LANGUAGE_CODE or "ar")[:2]
    shown = [(xlsform.label(q["label"], language), xlsform.shown(q, item.answers.get(q["name"]), language))
             for q in xlsform.questions(spec) if q["type"] != "repeat" and q["name"] in item.answers]
    roster = xlsform.questions(spec, "members")
    members = [[xlsform.shown(q, m.get(q["name"]), language) for q in roster if q["name"] in m]
               for m in item.answers.get("members") or []]
    return render(request, "survey/interview_detail.html", {
        "item": item, "answers": shown, "members": members,
        "flags": [(monitoring.title(f.code), monitoring.explain(f)) for f in item.flags.all()],
        "backchecks": item.backchecks.select_related("checker")})


@requires("supervise_survey")
@require_POST
def select_backchecks(request):
    made = backchecks.select(interviews_for(request.user), actor=request.user)
    messages.success(request, _("%(n)d back-checks assigned.") % {"n": made})
    return redirect("survey:dashboard")


@requires("supervise_survey")
def dashboard_view(request):
    tables = dashboard.tables(interviews_for(request.user))
    if request.GET.get("format") == "xlsx":
        record(Action.EXPORT, request=request, what="survey monitoring dashboard")
        return HttpResponse(workbook(tables, _("Survey monitoring")), headers={
            "Content-Disposition": 'attachment; filename="survey-monitoring.xlsx"'},
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    rtl = not (request.LANGUAGE_CODE or "ar").startswith("en")
    mine = (BackCheck.objects.filter(checker=request.user, state=BackCheckState.PENDING)
            .select_related("interview__target__household"))
    return render(request, "survey/dashboard.html", {"tables": [(t, bar_chart(t, rtl=rtl)) for t in tables],
                                                     "calls": mine})


@requires("preview_pmt")
def pmt_view(request):
    current = pmt.in_force()
    initial = {"weights": pmt.weights_csv(current), "cutoffs": pmt.cutoffs_csv(current),
               "effective_from": dt.date.today(), "note": ""}
    form = PmtForm(request.POST or None, initial=initial)
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            intercept, weights = pmt.parse_weights(data["weights"])
            cutoffs = pmt.parse_cutoffs(data["cutoffs"])
        except pmt.PmtError as e:
            form.add_error(None, str(e))
        else:
            if "save" in request.POST and request.user.can("manage_pmt"):
                version = (PmtModel.objects.order_by("-version").values_list("version", flat=True).first() or 0) + 1
                item = PmtModel.objects.create(version=version, effective_from=data["effective_from"],
                                               intercept=intercept, weights=weights, cutoffs=cutoffs,
                                               note=data["note"], created_by=request.user)
                record("survey_pmt_version", request=request, target=item, effective_from=str(item.effective_from))
                messages.success(request, _("Version %(v)d saved.") % {"v": version})
                if item.effective_from <= dt.date.today():
                    rescore_task.enqueue(item.pk)
                    messages.info(request, _("Every interview is being scored again in the background; an "
                                             "enrolled household found not eligible goes to a case."))
                return redirect("survey:pmt")
            preview = pmt.what_if(pmt.Formula(intercept, {w["variable"]: w["weight"] for w in weights}, cutoffs))
    return render(request, "survey/pmt.html", {"current": current, "versions": PmtModel.objects.all(),
                                               "form": form, "preview": preview})
