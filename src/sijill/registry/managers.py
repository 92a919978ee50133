from __future__ import annotations

from django.db import models


class PersonQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The persons this user may see: all, or those of the governorates their role is limited to."""
        scope = user.governorate_scope
        return self if scope is None else self.filter(governorate__in=scope)


class DuplicatePairQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status="pending")

    def visible_to(self, user):
        scope = user.governorate_scope
        if scope is None:
            return self
        return self.filter(person_a__governorate__in=scope, person_b__governorate__in=scope)
