"""What the registry sends back, in the shapes of the DCI spec: signed answers (``signature``, ``header``,
``message``), acknowledgements of asynchronous requests, and refusals.

The spec types optional fields as strings or objects, not nullable: a conformant answer leaves an empty
field out rather than sending ``null``. Every answer with a header is signed with the registry's key.
"""

from __future__ import annotations

import uuid

from django.http import JsonResponse
from django.utils import timezone

from .envelope import response_header
from .registry_keys import sign_body

# The header's status_reason_code is one of these (MsgHeaderStatusReasonCode); other codes go in the message.
HEADER_CODES = frozenset({"rjct.version.invalid", "rjct.message_id.duplicate", "rjct.message_ts.invalid",
                          "rjct.action.invalid", "rjct.action.not_supported", "rjct.total_count.invalid",
                          "rjct.total_count.limit_exceeded", "rjct.errors.too_many"})
# Sijill's refusal codes -> the spec's Error codes (the error object of an acknowledgement).
DCI_ERRORS = {
    "err.token.missing": "err.request.unauthorized", "err.token.invalid": "err.request.unauthorized",
    "err.token.expired": "err.request.unauthorized", "err.token.revoked": "err.request.unauthorized",
    "err.role.forbidden": "err.request.forbidden", "err.sender.invalid": "err.sender_id.invalid",
    "err.rate.limited": "err.request.too_many_requests", "rjct.receiver_id.invalid": "err.receiver_id.invalid",
    "rjct.version.invalid": "err.version.not_supported",
}
SPEC_ERRORS = frozenset({"err.request.bad", "err.request.unauthorized", "err.request.forbidden",
                         "err.request.not_found", "err.request.timeout", "err.version.not_supported",
                         "err.request.too_many_requests", "err.sender_id.invalid", "err.sender_uri.invalid",
                         "err.receiver_id.invalid", "err.signature.missing", "err.signature.invalid",
                         "err.encryption.invalid", "err.service.unavailable"})
# Paths that answered before DCI conformance: their refusals keep Sijill's own code in message.error.code.
LEGACY_PATHS = ("/registry/sync/search", "/packages/")


def prune(value):
    """``value`` without the ``None`` members of its objects (recursively)."""
    if isinstance(value, dict):
        return {k: prune(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [prune(v) for v in value]
    return value


def signed(header: dict, message, status: int = 200) -> JsonResponse:
    header, message = prune(header), prune(message)
    body = {"signature": sign_body(header, message), "header": header, "message": message}
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def now() -> str:
    return timezone.now().isoformat()


def ack(correlation_id: str, status: int = 202) -> JsonResponse:
    """The acknowledgement of an asynchronous request: the answer follows on the partner's callback URL."""
    return JsonResponse({"message": {"ack_status": "ACK", "timestamp": now(), "correlation_id": correlation_id}},
                        status=status)


def dci_error(code: str) -> str:
    code = DCI_ERRORS.get(code, code)
    return code if code in SPEC_ERRORS else "err.request.bad"


def refusal(path: str, code: str, message: str, status: int, *, header: dict | None = None,
            action: str = "") -> JsonResponse:
    """A refused request. Valid against every response shape the spec allows for the endpoint: the HTTP
    layer's ``errors`` (401, 403), a rejecting callback header (sync endpoints) and an ERR acknowledgement
    (async endpoints). ``message.error.code`` is Sijill's precise code on the endpoints that had it before
    DCI conformance, the spec's Error code elsewhere."""
    correlation_id = (header or {}).get("message_id") or str(uuid.uuid4())
    legacy = any(p in path for p in LEGACY_PATHS)
    answer = {"errors": [{"code": dci_error(code), "message": message}]}
    head = response_header(f"on-{action}" if action else "on-request", header, status="rjct",
                           reason_code=code if code in HEADER_CODES else "", reason_message=message)
    body = {"ack_status": "ERR", "timestamp": now(), "correlation_id": correlation_id,
            "error": {"code": code if legacy else dci_error(code), "message": message}}
    if path.endswith("/registry/sync/search"):
        body.update(transaction_id="", search_response=[])
    elif path.endswith("/registry/sync/txn/status"):
        body.update(transaction_id="", txnstatus_response={"txn_type": "search", "txn_status": {
            "transaction_id": "", "correlation_id": correlation_id, "search_response": []}})
    if "/registry/" in path:
        head["action"] = _callback_action(path)
        return signed(head, body, status) if status not in (401, 403) else _plain({**answer, "header": head,
                                                                                   "message": body}, status)
    return _plain({**answer, **({"header": head} if header is not None or action else {}), "message": body}, status)


def _callback_action(path: str) -> str:
    if path.endswith("txn/status"):
        return "txn-on-status"
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return last if last.startswith("on-") else f"on-{last}"


def _plain(body: dict, status: int) -> JsonResponse:
    return JsonResponse(prune(body), status=status, json_dumps_params={"ensure_ascii": False})
