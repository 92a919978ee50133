"""The API's URLs under /api/v1/. The web pages' login does not apply: every operation authenticates its
token, and the OpenAPI document and its docs page are public (they describe, they hold no data)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from .api import api


def _without_login(patterns: list) -> list:
    """Mark each view as not needing a web login (LoginRequiredMiddleware); tokens protect the operations."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _without_login(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            pattern.callback.login_required = False
    return patterns


_patterns, _app, _namespace = api.urls  # not ``app_name``: Django would read it as this module's namespace
urlpatterns = [path("v1/", include((_without_login(_patterns), _app), namespace=_namespace))]
