"""The monitoring's flags over a whole campaign at once (a re-run after a threshold changes, the benchmark):
the same checks and thresholds as ``monitoring.run``, the checks on one interview by the same functions, the
checks across interviews with in-memory indexes instead of one query per interview — GPS points in grid cells
of the cluster radius, interviews per researcher and day, photo hashes by band, answer fingerprints."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from django.utils import timezone

from . import monitoring as m


def flag_rows(rows) -> dict[int, dict[str, dict]]:
    """``rows``: objects with id, researcher, household, start, end (local times), lat, lon, end_lat, known_lat,
    known_lon, members, phash, digest, answers, partner_facts, registry_members. Returns id -> code -> details
    for the interviews flagged."""
    rows = list(rows)
    flags: dict[int, dict[str, dict]] = defaultdict(dict)
    for r in rows:
        for code, details in (("too_short", m.too_short((r.end - r.start).total_seconds() / 60, r.members)),
                              ("gps_missing", m.gps_missing(r.lat, r.end_lat)),
                              ("gps_far", m.gps_far(r.lat, r.lon, r.known_lat, r.known_lon)),
                              ("off_hours", m.off_hours(r.start, r.end)),
                              ("inconsistent", m.inconsistent(r.answers, r.start.date())),
                              ("registry_mismatch", m.registry_mismatch(r.answers, r.members, set(r.partner_facts),
                                                                        r.registry_members))):
            if details:
                flags[r.id][code] = details
    _clusters(rows, flags)
    _per_day(rows, flags)
    _photos(rows, flags)
    _straight(rows, flags)
    return dict(flags)


def _clusters(rows, flags) -> None:
    radius = m.param("gps_cluster", "radius_metres")
    enough = m.param("gps_cluster", "max_at_point")
    size = m._degrees(radius)
    cells = defaultdict(list)
    for r in rows:
        if r.lat is not None:
            cells[(r.researcher, int(r.lat // size), int(r.lon // size))].append(r)
    for (who, x, y), here in cells.items():
        around = [o for dx in (-1, 0, 1) for dy in (-1, 0, 1) for o in cells.get((who, x + dx, y + dy), ())]
        if len({o.household for o in around}) < enough:
            continue  # the common case: a point with fewer households than the limit around it
        for r in here:
            near = {o.household for o in around if m.metres(r.lat, r.lon, o.lat, o.lon) <= radius}
            if len(near) >= enough:
                flags[r.id]["gps_cluster"] = {"count": len(near)}


def _per_day(rows, flags) -> None:
    limit = m.param("too_many_day", "max_per_day")
    days = defaultdict(list)
    for r in rows:
        days[(r.researcher, r.start.date())].append(r)
    for day in days.values():
        if len(day) > limit:
            day.sort(key=lambda r: r.start)
            for n, r in enumerate(day, 1):
                if n > limit:  # as the live check: the interviews past the limit, in the order they happened
                    flags[r.id]["too_many_day"] = {"count": n}


def _photos(rows, flags) -> None:
    """Rows sharing a band of their photo's hash are compared, group by group, as arrays (a campaign's
    groups hold a few hundred hashes each: pairs in Python would take hours at 1.5 million)."""
    limit = m.photo_limit()
    have = [r for r in rows if r.phash]
    if not have:
        return
    hashes = np.array([int(r.phash, 16) for r in have], dtype=np.uint64)
    homes = np.array([r.household for r in have], dtype=np.int64)
    shift = 0
    for width in m._WIDTHS:
        band = (hashes >> np.uint64(shift)) & np.uint64((1 << width) - 1)
        shift += width
        order = np.argsort(band, kind="stable")
        edges = np.flatnonzero(np.diff(band[order])) + 1
        for group in np.split(order, edges):
            if len(group) < 2:
                continue
            near = np.bitwise_count(hashes[group][:, None] ^ hashes[group][None, :]) <= limit
            near &= homes[group][:, None] != homes[group][None, :]
            for a, b in zip(*np.nonzero(near), strict=True):
                flags[have[group[a]].id]["photo_reused"] = {"other": str(have[group[b]].household)}


def _straight(rows, flags) -> None:
    by_digest = defaultdict(list)
    for r in rows:
        if r.digest:
            by_digest[r.digest].append(r)
    for same in by_digest.values():
        if len({r.household for r in same}) > 1:
            for r in same:
                other = next(o for o in same if o.household != r.household)
                flags[r.id]["straight_lining"] = {"other": str(other.household)}


@dataclass(slots=True)
class Row:
    id: int
    researcher: int
    household: int
    start: dt.datetime
    end: dt.datetime
    lat: float | None
    lon: float | None
    end_lat: float | None
    known_lat: float | None
    known_lon: float | None
    members: int
    phash: str
    digest: str
    answers: dict
    partner_facts: frozenset
    registry_members: int | None


def rows_for(interviews) -> list[Row]:
    """Stored interviews as rows for ``flag_rows`` (one row per photo's hash: the first photo's here)."""
    from .interviews import registry_evidence

    out = []
    for i in interviews.select_related("target__household").prefetch_related("photos").order_by("pk"):
        evidence = registry_evidence(i.target)
        photos = list(i.photos.all())
        out.append(Row(i.pk, i.researcher_id, i.target_id, timezone.localtime(i.started_at),
                       timezone.localtime(i.ended_at), i.start_lat, i.start_lon, i.end_lat, i.target.latitude,
                       i.target.longitude, i.members, photos[0].phash if photos else "", i.answers_digest, i.answers,
                       frozenset(evidence.get("partner_facts", ())), evidence.get("registry_members")))
    return out
