"""A new version of the proxy-means test put in force: every interview scored again, in the background (the
database task queue; ``sijill worker`` runs it). A result that changes for an enrolled household to "not
eligible" goes to the cases' due process, as on the day of the interview; nothing else changes a benefit."""

from __future__ import annotations

from django.tasks import task

from sijill.audit.trail import record

from . import dueprocess
from .models import Interview, PmtModel, PmtResult
from .pmt import Formula


def rescore(model: PmtModel, interviews=None, chunk: int = 2_000) -> dict[str, int]:
    formula = Formula.of(model)
    interviews = interviews if interviews is not None else Interview.objects.all()
    changed, to_case, batch = 0, [], []
    for item in interviews.select_related("target").iterator(chunk_size=chunk):
        score, result = formula.apply(item.answers, item.target.governorate)
        if result != item.pmt_result:
            changed += 1
            if result == PmtResult.NOT_ELIGIBLE:
                to_case.append(item.pk)
        item.pmt, item.pmt_score, item.pmt_result = model, score, result
        batch.append(item)
        if len(batch) >= chunk:
            Interview.objects.bulk_update(batch, ["pmt", "pmt_score", "pmt_result"])
            batch = []
    Interview.objects.bulk_update(batch, ["pmt", "pmt_score", "pmt_result"])
    cases = 0
    for item in Interview.objects.filter(pk__in=to_case).select_related("target__household", "target__campaign",
                                                                         "pmt"):
        cases += dueprocess.follow_up(item) is not None
    figures = {"version": model.version, "changed": changed, "cases": cases}
    record("survey_pmt_rescore", actor="survey:pmt", target=model, **figures)
    return figures


@task(queue_name="default")
def rescore_task(model_id: int) -> None:
    rescore(PmtModel.objects.get(pk=model_id))
