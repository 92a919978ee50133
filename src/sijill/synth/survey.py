"""Synthetic re-survey interviews, with researchers who cheat in the ways the ministry describes: one never
leaves home (every interview from one point, in minutes, in the evening), one fabricates interviews by copying
earlier answers, one copies the same dwelling photo across households. Each record says whether it was faked
(the ground truth the monitoring's precision and recall are measured against). Pure Python: no Django.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

HONEST, HOMEBOUND, COPIER, PHOTO_COPIER = "honest", "homebound", "copier", "photo_copier"


@dataclass(slots=True)
class SyntheticInterview:
    id: int
    researcher: int
    household: int
    start: dt.datetime  # local time
    end: dt.datetime
    lat: float | None
    lon: float | None
    end_lat: float | None
    known_lat: float
    known_lon: float
    members: int
    phash: str
    answers: dict
    digest: str = ""
    faked: bool = False
    answered_by: int = 0  # the interview whose answers these are: its own, or the one copied
    partner_facts: frozenset = field(default_factory=frozenset)
    registry_members: int | None = None


def household_answers(rng: random.Random, roster: list[dict], facts: set[str] | frozenset = frozenset()) -> dict:
    """A plausible household: its members from the registry, its dwelling and means drawn at random (a
    well-off family where a partner agency records a car or a loan)."""
    members = []
    for m in roster or [{"member_name": "رب الأسرة", "relation": "head"}]:
        age = m.get("age") if isinstance(m.get("age"), int) and 0 <= m.get("age") <= 120 else rng.randrange(1, 70)
        row = {"member_name": m.get("member_name") or "فرد", "relation": m.get("relation") or "other",
               "sex": m.get("sex") or rng.choice("MF"), "age": age,
               "disability": "yes" if rng.random() < 0.08 else "no",
               "chronic_illness": "yes" if rng.random() < 0.15 else "no"}
        if row["disability"] == "yes":
            row["disability_type"] = rng.choice(["physical", "visual", "hearing", "intellectual"])
        if age >= 15:
            row["works"] = "yes" if rng.random() < 0.4 else "no"
        members.append(row)
    well_off = bool(facts) or rng.random() < 0.12
    assets = {a for a in ("fridge", "washing_machine", "air_conditioner", "motorcycle", "livestock")
              if rng.random() < (0.8 if well_off else 0.35)}
    if well_off:
        assets |= {"car", "generator", "computer"} if rng.random() < 0.8 else {"car"}
    answers = {
        "consent": "yes", "area_type": "urban" if rng.random() < 0.8 else "rural", "members": members,
        "dwelling_tenure": rng.choice(["owned", "owned", "rented", "free", "informal"]),
        "wall_material": rng.choice(["concrete", "brick"] if well_off else ["brick", "block", "mud", "tin_tent"]),
        "dwelling_condition": rng.choice(["good", "fair"] if well_off else ["fair", "poor", "poor", "dilapidated"]),
        "rooms": rng.randrange(4, 9) if well_off else rng.randrange(1, 4),
        "water": rng.choice(["network"] if well_off else ["network", "tanker", "well", "river"]),
        "electricity_hours": rng.randrange(8, 20), "assets": " ".join(sorted(assets)) or "nothing",
        "income_sources": " ".join(sorted(rng.sample(["government_salary", "business", "private_wage"], 2)))
        if well_off else rng.choice(["daily_labour", "social_assistance", "daily_labour social_assistance", "none"]),
        "loan": "yes" if "large_loan" in facts or (well_off and rng.random() < 0.3) else "no",
        "care_forgone": "no" if well_off else rng.choice(["yes", "no"]),
    }
    n = len(members)
    if well_off:
        answers["monthly_income_iqd"] = rng.randrange(400_000, 900_000) * n
    else:
        answers["monthly_income_iqd"] = 0 if answers["income_sources"] == "none" else rng.randrange(30_000, 90_000) * n
    if answers["dwelling_tenure"] == "rented":
        answers["rent_iqd"] = rng.randrange(100_000, 400_000)
    if "car" in assets:
        answers["car_year"] = rng.randrange(2018, 2026) if well_off else rng.randrange(1990, 2010)
    return answers


def field_team(researchers: int, seed: int, cheats: float = 0.06) -> list[str]:
    """Each researcher's behaviour: mostly honest, a share ``cheats`` split among the three kinds."""
    rng = random.Random(seed)
    kinds = [HOMEBOUND, COPIER, PHOTO_COPIER]
    return [kinds[i % 3] if rng.random() < cheats else HONEST for i in range(researchers)]


def interviews(n: int, seed: int, *, researchers: int | None = None, start: dt.date = dt.date(2026, 3, 1),
               templates: int = 5_000):
    """``n`` interviews (a generator), each household once, by a team of about one researcher per 400
    households. Answers come from ``templates`` drawn households (memory stays small at millions)."""
    rng = random.Random(seed)
    researchers = researchers or max(4, n // 400)
    team = field_team(researchers, seed)
    pool = [household_answers(rng, [{"relation": "head"}] + [{"relation": "child"}] * rng.randrange(0, 7))
            for _ in range(templates)]
    homes = {r: (33.0 + rng.random(), 44.0 + rng.random()) for r in range(researchers)}
    last: dict[int, tuple[dict, int]] = {}
    their_photo: dict[int, str] = {}
    per_day: dict[tuple[int, int], int] = {}
    for i in range(n):
        r = i % researchers
        kind = team[r]
        answers = pool[rng.randrange(templates)]
        known = (homes[r][0] + rng.uniform(-0.05, 0.05), homes[r][1] + rng.uniform(-0.05, 0.05))
        day = rng.randrange(0, 60)  # about seven interviews a day
        k = per_day[(r, day)] = per_day.get((r, day), 0) + 1
        begin = dt.datetime.combine(start + dt.timedelta(days=day), dt.time(9)) + dt.timedelta(minutes=45 * (k - 1))
        members = len(answers["members"])
        minutes = 18 + 3 * members + rng.randrange(0, 15)
        lat, lon = known[0] + rng.gauss(0, 0.0002), known[1] + rng.gauss(0, 0.0002)
        phash = f"{rng.getrandbits(64):016x}"
        faked, answered_by = False, i + 1
        if kind == HOMEBOUND and rng.random() < 0.8:
            lat, lon, minutes, faked = homes[r][0], homes[r][1], rng.randrange(3, 8), True
            begin = begin.replace(hour=19 + k % 3)
        elif kind == COPIER and r in last and rng.random() < 0.5:
            (answers, answered_by), faked = last[r], True
            members = len(answers["members"])
        elif kind == PHOTO_COPIER and rng.random() < 0.6:
            photo = their_photo.setdefault(r, phash)
            phash, faked = f"{int(photo, 16) ^ (1 << rng.randrange(64)):016x}", True  # the same picture re-sent
        last[r] = (answers, answered_by)
        yield SyntheticInterview(id=i + 1, researcher=r, household=i + 1, start=begin,
                                 end=begin + dt.timedelta(minutes=minutes), lat=lat, lon=lon, end_lat=lat,
                                 known_lat=known[0], known_lon=known[1], members=members, phash=phash,
                                 answers=answers, faked=faked, answered_by=answered_by, registry_members=members)
