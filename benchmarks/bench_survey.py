"""The re-survey at scale: receiving interviews from the phones, the proxy-means test over a campaign, the
monitoring's flags over a campaign, and the flags' precision and recall on synthetic researchers who cheat.

1. Receiving: ``--receive`` interviews (four members, one dwelling photo each) go through
   ``sijill.survey.interviews.submit`` — the service the phone's outbox calls — into a temporary SQLite
   database: answers checked against the XLSForm, photo hashed, every monitoring check run with its queries,
   the PMT applied, the audit entry written. Printed as interviews an hour.
2. The PMT: ``--households`` interviews' answers scored by the version in force (``Formula.apply``).
3. The flags: ``--households`` synthetic interviews (``sijill.synth.survey``; a researcher per 400 households,
   6% of them cheating: never leaving home, copying interviews, copying photos) flagged by
   ``sijill.survey.batch.flag_rows``; precision and recall of the checks on how the researcher worked against
   the interviews that were faked.

    .venv/bin/python benchmarks/bench_survey.py [--receive 1000] [--households 1500000] [--seed 3] [--only flags]
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import io
import os
import random
import resource
import tempfile
import time
import uuid
from pathlib import Path

RESEARCHER_CHECKS = {"too_short", "gps_missing", "gps_far", "gps_cluster", "off_hours", "too_many_day",
                     "photo_reused", "straight_lining"}


def photo(rng: random.Random) -> str:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 240), (120, 120, 120))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(0, 300), rng.randrange(0, 220)
        draw.rectangle([x, y, x + rng.randrange(20, 140), y + rng.randrange(20, 120)],
                       fill=tuple(rng.randrange(256) for _ in range(3)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode()


def receiving(n: int, seed: int) -> None:
    from django.utils import timezone

    from sijill.accounts.models import User
    from sijill.cases.visits import photo_from_data_url
    from sijill.registry.models import Household, Membership, Person
    from sijill.survey import campaigns, interviews
    from sijill.synth.survey import household_answers

    rng = random.Random(seed)
    for r in range(max(2, n // 200)):
        User.objects.create_user(f"researcher-{r}", role="field_researcher", governorates=["بغداد"])
    for h in range(n):
        household = Household.objects.create(household_id=f"B-{h}", governorate="بغداد", district="الرصافة")
        for j, relation in enumerate(("head", "spouse", "son", "daughter")):
            person = Person.objects.create(record_id=f"B-{h}-{j}", given="اسم", father="أب", birth_year=1980 + 8 * j,
                                           governorate="بغداد")
            Membership.objects.create(household=household, person=person, relation=relation)
    campaign = campaigns.create(code="BENCH", name="bench", governorates=["بغداد"], districts=[],
                                starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 31),
                                questionnaire=campaigns.default_questionnaire(), actor="bench")
    campaigns.assign(campaign, actor="bench")
    targets = list(campaign.targets.select_related("researcher", "household", "campaign__questionnaire"))
    photos = [photo(rng) for _ in range(50)]  # made before the clock starts; each sent once, altered
    payloads = []
    day = timezone.make_aware(dt.datetime(2026, 3, 2, 9, 0))
    for k, target in enumerate(targets):
        answers = household_answers(rng, interviews.roster(target, dt.date(2026, 3, 2)))
        begin = day + dt.timedelta(days=k // 200, minutes=(k % 8) * 50)
        payloads.append((target, {"client_uuid": str(uuid.uuid4()), "answers": answers,
                                  "started_at": begin.isoformat(),
                                  "ended_at": (begin + dt.timedelta(minutes=40)).isoformat(),
                                  "start_lat": 33.3 + rng.random() / 10, "start_lon": 44.4 + rng.random() / 10,
                                  "end_lat": 33.3, "end_lon": 44.4}, photos[k % len(photos)]))
    interviews._phash(photo_from_data_url(photos[0]))  # a server process has imported the hashing code already
    started, cpu = time.perf_counter(), time.process_time()
    for target, data, picture in payloads:
        interviews.submit(target, target.researcher, data, photos=[photo_from_data_url(picture)])
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"receiving: {n:,} interviews in {took:.1f} s = {n / took * 3600:,.0f} an hour; CPU {cpu:.1f} s = "
          f"{n / cpu * 3600:,.0f} an hour on one free core "
          "(checked against the XLSForm, photo hashed, every check, PMT, audit entry; SQLite)")


def scoring(households: int, seed: int) -> None:
    from sijill.survey import pmt
    from sijill.synth.survey import household_answers

    rng = random.Random(seed)
    pool = [household_answers(rng, [{"relation": "head"}] + [{"relation": "child"}] * rng.randrange(0, 7))
            for _ in range(5_000)]
    places = ("بغداد", "البصرة", "نينوى", "ذي قار", "بابل")
    campaign = [(pool[rng.randrange(len(pool))], places[i % len(places)]) for i in range(households)]
    formula = pmt.Formula.of(pmt.in_force())
    started, cpu = time.perf_counter(), time.process_time()
    results = {}
    for answers, place in campaign:
        _, result = formula.apply(answers, place)
        results[result] = results.get(result, 0) + 1
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"PMT: {households:,} households scored in {took:.1f} s (CPU {cpu:.1f} s) "
          f"({ {str(k): v for k, v in results.items()} })")


def flagging(households: int, seed: int) -> None:
    from sijill.survey import batch, campaigns, interviews
    from sijill.synth import survey as synthetic

    spec = campaigns.default_questionnaire().spec
    made = time.perf_counter()
    rows = list(synthetic.interviews(households, seed))
    digests: dict[int, str] = {}
    for r in rows:  # computed as each interview is received (not timed here)
        key = id(r.answers)
        if key not in digests:
            digests[key] = interviews.digest(spec, r.answers)
        # The answers come from a pool of drawn households (memory); a real household's answers are its own, so
        # the fingerprint is the pool entry's and the interview's that first gave these answers.
        r.digest = f"{digests[key]}:{r.answered_by}"
    researchers = len({r.researcher for r in rows})
    print(f"synthetic: {households:,} interviews by {researchers:,} researchers in {time.perf_counter() - made:.0f} s")
    started, cpu = time.perf_counter(), time.process_time()
    flags = batch.flag_rows(rows)
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    on_researcher = {i for i, found in flags.items() if set(found) & RESEARCHER_CHECKS}
    faked = {r.id for r in rows if r.faked}
    caught = len(on_researcher & faked)
    print(f"flags: {households:,} interviews in {took:.1f} s (CPU {cpu:.1f} s); {len(flags):,} flagged")
    print(f"  checks on how the researcher worked: precision {caught / max(len(on_researcher), 1):.3f}, "
          f"recall {caught / max(len(faked), 1):.3f} ({len(faked):,} faked interviews)")
    wrong: dict[str, int] = {}
    for i in on_researcher - faked:
        for code in set(flags[i]) & RESEARCHER_CHECKS:
            wrong[code] = wrong.get(code, 0) + 1
    print(f"  honest interviews flagged, by check: {wrong} (mostly the honest interviews of cheating researchers: "
          "their evenings and crowded days, the originals they copied)")
    share: dict[int, list[int]] = {}
    for r in rows:
        share.setdefault(r.researcher, [0, 0, False])
        share[r.researcher][0] += 1
        share[r.researcher][1] += r.id in on_researcher
        share[r.researcher][2] |= r.faked
    suspected = {who for who, (n, hit, _) in share.items() if hit / n > 0.2}
    cheats = {who for who, (_, _, cheat) in share.items() if cheat}
    right = len(suspected & cheats)
    print(f"  researchers with more than 20% of their interviews flagged: {len(suspected)}; precision "
          f"{right / max(len(suspected), 1):.3f}, recall {right / max(len(cheats), 1):.3f} "
          f"({len(cheats)} cheating of {len(share)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--receive", type=int, default=1_000, help="interviews received through the service")
    parser.add_argument("--households", type=int, default=1_500_000, help="households scored and flagged")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--only", choices=["receive", "pmt", "flags"], help="one of the three measures")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="sijill-bench-survey-"))
    os.environ["SIJILL_DATA_DIR"] = str(folder)
    os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    from sijill.web.bootstrap import setup

    setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    if args.only in (None, "receive"):
        receiving(args.receive, args.seed)
    if args.only in (None, "pmt"):
        scoring(args.households, args.seed)
    if args.only in (None, "flags"):
        flagging(args.households, args.seed)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory {peak:,.0f} MB")


if __name__ == "__main__":
    main()
