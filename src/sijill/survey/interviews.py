"""Receiving an interview from a researcher's phone (the outbox resends it until acknowledged): once per
``client_uuid``; checked against the questionnaire version it was answered on; then the monitoring's flags,
the proxy-means test, and, when the result calls for it, the cases' due process."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import uuid

import imagehash
from django.db import IntegrityError, router, transaction
from django.utils import timezone
from django.utils.translation import gettext
from PIL import Image, UnidentifiedImageError

from sijill.audit.trail import record
from sijill.common.signature import drawn_signature
from sijill.eligibility.models import Finding

from . import dueprocess, monitoring, xlsform
from .models import CampaignState, Interview, InterviewPhoto, Questionnaire, Target, TargetState
from .pmt import Formula, in_force

MAX_PHOTOS = 6
DIGEST_MIN_ANSWERS = 10


class Refused(ValueError):
    """The interview cannot be accepted; the message says why (shown to the researcher)."""


def questionnaire_for(target: Target, version: str | None) -> Questionnaire:
    """The version the phone's form was drawn from (kept with the interview), else the campaign's."""
    current = target.campaign.questionnaire
    if version and version != current.version:
        other = Questionnaire.objects.filter(form_id=current.form_id, version=version).first()
        if other is None:
            raise Refused(gettext("The questionnaire version %(v)s is not known.") % {"v": version})
        return other
    return current


def submit(target: Target, researcher, data: dict, photos=(), request=None) -> tuple[Interview, bool]:
    """Store an interview. Returns (interview, created); a resend returns the stored one unchanged."""
    try:
        client_uuid = uuid.UUID(str(data.get("client_uuid") or ""))
    except ValueError:
        raise Refused(gettext("The interview's identifier is not valid.")) from None
    existing = Interview.objects.filter(client_uuid=client_uuid).first()
    if existing is not None:
        if existing.target_id != target.pk or existing.researcher_id != researcher.pk:
            raise Refused(gettext("This interview was already received for another household."))
        return existing, False
    if target.researcher_id != researcher.pk:
        raise Refused(gettext("This household is not assigned to you."))
    if target.campaign.state != CampaignState.OPEN:
        raise Refused(gettext("The campaign is closed."))
    if Interview.objects.filter(target=target).exists():
        raise Refused(gettext("This household was already interviewed."))
    questionnaire = questionnaire_for(target, data.get("form_version"))
    answers, problems = xlsform.check(questionnaire.spec, data.get("answers") or {})
    if problems:
        raise Refused("؛ ".join(p.text() for p in problems[:5]))
    photos = list(photos)
    if len(photos) > MAX_PHOTOS:
        raise Refused(gettext("At most %(n)d photos.") % {"n": MAX_PHOTOS})
    hashes = [_phash(p) for p in photos]
    started, ended = _when(data.get("started_at")), _when(data.get("ended_at"))
    if ended < started:
        raise Refused(gettext("The interview ends before it starts."))
    interview = Interview(
        target=target, researcher=researcher, client_uuid=client_uuid, questionnaire=questionnaire,
        form_version=questionnaire.version, answers=answers, members=len(answers.get("members") or []),
        started_at=started, ended_at=ended, start_lat=_coordinate(data.get("start_lat"), 90),
        start_lon=_coordinate(data.get("start_lon"), 180), end_lat=_coordinate(data.get("end_lat"), 90),
        end_lon=_coordinate(data.get("end_lon"), 180), signature=drawn_signature(data.get("signature"), Refused),
        answers_digest=digest(questionnaire.spec, answers))
    score(interview, save=False)
    try:
        with transaction.atomic(using=router.db_for_write(Interview)):
            interview.save()
            for photo, phash in zip(photos, hashes, strict=True):
                photo.seek(0)
                InterviewPhoto.objects.create(interview=interview, image=photo, phash=phash,
                                              **{f"band{n}": v for n, v in enumerate(monitoring.bands(phash))})
            Target.objects.filter(pk=target.pk).update(state=TargetState.INTERVIEWED)
            monitoring.run(interview, **registry_evidence(target))
            dueprocess.follow_up(interview)
            record("survey_interview", user=researcher if request is None else None, request=request,
                   target=target.household or target, campaign=target.campaign.code, interview=interview.pk,
                   form_version=interview.form_version, pmt_result=interview.pmt_result)
    except IntegrityError:  # the same interview arriving twice at once: the first one won
        return Interview.objects.get(client_uuid=client_uuid), False
    return interview, True


def score(interview: Interview, model=None, save: bool = True) -> None:
    """Apply the PMT version in force on the interview's day (or ``model``)."""
    model = model or in_force(timezone.localdate(interview.started_at))
    interview.pmt = model
    interview.pmt_score, interview.pmt_result = Formula.of(model).apply(interview.answers,
                                                                          interview.target.governorate)
    if save:
        interview.save(update_fields=["pmt", "pmt_score", "pmt_result"])


def registry_evidence(target: Target) -> dict:
    """What the registry and the partner agencies' hits say about the household, for the monitoring."""
    if target.household_id is None:
        return {}
    facts = set(Finding.objects.filter(person__membership__household_id=target.household_id,
                                       rule__code__in=monitoring.PARTNER_FACTS).values_list("rule__code", flat=True))
    return {"partner_facts": facts, "registry_members": target.household.memberships.count()}


def digest(spec: dict, answers: dict) -> str:
    """A fingerprint of the closed answers (free text left out): two households never answer all of them
    alike, a copied interview does."""
    text_names = {q["name"] for q in spec["questions"] if q["type"] == "text"}

    def closed(values: dict) -> dict:
        return {k: v for k, v in values.items() if k not in text_names and not isinstance(v, list)}

    body = closed(answers)
    body["members"] = [closed(m) for m in answers.get("members") or []]
    if len(body) - 1 + sum(len(m) for m in body["members"]) < DIGEST_MIN_ANSWERS:
        return ""
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _phash(photo) -> str:
    photo.seek(0)
    raw = photo.read()
    if len(raw) > 3 * 1024 * 1024:
        raise Refused(gettext("A photo is larger than 3 MB."))
    try:
        with Image.open(io.BytesIO(raw)) as image:
            if image.format not in ("JPEG", "PNG"):
                raise Refused(gettext("A photo must be a JPEG or PNG image."))
            return str(imagehash.phash(image))
    except (UnidentifiedImageError, OSError):
        raise Refused(gettext("A photo could not be read.")) from None


def _coordinate(value, limit: int) -> float | None:
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise Refused(gettext("The GPS position is not a number.")) from None
    if not abs(number) <= limit:
        raise Refused(gettext("The GPS position is out of range."))
    return round(number, 6)


def _when(value) -> dt.datetime:
    if not value:
        raise Refused(gettext("The interview's start and end times are missing."))
    try:
        when = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise Refused(gettext("The interview time is not a date and time.")) from None
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    if when > timezone.now() + dt.timedelta(minutes=10):
        raise Refused(gettext("The interview time is in the future."))
    return when


RELATIONS = {"head": "head", "spouse": "spouse", "son": "child", "daughter": "child", "grandchild": "child",
             "father": "parent", "mother": "parent"}


def roster(target: Target, today: dt.date | None = None) -> list[dict]:
    """The household's members as the registry knows them, to prefill the form's roster (the researcher
    corrects what changed)."""
    if target.household_id is None:
        return [{"member_name": target.applicant_name, "relation": "head"}] if target.applicant_name else []
    year = (today or timezone.localdate()).year
    rows = []
    for m in target.household.memberships.select_related("person").order_by("pk"):
        p = m.person
        rows.append({"member_name": p.display_name, "relation": RELATIONS.get(m.relation, "other"), "sex": p.sex,
                     "age": year - p.birth_year if p.birth_year else "",
                     "disability": "" if p.disability is None else ("yes" if p.disability else "no")})
    return rows
