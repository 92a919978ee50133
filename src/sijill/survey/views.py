"""The researcher's pages: the households assigned to them, the interview form on the phone (offline, sent
through the outbox), back-checks to do; and the photo view shared with supervisors."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import FileResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from sijill.audit.access import deny, requires
from sijill.audit.models import Action
from sijill.audit.trail import record
from sijill.cases.visits import VisitRefused, photo_from_data_url

from . import backchecks, campaigns, interviews, xlsform
from .forms import ApplicantForm, BackCheckForm
from .models import BackCheck, BackCheckState, InterviewPhoto, Target, TargetState


@requires("do_interviews")
def mine(request):
    waiting = (Target.objects.filter(researcher=request.user, state=TargetState.ASSIGNED)
               .select_related("household", "campaign").order_by("district", "pk"))
    checks = (BackCheck.objects.filter(checker=request.user, state=BackCheckState.PENDING)
              .select_related("interview__target__household"))
    done = request.user.interviews.select_related("target__household").order_by("-received_at")[:30]
    return render(request, "survey/mine.html", {"waiting": waiting, "checks": checks, "done": done})


@requires("do_interviews")
@require_http_methods(["GET", "POST"])
def applicant(request):
    """Register a family that applies in the field, then interview it."""
    form = ApplicantForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        target = campaigns.add_applicant(data["campaign"], name=data["name"], national_id=data["national_id"],
                                         governorate=data["governorate"], district=data["district"],
                                         researcher=request.user)
        return redirect("survey:interview_form", pk=target.pk)
    return render(request, "survey/applicant.html", {"form": form})


@requires("do_interviews")
def interview_form(request, pk: int):
    target = get_object_or_404(Target.objects.select_related("household", "campaign__questionnaire"), pk=pk)
    if target.researcher_id != request.user.pk:
        raise deny(request, "household assigned to someone else", household_target=pk)
    spec = target.campaign.questionnaire.spec
    record(Action.VIEW_PERSON, request=request, target=target.household or target, purpose="survey interview")
    return render(request, "survey/interview.html", {
        "target": target, "spec": spec, "version": target.campaign.questionnaire.version,
        "top": xlsform.questions(spec), "roster": interviews.roster(target),
        "spec_json": {"questions": [{k: q[k] for k in ("name", "type", "repeat", "relevant", "required")}
                                    for q in spec["questions"]]}})


@requires("do_interviews")
@require_POST
def upload(request):
    """The phone's outbox: one JSON interview, sent again until acknowledged (idempotent by client_uuid)."""
    try:
        data = json.loads(request.body.decode("utf-8"))
        target = Target.objects.select_related("campaign__questionnaire", "household").get(pk=int(data.get("target")))
    except (ValueError, TypeError, UnicodeDecodeError, Target.DoesNotExist):
        return JsonResponse({"error": _("The interview could not be read.")}, status=400)
    if target.researcher_id != request.user.pk:
        raise deny(request, "household assigned to someone else", household_target=target.pk)
    try:
        photos = [photo_from_data_url(p) for p in (data.get("photos") or [])]
        item, created = interviews.submit(target, request.user, data, photos=photos, request=request)
    except (interviews.Refused, VisitRefused) as e:
        return JsonResponse({"error": str(e)}, status=422)
    return JsonResponse({"interview": item.pk, "created": created}, status=201 if created else 200)


@require_http_methods(["GET", "POST"])
def backcheck_form(request, pk: int):
    """A back-check: a re-visit by a researcher or a supervisor's phone call, by the one it was given to."""
    if not (request.user.can("do_interviews") or request.user.can("supervise_survey")):
        raise deny(request, "role lacks do_interviews and supervise_survey")
    item = get_object_or_404(BackCheck.objects.select_related("interview__target__household",
                                                              "interview__questionnaire"), pk=pk)
    if item.checker_id != request.user.pk:
        raise deny(request, "back-check assigned to someone else", backcheck=pk)
    return _backcheck(request, item, "survey:mine" if request.user.can("do_interviews") else "survey:dashboard")


def _backcheck(request, item: BackCheck, done: str):
    form = BackCheckForm(item.interview.questionnaire.spec, request.POST or None)
    if request.method == "POST" and item.state == BackCheckState.PENDING and form.is_valid():
        found = backchecks.complete(item, form.answers(), members=form.cleaned_data["members"], actor=request.user)
        messages.success(request, _("Back-check recorded: %(n)d answers differ.") % {"n": len(found)})
        return redirect(done)
    return render(request, "survey/backcheck.html", {"item": item, "form": form})


@require_http_methods(["GET"])
def photo(request, pk: int):
    """A dwelling photo: for the researcher who took it, or a supervisor of the household's governorate."""
    item = get_object_or_404(InterviewPhoto.objects.select_related("interview__target__household"), pk=pk)
    user, target = request.user, item.interview.target
    own = user.can("do_interviews") and item.interview.researcher_id == user.pk
    if not own and not (user.can("supervise_survey") and user.sees_governorate(target.governorate)):
            raise deny(request, "survey photo outside the user's reach", photo=pk)
    record(Action.VIEW_PERSON, request=request, target=target.household or target, what="survey photo", photo=pk)
    return FileResponse(item.image.open("rb"))
