"""The electronic monitoring (الرقابة الإلكترونية): checks run on every interview as it arrives, each one a row
of ``data/flags.csv`` (its thresholds and its explanation in Arabic and English). A flag is a reason to look
again (a back-check), never a verdict on the researcher or the household."""

from __future__ import annotations

import csv
import datetime as dt
import math
from functools import cache
from importlib import resources

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language

from .models import Flag, Interview, InterviewPhoto
from .pmt import features

PARTNER_FACTS = {"vehicle": ("car", "سيارة مسجلة باسم أحد الأفراد لدى المرور", "a car registered to a member"),
                 "large_loan": ("loan", "قرض كبير لدى المصارف", "a large bank loan"),
                 "business_licence": ("generator", "إجازة مولدة أو محطة أو مستودع", "a generator or station licence")}


@cache
def checks() -> dict[str, dict]:
    """code -> {"params": {...}, "ar": text, "en": text}."""
    text = (resources.files("sijill.survey") / "data" / "flags.csv").read_text(encoding="utf-8")
    out = {}
    for row in csv.DictReader(line for line in text.splitlines() if line and not line.startswith("#")):
        params = {}
        for pair in filter(None, (row["params"] or "").split(";")):
            key, _, value = pair.partition("=")
            params[key.strip()] = float(value)
        out[row["code"]] = {"params": params, "ar": row["ar"], "en": row["en"],
                            "title": {"ar": row["title_ar"], "en": row["title_en"]}}
    return out


def param(code: str, name: str) -> float:
    return checks()[code]["params"][name]


def _language(language: str | None) -> str:
    return "en" if (language or get_language() or "ar").startswith("en") else "ar"


def title(code: str, language: str | None = None) -> str:
    check = checks().get(code)
    return check["title"][_language(language)] if check else code


def explain(flag: Flag, language: str | None = None) -> str:
    check = checks().get(flag.code)
    if check is None:
        return flag.code
    language = _language(language)
    values = {**{k: _shown(v) for k, v in check["params"].items()}, **flag.details}
    for key, joiner in (("what", "؛ " if language == "ar" else "; "), ("missing", " / ")):
        if isinstance(values.get(key), list):
            values[key] = joiner.join(w[language] if isinstance(w, dict) else str(w) for w in values[key])
    try:
        return check[language].format(**values)
    except (KeyError, IndexError):
        return check[language]


def _shown(value: float):
    return int(value) if float(value).is_integer() else value


def metres(lat1, lon1, lat2, lon2) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(min(1.0, h)))


def _degrees(distance_m: float) -> float:
    return distance_m / 111_000


def run(interview: Interview, *, partner_facts: set[str] | None = None,
        registry_members: int | None = None) -> list[Flag]:
    """Raise the flags this interview earns (and, where the evidence is shared, on the earlier interview it
    matches). ``partner_facts``: the rules the household's members hit at partner agencies (vehicle,
    large_loan, business_licence); ``registry_members``: the household's size in the registry."""
    raised = _alone(interview, partner_facts or set(), registry_members)
    for check in (_cluster, _per_day, _photos, _straight):
        raised += check(interview)
    flags = {(item.pk, code): Flag(interview=item, code=code, details=details) for item, code, details in raised}
    # One statement; a flag an earlier interview already has stays as it was (the unique constraint).
    Flag.objects.bulk_create(flags.values(), ignore_conflicts=True)
    return list(flags.values())


# --- the checks on one interview alone: plain values in, the flag's details (or None) out; the live path
# (``run``) and the batch path (``batch.py``) both call them ---

def too_short(minutes: float, members: int) -> dict | None:
    expected = param("too_short", "min_minutes") + param("too_short", "per_member") * members
    if minutes < expected:
        return {"minutes": round(minutes, 1), "members": members, "expected": _shown(expected)}
    return None


def gps_missing(start_lat, end_lat) -> dict | None:
    missing = [w for w, lat in (("start", start_lat), ("end", end_lat)) if lat is None]
    if missing:
        return {"missing": [{"ar": {"start": "بداية", "end": "نهاية"}[m], "en": m} for m in missing]}
    return None


def gps_far(lat, lon, known_lat, known_lon) -> dict | None:
    if lat is None or known_lat is None:
        return None
    far = metres(lat, lon, known_lat, known_lon)
    return {"metres": round(far)} if far > param("gps_far", "max_metres") else None


def off_hours(start: dt.datetime, end: dt.datetime) -> dict | None:
    """``start`` and ``end`` in local time."""
    first, last = param("off_hours", "start_hour"), param("off_hours", "end_hour")
    if start.hour < first or end.hour >= last or end.date() != start.date():
        return {"hour": start.hour if start.hour < first else end.hour}
    return None


def inconsistent(a: dict, today: dt.date) -> dict | None:
    f = features(a, today)
    poor = a.get("dwelling_condition") in ("poor", "dilapidated")
    what = []
    if poor and f["car_recent"]:
        what.append({"ar": "مسكن متهالك مع سيارة حديثة", "en": "a dilapidated dwelling with a recent car"})
    if poor and f["owns_generator"]:
        what.append({"ar": "مسكن متهالك مع مولدة", "en": "a dilapidated dwelling with a generator"})
    if "none" in str(a.get("income_sources") or "").split() and (a.get("monthly_income_iqd") or 0) > 0:
        what.append({"ar": "لا مصدر دخل مع دخل شهري مصرّح به", "en": "no source of income but a monthly income"})
    if f["salaried"] and not (a.get("monthly_income_iqd") or 0):
        what.append({"ar": "راتب حكومي أو تقاعدي مع دخل صفر", "en": "a salary or pension but no income"})
    return {"what": what} if what else None


def registry_mismatch(a: dict, members: int, partner_facts: set[str], registry_members: int | None) -> dict | None:
    owned = set(str(a.get("assets") or "").split())
    what = []
    for rule, (answer, ar, en) in PARTNER_FACTS.items():
        if rule not in partner_facts:
            continue
        denied = a.get("loan") != "yes" if answer == "loan" else answer not in owned
        if denied:
            what.append({"ar": f"الأسرة نفت ما تسجله جهة شريكة: {ar}",
                         "en": f"the household denied what a partner agency records: {en}"})
    if registry_members and abs(registry_members - members) > param("registry_mismatch", "max_member_difference"):
        what.append({"ar": f"عدد الأفراد {members} والسجل {registry_members}",
                     "en": f"{members} members against {registry_members} in the registry"})
    return {"what": what} if what else None


def _alone(i: Interview, partner_facts: set[str], registry_members: int | None):
    start, end = timezone.localtime(i.started_at), timezone.localtime(i.ended_at)
    found = {"too_short": too_short(i.minutes, i.members), "gps_missing": gps_missing(i.start_lat, i.end_lat),
             "gps_far": gps_far(i.start_lat, i.start_lon, i.target.latitude, i.target.longitude),
             "off_hours": off_hours(start, end), "inconsistent": inconsistent(i.answers, start.date()),
             "registry_mismatch": registry_mismatch(i.answers, i.members, partner_facts, registry_members)}
    return [(i, code, details) for code, details in found.items() if details]


def _cluster(i: Interview):
    if i.start_lat is None:
        return
    radius = param("gps_cluster", "radius_metres")
    box = _degrees(radius) * 2
    near = [o for o in Interview.objects.filter(
        researcher=i.researcher, start_lat__range=(i.start_lat - box, i.start_lat + box),
        start_lon__range=(i.start_lon - box, i.start_lon + box)).exclude(target=i.target).only(
        "start_lat", "start_lon", "target_id")
        if metres(i.start_lat, i.start_lon, o.start_lat, o.start_lon) <= radius]
    count = len({o.target_id for o in near}) + 1
    if count >= param("gps_cluster", "max_at_point"):
        yield i, "gps_cluster", {"count": count}
        for other in near:
            yield other, "gps_cluster", {"count": count}


def _per_day(i: Interview):
    day = timezone.localtime(i.started_at).date()
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    count = Interview.objects.filter(researcher=i.researcher, started_at__gte=start,
                                     started_at__lt=start + dt.timedelta(days=1)).count()
    if count > param("too_many_day", "max_per_day"):
        yield i, "too_many_day", {"count": count}


BANDS = 5
_WIDTHS = (13, 13, 13, 13, 12)


def bands(phash: str) -> list[int]:
    """The hash's five bands (13, 13, 13, 13 and 12 bits)."""
    value, out, shift = int(phash, 16), [], 0
    for width in _WIDTHS:
        out.append((value >> shift) & ((1 << width) - 1))
        shift += width
    return out


def distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def photo_limit() -> int:
    limit = int(param("photo_reused", "max_distance"))
    if not 0 <= limit < BANDS:
        raise ValueError(f"flags.csv: photo_reused max_distance must be 0 to {BANDS - 1} (the bands find no more)")
    return limit


def _photos(i: Interview):
    """A photo within ``max_distance`` bits (perceptual hash) of another household's photo."""
    limit = photo_limit()
    mine = list(i.photos.values_list("phash", flat=True))
    if not mine:
        return
    near = Q()
    for phash in mine:
        for n, value in enumerate(bands(phash)):
            near |= Q(**{f"band{n}": value})
    candidates = (InterviewPhoto.objects.filter(near).exclude(interview__target=i.target)
                  .select_related("interview__target"))
    seen = set()
    for photo in candidates:
        if photo.interview_id in seen:
            continue
        if any(distance(h, photo.phash) <= limit for h in mine):
            seen.add(photo.interview_id)
            yield i, "photo_reused", {"other": str(photo.interview.target)}
            yield photo.interview, "photo_reused", {"other": str(i.target)}


def _straight(i: Interview):
    if not i.answers_digest:
        return
    for other in (Interview.objects.filter(answers_digest=i.answers_digest).exclude(target=i.target)
                  .select_related("target")[:5]):
        yield i, "straight_lining", {"other": str(other.target)}
        yield other, "straight_lining", {"other": str(i.target)}


def flagged_interviews(queryset=None):
    base = queryset if queryset is not None else Interview.objects.all()
    return base.filter(Q(flags__isnull=False)).distinct()
