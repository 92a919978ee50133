"""/.well-known/jwks.json: the registry's public signing keys (RFC 7517, DCI JWKS API), so a partner
verifies the registry's signed answers. Public, no login: it holds public keys only."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from .registry_keys import jwks


@login_not_required
@require_GET
def jwks_view(request):
    response = JsonResponse(jwks())
    response["Cache-Control"] = "public, max-age=300"
    return response
