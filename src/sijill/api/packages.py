"""An agency's view of its own packages: whether each was accepted (or why not) and how far the cycle's
runs went. Never the hits: a partner learning which of its records matched would learn who receives
assistance."""

from __future__ import annotations

import hashlib

from sijill.exchange.models import Package
from sijill.exchange.runs import OWN_STAGES

MAX_PACKAGES = 50


def own_packages(agency_code: str, *, cycle: str | None = None, ids: list[int] | None = None):
    """The latest packages of agency ``agency_code`` (at most ``MAX_PACKAGES``), newest first."""
    packages = (Package.objects.filter(agency__code=agency_code).select_related("cycle")
                .prefetch_related("runs").order_by("-uploaded_at", "-pk"))
    if cycle:
        packages = packages.filter(cycle__code=cycle)
    if ids:
        packages = packages.filter(pk__in=ids)
    return list(packages[:MAX_PACKAGES])


def package_status(package: Package) -> dict:
    runs = sorted(package.runs.all(), key=lambda r: r.queued_at, reverse=True)
    return {"package_id": package.pk, "cycle": package.cycle.code if package.cycle_id else "",
            "cycle_state": package.cycle.state if package.cycle_id else "", "status": package.status,
            "rejection": package.rejection, "sha256": package.sha256, "size_bytes": package.size_bytes,
            "records": package.records, "payload_fields": list(package.payload_fields or []),
            "uploaded_at": package.uploaded_at.isoformat(), "superseded": package.superseded,
            "runs": [{"state": r.state, "stage": _stage(r.stage), "progress_done": r.progress_done,
                      "progress_total": r.progress_total, "queued_at": _time(r.queued_at),
                      "finished_at": _time(r.finished_at)} for r in runs]}


def file_sha256(upload) -> str:
    """SHA-256 of an uploaded file, read in chunks; the file is rewound for the next reader."""
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def _stage(stage: str) -> str:
    """The run's stage, unless it is a line of the hub's progress: those name other agencies and hit counts."""
    return stage if stage in OWN_STAGES else "matching"


def _time(value) -> str | None:
    return value.isoformat() if value else None
