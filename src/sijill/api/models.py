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


class RegistryKey(models.Model):
    """One of the registry's own Ed25519 signing keys. The public half is published in the JWKS; the private
    half is a 0600 file under SIJILL_DATA_DIR/api-signing/ named by the key id (never in the database, so a
    database dump cannot forge the registry's answers). The newest key not retired signs."""

    kid = models.CharField(_("key id"), max_length=64, unique=True)  # RFC 7638 thumbprint of the public key
    public_key = models.CharField(_("public key"), max_length=64)  # 32 bytes, hexadecimal
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    class Meta:
        verbose_name = _("registry signing key")
        verbose_name_plural = _("registry signing keys")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.kid


class Partner(models.Model):
    """A DCI partner system, named by the sender_id of its envelopes: where the registry delivers its
    asynchronous answers (never a URL taken from a request), and whether it is a civil registry whose death
    notifications the registry acts on."""

    sender_id = models.SlugField(_("sender id"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    callback_url = models.URLField(_("callback base URL"), blank=True,
                                   help_text=_("The partner's DCI base URL: answers go to <base>/registry/on-search "
                                               "and <base>/registry/txn/on-status."))
    civil_registry = models.BooleanField(_("civil registry"), default=False,
                                         help_text=_("Its signed death notifications open cases."))
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("DCI partner")
        verbose_name_plural = _("DCI partners")
        ordering = ["sender_id"]

    def __str__(self) -> str:
        return self.sender_id


class Transaction(models.Model):
    """An asynchronous search: received, answered by the worker, delivered to the partner's callback URL.
    The request's items are kept until answered; the answer is kept for ``txn/status``."""

    class Status(models.TextChoices):
        RECEIVED = "rcvd", _("received")
        PENDING = "pdng", _("pending")
        SUCCEEDED = "succ", _("answered")
        REJECTED = "rjct", _("rejected")

    sender_id = models.CharField(max_length=64)
    transaction_id = models.CharField(max_length=128)
    correlation_id = models.CharField(max_length=128, unique=True)  # the request's message_id, echoed back
    token = models.ForeignKey(ApiToken, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=4, choices=Status.choices, default=Status.RECEIVED)
    request = models.JSONField(default=dict)  # the search message, emptied once answered
    answer = models.JSONField(default=dict, blank=True)  # the signed on-search body
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    delivery_error = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["sender_id", "transaction_id"])]


class DeathNotification(models.Model):
    """One death event a civil registry notified (DCI ``notify``): received once per sender and reference
    id, whatever the number of re-sends. The identifier is kept as a keyed digest only: a notification about
    someone who is not registered leaves no readable trace of them."""

    class Outcome(models.TextChoices):
        CASE = "case", _("case opened or joined")
        NO_FINDING = "no_finding", _("registered, no running enrolment")
        NOT_REGISTERED = "not_registered", _("not registered")
        INVALID = "invalid", _("identifier or date not valid")

    sender_id = models.CharField(max_length=64)
    reference_id = models.CharField(max_length=128)
    identifier_digest = models.CharField(max_length=64)
    death_date = models.DateField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    persons = models.JSONField(default=list, blank=True)  # record numbers, registered persons only
    cases = models.JSONField(default=list, blank=True)  # case references
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sender_id", "reference_id"], name="one_notification_per_ref")]


class Subscription(models.Model):
    """The registry's subscription to a civil registry's death events (DCI ``subscribe``): requested by
    `sijill api subscribe`, confirmed (with the civil registry's subscription code) by its ``on-subscribe``."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("requested")
        SUBSCRIBED = "subscribed", _("subscribed")
        REJECTED = "rejected", _("rejected")
        UNSUBSCRIBED = "unsubscribed", _("unsubscribed")

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="subscriptions")
    reference_id = models.CharField(max_length=128, unique=True)
    transaction_id = models.CharField(max_length=128)
    event_type = models.CharField(max_length=64, default="death")
    code = models.CharField(max_length=99, blank=True)  # the civil registry's subscription code
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REQUESTED)
    reason = models.CharField(max_length=999, blank=True)
    requested_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
