"""Asynchronous answers: the worker answers a search and delivers the signed ``on-search`` to the callback
URL registered for the partner (``Partner.callback_url``), never to a URL taken from a request."""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request

from django.conf import settings
from django.utils import timezone

from .answers import prune
from .envelope import response_header
from .models import Partner, Transaction
from .registry_keys import sign_body
from .search import answer_items

TIMEOUT_SECONDS = 10


def callback_url(sender_id: str, path: str) -> str | None:
    partner = Partner.objects.filter(sender_id=sender_id, active=True).exclude(callback_url="").first()
    return f"{partner.callback_url.rstrip('/')}/{path.lstrip('/')}" if partner else None


def signed_body(header: dict, message: dict) -> dict:
    header, message = prune(header), prune(message)
    return {"signature": sign_body(header, message), "header": header, "message": message}


def answer_search(txn_id: int) -> Transaction:
    """Answer a received search (once), keep the signed answer, deliver it."""
    txn = Transaction.objects.select_related("token__user").get(pk=txn_id)
    if txn.status == Transaction.Status.RECEIVED:
        txn.status = Transaction.Status.PENDING
        txn.save(update_fields=["status"])
        items = txn.request.get("search_request", [])
        responses = answer_items(items, user=txn.token.user, token_prefix=txn.token.prefix,
                                 sender_id=txn.sender_id, transaction_id=txn.transaction_id)
        header = response_header("on-search", {"sender_id": txn.sender_id}, status="succ", total=len(items),
                                 completed=len(items))
        txn.answer = signed_body(header, {"transaction_id": txn.transaction_id,
                                          "correlation_id": txn.correlation_id, "search_response": responses})
        txn.request, txn.status, txn.answered_at = {}, Transaction.Status.SUCCEEDED, timezone.now()
        txn.save(update_fields=["answer", "request", "status", "answered_at"])
    if txn.delivered_at is None:
        error = deliver(txn.sender_id, "registry/on-search", txn.answer)
        txn.delivered_at = None if error else timezone.now()
        txn.delivery_error = (error or "")[:300]
        txn.save(update_fields=["delivered_at", "delivery_error"])
    forget_old()
    return txn


def forget_old() -> int:
    """Drop the transactions older than API_TRANSACTIONS_KEPT_DAYS: their answers say who is registered."""
    cutoff = timezone.now() - dt.timedelta(days=settings.API_TRANSACTIONS_KEPT_DAYS)
    return Transaction.objects.filter(received_at__lt=cutoff).delete()[0]


def deliver(sender_id: str, path: str, body: dict) -> str | None:
    """POST ``body`` to the partner's registered callback; None when delivered, else why not."""
    url = callback_url(sender_id, path)
    if url is None:
        return "no callback URL is registered for this partner"
    request = urllib.request.Request(url, data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                                     headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            response.read()
    except (urllib.error.URLError, OSError, ValueError) as e:
        return f"delivery to {url} failed: {e}"
    return None
