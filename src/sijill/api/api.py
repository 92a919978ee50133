"""The API object: its OpenAPI document, its docs page (assets served locally), the token authentication,
and how every refusal is answered."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError

from sijill.audit.models import Action
from sijill.audit.trail import record

from . import dci_views, package_views, registry_views
from .answers import refusal
from .auth import TokenAuth
from .envelope import Refused
from .ratelimit import RateLimited
from .tokens import TokenRefused

DESCRIPTION = """\
The registry's API for partner agencies and registry lookups, conformant to the DCI (Digital Convergence
Initiative) Social Registry API 1.0.0 for search (sync and async), transaction status and civil-registry
death notifications: every request is a signed envelope (`signature`, `header`, `message`) sent with an API
token (`Authorization: Bearer sjl_...`) that the registry's administrator issues; every answer is signed with
the registry's key, published at `/.well-known/jwks.json`. See docs/api.md.
"""

api = NinjaAPI(title="Sijill API", version="1.0.0", description=DESCRIPTION, auth=TokenAuth(),
               urls_namespace="api")


def _token_prefix(request) -> str:
    """The prefix of the token the request carried (not secret: it names the token, it does not open it)."""
    parts = request.headers.get("Authorization", "").strip().partition(" ")[2].strip().split("_")
    return parts[1][:16] if len(parts) >= 3 and parts[0] == "sjl" else ""


def audited(request, code: str, status: int) -> None:
    """Every refusal in the audit trail: who (the token's user, or anonymous), which token, why."""
    record(Action.API_REFUSED, request=request, target_type="api", target_id=request.path[:64],
           code=code, status=status, token=_token_prefix(request))


@api.exception_handler(TokenRefused)
def token_refused(request, exc: TokenRefused):
    audited(request, exc.code, 401)
    response = refusal(request.path, exc.code, exc.message, 401)
    response["WWW-Authenticate"] = 'Bearer realm="sijill", error="invalid_token"'
    return response


@api.exception_handler(RateLimited)
def rate_limited(request, exc: RateLimited):
    audited(request, "err.rate.limited", 429)
    response = refusal(request.path, "err.rate.limited", f"More than {exc.limit} requests a minute for this token; "
                       f"retry after {exc.retry_after} seconds.", 429)
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(Refused)
def envelope_refused(request, exc: Refused):
    if exc.code != "err.role.forbidden":  # that one is in the trail already, as an access denied
        audited(request, exc.code, exc.status)
    return refusal(request.path, exc.code, exc.message, exc.status, header=exc.header, action=exc.action)


@api.exception_handler(ValidationError)
def not_valid(request, exc: ValidationError):
    problems = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in exc.errors)
    audited(request, "err.request.bad", 422)
    return refusal(request.path, "err.request.bad", f"The request does not have the expected shape: {problems}", 422)


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    """Ninja's own refusals (a body that is not JSON), in the documented shape."""
    message = "The request body is not a JSON object." if exc.status_code == 400 else str(exc)
    audited(request, "err.request.bad", exc.status_code)
    return refusal(request.path, "err.request.bad", message, exc.status_code)


@api.exception_handler(RequestDataTooBig)
def too_large(request, exc: RequestDataTooBig):
    audited(request, "err.request.too_large", 413)
    return refusal(request.path, "err.request.too_large", "The request is larger than the registry accepts.", 413)


api.add_router("/registry", registry_views.router)
api.add_router("/registry", dci_views.router)
api.add_router("/packages", package_views.router)
