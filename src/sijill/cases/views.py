"""Case pages. Caseworkers see the cases of their governorates; field researchers see only the visits
assigned to them. Opening a case or a notice is written to the audit trail."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from sijill.audit.access import deny, requires
from sijill.audit.models import Action
from sijill.audit.trail import record
from sijill.common.pages import page_number
from sijill.registry import addresses

from . import actions, checks, notices, visits
from .assignment import assign_open_cases
from .forms import VisitForm
from .models import Case, CaseState, Notice, ReplyAttachment, Visit, VisitPhoto
from .queries import case_for, cases_for, round_of_visits


@requires("work_cases")
def case_list(request):
    from django.core.paginator import Paginator

    state = request.GET.get("state", "")
    cases = cases_for(request.user).select_related("assigned_to").order_by("due_on", "pk")
    if state in CaseState.values:
        cases = cases.filter(state=state)
    page = Paginator(cases, 30).get_page(page_number(request.GET))
    return render(request, "cases/list.html", {"page": page, "state": state, "states": CaseState.choices})


@requires("work_cases")
@require_POST
def assign(request):
    done = assign_open_cases(cases_for(request.user), actor=request.user, request=request)
    messages.success(request, _("%(a)d cases assigned; %(u)d found no researcher in their governorate.") % {
        "a": done["assigned"], "u": done["unassigned"]})
    return redirect("cases:list")


@requires("work_cases")
def case(request, pk: int):
    item = case_for(request, pk)
    record(Action.VIEW_PERSON, request=request, target=item.person, case=item.reference)
    return render(request, "cases/case.html", actions.context(item, request.user))


@requires("work_cases")
@require_POST
def act(request, pk: int, action: str):
    item = case_for(request, pk)
    error = actions.run(item, action, request)
    if error:
        messages.error(request, error)
    return redirect("cases:case", pk=pk)


@requires("work_cases")
def notice_pdf(request, pk: int):
    notice = get_object_or_404(Notice.objects.select_related("case"), pk=pk)
    case_for(request, notice.case_id)
    path = notices.notice_file(notice)
    if not path.is_file():
        raise Http404(_("The notice file is missing."))
    record(Action.EXPORT, request=request, target=notice.case, what="notice", notice=notice.reference)
    return FileResponse(open(path, "rb"), content_type="application/pdf", filename=f"{notice.reference}.pdf")


@requires("do_visits")
def my_visits(request):
    """The researcher's own visits, in the order of a day's round: district, mahalla, zuqaq, dar."""
    waiting = round_of_visits(request.user)
    if waiting:  # the list shows their addresses: the view is audited
        record(Action.VIEW_PERSON, request=request, what="addresses of assigned visits",
               cases=[c.reference for c in waiting])
    done = Visit.objects.filter(researcher=request.user).select_related("case").order_by("-submitted_at")[:50]
    return render(request, "cases/visits.html", {"waiting": waiting, "done": done})


@requires("do_visits")
@require_http_methods(["GET", "POST"])
def visit_form(request, pk: int):
    """The visit form; a plain POST without the page's script works too (photos as files)."""
    item = get_object_or_404(Case.objects.select_related("person__membership__household"), pk=pk)
    if item.assigned_to_id != request.user.pk:
        raise deny(request, "visit of a case assigned to someone else", case=item.reference)
    form = VisitForm(request.POST or None, request.FILES or None, questions=checks.questions(item))
    if request.method == "POST" and form.is_valid():
        data = {**form.cleaned_data, "household_present": "true" if form.cleaned_data["household_present"] else "false"}
        try:
            visits.submit(item, request.user, data, photos=request.FILES.getlist("photos"), request=request)
        except visits.VisitRefused as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, _("The visit report was received."))
            return redirect("cases:visits")
    if request.method == "GET":
        record(Action.VIEW_PERSON, request=request, target=item.person, case=item.reference, purpose="visit",
               what="address and checklist")
    household = getattr(getattr(item.person, "membership", None), "household", None)
    return render(request, "cases/visit_form.html", {"case": item, "form": form, "where": addresses.of(household)})


@requires("do_visits")
@require_POST
def visit_upload(request):
    """The phone's outbox: one JSON report, sent again until it is acknowledged (idempotent by client_uuid)."""
    try:
        data = json.loads(request.body.decode("utf-8"))
        item = Case.objects.get(pk=int(data.get("case")))
    except (ValueError, TypeError, UnicodeDecodeError, Case.DoesNotExist):
        return JsonResponse({"error": _("The report could not be read.")}, status=400)
    if item.assigned_to_id != request.user.pk and not Visit.objects.filter(
            client_uuid=data.get("client_uuid") or None, researcher=request.user).exists():
        raise deny(request, "visit of a case assigned to someone else", case=item.reference)
    try:
        photos = [visits.photo_from_data_url(p) for p in (data.get("photos") or [])]
        visit, created = visits.submit(item, request.user, data, photos=photos, request=request)
    except visits.VisitRefused as e:
        return JsonResponse({"error": str(e)}, status=422)
    return JsonResponse({"visit": visit.pk, "created": created}, status=201 if created else 200)


@require_http_methods(["GET"])
def photo(request, pk: int):
    """A visit photo: for the researcher who took it, or a caseworker of the case's governorate."""
    item = get_object_or_404(VisitPhoto.objects.select_related("visit__case__person"), pk=pk)
    user = request.user
    own = user.can("do_visits") and item.visit.researcher_id == user.pk
    if not own:
        if not user.can("work_cases"):
            raise deny(request, "role lacks work_cases")
        case_for(request, item.visit.case_id)
    record(Action.VIEW_PERSON, request=request, target=item.visit.case.person, case=item.visit.case.reference,
           what="visit photo", photo=item.pk)
    return FileResponse(item.image.open("rb"))


@requires("work_cases")
def reply_attachment(request, pk: int):
    """A document the beneficiary gave with a reply: for a caseworker of the case's governorate, audited."""
    item = get_object_or_404(ReplyAttachment.objects.select_related("reply__case__person"), pk=pk)
    case_for(request, item.reply.case_id)
    record(Action.VIEW_PERSON, request=request, target=item.reply.case.person, case=item.reply.case.reference,
           what="reply document", document=item.pk)
    return FileResponse(item.file.open("rb"), as_attachment=True, filename=item.name)
