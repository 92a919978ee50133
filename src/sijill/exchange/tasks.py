"""Background tasks (Django's task framework; the database backend ``django_tasks_db`` by default, so no
broker is needed: ``sijill worker`` runs them)."""

from __future__ import annotations

from django.tasks import task


@task(queue_name="default")
def run_cycle(run_id: int) -> None:
    from .runs import execute_run

    execute_run(run_id)
