"""Tips about one subject shown together: tips confirmed to the same person, or naming the same subject
(same national ID, or same full name in the same governorate), fall in one group."""

from __future__ import annotations

from .models import Tip


def grouped(tips: list[Tip]) -> list[list[Tip]]:
    """Groups in the order of their newest tip; within a group, newest first."""
    parent = list(range(len(tips)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_seen: dict[str, int] = {}
    for i, tip in enumerate(tips):
        for key in (f"person:{tip.person_id}" if tip.person_id else "", tip.subject_key):
            if not key:
                continue
            if key in first_seen:
                parent[find(i)] = find(first_seen[key])
            else:
                first_seen[key] = i
    groups: dict[int, list[Tip]] = {}
    for i, tip in enumerate(tips):
        groups.setdefault(find(i), []).append(tip)
    return sorted(groups.values(), key=lambda g: min(tips.index(t) for t in g))
