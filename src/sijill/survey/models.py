"""The re-survey's records: questionnaires (XLSForm, versioned), campaigns and the households they visit,
interviews as they arrive from the phones, the monitoring's flags, back-checks, and the proxy-means test's
versions and results."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Questionnaire(models.Model):
    """One version of an XLSForm. An interview keeps the version it was answered on."""

    form_id = models.CharField(_("form"), max_length=64)
    version = models.CharField(_("version"), max_length=32)
    title = models.CharField(_("title"), max_length=200)
    file_name = models.CharField(_("file"), max_length=200)
    source = models.BinaryField(_("XLSForm file"))  # as uploaded: the form can be downloaded and re-edited
    spec = models.JSONField(_("questions"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")
        ordering = ["form_id", "-uploaded_at"]
        constraints = [models.UniqueConstraint(fields=["form_id", "version"], name="one_questionnaire_version")]

    def __str__(self) -> str:
        return f"{self.title} ({self.version})"


class CampaignState(models.TextChoices):
    OPEN = "open", _("in the field")
    CLOSED = "closed", _("closed")


class Campaign(models.Model):
    code = models.CharField(_("campaign"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    governorates = models.JSONField(_("governorates"), default=list)
    districts = models.JSONField(_("districts"), default=list, blank=True)  # empty: every district
    starts_on = models.DateField(_("starts"))
    ends_on = models.DateField(_("ends"))
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="campaigns",
                                      verbose_name=_("questionnaire"))
    state = models.CharField(_("state"), max_length=8, choices=CampaignState.choices, default=CampaignState.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class TargetState(models.TextChoices):
    PENDING = "pending", _("not assigned")
    ASSIGNED = "assigned", _("assigned")
    INTERVIEWED = "interviewed", _("interviewed")


class Target(models.Model):
    """A household the campaign visits: a registry household, or a new applicant registered in the field."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="targets",
                                 verbose_name=_("campaign"))
    household = models.ForeignKey("registry.Household", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="survey_targets", verbose_name=_("household"))
    applicant_name = models.CharField(_("applicant"), max_length=200, blank=True)  # new applicants only
    applicant_national_id = models.CharField(_("applicant's national ID"), max_length=12, blank=True)
    governorate = models.CharField(_("governorate"), max_length=32)
    district = models.CharField(_("district"), max_length=64, blank=True)
    latitude = models.FloatField(_("known latitude"), null=True, blank=True)
    longitude = models.FloatField(_("known longitude"), null=True, blank=True)
    researcher = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="survey_targets", verbose_name=_("researcher"))
    state = models.CharField(_("state"), max_length=12, choices=TargetState.choices, default=TargetState.PENDING)
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)

    class Meta:
        verbose_name = _("household to visit")
        verbose_name_plural = _("households to visit")
        constraints = [models.UniqueConstraint(fields=["campaign", "household"], name="one_target_per_household",
                                               condition=models.Q(household__isnull=False))]
        indexes = [models.Index(fields=["campaign", "state"]), models.Index(fields=["researcher", "state"])]

    def __str__(self) -> str:
        return self.household.household_id if self.household_id else self.applicant_name


class PmtModel(models.Model):
    """One version of the proxy-means test: the weights of its variables and the cut-offs per governorate and
    urban/rural area. A new version is a new row; the one in force has the latest ``effective_from`` not in
    the future among those approved."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    effective_from = models.DateField(_("in force from"))
    intercept = models.FloatField(_("intercept"))
    weights = models.JSONField(_("weights"))  # [{"variable": ..., "weight": ...}]
    cutoffs = models.JSONField(_("cut-offs"))  # [{"governorate": "*"|name, "area": "*"|urban|rural, "cutoff", "band"}]
    note = models.TextField(_("why this version"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("by"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("proxy-means test version")
        verbose_name_plural = _("proxy-means test versions")
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"PMT v{self.version}"


class PmtResult(models.TextChoices):
    ELIGIBLE = "eligible", _("eligible")
    BORDERLINE = "borderline", _("borderline: for review")
    NOT_ELIGIBLE = "not_eligible", _("not eligible")


class Interview(models.Model):
    target = models.ForeignKey(Target, on_delete=models.PROTECT, related_name="interviews",
                               verbose_name=_("household"))
    researcher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="interviews",
                                   verbose_name=_("researcher"))
    client_uuid = models.UUIDField(unique=True)  # set by the phone: a resend is not a second interview
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="interviews",
                                      verbose_name=_("questionnaire"))
    form_version = models.CharField(_("questionnaire version"), max_length=32)
    answers = models.JSONField(_("answers"))
    members = models.PositiveSmallIntegerField(_("members"), default=0)
    started_at = models.DateTimeField(_("started"))
    ended_at = models.DateTimeField(_("ended"))
    start_lat = models.FloatField(null=True, blank=True)
    start_lon = models.FloatField(null=True, blank=True)
    end_lat = models.FloatField(null=True, blank=True)
    end_lon = models.FloatField(null=True, blank=True)
    signature = models.TextField(_("head's signature"), blank=True)  # drawn on the phone, a data: URL
    answers_digest = models.CharField(max_length=64, blank=True, db_index=True)  # straight-lining
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    pmt = models.ForeignKey(PmtModel, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                            verbose_name=_("PMT version"))
    pmt_score = models.FloatField(_("welfare score"), null=True, blank=True)
    pmt_result = models.CharField(_("PMT result"), max_length=12, choices=PmtResult.choices, blank=True)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("case"))

    class Meta:
        verbose_name = _("interview")
        verbose_name_plural = _("interviews")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["researcher", "started_at"])]

    @property
    def minutes(self) -> float:
        return (self.ended_at - self.started_at).total_seconds() / 60


class InterviewPhoto(models.Model):
    """A dwelling photo and its 64-bit perceptual hash, cut in five bands: two hashes within four bits of
    each other share at least one band exactly (pigeonhole), so a reused photo is found by an indexed
    lookup instead of comparing against every photo ever received."""

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(upload_to="survey/%Y/%m/")
    phash = models.CharField(max_length=16)  # hex, as imagehash writes it
    band0 = models.PositiveIntegerField(db_index=True)
    band1 = models.PositiveIntegerField(db_index=True)
    band2 = models.PositiveIntegerField(db_index=True)
    band3 = models.PositiveIntegerField(db_index=True)
    band4 = models.PositiveIntegerField(db_index=True)


class Flag(models.Model):
    """One monitoring check an interview failed; ``code`` names the check in ``data/flags.csv``."""

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="flags")
    code = models.CharField(_("check"), max_length=32)
    details = models.JSONField(_("details"), default=dict)
    raised_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("quality flag")
        verbose_name_plural = _("quality flags")
        constraints = [models.UniqueConstraint(fields=["interview", "code"], name="one_flag_per_check")]


class BackCheckState(models.TextChoices):
    PENDING = "pending", _("to do")
    DONE = "done", _("done")


class BackCheck(models.Model):
    """A second look at an interview, by another researcher (a re-visit) or a supervisor (a phone call):
    the key answers asked again and compared."""

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="backchecks")
    checker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="backchecks",
                                verbose_name=_("checked by"))
    method = models.CharField(_("how"), max_length=8, choices=[("revisit", _("re-visit")), ("phone", _("phone call"))])
    reason = models.CharField(_("why"), max_length=8, choices=[("random", _("random sample")),
                                                                 ("flagged", _("flagged"))])
    state = models.CharField(_("state"), max_length=8, choices=BackCheckState.choices,
                             default=BackCheckState.PENDING)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    discrepancies = models.JSONField(_("discrepancies"), default=list, blank=True)
    differing = models.BooleanField(_("answers differ"), default=False)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("back-check")
        verbose_name_plural = _("back-checks")
        constraints = [models.UniqueConstraint(fields=["interview"], name="one_backcheck_per_interview")]
