"""The visit's checklist: for each finding of the case, the items its rule's checklist asks the researcher to
verify (eligibility/data/checklists.yaml), the answers as the form or the phone's outbox sends them, and what
they add up to for the caseworker who decides."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.utils.translation import gettext

from sijill.eligibility.checklists import CheckItem, checklist

from .models import Case, CheckAnswer, Evidence, Visit, VisitCheck


class ChecksRefused(ValueError):
    """An answer is missing or not one of the choices; the message says which."""


@dataclass(frozen=True)
class Question:
    finding_id: int
    rule_code: str
    rule_name: str
    item: CheckItem

    def name(self, part: str) -> str:
        """The form field of this question: check-, evidence- or checknote-<finding>-<item>."""
        return f"{part}-{self.finding_id}-{self.item.code}"


def questions(case: Case) -> list[Question]:
    """What the visit verifies: each finding's rule's items. Only the rule's name is shown, never the
    partner's payload (the researcher verifies facts at the door, not the agency's record)."""
    out = []
    for finding in case.findings.select_related("rule").order_by("effective_date", "pk"):
        for item in checklist(finding.rule.code):
            out.append(Question(finding.pk, finding.rule.code, finding.rule.name_ar, item))
    return out


def answers_from(case: Case, data: dict) -> list[VisitCheck]:
    """The answers in ``data`` (flat names as the form posts them), checked: every item answered, with its
    evidence; "no evidence" only with "could not be verified". Not saved."""
    out = []
    for q in questions(case):
        answer = str(data.get(q.name("check")) or "")
        evidence = str(data.get(q.name("evidence")) or "")
        if answer not in CheckAnswer.values:
            raise ChecksRefused(gettext("Answer every item of the checklist (“%(item)s”).") % {"item": q.item.text})
        if evidence not in Evidence.values:
            raise ChecksRefused(gettext("Say what evidence the answer rests on (“%(item)s”).") % {
                "item": q.item.text})
        if evidence == Evidence.NONE and answer != CheckAnswer.UNVERIFIED:
            raise ChecksRefused(gettext("An item established or not established needs its evidence (“%(item)s”).")
                                % {"item": q.item.text})
        out.append(VisitCheck(finding_id=q.finding_id, rule_code=q.rule_code, item=q.item.code,
                              question=q.item.ar[:300], answer=answer, evidence=evidence,
                              note=str(data.get(q.name("checknote")) or "")[:500]))
    return out


def save(visit: Visit, answers: list[VisitCheck]) -> None:
    for a in answers:
        a.visit = visit
    VisitCheck.objects.bulk_create(answers)


@dataclass(frozen=True)
class FindingChecks:
    """One finding's answers on the case's latest visit, and what they add up to."""

    finding_id: int
    answers: list[VisitCheck]

    @property
    def counts(self) -> Counter:
        return Counter(a.answer for a in self.answers)

    @property
    def verdict(self) -> str:
        """not_established when any item was not borne out, established when all were, else unverified."""
        counts = self.counts
        if counts[CheckAnswer.NOT_ESTABLISHED]:
            return CheckAnswer.NOT_ESTABLISHED
        if self.answers and counts[CheckAnswer.ESTABLISHED] == len(self.answers):
            return CheckAnswer.ESTABLISHED
        return CheckAnswer.UNVERIFIED

    @property
    def verdict_label(self) -> str:
        return CheckAnswer(self.verdict).label


def by_finding(case: Case) -> dict[int, FindingChecks]:
    """finding pk -> its answers on the latest visit that answered it."""
    latest: dict[int, int] = {}
    rows = VisitCheck.objects.filter(visit__case=case).select_related("visit").order_by("-visit__submitted_at",
                                                                                         "-visit_id", "pk")
    grouped: dict[int, list[VisitCheck]] = {}
    for a in rows:
        visit = latest.setdefault(a.finding_id, a.visit_id)
        if visit == a.visit_id:
            grouped.setdefault(a.finding_id, []).append(a)
    return {f: FindingChecks(f, answers) for f, answers in grouped.items()}


def summary(case: Case) -> dict:
    """For the decision and its audit entry: per finding, its verdict and the counts of each answer."""
    return {str(f): {"verdict": c.verdict, **{k: v for k, v in c.counts.items()}}
            for f, c in by_finding(case).items()}
