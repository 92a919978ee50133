"""Registry lookups by national ID (DCI ``search`` -> ``on-search``). POSTed: no national ID in a URL or a
server log; each lookup is an entry in the audit trail."""

from __future__ import annotations

import json

from django.conf import settings
from django.utils import timezone
from ninja import Router

from sijill.audit.models import Action
from sijill.audit.trail import record

from . import lookup
from .auth import require
from .envelope import Refused, response_header, verify
from .schemas import OnSearchEnvelope, Refusal, SearchEnvelope

router = Router(tags=["registry"])
REG_TYPE = "ns:org:RegistryType:Social"
ERRORS = {400: Refusal, 401: Refusal, 403: Refusal, 409: Refusal, 422: Refusal, 429: Refusal}


def max_items() -> int:
    return settings.API_SEARCH_MAX_ITEMS


@router.post("/sync/search", response={200: OnSearchEnvelope, **ERRORS}, summary="Look people up by national ID",
             description="Roles with search_people. Each search_request item names one national ID "
                         "(`idtype-value`, type NATIONAL_ID); the answer says whether the person is registered, "
                         "their household number and the household's enrolments, nothing more.")
def search(request, envelope: SearchEnvelope):
    require(request, "search_people")
    header, _ = verify(json.loads(request.body), request.auth, "search")
    items = envelope.message.search_request
    if header.get("total_count", len(items)) != len(items):
        raise Refused("rjct.total_count.invalid", "total_count must equal the number of search_request items.",
                      header=header, action="search")
    if len(items) > max_items():
        raise Refused("rjct.total_count.limit_exceeded", f"At most {max_items()} searches in one message.",
                      header=header, action="search")
    responses = [_search_one(request, header, envelope.message.transaction_id, item) for item in items]
    return {"header": response_header("on-search", header, status="succ", total=len(items), completed=len(items)),
            "message": {"transaction_id": envelope.message.transaction_id, "correlation_id": header["message_id"],
                        "search_response": responses}}


def _search_one(request, header: dict, transaction_id: str, item) -> dict:
    answer = {"reference_id": item.reference_id, "timestamp": timezone.now().isoformat(), "locale": item.locale}
    trail = {"channel": "api", "token": request.auth.prefix, "sender": header["sender_id"],
             "transaction_id": transaction_id, "reference_id": item.reference_id}
    criteria = item.search_criteria
    try:
        national_id = lookup.national_id_of(criteria.query_type, criteria.query)
    except lookup.BadQuery as e:
        record(Action.SEARCH, request=request, refused=e.code, reason=e.message, **trail)
        return {**answer, "status": "rjct", "status_reason_code": e.code, "status_reason_message": e.message}
    found = lookup.records_for(national_id, request.auth.user)
    record(Action.SEARCH, request=request, query={"national_id": national_id}, found=len(found),
           records=[record_id for record_id, _ in found], **trail)
    return {**answer, "status": "succ",
            "data": {"version": "1.0.0", "reg_type": REG_TYPE, "reg_record_type": "sijill:Beneficiary",
                     "registered": bool(found), "reg_records": [r for _, r in found]}}
