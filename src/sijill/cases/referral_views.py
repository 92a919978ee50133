"""Legal referral pages: refer a confirmed case, follow the referral's status, open its evidence bundle.
Caseworkers who decide cases do this, in their governorates; every step and every download is audited."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sijill.audit.access import requires
from sijill.audit.models import Action
from sijill.audit.trail import record

from . import referrals
from .forms import ReferralForm, ReferralStatusForm
from .models import Referral
from .queries import case_for


@requires("decide_cases")
@require_POST
def refer(request, pk: int):
    item = case_for(request, pk)
    form = ReferralForm(request.POST, prefix="refer")
    if not form.is_valid():
        messages.error(request, _("Choose where to refer the case and say why."))
        return redirect("cases:case", pk=pk)
    try:
        referral = referrals.refer(item, form.cleaned_data["recipient"], actor=request.user,
                                   reason=form.cleaned_data["reason"], request=request)
    except referrals.ReferralRefused as e:
        messages.error(request, str(e))
    else:
        messages.success(request, _("Referral %(r)s prepared with its evidence bundle.") % {"r": referral.reference})
    return redirect("cases:case", pk=pk)


@requires("decide_cases")
@require_POST
def referral_status(request, pk: int):
    referral = get_object_or_404(Referral.objects.select_related("case"), pk=pk)
    case_for(request, referral.case_id)
    form = ReferralStatusForm(request.POST, prefix="referral")
    if not form.is_valid():
        messages.error(request, _("Choose the new status and say why."))
        return redirect("cases:case", pk=referral.case_id)
    try:
        referrals.set_status(referral, form.cleaned_data["status"], actor=request.user,
                             reason=form.cleaned_data["reason"],
                             outside_reference=form.cleaned_data["outside_reference"], request=request)
    except referrals.ReferralRefused as e:
        messages.error(request, str(e))
    return redirect("cases:case", pk=referral.case_id)


@requires("work_cases")
def referral_pdf(request, pk: int):
    referral = get_object_or_404(Referral.objects.select_related("case__person"), pk=pk)
    case_for(request, referral.case_id)
    path = referrals.bundle_file(referral)
    if not referral.path or not path.is_file():
        raise Http404(_("The bundle file is missing."))
    record(Action.EXPORT, request=request, target=referral.case, what="referral bundle",
           referral=referral.reference, sha256=referral.pdf_sha256)
    return FileResponse(open(path, "rb"), content_type="application/pdf", filename=f"{referral.reference}.pdf")
