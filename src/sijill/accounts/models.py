from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from sijill.identity import GOVERNORATES

from .roles import GOVERNORATE_SCOPED, Role, capabilities_of


def _check_governorates(value) -> None:
    unknown = [g for g in value or [] if g not in GOVERNORATES]
    if unknown:
        raise ValidationError(_("Unknown governorates: %(names)s"), params={"names": ", ".join(unknown)})


class SijillUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", Role.ADMINISTRATOR)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A member of staff. What they may do follows from their role; caseworkers and field researchers
    see only the governorates listed on their record; agency data officers act for one agency."""

    role = models.CharField(_("role"), max_length=32, choices=Role.choices, blank=True)
    governorates = models.JSONField(_("governorates"), default=list, blank=True, validators=[_check_governorates])
    agency = models.CharField(_("agency"), max_length=32, blank=True)

    objects = SijillUserManager()

    @property
    def capabilities(self) -> frozenset[str]:
        if not self.is_active or not self.role:
            return frozenset()
        return capabilities_of(self.role)

    def can(self, capability: str) -> bool:
        return capability in self.capabilities

    @property
    def governorate_scope(self) -> list[str] | None:
        """The governorates this user is limited to, or None for all."""
        return list(self.governorates or []) if self.role in GOVERNORATE_SCOPED else None

    def sees_governorate(self, governorate: str) -> bool:
        scope = self.governorate_scope
        return scope is None or governorate in scope

