from __future__ import annotations

from django.db import models

from sijill.common.scoping import in_scope


class PersonQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The persons this user may see: all, or those of the governorates their role is limited to."""
        return in_scope(self, user)


class DuplicatePairQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status="pending")

    def visible_to(self, user):
        return in_scope(self, user, "person_a__governorate", "person_b__governorate")
