"""Who signs a token's envelopes, and with which Ed25519 key.

An agency data officer's envelopes are signed with the key the agency registered for its packages (one key
per agency, rotated in one place). Any other caller's token carries its own public key.
"""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from sijill.accounts.roles import Role
from sijill.exchange.models import Agency
from sijill.exchange.trust import KeyRefused, parse_public_key

KEY_BYTES = 32


def parse_key(text: str) -> bytes:
    """The Ed25519 public key in ``text``: a ``holder.pub`` file from `sijill keys init`, or 64 hex digits."""
    text = (text or "").strip()
    if text.startswith("{"):
        try:
            return parse_public_key(text)[1]
        except KeyRefused as e:
            raise ValueError(str(e)) from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise ValueError(_("This is not an Ed25519 public key (holder.pub, or 64 hexadecimal digits)."))
    return key


def acts_for_agency(user) -> bool:
    return user.role == Role.AGENCY_DATA_OFFICER


def check_sender(token) -> None:
    """Fill in and check a new token's sender: the agency for its data officers, else a key of its own."""
    if not token.user_id:
        return
    user = token.user
    if acts_for_agency(user):
        if not user.agency:
            raise ValidationError(_("This agency data officer has no agency on their user record."))
        if not Agency.objects.filter(code=user.agency).exists():
            raise ValidationError(_("Agency “%(code)s” is not registered.") % {"code": user.agency})
        token.sender_id, token.sender_key = user.agency, ""
        return
    if not token.sender_key.strip():
        raise ValidationError({"sender_key": _("A public key is needed to verify the envelopes this caller "
                                               "signs.")})
    try:
        key = parse_key(token.sender_key)
    except ValueError as e:
        raise ValidationError({"sender_key": str(e)}) from None
    token.sender_id = token.sender_id or _holder_of(token.sender_key) or user.get_username()
    token.sender_key = key.hex()


def _holder_of(text: str) -> str:
    try:
        return json.loads(text).get("holder", "")
    except (ValueError, AttributeError):
        return ""


def sender_of(token) -> tuple[str, bytes | None]:
    """(sender id, verify key) of ``token`` now; the key is None when none is registered."""
    if acts_for_agency(token.user):
        agency = Agency.objects.filter(code=token.user.agency).first()
        if agency is None or not agency.signing_key:
            return token.user.agency, None
        try:
            return agency.code, parse_key(agency.signing_key)
        except ValueError:
            return agency.code, None
    try:
        return token.sender_id, parse_key(token.sender_key)
    except ValueError:
        return token.sender_id, None
