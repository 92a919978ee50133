"""The audit trail: append-only, each entry carrying the hash of the one before it.

The application never updates or deletes an entry (save and delete refuse, and database triggers
refuse too); ``trail.verify`` finds any change made behind its back.
"""

from __future__ import annotations

import json

from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(RuntimeError):
    """An attempt to change or remove an audit entry."""


class Action(models.TextChoices):
    LOGIN = "login", _("Login")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOGIN_BLOCKED = "login_blocked", _("Login refused (too many failures)")
    LOGOUT = "logout", _("Logout")
    SEARCH = "search", _("Search")
    VIEW_PERSON = "view_person", _("View of a person's record")
    EXPORT = "export", _("Export")
    DECISION = "decision", _("Decision")
    IMPORT = "import", _("Import")
    DENIED = "denied", _("Access denied")
    VERIFY = "verify", _("Audit chain check")
    ADMIN_CHANGE = "admin_change", _("User administration")
    PASSWORD_RESET = "password_reset", _("Password set by an administrator")
    API_REFUSED = "api_refused", _("API request refused")
    IMPORT_REFUSED = "import_refused", _("Import refused")
    ALERT = "alert", _("Unusual activity")
    BACKUP = "backup", _("Backup")
    RESTORE = "restore", _("Restore from a backup")


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("the audit trail is append-only")

    def delete(self):
        raise AppendOnlyError("the audit trail is append-only")


class AuditEntry(models.Model):
    seq = models.PositiveBigIntegerField(_("number"), unique=True)
    at = models.DateTimeField(_("time"), db_index=True)
    actor = models.CharField(_("who"), max_length=150, db_index=True)
    role = models.CharField(_("role"), max_length=32, blank=True)
    action = models.CharField(_("action"), max_length=32, choices=Action.choices, db_index=True)
    target_type = models.CharField(_("object type"), max_length=32, blank=True)
    target_id = models.CharField(_("object"), max_length=64, blank=True, db_index=True)
    details = models.TextField(_("details"), blank=True)  # canonical JSON: exactly the text that was hashed
    ip = models.CharField(_("address"), max_length=45, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-seq"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"#{self.seq} {self.at:%Y-%m-%d %H:%M:%S} {self.actor} {self.action} {self.target_id}"

    @property
    def details_dict(self) -> dict:
        return json.loads(self.details) if self.details else {}

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"audit entry #{self.seq} cannot be changed: the trail is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"audit entry #{self.seq} cannot be removed: the trail is append-only")


class AuditHead(models.Model):
    """One row: the number and hash of the last entry. Writers lock it, so the chain never forks, and
    ``verify`` compares it with the last entry, so removing entries from the end is seen too."""

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)
