"""Governorate scoping, one way for every list: caseworkers, researchers and clerks see only the records of the
governorates on their user record; every other role with the capability sees all."""

from __future__ import annotations

from django.db.models import QuerySet


def in_scope(queryset: QuerySet, user, *paths: str) -> QuerySet:
    """``queryset`` limited to the user's governorates, each of ``paths`` (default ``governorate``) within them."""
    scope = user.governorate_scope
    if scope is None:
        return queryset
    return queryset.filter(**{f"{path}__in": scope for path in paths or ("governorate",)})
