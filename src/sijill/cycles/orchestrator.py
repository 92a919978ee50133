"""One orchestrator runs a cycle: the hub matches, the registry opens and stores its hits, the eligibility rules
raise findings, and the findings become cases to verify. The command line, the background worker, the pages and
the demo all call these functions; none of them composes the steps itself.

It sits above the apps whose steps it joins (exchange, eligibility, cases): they never call each other upward.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.tasks import task
from django.utils.translation import gettext_noop

from sijill.audit.trail import record
from sijill.cases.services import open_cases_for_persons
from sijill.cases.workflow import cycle_reason
from sijill.eligibility.evaluate import Evaluation, evaluate_cycle
from sijill.exchange import runs
from sijill.exchange.models import Cycle, Run
from sijill.exchange.registries import get as get_registry

log = logging.getLogger(__name__)


def start_run(cycle: Cycle, *, user=None, request=None, as_of: dt.date | None = None) -> Run:
    """Queue a run of ``cycle`` for the background worker (``sijill worker``); ``as_of`` is the day the rules
    are evaluated for (default: the day they run)."""
    run = runs.queue_run(cycle, user=user, as_of=as_of,
                         enqueue=lambda pk: run_cycle.enqueue(pk).id)
    record("run_start", request=request, user=user, actor=None if user else "cli", target=run.cycle,
           run=run.pk, packages=run.package_hashes)
    return run


def execute_run(run_id: int) -> None:
    """The worker's job: hub step, registry step and storage (``exchange.runs``), then the rules and the cases.

    Findings and cases are idempotent per cycle, so a run that fails after its hits were stored is run again
    without raising anything twice.
    """
    run = runs.match_and_store(run_id)
    if run is None:
        return
    try:
        with runs.beating(run, stage=gettext_noop("running the eligibility rules"),
                          progress_done=run.progress_total - 1):
            evaluate(run.cycle, actor="worker", as_of=run.as_of)
    except Exception as e:
        log.exception("the rules over run %s of cycle %s failed", run.pk, run.cycle.code)
        runs.fail_run(run, f"{e.__class__.__name__}: {e}")
        return
    runs.finish_run(run)


def evaluate(cycle: Cycle, *, actor=None, as_of: dt.date | None = None, open_cases: bool = True,
             request=None) -> Evaluation:
    """The rules of the cycle's registry over its usable hits (findings, once per cycle), then one case per
    person with a new finding, assigned for a field visit. Nothing is stopped here: a case is a suspicion."""
    if get_registry(cycle.registry).rule_set is None:
        return Evaluation(cycle=cycle.code, as_of=as_of or dt.date.today())
    with transaction.atomic():  # findings and their cases together: a finding is never left without its case
        result = evaluate_cycle(cycle, actor=actor, as_of=as_of, request=request)
        if open_cases and result.persons:
            result.cases_opened, result.cases_joined = open_cases_for_persons(
                result.persons, source="cycle", actor=actor, reason=cycle_reason(cycle.code),
                governorates=result.governorates)
        record("cases_opened", request=request, user=actor if getattr(actor, "pk", None) else None,
               actor=actor if isinstance(actor, str) else None, target=cycle, opened=result.cases_opened,
               joined=result.cases_joined)
    return result


@task(queue_name="default")
def run_cycle(run_id: int) -> None:
    """The background task of a run (Django's task framework on the database: ``sijill worker`` runs it)."""
    execute_run(run_id)
