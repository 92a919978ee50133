"""The portal for employers' representatives (their own establishments only) and insured workers (their own
record only); the directorate's officers open the same establishment pages."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from sijill.audit.access import deny, requires

from . import certificates, declarations, ledger, registration
from . import contributions as c
from .forms import EndForm, EstablishmentForm, HireForm, PaymentForm, UploadForm
from .models import Certificate, Employment, Establishment, EstablishmentState
from .pdf import certificate_pdf, qr_svg_uri
from .registration import NotAllowed


def establishment_for(request, number: str) -> Establishment:
    """The establishment, for one of its representatives or an officer; 403 (audited) for anyone else."""
    est = get_object_or_404(Establishment, number=number)
    user = request.user
    if not (user.can("damaan_staff") or (user.can("damaan_employer") and registration.represents(user, est))):
        raise deny(request, "not a representative of this establishment", establishment=number)
    return est


@requires("damaan_employer")
def my_establishments(request):
    return render(request, "damaan/employer.html", {"establishments": request.user.establishments.all()})


@requires("damaan_employer")
@require_http_methods(["GET", "POST"])
def new_establishment(request):
    form = EstablishmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        est = registration.register_establishment(request.user, form.cleaned_data, request=request)
        return redirect("damaan:establishment", number=est.number)
    return render(request, "damaan/establishment_form.html", {"form": form})


def establishment(request, number: str):
    est = establishment_for(request, number)
    today = dt.date.today()
    statement = ledger.statement(est, today)
    return render(request, "damaan/establishment.html", {
        "est": est, "spells": est.spells.filter(end__isnull=True).select_related("insured"),
        "statement": statement, "owed": [m for m in statement if m.in_arrears(today)],
        "month": c.add_months(c.month_start(today), -1),
        "declarations": est.declarations.all()[:24], "certificates": est.certificates.all()[:10],
        "is_rep": registration.represents(request.user, est), "approved": est.state == EstablishmentState.APPROVED})


@requires("damaan_employer")
@require_http_methods(["GET", "POST"])
def correct(request, number: str):
    est = establishment_for(request, number)
    form = EstablishmentForm(request.POST or None, instance=est)
    if request.method == "POST" and form.is_valid():
        registration.correct_establishment(request.user, est, form.cleaned_data, request=request)
        return redirect("damaan:establishment", number=number)
    return render(request, "damaan/establishment_form.html", {"form": form, "est": est})


@requires("damaan_employer")
@require_http_methods(["GET", "POST"])
def hire(request, number: str):
    est = establishment_for(request, number)
    form = HireForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            registration.hire(request.user, est, form.details, start=d["start"], wage=d["wage"],
                              allowances=d.get("allowances") or 0, profession=d.get("profession", ""), request=request)
        except (ValueError, NotAllowed) as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, _("Worker registered."))
            return redirect("damaan:establishment", number=number)
    return render(request, "damaan/hire.html", {"form": form, "est": est})


@requires("damaan_employer")
@require_http_methods(["GET", "POST"])
def end_spell(request, number: str, pk: int):
    est = establishment_for(request, number)
    spell = get_object_or_404(Employment, pk=pk, establishment=est)
    form = EndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            registration.end_spell(request.user, spell, form.cleaned_data["end"], request=request)
            return redirect("damaan:establishment", number=number)
        except ValueError as e:
            form.add_error("end", str(e))
    return render(request, "damaan/end_spell.html", {"form": form, "est": est, "spell": spell})


@requires("damaan_employer")
@require_http_methods(["GET", "POST"])
def declare(request, number: str, month: str):
    est = establishment_for(request, number)
    try:
        first = dt.date.fromisoformat(f"{month}-01")
    except ValueError:
        return redirect("damaan:establishment", number=number)
    spells = declarations.workers_of(est, first)
    outcome = None
    if request.method == "POST":
        lines = []
        for s in spells:
            try:
                lines.append((s.insured, declarations.amount(request.POST.get(f"wage-{s.pk}")),
                              declarations.amount(request.POST.get(f"allow-{s.pk}") or "0")))
            except ValueError:
                messages.error(request, _("Row of %(name)s: the wage must be a whole number of dinars.")
                               % {"name": s.insured.full_name})
                return redirect(request.path)
        try:
            outcome = declarations.declare(request.user, est, first, lines, request=request)
        except (ValueError, NotAllowed) as e:
            messages.error(request, str(e))
        else:
            if outcome.declaration:
                messages.success(request, _("Declared: %(total)s IQD due by %(due)s (table %(table)s).") % {
                    "total": f"{outcome.assessment.total:,}", "due": outcome.assessment.due_on,
                    "table": outcome.assessment.table.version})
                return redirect("damaan:establishment", number=number)
    return render(request, "damaan/declare.html", {"est": est, "month": first, "spells": spells, "outcome": outcome})


@requires("damaan_employer")
@require_http_methods(["GET", "POST"])
def upload(request, number: str):
    est = establishment_for(request, number)
    form = UploadForm(request.POST or None, request.FILES or None)
    outcome = None
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["file"]
        suffix = Path(f.name).suffix.lower() if Path(f.name).suffix.lower() in (".csv", ".xlsx") else ".csv"
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"upload{suffix}"
            with open(path, "wb") as out:
                for chunk in f.chunks():
                    out.write(chunk)
            try:
                outcome = declarations.upload(request.user, est, form.cleaned_data["month"], path, request=request,
                                              name=f.name)
            except (ValueError, NotAllowed) as e:
                form.add_error(None, str(e))
        if outcome and outcome.declaration:
            messages.success(request, _("%(n)s rows declared: %(total)s IQD due (table %(table)s).") % {
                "n": outcome.lines, "total": f"{outcome.assessment.total:,}",
                "table": outcome.assessment.table.version})
            return redirect("damaan:establishment", number=number)
    return render(request, "damaan/upload.html", {"form": form, "est": est, "outcome": outcome})


@require_http_methods(["GET", "POST"])
def pay(request, number: str):
    est = establishment_for(request, number)
    form = PaymentForm(request.POST or None, initial={"paid_on": dt.date.today()})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            ledger.record_payment(request.user, est, d["month"], d["amount"], d["reference"], d["paid_on"],
                                  request=request)
        except (ValueError, NotAllowed) as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, _("Payment recorded."))
            return redirect("damaan:establishment", number=number)
    return render(request, "damaan/pay.html", {"form": form, "est": est, "owed": ledger.arrears(est)})


@require_POST
def request_certificate(request, number: str):
    est = establishment_for(request, number)
    try:
        cert = certificates.request_certificate(request.user, est, request=request)
    except certificates.Refused as e:
        return render(request, "damaan/certificate_refused.html", {"est": est, "refused": e}, status=409)
    return redirect("damaan:certificate", number=cert.number)


def certificate(request, number: str):
    cert = get_object_or_404(Certificate.objects.select_related("establishment"), number=number)
    establishment_for(request, cert.establishment.number)
    url = request.build_absolute_uri(reverse("damaan:verify_number", args=[cert.number]))
    if request.GET.get("format") == "pdf":
        response = HttpResponse(certificate_pdf(cert, url), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="certificate-{cert.number}.pdf"'
        return response
    return render(request, "damaan/certificate.html", {"cert": cert, "url": url, "qr": qr_svg_uri(url),
                                                       "state": cert.state_on(dt.date.today())})
