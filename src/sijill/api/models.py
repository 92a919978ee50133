"""API tokens, the rate windows that limit them, and the message ids already seen (no replay).

A token is shown once, when it is made; the database keeps its SHA-256 only. Tokens are 256-bit random
strings, so a plain hash is enough (a slow password hash protects guessable secrets, not random ones).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiTokenQuerySet(models.QuerySet):
    def usable(self):
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class ApiToken(models.Model):
    """One caller's key to the API. It acts as its user, with that user's role; the envelopes it sends are
    signed with the sender's Ed25519 key: the agency's registered key for an agency data officer, otherwise
    the key registered here."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens",
                             verbose_name=_("user"))
    name = models.CharField(_("purpose"), max_length=100)
    prefix = models.CharField(_("token prefix"), max_length=16, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)  # SHA-256 of the whole token, hexadecimal
    sender_id = models.SlugField(_("sender id"), max_length=64, blank=True,
                                 help_text=_("The sender_id of its envelopes. Agency data officers: the agency's "
                                             "code (filled in)."))
    sender_key = models.TextField(_("sender's public key"), blank=True,
                                  help_text=_("The Ed25519 public key that signs its envelopes (holder.pub from "
                                              "`sijill keys init`, or 64 hexadecimal digits). Agency data "
                                              "officers: leave empty, the agency's registered key is used."))
    rate_per_minute = models.PositiveIntegerField(_("requests a minute"), default=60)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("revoked by"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix} ({self.user})"

    @property
    def natural_key_value(self) -> str:
        return self.prefix

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def expired(self) -> bool:
        return self.expires_at <= timezone.now()

    def clean(self) -> None:
        from .senders import check_sender

        check_sender(self)


class RateWindow(models.Model):
    """Requests of one token in one minute; in the database, so every server process counts the same."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    minute = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["token", "minute"], name="one_rate_window_a_minute")]


class SeenMessage(models.Model):
    """A message id already received from a sender: a replayed envelope is refused."""

    sender_id = models.CharField(max_length=64)
    message_id = models.CharField(max_length=128)
    received_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sender_id", "message_id"], name="one_message_per_id")]
