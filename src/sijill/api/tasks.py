"""Background tasks of the API (the database queue; `sijill worker` runs them)."""

from __future__ import annotations

from django.tasks import task


@task(queue_name="default")
def answer_search(txn_id: int) -> None:
    from .callbacks import answer_search as answer

    answer(txn_id)


@task(queue_name="default")
def deliver(sender_id: str, path: str, body: dict) -> None:
    from .callbacks import deliver as send

    error = send(sender_id, path, body)
    if error:
        raise RuntimeError(error)  # the task is marked failed, with the reason
