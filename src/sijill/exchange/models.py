"""Partner agencies and their data-sharing agreements, matching cycles, the packages uploaded to a cycle,
the hub's runs, and the hits the registry opened from a run.

Nothing here holds a clear identifier of a partner's record: a package is a file of encodings kept on disk
(its hash here), and a hit keeps the partner's own record number and the payload fields the agreement allows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sijill.common.explain import MatchClass


class Agency(models.Model):
    """A partner agency that sends encoded extracts (courts, interior, banks, pension authority, ...)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)  # = the pprl schema name, e.g. "courts"
    name_ar = models.CharField(_("name (Arabic)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    schema = models.CharField(_("encoding schema"), max_length=64)  # pprl schema the agency encodes with
    signing_key = models.TextField(_("signing public key"), blank=True)  # the holder's Ed25519 public key file
    key_fingerprint = models.CharField(_("key fingerprint"), max_length=64, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name_ar

    @property
    def natural_key_value(self) -> str:
        return self.code

    @property
    def name(self) -> str:
        """The name in the active language (Arabic unless English was chosen)."""
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "").startswith("en") and self.name_en else self.name_ar

    def agreement_in_force(self, on=None):
        """The agreement valid on ``on`` (today by default), the latest one if several are."""
        from django.db.models import Q
        from django.utils import timezone

        on = on or timezone.localdate()
        return (self.agreements.filter(valid_from__lte=on).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))
                .order_by("-valid_from").first())


class Agreement(models.Model):
    """A data-sharing agreement: why the agency shares, which payload fields may come, how long they are kept."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="agreements", verbose_name=_("agency"))
    reference = models.CharField(_("agreement number"), max_length=64, unique=True)
    purpose = models.TextField(_("purpose"))
    allowed_payload_fields = models.JSONField(_("payload fields allowed"), default=list)
    retention_days = models.PositiveIntegerField(_("retention (days)"), default=365)
    feed_every_days = models.PositiveIntegerField(_("expected feed every (days)"), default=30)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)

    class Meta:
        verbose_name = _("data-sharing agreement")
        verbose_name_plural = _("data-sharing agreements")
        ordering = ["agency", "-valid_from"]

    def __str__(self) -> str:
        return self.reference


class CycleState(models.TextChoices):
    OPEN = "open", _("open: receiving packages")
    RUNNING = "running", _("matching")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")
    CLOSED = "closed", _("closed")


class Cycle(models.Model):
    """One round of cross-matching. Its code is the cycle id written into every package of the round."""

    code = models.CharField(_("cycle"), max_length=32, unique=True)  # e.g. 2026-11
    state = models.CharField(_("state"), max_length=10, choices=CycleState.choices, default=CycleState.OPEN)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("opened by"))
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    # which registry is the registry side of the cycle (``exchange.registries``): its records are encoded and
    # its hits stored against them
    registry = models.CharField(_("registry"), max_length=32, default="social")

    class Meta:
        verbose_name = _("cycle")
        verbose_name_plural = _("cycles")
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return self.code

    @property
    def natural_key_value(self) -> str:
        return self.code


class PackageStatus(models.TextChoices):
    ACCEPTED = "accepted", _("accepted")
    REJECTED = "rejected", _("rejected")


class Package(models.Model):
    """An encoded, signed package uploaded to a cycle (the registry's own has no agency). The file stays on
    disk under the data directory; it is never displayed."""

    # None only for a refused upload whose cycle could not be told (unknown cycle, unreadable file)
    cycle = models.ForeignKey(Cycle, null=True, blank=True, on_delete=models.PROTECT, related_name="packages",
                              verbose_name=_("cycle"))
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="packages",
                               verbose_name=_("agency"))  # None: the registry's own package
    status = models.CharField(_("status"), max_length=10, choices=PackageStatus.choices)
    rejection = models.TextField(_("why it was refused"), blank=True)
    path = models.CharField(max_length=500, blank=True)  # relative to SIJILL_DATA_DIR
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size_bytes = models.BigIntegerField(_("size (bytes)"), default=0)
    records = models.PositiveIntegerField(_("records"), default=0)
    schema = models.CharField(_("schema"), max_length=64, blank=True)
    schema_version = models.CharField(_("schema version"), max_length=64, blank=True)
    identity_version = models.CharField(_("identity version"), max_length=64, blank=True)
    payload_fields = models.JSONField(_("payload fields"), default=list, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    superseded = models.BooleanField(_("replaced by a later upload"), default=False)

    class Meta:
        verbose_name = _("package")
        verbose_name_plural = _("packages")
        ordering = ["-uploaded_at"]


class RunState(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    SUCCEEDED = "succeeded", _("succeeded")
    FAILED = "failed", _("failed")


class Run(models.Model):
    """One run of the hub over a cycle's packages, done by a background worker. Everything needed to
    reproduce it is kept: the package hashes, the model, the thresholds and the code version."""

    def hit_counts(self) -> dict[str, dict[str, int]]:
        """Agency code -> match class -> number of hits, agencies in order: the table every view of a run shows."""
        counts: dict[str, dict[str, int]] = {}
        for code, cls, n in (self.hits.values_list("agency__code", "match_class").annotate(n=models.Count("id"))
                             .order_by("agency__code", "match_class")):
            counts.setdefault(code, {})[cls] = n
        return counts

    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="runs", verbose_name=_("cycle"))
    state = models.CharField(_("state"), max_length=10, choices=RunState.choices, default=RunState.QUEUED)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("started by"))
    queued_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)  # a worker that stops beating has died
    task_id = models.CharField(max_length=64, blank=True)
    stage = models.CharField(_("stage"), max_length=64, blank=True)
    progress_done = models.PositiveBigIntegerField(default=0)
    progress_total = models.PositiveBigIntegerField(default=0)
    packages = models.ManyToManyField(Package, related_name="runs", verbose_name=_("packages"))
    package_hashes = models.JSONField(default=dict, blank=True)  # agency code (or "registry") -> sha256
    thresholds = models.JSONField(default=dict, blank=True)
    model_dir = models.CharField(max_length=500, blank=True)  # relative to SIJILL_DATA_DIR
    code_version = models.CharField(_("code version"), max_length=64, blank=True)
    log = models.JSONField(default=dict, blank=True)  # the hub's run log: counts per stage, retention
    as_of = models.DateField(_("rules as of"), null=True, blank=True)  # the day the rules are evaluated for
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("run")
        verbose_name_plural = _("runs")
        ordering = ["-queued_at"]




class HitReview(models.TextChoices):
    NOT_NEEDED = "not_needed", _("no review needed")
    PENDING = "pending", _("awaiting review")
    ACCEPTED = "accepted", _("accepted: the same person")
    REJECTED = "rejected", _("rejected: a different person")


class Hit(models.Model):
    """A beneficiary found in a partner's extract, as the registry opened it: the person, the agency's record
    number, why the hub linked them, and the payload fields the agreement allows."""

    run = models.ForeignKey(Run, on_delete=models.PROTECT, related_name="hits", verbose_name=_("run"))
    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="hits", verbose_name=_("cycle"))
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="hits",
                               verbose_name=_("beneficiary"))
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="hits", verbose_name=_("agency"))
    partner_record_id = models.CharField(_("agency's record number"), max_length=128)
    match_class = models.CharField(_("class"), max_length=10, choices=MatchClass.choices)
    probability = models.FloatField(_("probability"))
    match_weight = models.FloatField(_("match weight"))
    explanation = models.JSONField(_("explanation"), default=list)  # [{"field", "level", "weight"}, ...]
    payload = models.JSONField(_("what the agency holds"), default=dict)  # payload field -> value (opened)
    review = models.CharField(_("review"), max_length=12, choices=HitReview.choices, default=HitReview.NOT_NEEDED)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("reviewed by"))
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = models.TextField(_("review note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("hit")
        verbose_name_plural = _("hits")
        # a partner record equally close to two beneficiaries gives both a review hit (a tie)
        constraints = [models.UniqueConstraint(fields=["run", "agency", "partner_record_id", "person"],
                                               name="one_hit_per_pair_per_run")]
        indexes = [models.Index(fields=["cycle", "agency", "match_class"]), models.Index(fields=["review"])]

    @property
    def usable(self) -> bool:
        """Whether eligibility rules may use this hit: exact/probable, or a review hit a person accepted."""
        return self.review in (HitReview.NOT_NEEDED, HitReview.ACCEPTED)
