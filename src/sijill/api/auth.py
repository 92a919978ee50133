"""Bearer-token authentication for the API, with the token's rate limit, and the capability check."""

from __future__ import annotations

from ninja.security import HttpBearer

from sijill.audit.access import deny

from . import tokens
from .envelope import Refused
from .ratelimit import count_request


class TokenAuth(HttpBearer):
    """``Authorization: Bearer sjl_...``. Refusals say why (missing, unknown, expired, revoked)."""

    def __call__(self, request):
        value = request.headers.get("Authorization", "").strip()
        if not value:
            raise tokens.TokenRefused("err.token.missing", "Send the API token: Authorization: Bearer sjl_...")
        scheme, _, clear = value.partition(" ")
        if scheme.lower() != "bearer" or not clear.strip():
            raise tokens.TokenRefused("err.token.invalid", "Send the API token as: Authorization: Bearer sjl_...")
        return self.authenticate(request, clear.strip())

    def authenticate(self, request, token):
        found = tokens.authenticate(token)
        request.user = found.user  # the audit trail and the permission checks name the token's user
        count_request(found)
        return found


def require(request, capability: str) -> None:
    """Refuse (and audit the refusal) when the token's user lacks ``capability``."""
    if not request.auth.user.can(capability):
        deny(request, f"role lacks {capability}", channel="api", token=request.auth.prefix)
        raise Refused("err.role.forbidden", f"This token's user ({request.auth.user.get_role_display()}) may not do "
                      "this.", 403)
