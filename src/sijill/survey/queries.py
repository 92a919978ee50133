"""Who sees what: a researcher only the households assigned to them, a supervisor the governorates on their
record, a survey manager everything."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from sijill.audit.access import deny
from sijill.common.scoping import in_scope

from .models import BackCheck, Interview, Target


def targets_for(user):
    targets = Target.objects.all()
    if user.can("do_interviews") and not user.can("supervise_survey"):
        return targets.filter(researcher=user)
    return in_scope(targets, user)


def interviews_for(user):
    interviews = Interview.objects.all()
    if user.can("do_interviews") and not user.can("supervise_survey"):
        return interviews.filter(researcher=user)
    return in_scope(interviews, user, "target__governorate")


def interview_for(request, pk: int) -> Interview:
    item = get_object_or_404(Interview.objects.select_related("target__household", "target__campaign", "researcher",
                                                              "pmt", "case"), pk=pk)
    if not request.user.sees_governorate(item.target.governorate):
        raise deny(request, "interview outside the user's governorates", interview=item.pk)
    return item


def backcheck_for(request, pk: int) -> BackCheck:
    item = get_object_or_404(BackCheck.objects.select_related("interview__target"), pk=pk)
    if item.checker_id != request.user.pk:
        raise deny(request, "back-check assigned to someone else", backcheck=item.pk)
    return item
