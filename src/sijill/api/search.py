"""Answering search requests (sync and async alike): one DCI ``search_response`` item per request item,
each audited. Items are plain dicts, so the worker answers an asynchronous search exactly as the
synchronous endpoint does."""

from __future__ import annotations

import re

from django.utils import timezone

from sijill.audit.models import Action
from sijill.audit.trail import record

from . import lookup

REG_TYPE = "ns:org:RegistryType:Social"
REG_RECORD_TYPE = "sijill:Beneficiary"
LOCALE = re.compile(r"^[a-z]{3}$")  # the spec's locale: an ISO 639-3 code


def answer_items(items: list[dict], *, user, token_prefix: str, sender_id: str, transaction_id: str,
                 request=None) -> list[dict]:
    return [_answer(item, user=user, request=request,
                    trail={"channel": "api", "token": token_prefix, "sender": sender_id,
                           "transaction_id": transaction_id, "reference_id": item.get("reference_id")})
            for item in items]


def _answer(item: dict, *, user, request, trail: dict) -> dict:
    answer = {"reference_id": item.get("reference_id"), "timestamp": timezone.now().isoformat()}
    if LOCALE.match(str(item.get("locale") or "")):
        answer["locale"] = item["locale"]
    criteria = item.get("search_criteria") or {}
    try:
        id_type, value, persons = lookup.identifier_of(criteria.get("query_type"), criteria.get("query") or {})
    except lookup.BadQuery as e:
        record(Action.SEARCH, request=request, user=user, refused=e.code, reason=e.message, **trail)
        return {**answer, "status": "rjct", "status_reason_code": e.code, "status_reason_message": e.message}
    found = lookup.records_for(id_type, value, persons, user)
    record(Action.SEARCH, request=request, user=user, query=_query(id_type, value),
           found=len(found), records=[record_id for record_id, _ in found], **trail)
    return {**answer, "status": "succ",
            "data": {"version": "1.0.0", "reg_type": REG_TYPE, "reg_record_type": REG_RECORD_TYPE,
                     "registered": bool(found), "reg_records": [r for _, r in found]}}


def _query(id_type: str, value: str) -> dict:
    """The audit entry's query: the national ID under its own name whatever DCI type named it."""
    key = "national_id" if id_type in ("UIN", "NATIONAL_ID") else id_type.lower()
    return {key: value, "id_type": id_type}
