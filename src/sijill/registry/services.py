"""Multi-step registry operations the views call: reviewing a duplicate pair, importing an upload,
and the aggregate figures."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.db import router, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from sijill.audit.models import Action
from sijill.audit.trail import record

from .importing.service import ImportResult, import_file
from .models import DuplicatePair, Enrolment, EnrolmentStatus, Household, PairStatus, Person


def decide_pair(pair: DuplicatePair, user, decision: str, note: str, request=None) -> DuplicatePair:
    """Record a reviewer's decision on a possible duplicate, in the pair and in the audit trail."""
    if decision not in PairStatus.values or decision == PairStatus.PENDING:
        raise ValueError(f"not a decision: {decision!r}")
    with transaction.atomic(using=router.db_for_write(DuplicatePair)):
        previous = pair.status
        pair.status, pair.note = decision, note
        pair.decided_by, pair.decided_at = user, timezone.now()
        pair.save(update_fields=["status", "note", "decided_by", "decided_at"])
        record(Action.DECISION, request=request, user=user, target=pair,
               records=[pair.person_a.record_id, pair.person_b.record_id], decision=decision,
               previous=previous, note=note)
    return pair


def import_upload(upload, schema: str, user, request=None) -> ImportResult:
    """Import an uploaded file (kept in a temporary file for the import's duration only: it holds
    personal data)."""
    suffix = Path(upload.name).suffix.lower() or ".csv"
    with tempfile.TemporaryDirectory(prefix="sijill-upload-") as folder:
        path = Path(folder) / f"{Path(upload.name).stem[:80]}{suffix}"
        with open(path, "wb") as f:
            for chunk in upload.chunks():
                f.write(chunk)
        try:
            return import_file(path, schema, user=user, workers=1, audit_request=request)
        except ValueError as e:  # FileFormatError and SchemaError too: name the file as the user knows it
            raise type(e)(str(e).replace(str(path), upload.name)) from None


def overview() -> dict:
    """Counts and amounts per governorate and per programme: the analyst's aggregate view."""
    people = dict(Person.objects.values_list("governorate").annotate(n=Count("id")).order_by())
    households = dict(Household.objects.values_list("governorate").annotate(n=Count("id")).order_by())
    active = Q(status=EnrolmentStatus.ACTIVE)
    by_gov = {
        row["household__governorate"]: row
        for row in Enrolment.objects.values("household__governorate").order_by()
        .annotate(active=Count("id", filter=active), monthly=Sum("monthly_amount_iqd", filter=active),
                  stopped=Count("id", filter=Q(status=EnrolmentStatus.STOPPED)),
                  suspended=Count("id", filter=Q(status=EnrolmentStatus.SUSPENDED)))
    }
    governorates = sorted(set(people) | set(households) | set(by_gov), key=lambda g: (g == "", g))
    rows = [{"governorate": g, "persons": people.get(g, 0), "households": households.get(g, 0),
             "active": by_gov.get(g, {}).get("active", 0), "suspended": by_gov.get(g, {}).get("suspended", 0),
             "stopped": by_gov.get(g, {}).get("stopped", 0), "monthly_iqd": by_gov.get(g, {}).get("monthly") or 0}
            for g in governorates]
    programmes = list(Enrolment.objects.values("programme__code", "programme__name_ar", "programme__name_en")
                      .order_by("programme__code")
                      .annotate(active=Count("id", filter=active), monthly=Sum("monthly_amount_iqd", filter=active),
                                total=Count("id")))
    totals = {k: sum(r[k] for r in rows) for k in ("persons", "households", "active", "suspended", "stopped",
                                                    "monthly_iqd")}
    pending_pairs = DuplicatePair.objects.pending().count()
    return {"rows": rows, "programmes": programmes, "totals": totals, "pending_pairs": pending_pairs}


REGISTRY_FILES = ("members", "households", "enrolments", "payments")  # the order their references need


def import_registry_folder(folder: Path, actor: str = "demo", progress=None) -> list[ImportResult]:
    """Import a registry export folder (``members``, ``households``, ``enrolments``, ``payments`` as CSV,
    XLSX or Parquet, as `sijill synth` writes them in ``registry/``) in the order their references need."""
    results = []
    for schema in REGISTRY_FILES:
        found = [path for ext in ("csv", "xlsx", "parquet") if (path := folder / f"{schema}.{ext}").is_file()]
        if found:
            results.append(import_file(found[0], schema, actor=actor, progress=progress))
    return results
