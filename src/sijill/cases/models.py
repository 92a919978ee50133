"""Cases: one per beneficiary under suspicion, from opening through a surprise field visit, a notice and the
response period, to a human decision; then suspension or reinstatement, and recovery of what was paid
without right. Every transition is a ``CaseEvent`` (who, when, why)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sijill.eligibility.checklists import checklist

# The living conditions a visit records, from the worst to the best
CONDITION_LABELS = {"poor": _("poor"), "modest": _("modest"), "adequate": _("adequate"),
                    "comfortable": _("comfortable"), "affluent": _("affluent")}


class CaseState(models.TextChoices):
    OPENED = "opened", _("opened")
    ASSIGNED = "assigned", _("assigned for verification")
    VISITED = "visited", _("visited")
    PROPOSED = "proposed", _("decision proposed")
    NOTICE_SENT = "notice_sent", _("notice sent")
    RESPONSE = "response", _("response period")
    DECIDED = "decided", _("decided")
    CLOSED = "closed", _("closed")


class Outcome(models.TextChoices):
    CONFIRMED = "confirmed", _("confirmed: not eligible")
    CLEARED = "cleared", _("cleared: eligible")


class Case(models.Model):
    reference = models.CharField(_("case number"), max_length=32, unique=True)
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="cases",
                               verbose_name=_("beneficiary"))
    governorate = models.CharField(_("governorate"), max_length=32, blank=True)  # for assignment and scoping
    state = models.CharField(_("state"), max_length=12, choices=CaseState.choices, default=CaseState.OPENED)
    source = models.CharField(_("opened from"), max_length=16, default="cycle")  # cycle, tip, duplicate
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="assigned_cases", verbose_name=_("field researcher"))
    due_on = models.DateField(_("next deadline"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    effective_date = models.DateField(_("ineligible from"), null=True, blank=True)
    appeals = models.PositiveSmallIntegerField(_("appeals"), default=0)
    proposed_outcome = models.CharField(_("proposed decision"), max_length=10, choices=Outcome.choices, blank=True)
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["state", "governorate"]), models.Index(fields=["assigned_to", "state"])]

    def __str__(self) -> str:
        return self.reference

    @property
    def natural_key_value(self) -> str:
        return self.reference


class EnrolmentChange(models.Model):
    """What a decision did to an enrolment (suspended, reinstated, amount recalculated after a death), with
    the values before, so that a decision reversed on appeal restores exactly what it changed."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="enrolment_changes",
                             verbose_name=_("case"))
    enrolment = models.ForeignKey("registry.Enrolment", on_delete=models.PROTECT, related_name="case_changes",
                                  verbose_name=_("enrolment"))
    status_before = models.CharField(_("status before"), max_length=10)
    status_after = models.CharField(_("status after"), max_length=10)
    amount_before_iqd = models.PositiveIntegerField(_("monthly amount before (IQD)"))
    amount_after_iqd = models.PositiveIntegerField(_("monthly amount after (IQD)"))
    on = models.DateField(_("date"))
    undone = models.BooleanField(_("undone"), default=False)

    @property
    def status_before_label(self) -> str:
        return _status_label(self.status_before)

    @property
    def status_after_label(self) -> str:
        return _status_label(self.status_after)

    class Meta:
        verbose_name = _("enrolment change")
        verbose_name_plural = _("enrolment changes")
        ordering = ["on", "pk"]


def _status_label(value: str) -> str:
    from sijill.registry.models import EnrolmentStatus

    return EnrolmentStatus(value).label if value in EnrolmentStatus.values else value


class CaseEvent(models.Model):
    """One transition (or note) in a case's life."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events", verbose_name=_("case"))
    from_state = models.CharField(_("from"), max_length=12, blank=True)
    to_state = models.CharField(_("to"), max_length=12)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+", verbose_name=_("by"))
    at = models.DateTimeField(_("at"), auto_now_add=True)
    reason = models.TextField(_("why"))

    @property
    def from_state_label(self) -> str:
        return CaseState(self.from_state).label if self.from_state in CaseState.values else self.from_state

    @property
    def to_state_label(self) -> str:
        return CaseState(self.to_state).label if self.to_state in CaseState.values else self.to_state

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["at", "pk"]


class Visit(models.Model):
    """A surprise field visit by a social researcher."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="visits", verbose_name=_("case"))
    researcher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visits",
                                   verbose_name=_("field researcher"))
    client_uuid = models.UUIDField(null=True, blank=True, unique=True)  # set by the phone: a resend is not a copy
    visited_at = models.DateTimeField(_("visited at"), null=True, blank=True)
    household_present = models.BooleanField(_("household present"), null=True)
    observations = models.TextField(_("observations"), blank=True)
    living_conditions = models.CharField(_("living conditions"), max_length=32, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    signature = models.TextField(_("signature"), blank=True)  # a drawn signature as a data: URL
    recommendation = models.CharField(_("recommendation"), max_length=10, choices=Outcome.choices, blank=True)
    submitted_at = models.DateTimeField(_("received at"), null=True, blank=True)

    @property
    def living_conditions_label(self) -> str:
        return CONDITION_LABELS.get(self.living_conditions, self.living_conditions)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")


class VisitPhoto(models.Model):
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(upload_to="visits/%Y/%m/")
    taken_at = models.DateTimeField(null=True, blank=True)


class ReplyChannel(models.TextChoices):
    IN_PERSON = "in_person", _("in person at the office")
    LETTER = "letter", _("letter")
    PHONE = "phone", _("phone")
    HOTLINE = "hotline", _("the hotline")
    RESEARCHER = "researcher", _("through the field researcher")
    OTHER = "other", _("other")


class Reply(models.Model):
    """The beneficiary's reply to a notice, as they gave it: what they said, when, how, and the documents they
    brought. The decider reads it before deciding; it is never a tick in a box."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="replies", verbose_name=_("case"))
    received_on = models.DateField(_("received on"))
    channel = models.CharField(_("how"), max_length=12, choices=ReplyChannel.choices)
    text = models.TextField(_("what the beneficiary said"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["received_on", "pk"]
        verbose_name = _("reply")
        verbose_name_plural = _("replies")


class ReplyAttachment(models.Model):
    """A document the beneficiary gave with the reply (a court paper, a letter), kept under the data folder
    and served only through a checked, audited view."""

    reply = models.ForeignKey(Reply, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(upload_to="replies/%Y/%m/")
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField()


class Notice(models.Model):
    """A notice in Arabic sent to the beneficiary: what was found, from which source, the right to respond and
    to appeal, and the deadline."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notices", verbose_name=_("case"))
    reference = models.CharField(_("notice number"), max_length=32, unique=True)
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("issued by"))
    respond_by = models.DateField(_("respond by"))
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    path = models.CharField(max_length=500, blank=True)  # relative to SIJILL_DATA_DIR

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")


class RecoveryPlan(models.TextChoices):
    LUMP_SUM = "lump_sum", _("lump sum")
    INSTALMENTS = "instalments", _("instalments")
    DEDUCTION = "deduction", _("deduction from future payments")


class Recovery(models.Model):
    """What a confirmed case owes: the amount paid without right (computed from the payment ledger between
    the effective date and the stop) and how it is to be repaid. Amounts are integer IQD."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="recovery", verbose_name=_("case"))
    amount_due_iqd = models.PositiveBigIntegerField(_("paid without right (IQD)"))
    computed_from = models.DateField(_("from"))
    computed_until = models.DateField(_("until"))
    plan = models.CharField(_("plan"), max_length=12, choices=RecoveryPlan.choices, default=RecoveryPlan.LUMP_SUM)
    instalments = models.PositiveSmallIntegerField(_("number of instalments"), default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("recovery")
        verbose_name_plural = _("recoveries")


class EntryKind(models.TextChoices):
    PAYMENT = "payment", _("payment received")
    DEDUCTION = "deduction", _("deducted from a payment")
    WRITE_OFF = "write_off", _("written off")
    REVERSAL = "reversal", _("write-off reversed")  # a confirmation again, after a clearance wrote it off


class RecoveryEntry(models.Model):
    """One movement on a recovery: money received, deducted or written off, or a write-off reversed. The
    balance is the amount due minus the entries, plus the reversals. Entries are never changed or removed:
    a decision taken back is a new entry, so the ledger tells the whole story."""

    recovery = models.ForeignKey(Recovery, on_delete=models.PROTECT, related_name="entries",
                                 verbose_name=_("recovery"))
    kind = models.CharField(_("kind"), max_length=10, choices=EntryKind.choices)
    amount_iqd = models.PositiveBigIntegerField(_("amount (IQD)"))
    on = models.DateField(_("date"))
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("recovery entry")
        verbose_name_plural = _("recovery entries")
        ordering = ["on", "pk"]


class CheckAnswer(models.TextChoices):
    ESTABLISHED = "established", _("established")
    NOT_ESTABLISHED = "not_established", _("not established")
    UNVERIFIED = "unverified", _("could not be verified")


class Evidence(models.TextChoices):
    SEEN = "seen", _("seen in person")
    DOCUMENT = "document", _("document seen")
    PHOTO = "photo", _("photo taken")
    STATEMENT = "statement", _("statement of the household or neighbours")
    NONE = "none", _("no evidence")


class VisitCheck(models.Model):
    """The researcher's answer to one checklist item of one finding (eligibility/data/checklists.yaml), with
    the evidence behind it. The item's text is kept as it was asked."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="checks", verbose_name=_("visit"))
    finding = models.ForeignKey("eligibility.Finding", on_delete=models.PROTECT, related_name="checks",
                                verbose_name=_("finding"))
    rule_code = models.CharField(_("rule"), max_length=48)
    item = models.CharField(_("item"), max_length=48)
    question = models.CharField(_("what was verified"), max_length=300)
    answer = models.CharField(_("answer"), max_length=16, choices=CheckAnswer.choices)
    evidence = models.CharField(_("evidence"), max_length=10, choices=Evidence.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)

    @property
    def question_text(self) -> str:
        """The item in the page's language while the checklist still has it; else as it was asked."""
        for item in checklist(self.rule_code):
            if item.code == self.item and item.ar == self.question:
                return item.text
        return self.question

    class Meta:
        verbose_name = _("visit check")
        verbose_name_plural = _("visit checks")
        ordering = ["finding_id", "pk"]
        constraints = [models.UniqueConstraint(fields=["visit", "finding", "item"], name="one_answer_per_item")]


class ReferralStatus(models.TextChoices):
    PREPARED = "prepared", _("bundle prepared")
    SENT = "sent", _("sent")
    ACKNOWLEDGED = "acknowledged", _("acknowledged by the recipient")
    CLOSED = "closed", _("closed by the recipient")
    WITHDRAWN = "withdrawn", _("withdrawn")


class Referral(models.Model):
    """A decided case referred for legal action, with its evidence bundle (one Arabic PDF). Referral comes
    after the due process, never instead of it: only a confirmed decision can be referred."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="referrals", verbose_name=_("case"))
    reference = models.CharField(_("referral number"), max_length=40, unique=True)
    recipient = models.CharField(_("referred to"), max_length=32)  # a code of data/referral_recipients.yaml
    status = models.CharField(_("status"), max_length=12, choices=ReferralStatus.choices,
                              default=ReferralStatus.PREPARED)
    reason = models.TextField(_("why"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("referred by"))
    created_at = models.DateTimeField(_("referred at"), auto_now_add=True)
    status_changed_at = models.DateTimeField(_("status since"), auto_now_add=True)
    outside_reference = models.CharField(_("recipient's reference"), max_length=64, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    path = models.CharField(max_length=500, blank=True)  # relative to SIJILL_DATA_DIR

    class Meta:
        verbose_name = _("legal referral")
        verbose_name_plural = _("legal referrals")
        ordering = ["-created_at", "-pk"]
