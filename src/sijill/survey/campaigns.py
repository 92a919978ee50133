"""Campaigns: the area and period of a re-survey, the households to visit (the registry's households of the
area, and new applicants registered in the field), their assignment to researchers by area and workload,
re-assignment, and progress."""

from __future__ import annotations

from collections import Counter
from importlib import resources

from django.db import router, transaction
from django.db.models import Count, Q
from django.utils import timezone

from sijill.accounts.models import User
from sijill.audit.trail import record
from sijill.cases.models import Visit
from sijill.registry.models import Household

from . import xlsform
from .models import Campaign, Questionnaire, Target, TargetState

DEFAULT_FORM = "household_ar.md"


def default_questionnaire() -> Questionnaire:
    """The shipped Arabic household questionnaire (loaded once per version)."""
    path = resources.files("sijill.survey") / "data" / DEFAULT_FORM
    spec = xlsform.read(path)
    found = Questionnaire.objects.filter(form_id=spec["form_id"], version=spec["version"]).first()
    return found or Questionnaire.objects.create(
        form_id=spec["form_id"], version=spec["version"], title=xlsform.label(spec["title"]), file_name=DEFAULT_FORM,
        source=path.read_bytes(), spec=spec)


def upload_questionnaire(data: bytes, filename: str, actor) -> Questionnaire:
    """A survey manager's XLSForm; a version already uploaded is refused (a version is never rewritten)."""
    spec = xlsform.read_bytes(data, filename)
    if Questionnaire.objects.filter(form_id=spec["form_id"], version=spec["version"]).exists():
        raise xlsform.FormError(f"{filename}: {spec['form_id']} version {spec['version']} is already loaded; "
                                "raise the version in the settings sheet")
    item = Questionnaire.objects.create(form_id=spec["form_id"], version=spec["version"],
                                        title=xlsform.label(spec["title"]) or spec["form_id"], file_name=filename,
                                        source=data, spec=spec, uploaded_by=actor)
    record("survey_questionnaire", user=actor, target=item, version=item.version, file=filename)
    return item


def create(*, code: str, name: str, governorates: list[str], districts: list[str], starts_on, ends_on,
           questionnaire: Questionnaire, actor) -> Campaign:
    campaign = Campaign.objects.create(code=code, name=name, governorates=governorates, districts=districts,
                                       starts_on=starts_on, ends_on=ends_on, questionnaire=questionnaire,
                                       created_by=actor if getattr(actor, "pk", None) else None)
    added = add_registry_households(campaign)
    record("survey_campaign", user=actor if getattr(actor, "pk", None) else None,
           actor=actor if isinstance(actor, str) else None, target=campaign, households=added)
    return campaign


def _area(campaign: Campaign):
    households = Household.objects.filter(governorate__in=campaign.governorates)
    if campaign.districts:
        households = households.filter(district__in=campaign.districts)
    return households


def add_registry_households(campaign: Campaign) -> int:
    """Every registry household of the campaign's area not yet in it; the known location is the GPS of the
    last verification visit to one of its members, when there is one. Re-running adds only the new ones."""
    have = set(campaign.targets.exclude(household=None).values_list("household_id", flat=True))
    rows = [(pk, gov, district) for pk, gov, district in _area(campaign).values_list("pk", "governorate", "district")
            if pk not in have]
    known = {}
    for household_id, lat, lon in (Visit.objects.filter(
            case__person__membership__household_id__in=[r[0] for r in rows], latitude__isnull=False)
            .order_by("visited_at").values_list("case__person__membership__household_id", "latitude", "longitude")):
        known[household_id] = (float(lat), float(lon))
    Target.objects.bulk_create(
        [Target(campaign=campaign, household_id=pk, governorate=gov, district=district,
                latitude=known.get(pk, (None, None))[0], longitude=known.get(pk, (None, None))[1])
         for pk, gov, district in rows], batch_size=2000)
    return len(rows)


def add_applicant(campaign: Campaign, *, name: str, national_id: str, governorate: str, district: str,
                  researcher, latitude=None, longitude=None) -> Target:
    """A new applicant registered in the field: visited by the researcher who met them."""
    target = Target.objects.create(campaign=campaign, applicant_name=name, applicant_national_id=national_id,
                                   governorate=governorate, district=district, latitude=latitude,
                                   longitude=longitude, researcher=researcher, state=TargetState.ASSIGNED,
                                   assigned_at=timezone.now())
    record("survey_applicant", user=researcher, target=target, campaign=campaign.code)
    return target


def researchers(governorates=None) -> list[User]:
    team = User.objects.filter(role="field_researcher", is_active=True).order_by("pk")
    return [u for u in team if governorates is None or set(u.governorates or []) & set(governorates)]


def workload() -> Counter:
    """Households waiting for each researcher's interview, across campaigns."""
    rows = (Target.objects.filter(state=TargetState.ASSIGNED).values_list("researcher")
            .annotate(n=Count("id")).order_by())
    return Counter(dict(rows))


def assign(campaign: Campaign, *, actor, targets=None) -> dict[str, int]:
    """Give each unassigned household to a researcher of its governorate with the fewest households waiting
    (ties: the longest-serving account)."""
    team = researchers(campaign.governorates)
    load = workload()
    chosen: dict[int, list[int]] = {}
    unassigned = 0
    pending = targets if targets is not None else campaign.targets.filter(state=TargetState.PENDING)
    by_place = {g: [r for r in team if g in (r.governorates or [])] for g in campaign.governorates}
    for pk, governorate in pending.order_by("district", "pk").values_list("pk", "governorate"):
        able = by_place.get(governorate) or []
        if not able:
            unassigned += 1
            continue
        who = min(able, key=lambda r: (load[r.pk], r.pk))
        load[who.pk] += 1
        chosen.setdefault(who.pk, []).append(pk)
    now = timezone.now()
    with transaction.atomic(using=router.db_for_write(Target)):
        for researcher, pks in chosen.items():
            for i in range(0, len(pks), 5000):
                Target.objects.filter(pk__in=pks[i:i + 5000]).update(researcher_id=researcher, assigned_at=now,
                                                                       state=TargetState.ASSIGNED)
    assigned = sum(len(p) for p in chosen.values())
    record("survey_assign", user=actor if getattr(actor, "pk", None) else None,
           actor=actor if isinstance(actor, str) else None, target=campaign, assigned=assigned,
           unassigned=unassigned)
    return {"assigned": assigned, "unassigned": unassigned}


class ReassignRefused(ValueError):
    pass


def reassign(targets, to: User, *, actor, reason: str) -> int:
    """Move households not yet interviewed to another researcher of their governorate (a researcher on leave,
    an area re-balanced); the audit trail keeps who, from whom and why."""
    targets = list(targets.exclude(state=TargetState.INTERVIEWED))
    if to.role != "field_researcher" or not to.is_active:
        raise ReassignRefused("not an active field researcher")
    wrong = [t for t in targets if t.governorate not in (to.governorates or [])]
    if wrong:
        raise ReassignRefused(f"{to.username} does not work in {wrong[0].governorate}")
    for target in targets:
        record("survey_reassign", user=actor, target=target.household or target, campaign=target.campaign.code,
               from_researcher=getattr(target.researcher, "username", ""), to_researcher=to.username,
               reason=reason)
    Target.objects.filter(pk__in=[t.pk for t in targets]).update(researcher=to, state=TargetState.ASSIGNED,
                                                               assigned_at=timezone.now())
    return len(targets)


def progress(campaign: Campaign, targets=None) -> dict:
    targets = targets if targets is not None else campaign.targets.all()
    states = Counter(dict(targets.values_list("state").annotate(n=Count("id")).order_by()))
    total = sum(states.values())
    places = (targets.values("governorate", "district").annotate(
        total=Count("id"), done=Count("id", filter=Q(state=TargetState.INTERVIEWED)))
        .order_by("governorate", "district"))
    people = (targets.exclude(researcher=None).values("researcher__username").annotate(
        total=Count("id"), done=Count("id", filter=Q(state=TargetState.INTERVIEWED)))
        .order_by("researcher__username"))
    return {"total": total, "states": {s: states.get(s, 0) for s in TargetState.values},
            "done_percent": round(100 * states.get(TargetState.INTERVIEWED, 0) / total, 1) if total else 0.0,
            "places": list(places), "researchers": list(people)}
