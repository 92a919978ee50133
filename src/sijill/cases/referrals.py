"""Legal referral: a confirmed case sent to the ministry's legal department or the integrity commission with
its evidence bundle (one Arabic PDF). It follows the due process and never replaces it: only a case decided
``confirmed`` (after the visit, the notice, the response period and a human decision) can be referred, and a
referral still open when an appeal clears the case is withdrawn."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import yaml
from django.conf import settings
from django.db import router, transaction
from django.utils import timezone
from django.utils.translation import get_language, gettext

from sijill.audit.trail import record

from .bundle import bundle_pdf
from .models import Case, CaseEvent, CaseState, Outcome, Referral, ReferralStatus

OPEN = (ReferralStatus.PREPARED, ReferralStatus.SENT, ReferralStatus.ACKNOWLEDGED)
NEXT = {  # which status may follow which
    ReferralStatus.PREPARED: {ReferralStatus.SENT, ReferralStatus.WITHDRAWN},
    ReferralStatus.SENT: {ReferralStatus.ACKNOWLEDGED, ReferralStatus.CLOSED, ReferralStatus.WITHDRAWN},
    ReferralStatus.ACKNOWLEDGED: {ReferralStatus.CLOSED, ReferralStatus.WITHDRAWN},
}


class ReferralRefused(ValueError):
    """The case or the status cannot be referred or changed; the message says why."""


@dataclass(frozen=True)
class Recipient:
    code: str
    name_ar: str
    name_en: str

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "ar").startswith("en") and self.name_en else self.name_ar


@cache
def _recipients() -> tuple[Recipient, ...]:
    text = (resources.files("sijill.cases") / "data" / "referral_recipients.yaml").read_text(encoding="utf-8")
    return tuple(Recipient(r["code"], r["name_ar"], r.get("name_en", "")) for r in yaml.safe_load(text))


def recipients() -> tuple[Recipient, ...]:
    """Where cases are referred (data/referral_recipients.yaml)."""
    return _recipients()


def recipient(code: str) -> Recipient:
    for r in _recipients():
        if r.code == code:
            return r
    raise ReferralRefused(gettext("Unknown recipient of a referral."))


def can_refer(case: Case) -> bool:
    return case.outcome == Outcome.CONFIRMED and case.state in (CaseState.DECIDED, CaseState.CLOSED)


def _note(case: Case, actor, reason: str) -> None:
    """The referral's steps appear in the case's history, beside its transitions."""
    CaseEvent.objects.create(case=case, from_state=case.state, to_state=case.state, actor=actor, reason=reason)


def refer(case: Case, recipient_code: str, *, actor, reason: str, request=None) -> Referral:
    """Refer a confirmed case and write its evidence bundle (kept under the data directory, hashed)."""
    target = recipient(recipient_code)
    if not can_refer(case):
        raise ReferralRefused(gettext("Only a case decided as confirmed, after its visit, notice and response "
                                      "period, can be referred."))
    if not (reason or "").strip():
        raise ReferralRefused(gettext("A reason is required."))
    if case.referrals.filter(recipient=target.code, status__in=OPEN).exists():
        raise ReferralRefused(gettext("The case is already referred there."))
    with transaction.atomic(using=router.db_for_write(Referral)):
        number = Referral.objects.filter(case=case).count() + 1
        referral = Referral.objects.create(case=case, reference=f"R-{case.reference}-{number}",
                                           recipient=target.code, reason=reason.strip(), created_by=actor)
        data = bundle_pdf(referral, target.name_ar)
        relative = Path("referrals") / f"{referral.reference}.pdf"
        path = Path(settings.DATA_DIR) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        referral.path, referral.pdf_sha256 = str(relative), hashlib.sha256(data).hexdigest()
        referral.save(update_fields=["path", "pdf_sha256"])
        _note(case, actor, f"إحالة قانونية {referral.reference} إلى {target.name_ar}: {reason.strip()}")
        record("case_referral", request=request, user=actor, target=case, referral=referral.reference,
               recipient=target.code, status=referral.status, sha256=referral.pdf_sha256)
    return referral


def set_status(referral: Referral, status: str, *, actor, reason: str, outside_reference: str = "",
               request=None) -> Referral:
    if status not in NEXT.get(referral.status, set()):
        raise ReferralRefused(gettext("A referral in this status cannot move to that one."))
    if not (reason or "").strip():
        raise ReferralRefused(gettext("A reason is required."))
    with transaction.atomic(using=router.db_for_write(Referral)):
        before = referral.status
        referral.status, referral.status_changed_at = status, timezone.now()
        if outside_reference:
            referral.outside_reference = outside_reference[:64]
        referral.save()
        label = ReferralStatus(status).label
        _note(referral.case, actor, f"الإحالة {referral.reference}: {label} — {reason.strip()}")
        record("referral_status", request=request, user=actor, target=referral.case, referral=referral.reference,
               from_status=before, to_status=status, outside_reference=referral.outside_reference, reason=reason)
    return referral


def withdraw_open(case: Case, *, actor, request=None) -> int:
    """An appeal cleared the case: its open referrals are withdrawn (the recipient is told by the ministry)."""
    count = 0
    for referral in case.referrals.filter(status__in=OPEN):
        set_status(referral, ReferralStatus.WITHDRAWN, actor=actor, request=request,
                   reason="أُلغي القرار بعد الاعتراض وبُرّئت ساحة المستفيد")
        count += 1
    return count


def bundle_file(referral: Referral) -> Path:
    return Path(settings.DATA_DIR) / referral.path
