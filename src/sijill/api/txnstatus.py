"""Transaction status (DCI ``txn/status``): the state of a sender's own asynchronous searches, and their
answers once given. Another sender's transactions are never found."""

from __future__ import annotations

from django.utils import timezone

from sijill.audit.trail import record

from .envelope import Refused
from .models import Transaction

ATTRIBUTES = ("transaction_id", "correlation_id", "reference_id_list")


def answer(sender_id: str, message: dict, *, request=None) -> tuple[str, dict]:
    """(header status, TxnStatusResponse message) for a txnstatus request message."""
    query = message.get("txnstatus_request") or {}
    attribute, value = query.get("attribute_type"), query.get("attribute_value")
    if query.get("txn_type") != "search":
        raise Refused("err.request.bad", "Only the status of searches is kept (txn_type search).")
    if attribute not in ATTRIBUTES:
        raise Refused("err.request.bad", f"attribute_type must be one of {', '.join(ATTRIBUTES)}.")
    txns = Transaction.objects.filter(sender_id=sender_id).order_by("-received_at")
    wanted = None
    if attribute == "transaction_id":
        txn = txns.filter(transaction_id=str(value)).first()
    elif attribute == "correlation_id":
        txn = txns.filter(correlation_id=str(value)).first()
    else:
        wanted = {str(v) for v in (value if isinstance(value, list) else [value])}
        txn = next((t for t in txns[:200] if wanted & _references(t)), None)
    found = {"transaction_id": txn.transaction_id if txn else "", "correlation_id": txn.correlation_id if txn else "",
             "search_response": _items(txn, wanted) if txn else []}
    if txn is not None:
        record("txn_status", request=request, actor=None if request else f"api:{sender_id}", target_type="transaction",
               target_id=txn.correlation_id, sender=sender_id, status=txn.status,
               items=len(found["search_response"]))
    return ("succ" if txn else "rjct"), {"transaction_id": message.get("transaction_id", ""),
                                         "correlation_id": found["correlation_id"],
                                         "txnstatus_response": {"txn_type": "search", "txn_status": found}}


def _references(txn: Transaction) -> set[str]:
    source = txn.answer.get("message", {}).get("search_response") if txn.answer else txn.request.get("search_request")
    return {str(item.get("reference_id")) for item in source or []}


def _items(txn: Transaction, wanted: set[str] | None) -> list[dict]:
    if txn.answer:
        items = txn.answer["message"]["search_response"]
    else:  # not answered yet: each item pending
        now = timezone.now().isoformat()
        items = [{"reference_id": item.get("reference_id"), "timestamp": now, "status": txn.status}
                 for item in txn.request.get("search_request", [])]
    return [i for i in items if wanted is None or str(i.get("reference_id")) in wanted]
