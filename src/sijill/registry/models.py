"""The registry: households, persons and their memberships, programmes, enrolments, the monthly payment
ledger, and pairs of records that may be one person.

Each person keeps the name as written and, beside it, the keys that ``sijill.identity`` computes
(canonical parts and cross-script skeletons); search compares keys, never raw text.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sijill.identity import GOVERNORATES

from . import keys
from .managers import DuplicatePairQuerySet, PersonQuerySet

GOVERNORATE_CHOICES = [(g, g) for g in GOVERNORATES]


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Precision(models.TextChoices):
    DAY = "day", _("day")
    MONTH = "month", _("month")
    YEAR = "year", _("year only")


class Relation(models.TextChoices):
    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Spouse")
    SON = "son", _("Son")
    DAUGHTER = "daughter", _("Daughter")
    BROTHER = "brother", _("Brother")
    SISTER = "sister", _("Sister")
    FATHER = "father", _("Father")
    MOTHER = "mother", _("Mother")
    GRANDCHILD = "grandchild", _("Grandchild")
    OTHER = "other", _("Other")


class Household(models.Model):
    household_id = models.CharField(_("household number"), max_length=64, unique=True)
    governorate = models.CharField(_("governorate"), max_length=32, choices=GOVERNORATE_CHOICES, blank=True)
    district = models.CharField(_("district"), max_length=64, blank=True)
    category = models.CharField(_("category"), max_length=64, blank=True)
    enrolled_on = models.DateField(_("enrolled on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return self.household_id

    @property
    def natural_key_value(self) -> str:
        return self.household_id


class Person(models.Model):
    record_id = models.CharField(_("record number"), max_length=64, unique=True)
    full_name = models.CharField(_("name as written"), max_length=255, blank=True)
    given = models.CharField(_("given name"), max_length=100, blank=True)
    father = models.CharField(_("father's name"), max_length=100, blank=True)
    grandfather = models.CharField(_("grandfather's name"), max_length=100, blank=True)
    surname = models.CharField(_("surname"), max_length=100, blank=True)
    mother = models.CharField(_("mother's name"), max_length=150, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    birth_precision = models.CharField(_("known to"), max_length=5, choices=Precision.choices, blank=True)
    birth_year = models.SmallIntegerField(_("birth year"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    national_id = models.CharField(_("national ID"), max_length=12, null=True, blank=True)
    governorate = models.CharField(_("governorate"), max_length=32, choices=GOVERNORATE_CHOICES, blank=True)
    district = models.CharField(_("district"), max_length=64, blank=True)
    disability = models.BooleanField(_("disability"), null=True, blank=True)
    # Keys computed by sijill.identity (see keys.py); never typed by hand.
    given_key = models.CharField(max_length=100, blank=True)
    father_key = models.CharField(max_length=100, blank=True)
    grandfather_key = models.CharField(max_length=100, blank=True)
    surname_key = models.CharField(max_length=100, blank=True)
    mother_key = models.CharField(max_length=150, blank=True)
    given_skel = models.CharField(max_length=100, blank=True)
    father_skel = models.CharField(max_length=100, blank=True)
    grandfather_skel = models.CharField(max_length=100, blank=True)
    keys_version = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        indexes = [
            models.Index(fields=["given_key", "father_key", "grandfather_key"], name="person_name_keys"),
            models.Index(fields=["given_skel", "father_skel"], name="person_name_skels"),
            models.Index(fields=["national_id"], name="person_national_id"),
        ]

    def __str__(self) -> str:
        return f"{self.record_id} {self.display_name}"

    @property
    def natural_key_value(self) -> str:
        return self.record_id

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.given, self.father, self.grandfather, self.surname) if p) or self.full_name

    def save(self, *args, **kwargs):
        for name, value in keys.person_keys(self.given, self.father, self.grandfather, self.surname,
                                            self.mother).items():
            setattr(self, name, value)
        if self.birth_date:
            self.birth_year = self.birth_date.year
        super().save(*args, **kwargs)


class Membership(models.Model):
    """A person's place in their household (one household per person at a time)."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="memberships",
                                  verbose_name=_("household"))
    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="membership",
                                  verbose_name=_("person"))
    relation = models.CharField(_("relation to the head"), max_length=16, choices=Relation.choices,
                                default=Relation.OTHER)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")


class Programme(models.Model):
    code = models.CharField(_("code"), max_length=16, unique=True)
    name_ar = models.CharField(_("name (Arabic)"), max_length=150)
    name_en = models.CharField(_("name (English)"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")

    def __str__(self) -> str:
        return f"{self.code} {self.name_ar}"


class EnrolmentStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    SUSPENDED = "suspended", _("suspended")
    STOPPED = "stopped", _("stopped")


class Enrolment(models.Model):
    enrolment_id = models.CharField(_("enrolment number"), max_length=64, unique=True)
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="enrolments",
                                  verbose_name=_("household"))
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="enrolments",
                                  verbose_name=_("programme"))
    status = models.CharField(_("status"), max_length=10, choices=EnrolmentStatus.choices,
                              default=EnrolmentStatus.ACTIVE)
    status_reason = models.CharField(_("reason"), max_length=255, blank=True)
    status_changed_on = models.DateField(_("status since"), null=True, blank=True)
    start_date = models.DateField(_("start"), null=True, blank=True)
    end_date = models.DateField(_("end"), null=True, blank=True)
    monthly_amount_iqd = models.PositiveIntegerField(_("monthly amount (IQD)"))

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")

    @property
    def natural_key_value(self) -> str:
        return self.enrolment_id


class PaymentStatus(models.TextChoices):
    PAID = "paid", _("paid")
    RETURNED = "returned", _("returned unclaimed")
    PENDING = "pending", _("pending")


class Payment(models.Model):
    """One line of the monthly payment ledger."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="payments",
                                  verbose_name=_("enrolment"))
    month = models.DateField(_("month"))  # the first day of the month paid
    amount_iqd = models.PositiveIntegerField(_("amount (IQD)"))
    status = models.CharField(_("status"), max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.PAID)
    reference = models.CharField(_("payment reference"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [models.UniqueConstraint(fields=["enrolment", "month"], name="one_payment_a_month")]


class PairStatus(models.TextChoices):
    PENDING = "pending", _("awaiting review")
    SAME = "same", _("same person")
    DIFFERENT = "different", _("different persons")
    UNSURE = "unsure", _("cannot tell; needs a visit")


class DuplicatePair(models.Model):
    """Two registry records that the hub's --dedupe mode found may be one person, and their review."""

    person_a = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+", verbose_name=_("record A"))
    person_b = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+", verbose_name=_("record B"))
    score = models.FloatField(_("score"), null=True, blank=True)
    match_class = models.CharField(_("class"), max_length=16, blank=True)
    explanation = models.JSONField(_("agreement per field"), default=dict, blank=True)
    source = models.CharField(_("found by"), max_length=64, blank=True)
    found_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(_("status"), max_length=10, choices=PairStatus.choices, default=PairStatus.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    objects = DuplicatePairQuerySet.as_manager()

    class Meta:
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        constraints = [
            models.UniqueConstraint(fields=["person_a", "person_b"], name="one_pair_per_two_records"),
            models.CheckConstraint(condition=models.Q(person_a__lt=models.F("person_b")), name="pair_ordered"),
        ]


class ImportStatus(models.TextChoices):
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class ImportRun(models.Model):
    schema = models.CharField(_("schema"), max_length=32)
    file_name = models.CharField(_("file"), max_length=255)
    file_format = models.CharField(_("format"), max_length=16, blank=True)
    encoding = models.CharField(_("encoding"), max_length=16, blank=True)
    actor = models.CharField(_("by"), max_length=150)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.RUNNING)
    message = models.TextField(_("message"), blank=True)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    rows_created = models.PositiveIntegerField(_("rows created"), default=0)
    rows_updated = models.PositiveIntegerField(_("rows updated"), default=0)
    rows_rejected = models.PositiveIntegerField(_("rows rejected"), default=0)
    values_dropped = models.PositiveIntegerField(_("values left empty"), default=0)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-started_at"]


class ImportIssue(models.Model):
    """One problem in one row: the row is rejected, or one value is left empty and the row kept."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="issues")
    row = models.PositiveIntegerField(_("row"))
    field = models.CharField(_("field"), max_length=64)
    value = models.CharField(_("value"), max_length=255, blank=True)
    reason = models.CharField(_("reason"), max_length=255)
    rejected = models.BooleanField(_("row rejected"), default=False)

    class Meta:
        ordering = ["row", "id"]


class HouseholdAddress(models.Model):
    """Where a household lives, in the Iraqi form (governorate, qada, nahiya, mahalla, zuqaq, dar), with the
    nearest landmark and phone numbers. A change adds a row and never edits one: the household's history
    keeps every earlier address, and the latest row is where it lives now."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="addresses",
                                  verbose_name=_("household"))
    governorate = models.CharField(_("governorate"), max_length=32, blank=True)
    district = models.CharField(_("district (qada)"), max_length=64, blank=True)
    nahiya = models.CharField(_("sub-district (nahiya)"), max_length=64, blank=True)
    mahalla = models.CharField(_("mahalla"), max_length=64, blank=True)
    zuqaq = models.CharField(_("zuqaq (alley)"), max_length=32, blank=True)
    dar = models.CharField(_("dar (house)"), max_length=32, blank=True)
    landmark = models.CharField(_("nearest landmark"), max_length=255, blank=True)
    phones = models.CharField(_("phone numbers"), max_length=100, blank=True)  # 07XXXXXXXXX, space-separated
    source = models.CharField(_("source"), max_length=120, blank=True)  # the import file, or the visit
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    FIELDS = ("governorate", "district", "nahiya", "mahalla", "zuqaq", "dar", "landmark", "phones")

    class Meta:
        verbose_name = _("household address")
        verbose_name_plural = _("household addresses")
        ordering = ["-recorded_at", "-pk"]
        indexes = [models.Index(fields=["household", "-recorded_at"], name="address_latest"),
                   models.Index(fields=["mahalla"], name="address_mahalla")]

    def __str__(self) -> str:
        return self.one_line

    @property
    def one_line(self) -> str:
        """The address as a researcher writes it: محلة 905، زقاق 12، دار 7 — الكرادة، بغداد."""
        parts = [f"محلة {self.mahalla}" if self.mahalla else "", f"زقاق {self.zuqaq}" if self.zuqaq else "",
                 f"دار {self.dar}" if self.dar else ""]
        place = [p for p in (self.nahiya, self.district, self.governorate) if p]
        return "، ".join(p for p in parts if p) + (" — " + "، ".join(place) if place else "")

    @property
    def phone_list(self) -> list[str]:
        return self.phones.split()

    def values(self) -> tuple:
        return tuple(getattr(self, f) for f in self.FIELDS)


class HouseholdLocation(models.Model):
    """A GPS position of the household's home, with when and by what it was taken (a registry file, a field
    visit, the survey). The latest is offered to the researcher; earlier ones stay as history."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="locations",
                                  verbose_name=_("household"))
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)
    observed_on = models.DateField(_("located on"))
    source = models.CharField(_("source"), max_length=120)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("household location")
        verbose_name_plural = _("household locations")
        ordering = ["-observed_on", "-pk"]
        indexes = [models.Index(fields=["household", "-observed_on"], name="location_latest")]

    @property
    def geo_uri(self) -> str:
        """RFC 5870: the phone opens its own map application; nothing is fetched from the internet."""
        return f"geo:{self.latitude:f},{self.longitude:f}"
