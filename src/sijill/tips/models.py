"""Tips from the ministry's hotline. What the caller said about the subject is kept in clear (it is matched
against the registry); who the caller is and how to reach them is sealed to the tips key (``sealing``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    MARRIAGE = "marriage", _("married (a widow or divorcee receiving benefit)")
    EMPLOYMENT = "employment", _("has a salary or a job")
    PENSION = "pension", _("receives a pension")
    BUSINESS = "business", _("owns a business, fuel station or generator")
    VEHICLE = "vehicle", _("owns a vehicle")
    LOAN = "loan", _("took a large loan")
    PROPERTY = "property", _("owns property or is well off")
    ABROAD = "abroad", _("lives or travelled abroad")
    DEATH = "death", _("has died and the benefit is still drawn")
    DUPLICATE = "duplicate", _("registered twice")
    OTHER = "other", _("something else")


class TipState(models.TextChoices):
    RECEIVED = "received", _("received")
    UNDER_REVIEW = "under_review", _("under review")
    CLOSED = "closed", _("closed")


class TipKey(models.Model):
    """A public key tips are sealed to. Its private key is never in the database."""

    fingerprint = models.CharField(_("fingerprint"), max_length=16, unique=True)
    public_key = models.CharField(_("public key"), max_length=64)
    active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tips key")
        verbose_name_plural = _("tips keys")


class Tip(models.Model):
    reference = models.CharField(_("tip number"), max_length=10, unique=True)  # given to the caller
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("recorded by"))
    # About whom: whatever the caller gave, as they said it.
    subject_name = models.CharField(_("name as the caller gave it"), max_length=200, blank=True)
    subject_mother = models.CharField(_("mother's name"), max_length=150, blank=True)
    subject_national_id = models.CharField(_("national ID"), max_length=40, blank=True)
    subject_governorate = models.CharField(_("governorate"), max_length=32, blank=True)
    subject_address = models.CharField(_("where they live"), max_length=300, blank=True)
    category = models.CharField(_("allegation"), max_length=12, choices=Category.choices)
    allegation = models.TextField(_("what the caller said"))
    # Tips that name the same subject share this key (national ID, else name keys and governorate).
    subject_key = models.CharField(max_length=200, blank=True, db_index=True)
    # The caller: sealed, never in clear.
    caller_sealed = models.BinaryField()
    sealed_with = models.CharField(max_length=16)
    # What was done with it.
    state = models.CharField(_("state"), max_length=12, choices=TipState.choices, default=TipState.RECEIVED)
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="tips", verbose_name=_("beneficiary"))
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="tips",
                             verbose_name=_("case"))
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("confirmed by"))
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    closed_note = models.TextField(_("why it was closed"), blank=True)

    class Meta:
        verbose_name = _("tip")
        verbose_name_plural = _("tips")
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return self.reference

    @property
    def natural_key_value(self) -> str:
        return self.reference

    @property
    def public_status(self) -> str:
        """What the caller may be told: received, under review or closed (nothing about the beneficiary)."""
        if self.state == TipState.CLOSED:
            return TipState.CLOSED
        if self.case_id is not None:
            return TipState.CLOSED if self.case.state in ("decided", "closed") else TipState.UNDER_REVIEW
        return self.state

    def get_public_status_display(self) -> str:
        return TipState(self.public_status).label
