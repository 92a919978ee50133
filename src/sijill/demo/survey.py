"""The re-survey in the demo: a campaign over Baghdad's registry households, assigned to four researchers by
area and workload; their interviews arrive through the same service the phone's outbox calls (answers checked
against the XLSForm, photos hashed, flags raised, the proxy-means test applied). Two researchers cheat — one
never leaves home (every interview from one point, short, late, too many a day), one copies photos and whole
interviews — and some well-off families hide their car or their loan. Then back-checks (every flagged
interview and a random tenth of the others) are answered, and the PMT's "not eligible" results of enrolled
households go to the cases' due process."""

from __future__ import annotations

import base64
import datetime as dt
import io
import random
import uuid

from rich.console import Console

from sijill.synth.survey import household_answers

SEED = 2026
HOUSEHOLDS = 240
PLACE = "بغداد"
HONEST = ("researcher", "researcher2")
HOMEBOUND, COPIER = "researcher3", "researcher4"
# The checks on how the researcher worked (the others, on what the family declared).
RESEARCHER_CHECKS = ("too_short", "gps_missing", "gps_far", "gps_cluster", "off_hours", "too_many_day",
                     "photo_reused", "straight_lining")


def run_survey(console: Console) -> dict[str, object]:
    from django.utils import timezone

    from sijill.accounts.demo import create_demo_users
    from sijill.accounts.models import User
    from sijill.cases.visits import photo_from_data_url
    from sijill.registry.models import Household
    from sijill.survey import backchecks, campaigns, interviews, pmt
    from sijill.survey.models import BackCheck, Flag, Interview, Target

    rng = random.Random(SEED)
    create_demo_users()
    for name in (*HONEST[1:], HOMEBOUND, COPIER):
        user = User.objects.filter(username=name).first() or User(username=name)
        user.role, user.governorates, user.is_active = "field_researcher", [PLACE], True
        user.set_unusable_password()  # the demo's simulated team: they cannot log in
        user.save()
    manager = User.objects.get(username="surveymanager")
    questionnaire = campaigns.default_questionnaire()
    pmt.first_model()
    today = timezone.localdate()
    districts = list(Household.objects.filter(governorate=PLACE).exclude(district="")
                     .values_list("district", flat=True).distinct().order_by("district")[:3])
    campaign = campaigns.create(code=f"RS-{today:%Y}-DEMO", name="إعادة المسح الاجتماعي — بغداد", governorates=[PLACE],
                                districts=districts, starts_on=today - dt.timedelta(days=14),
                                ends_on=today + dt.timedelta(days=30), questionnaire=questionnaire, actor=manager)
    keep = set(campaign.targets.order_by("pk").values_list("pk", flat=True)[:HOUSEHOLDS])
    campaign.targets.exclude(pk__in=keep).delete()  # the demo visits a sample
    for target in campaign.targets.all():  # the households' known locations (an address survey, in life)
        target.latitude, target.longitude = 33.25 + rng.random() * 0.2, 44.30 + rng.random() * 0.2
        target.save(update_fields=["latitude", "longitude"])
    assigned = campaigns.assign(campaign, actor=manager)
    console.print(f"  campaign {campaign.code}: {campaign.targets.count()} households of {PLACE}, "
                  f"{assigned['assigned']} assigned to 4 researchers by area and workload")

    declared = {}  # what the family says, for the back-checks (a fabricated interview does not know it)
    planted = set()  # households whose interview the researcher faked, for the flags' precision and recall
    hiding = set()  # families that hid a car or a loan a partner agency records
    copied_photo = None
    last_answers = None
    day_counter: dict[tuple[str, int], int] = {}
    for target in campaign.targets.select_related("researcher", "household").order_by("pk"):
        who = target.researcher.username
        facts = interviews.registry_evidence(target).get("partner_facts", set())
        real = household_answers(rng, interviews.roster(target), facts)
        answers = dict(real)
        dishonest = who in (HOMEBOUND, COPIER)
        if facts and rng.random() < 0.7:  # a well-off family hides what a partner agency records
            answers["assets"] = " ".join(a for a in str(answers.get("assets", "")).split() if a != "car") or "fridge"
            answers.pop("car_year", None)
            answers["loan"] = "no"
            answers["dwelling_condition"] = "dilapidated"
            hiding.add(target.pk)
        day = rng.randrange(1, 13)
        n = day_counter[(who, day)] = day_counter.get((who, day), 0) + 1
        begin = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=day), dt.time(9)))
        begin += dt.timedelta(minutes=40 * (n - 1) + rng.randrange(0, 20))
        minutes = 18 + 3 * len(real["members"]) + rng.randrange(0, 15)
        lat, lon = target.latitude + rng.gauss(0, 0.0002), target.longitude + rng.gauss(0, 0.0002)
        photo = _photo(rng)
        declared[target.pk] = dict(answers)  # what the family tells anyone who asks (a back-check too)
        if who == HOMEBOUND:  # never leaves home: makes the answers up at one point, in minutes, in the evening
            answers = household_answers(rng, interviews.roster(target), set())
            lat, lon, minutes = 33.3128, 44.3615, rng.randrange(3, 8)
            begin = begin.replace(hour=19 + n % 3, minute=rng.randrange(0, 50))
        if who == COPIER:
            if copied_photo is None:
                copied_photo = photo
            photo = _reencoded(copied_photo)
            if last_answers is not None and rng.random() < 0.5:
                answers = dict(last_answers)
            last_answers = answers
        if dishonest:
            planted.add(target.pk)
        data = {"client_uuid": str(uuid.UUID(int=rng.getrandbits(128))), "form_version": questionnaire.version,
                "answers": answers, "started_at": begin.isoformat(),
                "ended_at": (begin + dt.timedelta(minutes=minutes)).isoformat(),
                "start_lat": round(lat, 6), "start_lon": round(lon, 6), "end_lat": round(lat, 6),
                "end_lon": round(lon, 6), "signature": _signature()}
        photos = [photo_from_data_url(photo)]
        interviews.submit(target, target.researcher, data, photos=photos)
        interviews.submit(target, target.researcher, data, photos=[photo_from_data_url(photo)])  # the outbox resends

    made = backchecks.select(Interview.objects.filter(target__campaign=campaign), seed=SEED, actor=manager)
    for check in BackCheck.objects.filter(interview__target__campaign=campaign).select_related("interview",
                                                                                                "checker"):
        real = declared[check.interview.target_id]
        backchecks.complete(check, {q: real.get(q) for q in backchecks.KEY_QUESTIONS if real.get(q) is not None},
                            members=len(real["members"]), actor=check.checker)

    done = Interview.objects.filter(target__campaign=campaign)
    flagged = set(done.filter(flags__isnull=False).values_list("target_id", flat=True))
    on_researcher = set(done.filter(flags__code__in=RESEARCHER_CHECKS).values_list("target_id", flat=True))
    caught = len(on_researcher & planted)
    on_family = set(done.filter(flags__code__in=("inconsistent", "registry_mismatch")).values_list("target_id",
                                                                                                    flat=True))
    results = {r: done.filter(pmt_result=r).count() for r in ("eligible", "borderline", "not_eligible")}
    by_check = {code: Flag.objects.filter(interview__in=done, code=code).count()
                for code in Flag.objects.filter(interview__in=done).values_list("code", flat=True).distinct()}
    rates = backchecks.discrepancy_rates(BackCheck.objects.filter(interview__in=done))
    cases = done.exclude(case=None).count()
    figures = {
        "households": campaign.targets.count(), "interviews": done.count(), "flagged": len(flagged),
        "backchecks": BackCheck.objects.filter(interview__in=done, state="done").count(),
        "backchecks_assigned": made, "pmt_eligible": results["eligible"], "pmt_borderline": results["borderline"],
        "pmt_not_eligible": results["not_eligible"], "cases_opened": cases, "flags_by_check": by_check,
        "planted_misconduct": len(planted),
        "flag_precision": round(caught / len(on_researcher), 3) if on_researcher else 0.0,
        "flag_recall": round(caught / len(planted), 3) if planted else 0.0,
        "discrepancy_rate_by_researcher": {User.objects.get(pk=pk).username: r["rate"] for pk, r in rates.items()},
        "families_hiding": len(hiding), "families_hiding_caught": len(on_family & hiding),
        "questionnaire_version": questionnaire.version, "pmt_version": pmt.in_force().version,
    }
    console.print(f"  {figures['interviews']} interviews received (each sent twice: stored once); "
                  f"{figures['flagged']} flagged ({by_check}); precision {figures['flag_precision']}, "
                  f"recall {figures['flag_recall']} on {len(planted)} faked interviews; "
                  f"{figures['families_hiding_caught']} of {len(hiding)} families hiding a car or a loan flagged")
    console.print(f"  {figures['backchecks']} back-checks; discrepancy rate by researcher: "
                  f"{figures['discrepancy_rate_by_researcher']}")
    console.print(f"  PMT v{figures['pmt_version']}: {results['eligible']} eligible, {results['borderline']} "
                  f"borderline, {results['not_eligible']} not eligible; {cases} enrolled households sent to a case")
    assert Target.objects.filter(campaign=campaign, state="interviewed").count() == figures["interviews"]
    return figures


def _photo(rng: random.Random) -> str:
    """A dwelling photo (a random picture: each household's differs) as the phone sends it."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 240), tuple(rng.randrange(60, 200) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(14):
        x, y = rng.randrange(0, 300), rng.randrange(0, 220)
        draw.rectangle([x, y, x + rng.randrange(20, 140), y + rng.randrange(20, 120)],
                       fill=tuple(rng.randrange(0, 256) for _ in range(3)))
    return _data_url(image)


def _reencoded(data_url: str) -> str:
    """The same picture sent again, resized and re-compressed (its bytes differ, its perceptual hash not)."""
    from PIL import Image

    raw = base64.b64decode(data_url.partition(",")[2])
    with Image.open(io.BytesIO(raw)) as image:
        return _data_url(image.resize((300, 225)), quality=60)


def _data_url(image, quality: int = 80) -> str:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality)
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode()


def _signature() -> str:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (160, 60), (255, 255, 255, 0))
    ImageDraw.Draw(image).line([(10, 40), (50, 10), (90, 45), (150, 15)], fill=(0, 0, 0, 255), width=2)
    out = io.BytesIO()
    image.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()
