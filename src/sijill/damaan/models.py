"""Damaan's records: the law's tables as dated versions, establishments and their representatives, insured
persons and their employment spells, monthly declarations and their assessments, payments, voluntary
subscriptions and clearance certificates. Money is whole dinars (integers) everywhere."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .contributions import Rates


class RateTable(models.Model):
    """One version of the contribution table (data/rates.csv). Never edited once written; a change is a new row."""

    version = models.CharField(_("version"), max_length=32, unique=True)
    valid_from = models.DateField(_("in force from"), unique=True)
    worker_bp = models.PositiveIntegerField(_("worker (hundredths of %)"))
    employer_bp = models.PositiveIntegerField(_("employer (hundredths of %)"))
    employer_oil_bp = models.PositiveIntegerField(_("employer, oil and hydrocarbons (hundredths of %)"))
    minimum_wage = models.PositiveIntegerField(_("minimum wage (IQD)"))
    ceiling_multiple = models.PositiveSmallIntegerField(_("ceiling (x minimum wage)"))
    due_months_after = models.PositiveSmallIntegerField(_("due months after"))
    grace_days = models.PositiveSmallIntegerField(_("grace days"))
    penalty_bp_per_month = models.PositiveIntegerField(_("delay fine per 30 days (hundredths of %)"))
    source = models.TextField(_("source"), blank=True)

    class Meta:
        ordering = ["valid_from"]

    def __str__(self) -> str:
        return self.version

    def rates(self) -> Rates:
        return Rates(self.version, self.valid_from, self.worker_bp, self.employer_bp, self.employer_oil_bp,
                     self.minimum_wage, self.ceiling_multiple, self.due_months_after, self.grace_days,
                     self.penalty_bp_per_month)


class Conditions(models.Model):
    """One version of the conditions that are data: the pension estimate and the certificate's validity."""

    version = models.CharField(max_length=32, unique=True)
    valid_from = models.DateField(unique=True)
    pension_age = models.PositiveSmallIntegerField()
    pension_paid_months = models.PositiveSmallIntegerField()
    certificate_valid_days = models.PositiveSmallIntegerField()
    source = models.TextField(blank=True)

    class Meta:
        ordering = ["valid_from"]


class VoluntaryCategory(models.Model):
    version = models.CharField(max_length=32)
    valid_from = models.DateField()
    number = models.PositiveSmallIntegerField(_("category"))
    monthly_iqd = models.PositiveIntegerField(_("monthly contribution (IQD)"))
    notional_wage_iqd = models.PositiveIntegerField(_("notional wage (IQD)"))

    class Meta:
        ordering = ["valid_from", "number"]
        constraints = [models.UniqueConstraint(fields=["version", "number"], name="damaan_category_once")]

    def __str__(self) -> str:
        return f"{self.number}: {self.monthly_iqd:,}"


class Sector(models.TextChoices):
    PRIVATE = "private", _("Private")
    MIXED = "mixed", _("Mixed")
    OIL = "oil", _("Oil and hydrocarbons")


class EstablishmentState(models.TextChoices):
    PENDING = "pending", _("Awaiting review")
    CORRECTION = "correction", _("Correction asked")
    APPROVED = "approved", _("Approved")


class Establishment(models.Model):
    number = models.CharField(_("Damaan number"), max_length=16, unique=True)
    name = models.CharField(_("name of the establishment"), max_length=200)
    employer = models.CharField(_("employer (owner)"), max_length=200)
    sector = models.CharField(_("sector"), max_length=16, choices=Sector.choices)
    activity = models.CharField(_("activity"), max_length=200)
    governorate = models.CharField(_("governorate"), max_length=32)
    address = models.CharField(_("address"), max_length=300)
    registration_no = models.CharField(_("commercial registration number"), max_length=40, unique=True)
    state = models.CharField(_("state"), max_length=16, choices=EstablishmentState.choices,
                             default=EstablishmentState.PENDING)
    officer_note = models.TextField(_("the directorate's note"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    representatives = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="establishments", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def natural_key_value(self) -> str:
        return self.number


class Insured(models.Model):
    """An insured person, identified through the identity layer. Never merged silently: a second record of the
    same person is flagged (``DuplicateFlag``) for an officer."""

    number = models.CharField(_("insurance number"), max_length=16, unique=True)
    # Empty only for workers taken over from the old system without one (the directorate completes it).
    national_id = models.CharField(_("national ID"), max_length=12, db_index=True, blank=True)
    given = models.CharField(_("given name"), max_length=60)
    father = models.CharField(_("father's name"), max_length=60)
    grandfather = models.CharField(_("grandfather's name"), max_length=60)
    surname = models.CharField(_("surname"), max_length=60, blank=True)
    mother = models.CharField(_("mother's name"), max_length=120)
    birth_date = models.DateField(_("birth date"))
    sex = models.CharField(_("sex"), max_length=1, blank=True)
    governorate = models.CharField(_("governorate"), max_length=32)
    name_key = models.CharField(max_length=200, db_index=True)  # canonical chain (identity layer): finds duplicates
    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="insured")
    pension_since = models.DateField(_("social-security pension since"), null=True, blank=True)
    pension_iqd = models.PositiveIntegerField(_("monthly pension (IQD)"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.given, self.father, self.grandfather, self.surname) if p)

    @property
    def natural_key_value(self) -> str:
        return self.number


class DuplicateFlag(models.Model):
    """Two insured records that look like one person; an officer decides, nothing is merged by itself."""

    first = models.ForeignKey(Insured, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Insured, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=200)
    resolved = models.BooleanField(default=False)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["first", "second"], name="damaan_duplicate_once")]


class Employment(models.Model):
    """A spell of work at one establishment: start, end (open while working), the wage at hire."""

    insured = models.ForeignKey(Insured, on_delete=models.PROTECT, related_name="spells")
    establishment = models.ForeignKey(Establishment, on_delete=models.PROTECT, related_name="spells")
    start = models.DateField(_("start"))
    end = models.DateField(_("end"), null=True, blank=True)
    wage = models.PositiveIntegerField(_("monthly wage (IQD)"))
    allowances = models.PositiveIntegerField(_("allowances (IQD)"), default=0)
    profession = models.CharField(_("profession"), max_length=100, blank=True)

    class Meta:
        ordering = ["start"]
        indexes = [models.Index(fields=["establishment", "end"])]


class Declaration(models.Model):
    """One establishment's wage declaration for one month. A correction is a new declaration that supersedes
    the one before it; the old one is kept, marked superseded, never overwritten."""

    class Source(models.TextChoices):
        FORM = "form", _("Form")
        UPLOAD = "upload", _("File")

    establishment = models.ForeignKey(Establishment, on_delete=models.PROTECT, related_name="declarations")
    month = models.DateField(_("month"))
    revision = models.PositiveSmallIntegerField(_("revision"), default=1)
    supersedes = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="superseded_by")
    current = models.BooleanField(default=True)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.FORM)
    file_name = models.CharField(max_length=200, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-month", "-revision"]
        constraints = [
            models.UniqueConstraint(fields=["establishment", "month", "revision"], name="damaan_declaration_rev"),
            models.UniqueConstraint(fields=["establishment", "month"], condition=models.Q(current=True),
                                    name="damaan_one_current_declaration"),
        ]


class DeclarationLine(models.Model):
    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="lines")
    insured = models.ForeignKey(Insured, on_delete=models.PROTECT, related_name="declared")
    wage = models.PositiveIntegerField(_("wage (IQD)"))
    allowances = models.PositiveIntegerField(_("allowances (IQD)"), default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["declaration", "insured"], name="damaan_line_once")]


class Assessment(models.Model):
    """What a declaration makes due, under one rate-table version. Recomputing under another version is an
    explicit act that adds a new assessment (the old one is kept, no longer current)."""

    declaration = models.ForeignKey(Declaration, on_delete=models.PROTECT, related_name="assessments")
    table = models.ForeignKey(RateTable, on_delete=models.PROTECT, related_name="assessments")
    base = models.PositiveBigIntegerField()
    worker = models.PositiveBigIntegerField()
    employer = models.PositiveBigIntegerField()
    workers = models.PositiveIntegerField()
    due_on = models.DateField()
    current = models.BooleanField(default=True)
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    @property
    def total(self) -> int:
        return self.worker + self.employer


class Payment(models.Model):
    """A payment made through the electronic payment service, recorded with its reference (no gateway is
    called from here). Either an establishment's for one month, or a voluntary subscriber's."""

    reference = models.CharField(_("payment reference"), max_length=40, unique=True)
    establishment = models.ForeignKey(Establishment, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="payments")
    subscription = models.ForeignKey("Subscription", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="payments")
    month = models.DateField(_("month"), null=True, blank=True)
    amount = models.PositiveBigIntegerField(_("amount (IQD)"))
    paid_on = models.DateField(_("paid on"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-paid_on", "-pk"]


class Subscription(models.Model):
    """Voluntary retirement (التقاعد الاختياري) of a self-employed person: a monthly contribution of the chosen
    category from ``start``."""

    insured = models.OneToOneField(Insured, on_delete=models.PROTECT, related_name="subscription")
    occupation = models.CharField(_("occupation"), max_length=100)
    start = models.DateField(_("first month"))
    created_at = models.DateTimeField(auto_now_add=True)


class Term(models.Model):
    """The category in force from ``from_month``: the first one chosen at registration, then each approved change."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="terms")
    category = models.ForeignKey(VoluntaryCategory, on_delete=models.PROTECT, related_name="+")
    from_month = models.DateField()

    class Meta:
        ordering = ["from_month", "pk"]


class VoluntaryDue(models.Model):
    """One month a subscriber owes, written by the monthly run with the amount of the category then in force."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="dues")
    month = models.DateField()
    amount = models.PositiveIntegerField()
    category = models.PositiveSmallIntegerField()
    paid = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="months")

    class Meta:
        ordering = ["month"]
        constraints = [models.UniqueConstraint(fields=["subscription", "month"], name="damaan_due_once")]


class CategoryRequest(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Awaiting review")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="requests")
    category = models.ForeignKey(VoluntaryCategory, on_delete=models.PROTECT, related_name="+")
    from_month = models.DateField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    note = models.CharField(max_length=300, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)


class Certificate(models.Model):
    """A clearance certificate (سلامة الموقف): the establishment owed nothing when it was issued. Its number is
    random (not sequential), so that certificates cannot be enumerated."""

    number = models.CharField(max_length=20, unique=True)
    establishment = models.ForeignKey(Establishment, on_delete=models.PROTECT, related_name="certificates")
    issued_on = models.DateField()
    valid_until = models.DateField()
    conditions = models.ForeignKey(Conditions, on_delete=models.PROTECT, related_name="+")
    revoked_on = models.DateField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=300, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-issued_on", "-pk"]

    def state_on(self, day: dt.date) -> str:
        if self.revoked_on:
            return "revoked"
        return "valid" if day <= self.valid_until else "expired"


class VerifyMiss(models.Model):
    """An unknown certificate number typed at the public page, kept to throttle guessing by address."""

    ip = models.CharField(max_length=45, db_index=True)
    at = models.DateTimeField(db_index=True)
