"""Answers to a case's visit checklist, as the visit form posts them (for tests that walk a case)."""

from __future__ import annotations


def checklist_answers(case, answer: str = "established", evidence: str = "seen", **by_item) -> dict[str, str]:
    """Every item answered ``answer`` with ``evidence``; ``by_item`` (item code -> answer) overrides some."""
    from sijill.cases.checks import questions

    out = {}
    for q in questions(case):
        given = by_item.get(q.item.code, answer)
        out[q.name("check")] = given
        out[q.name("evidence")] = "none" if given == "unverified" else evidence
    return out
