"""The signed message envelope of the DCI APIs: ``{"signature", "header", "message"}``.

The signature is either the DCI signature string (``signing``: kidId, created, expires, a BLAKE-512 digest
of the canonical JSON of header and message) or, as before DCI conformance, the bare base64 Ed25519
signature of that canonical JSON. The registry checks it against the sender's registered key, then the
header: version, action, sender, receiver, a message time within a few minutes of its own clock, and a
message id never seen before from that sender.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from . import signing
from .envelope_bytes import canonical
from .models import SeenMessage
from .senders import sender_of

VERSION = "1.0.0"
SEEN_KEPT = dt.timedelta(hours=1)  # at least twice the clock skew allowed: older envelopes are refused anyway


class Refused(Exception):
    """An envelope the registry does not process. ``code`` follows the DCI reason codes."""

    def __init__(self, code: str, message: str, status: int = 400, *, header: dict | None = None, action: str = ""):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status
        self.header, self.action = header, action  # the request's header, when it was read: the answer names it


__all__ = ["Refused", "canonical", "envelope", "new_header", "response_header", "sign", "verify"]


def sign(header: dict, message, signing_key: SigningKey) -> str:
    """The envelope's signature, as a sender makes it (used by agencies' clients and the tests)."""
    return base64.b64encode(signing_key.sign(canonical(header, message)).signature).decode("ascii")


def envelope(header: dict, message, signing_key: SigningKey) -> dict:
    return {"signature": sign(header, message, signing_key), "header": header, "message": message}


def receiver_id() -> str:
    return settings.API_RECEIVER_ID


def new_header(action: str, sender_id: str, *, total_count: int = 1) -> dict:
    """A request header with a fresh message id and the current time."""
    return {"version": VERSION, "message_id": str(uuid.uuid4()), "message_ts": timezone.now().isoformat(),
            "action": action, "sender_id": sender_id, "receiver_id": receiver_id(), "total_count": total_count}


def verify(data, token, action: str) -> tuple[dict, dict]:
    """Check the envelope ``data`` sent with ``token`` for ``action``; return its (header, message)."""
    if not isinstance(data, dict):
        raise Refused("err.request.bad", "The request must be a JSON object with signature, header and message.")
    header, message, signature = data.get("header"), data.get("message"), data.get("signature")
    if not isinstance(header, dict) or not isinstance(message, dict):
        raise Refused("err.request.bad", "The envelope needs a header and a message (JSON objects).")
    try:
        _check(header, message, signature, token, action)
    except Refused as refused:
        refused.header, refused.action = header, action
        raise
    return header, message


def _check(header: dict, message: dict, signature, token, action: str) -> None:
    if not signature:
        raise Refused("err.signature.missing", "The envelope is not signed: sign its header and message with the "
                      "sender's Ed25519 key (see docs/api.md).", 401)
    sender, key = sender_of(token)
    if header.get("sender_id") != sender:
        raise Refused("err.sender.invalid", f"This token sends as “{sender}”, not as "
                      f"“{header.get('sender_id')}”.", 403)
    if key is None:
        raise Refused("err.signature.invalid", f"No public key is registered for sender “{sender}”; the registry's "
                      "administrator must register it first.", 403)
    _check_signature(header, message, signature, key)
    _check_header(header, action)
    _remember(sender, str(header["message_id"]))


def _check_signature(header: dict, message: dict, signature, key: bytes) -> None:
    if signing.is_dci(signature):
        try:
            parsed = signing.parse(signature)
            if parsed.sender_id != header.get("sender_id"):
                raise signing.SignatureInvalid(f"The signature's kidId names sender “{parsed.sender_id}”, the "
                                               f"header “{header.get('sender_id')}”.")
            signing.check(parsed, header, message, key, skew=settings.API_CLOCK_SKEW_SECONDS)
        except signing.SignatureInvalid as e:
            raise Refused("err.signature.invalid", str(e), 403) from None
        return
    try:
        raw = base64.b64decode(str(signature), validate=True)
        VerifyKey(key).verify(canonical(header, message), raw)
    except (binascii.Error, ValueError, BadSignatureError):
        raise Refused("err.signature.invalid", "The signature does not match the header and message: they were "
                      "changed after signing, or signed with another key.", 403) from None


def _check_header(header: dict, action: str) -> None:
    if str(header.get("version", "")).split(".")[0] != VERSION.split(".")[0]:
        raise Refused("rjct.version.invalid", f"Version {header.get('version')!r} is not supported; use {VERSION}.")
    if header.get("action") != action:
        raise Refused("rjct.action.invalid", f"This endpoint takes action “{action}”, not “{header.get('action')}”.")
    if header.get("receiver_id") not in (None, "", receiver_id()):
        raise Refused("rjct.receiver_id.invalid", f"This registry is “{receiver_id()}”, not "
                      f"“{header.get('receiver_id')}”.")
    if not str(header.get("message_id") or "").strip() or len(str(header["message_id"])) > 128:
        raise Refused("rjct.message_id.invalid", "The header needs a message_id (at most 128 characters).")
    try:
        sent = dt.datetime.fromisoformat(str(header.get("message_ts")))
    except ValueError:
        raise Refused("rjct.message_ts.invalid", "message_ts must be an ISO 8601 time with its offset.") from None
    if sent.tzinfo is None:
        raise Refused("rjct.message_ts.invalid", "message_ts must carry its time zone offset (e.g. +03:00 or Z).")
    skew = settings.API_CLOCK_SKEW_SECONDS
    if abs((timezone.now() - sent).total_seconds()) > skew:
        raise Refused("rjct.message_ts.invalid", f"message_ts is more than {skew} seconds from the registry's "
                      "clock: check the sender's clock.")


def _remember(sender: str, message_id: str) -> None:
    now = timezone.now()
    try:
        with transaction.atomic():
            SeenMessage.objects.create(sender_id=sender, message_id=message_id, received_at=now)
    except IntegrityError:
        raise Refused("rjct.message_id.duplicate", "This message_id was already received from this sender: a "
                      "replayed or re-sent envelope is not processed twice.", 409) from None
    kept = max(SEEN_KEPT, dt.timedelta(seconds=2 * settings.API_CLOCK_SKEW_SECONDS))
    SeenMessage.objects.filter(received_at__lt=now - kept).delete()


def response_header(action: str, request_header: dict | None, *, status: str, total: int = 0,
                    completed: int = 0, reason_code: str = "", reason_message: str = "") -> dict:
    """The header of a response (the DCI callback header): who answers whom, and how it went."""
    header = {"version": VERSION, "message_id": str(uuid.uuid4()), "message_ts": timezone.now().isoformat(),
              "action": action, "status": status, "total_count": total, "completed_count": completed,
              "sender_id": receiver_id(), "receiver_id": (request_header or {}).get("sender_id", ""),
              "is_msg_encrypted": False}
    if reason_code:
        header["status_reason_code"] = reason_code
    if reason_message:
        header["status_reason_message"] = reason_message[:999]
    return header
