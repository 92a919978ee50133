"""The API object: its OpenAPI document, its docs page (assets served locally), the token authentication,
and how every refusal is answered."""

from __future__ import annotations

from ninja import NinjaAPI
from ninja.errors import ValidationError

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


@api.exception_handler(TokenRefused)
def token_refused(request, exc: TokenRefused):
    response = refusal(request.path, exc.code, exc.message, 401)
    response["WWW-Authenticate"] = 'Bearer realm="sijill", error="invalid_token"'
    return response


@api.exception_handler(RateLimited)
def rate_limited(request, exc: RateLimited):
    response = refusal(request.path, "err.rate.limited", f"More than {exc.limit} requests a minute for this token; "
                       f"retry after {exc.retry_after} seconds.", 429)
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(Refused)
def envelope_refused(request, exc: Refused):
    return refusal(request.path, exc.code, exc.message, exc.status, header=exc.header, action=exc.action)


@api.exception_handler(ValidationError)
def not_valid(request, exc: ValidationError):
    problems = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in exc.errors)
    return refusal(request.path, "err.request.bad", f"The request does not have the expected shape: {problems}", 422)


api.add_router("/registry", registry_views.router)
api.add_router("/registry", dci_views.router)
api.add_router("/packages", package_views.router)
