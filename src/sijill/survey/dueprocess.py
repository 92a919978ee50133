"""From a proxy-means test result to the cases' due process. A score alone changes no benefit: an enrolled
household whose result is now "not eligible" gets a case (verification visit, notice, response period and a
decision by someone other than the proposer: ``sijill.cases``); a borderline result waits for a person's review.
"""

from __future__ import annotations

from django.utils.translation import gettext

from sijill.cases.services import open_or_join_case
from sijill.registry.models import EnrolmentStatus, Membership, Relation

from .models import Interview, PmtResult


def enrolled(interview: Interview) -> bool:
    household = interview.target.household
    return household is not None and household.enrolments.filter(status=EnrolmentStatus.ACTIVE).exists()


def head_of(household):
    """The household's head, else its first member (the case is about the family's enrolment)."""
    membership = (Membership.objects.filter(household=household).select_related("person")
                  .order_by("-relation", "pk"))
    head = next((m for m in membership if m.relation == Relation.HEAD), None) or membership.first()
    return head.person if head else None


def follow_up(interview: Interview):
    """Open (or join) the case of an enrolled household the PMT now finds not eligible; returns the case or
    None. Idempotent: an interview that already has its case keeps it."""
    if interview.case_id or interview.pmt_result != PmtResult.NOT_ELIGIBLE or not enrolled(interview):
        return None
    person = head_of(interview.target.household)
    if person is None:
        return None
    reason = gettext("Re-survey %(campaign)s: the proxy-means test (version %(version)s) gives a score of "
                     "%(score).2f, above the cut-off: not eligible. To verify before any decision.") % {
        "campaign": interview.target.campaign.code, "version": interview.pmt.version, "score": interview.pmt_score}
    case = open_or_join_case(person, source="survey", actor=f"survey:{interview.target.campaign.code}", reason=reason)
    interview.case = case
    interview.save(update_fields=["case"])
    return case
