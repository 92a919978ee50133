"""Making, checking and revoking API tokens. A token reads ``sjl_<prefix>_<secret>``: the prefix finds the
row (and names the token in lists and the audit trail), the SHA-256 of the whole string proves it."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone

from sijill.audit.models import Action
from sijill.audit.trail import record

from .models import ApiToken

DEFAULT_DAYS = 90


class TokenRefused(Exception):
    """A request whose token is missing, unknown, expired or revoked. ``code`` is for machines."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def digest(clear: str) -> str:
    return hashlib.sha256(clear.encode()).hexdigest()


def _new_secret() -> tuple[str, str]:
    prefix = secrets.token_hex(4)
    return prefix, f"sjl_{prefix}_{secrets.token_urlsafe(32)}"


def fill_secret(token: ApiToken) -> str:
    """Give an unsaved token its prefix and digest; return the clear token (to show once, never stored)."""
    prefix, clear = _new_secret()
    token.prefix, token.digest = prefix, digest(clear)
    return clear


def save_new(token: ApiToken) -> str:
    """Save a new token under a fresh prefix (drawn again on the rare collision); return the clear token."""
    for _attempt in range(5):
        clear = fill_secret(token)
        try:
            with transaction.atomic():
                token.save()
            return clear
        except IntegrityError:
            if ApiToken.objects.filter(prefix=token.prefix).exists():
                continue
            raise
    raise RuntimeError("could not draw an unused token prefix")


def issue(user, *, name: str, created_by=None, days: int = DEFAULT_DAYS, sender_id: str = "",
          sender_key: str = "", rate_per_minute: int | None = None, actor: str | None = None) -> tuple[ApiToken, str]:
    """Create a token for ``user``; raises ValidationError when its sender cannot be verified."""
    token = ApiToken(user=user, name=name, created_by=created_by, sender_id=sender_id, sender_key=sender_key,
                     expires_at=timezone.now() + dt.timedelta(days=days))
    if rate_per_minute is not None:
        token.rate_per_minute = rate_per_minute
    token.full_clean(exclude=["prefix", "digest"])
    clear = save_new(token)
    audit_created(token, user=created_by, actor=actor)
    return token, clear


def audit_created(token: ApiToken, *, request=None, user=None, actor: str | None = None) -> None:
    record(Action.ADMIN_CHANGE, request=request, user=user, actor=actor, target=token, change="api token created",
           holder=token.user.get_username(), sender=token.sender_id, expires=token.expires_at.isoformat())


def revoke(token: ApiToken, *, by=None, request=None, actor: str | None = None) -> None:
    if token.revoked_at is None:
        token.revoked_at, token.revoked_by = timezone.now(), by
        token.save(update_fields=["revoked_at", "revoked_by"])
    record(Action.ADMIN_CHANGE, request=request, user=by, actor=actor, target=token, change="api token revoked",
           holder=token.user.get_username())


def authenticate(clear: str) -> ApiToken:
    """The token ``clear`` names, if it may be used now; else raises ``TokenRefused`` saying why."""
    parts = (clear or "").strip().split("_")
    if len(parts) < 3 or parts[0] != "sjl":
        raise TokenRefused("err.token.invalid", "The token is not a Sijill API token (sjl_...).")
    token = ApiToken.objects.select_related("user").filter(prefix=parts[1]).first()
    if token is None or not hmac.compare_digest(token.digest, digest(clear.strip())):
        raise TokenRefused("err.token.invalid", "The token is not known.")
    if token.revoked:
        raise TokenRefused("err.token.revoked", "The token was revoked; ask the registry's administrator for a new "
                                                "one.")
    if token.expired:
        raise TokenRefused("err.token.expired", "The token has expired; ask the registry's administrator for a new "
                                                "one.")
    if not token.user.is_active:
        raise TokenRefused("err.token.invalid", "The token's user account is disabled.")
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token
