"""Registry lookups by national ID (DCI ``search`` -> ``on-search``). POSTed: no national ID in a URL or a
server log; each lookup is an entry in the audit trail."""

from __future__ import annotations

import json

from django.conf import settings
from ninja import Router

from .answers import signed
from .auth import require
from .envelope import Refused, response_header, verify
from .schemas import OnSearchEnvelope, Refusal, SearchEnvelope
from .search import answer_items

router = Router(tags=["registry"])
ERRORS = {400: Refusal, 401: Refusal, 403: Refusal, 409: Refusal, 422: Refusal, 429: Refusal}


def max_items() -> int:
    return settings.API_SEARCH_MAX_ITEMS


def check_count(header: dict, items: list, action: str) -> None:
    if header.get("total_count", len(items)) != len(items):
        raise Refused("rjct.total_count.invalid", "total_count must equal the number of search_request items.",
                      header=header, action=action)
    if len(items) > max_items():
        raise Refused("rjct.total_count.limit_exceeded", f"At most {max_items()} searches in one message.",
                      header=header, action=action)


@router.post("/sync/search", response={200: OnSearchEnvelope, **ERRORS}, summary="Look people up by identifier",
             description="Roles with search_people. Each search_request item names one person by `idtype-value` "
                         "(type UIN or NATIONAL_ID: the unified national card number; see docs/api.md for the "
                         "others); the signed answer says whether the person is registered, their household "
                         "number and the household's enrolments, nothing more.")
def search(request, envelope: SearchEnvelope):
    require(request, "search_people")
    header, message = verify(json.loads(request.body), request.auth, "search")
    items = message["search_request"]
    check_count(header, items, "search")
    responses = answer_items(items, user=request.auth.user, token_prefix=request.auth.prefix,
                             sender_id=header["sender_id"], transaction_id=message["transaction_id"],
                             request=request)
    return signed(response_header("on-search", header, status="succ", total=len(items), completed=len(items)),
                  {"transaction_id": message["transaction_id"], "correlation_id": header["message_id"],
                   "search_response": responses})
