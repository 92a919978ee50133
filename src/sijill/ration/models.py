"""The electronic ration card: centres, agents, household cards and their members, every change dated, the
national-ID linkage, blocks with due process, citizens' change requests and agents' licence applications."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Centre(models.Model):
    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=120)
    governorate = models.CharField(_("governorate"), max_length=40, db_index=True)
    district = models.CharField(_("district"), max_length=80, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def natural_key_value(self) -> str:
        return self.code


class AgentStatus(models.TextChoices):
    ACTIVE = "active", _("Licensed")
    SUSPENDED = "suspended", _("Suspended")
    EXPIRED = "expired", _("Licence expired")


class Agent(models.Model):
    """A ration agent (وكيل): a shop that hands out the monthly basket to the cards attached to it."""

    number = models.CharField(_("agent number"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=120)
    national_id = models.CharField(_("national ID"), max_length=12, blank=True, db_index=True)
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="agents", verbose_name=_("centre"))
    area = models.CharField(_("area"), max_length=120, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=AgentStatus.choices, default=AgentStatus.ACTIVE)
    licence_no = models.CharField(_("licence number"), max_length=20, blank=True)
    licensed_on = models.DateField(_("licensed on"), null=True, blank=True)
    expires_on = models.DateField(_("licence expires on"), null=True, blank=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="ration_agent")

    def __str__(self) -> str:
        return f"{self.name} ({self.number})"

    @property
    def natural_key_value(self) -> str:
        return self.number


class ClerkPost(models.Model):
    """The centre a ration clerk works at: they see its cards and its queue, no other."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ration_post")
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="clerks")


class CardStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")


class Card(models.Model):
    number = models.CharField(_("card number"), max_length=16, unique=True)
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="cards", verbose_name=_("centre"))
    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="cards", verbose_name=_("agent"))
    governorate = models.CharField(_("governorate"), max_length=40, db_index=True)
    district = models.CharField(_("district"), max_length=80, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=CardStatus.choices, default=CardStatus.ACTIVE)
    pin_hash = models.CharField(max_length=128, blank=True)  # the self-service PIN, issued at the centre
    pin_issued_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.number

    @property
    def natural_key_value(self) -> str:
        return self.number

    def head(self) -> Member | None:
        return self.members.filter(relation="head").order_by("pk").first()


class LinkState(models.TextChoices):
    UNLINKED = "unlinked", _("Not yet matched")
    LINKED = "linked", _("Linked to the national card")
    NOT_FOUND = "not_found", _("Not found in the national card register")
    CONFLICT = "conflict", _("Conflict")


class MemberStatus(models.TextChoices):
    ACTIVE = "active", _("Receives a share")
    BLOCKED = "blocked", _("Share blocked")
    REMOVED = "removed", _("Removed from the card")


class Member(models.Model):
    card = models.ForeignKey(Card, on_delete=models.PROTECT, related_name="members")
    record_id = models.CharField(_("record"), max_length=32, unique=True)
    given = models.CharField(_("name"), max_length=100)
    father = models.CharField(_("father's name"), max_length=100, blank=True)
    grandfather = models.CharField(_("grandfather's name"), max_length=100, blank=True)
    surname = models.CharField(_("surname"), max_length=100, blank=True)
    mother = models.CharField(_("mother's name"), max_length=100, blank=True)
    birth_date = models.CharField(_("birth date"), max_length=10, blank=True)  # 1985, 1985-03 or 1985-03-02
    sex = models.CharField(_("sex"), max_length=1, blank=True)
    relation = models.CharField(_("relation to the head"), max_length=16, blank=True)
    national_id = models.CharField(_("national ID (as the card records it)"), max_length=12, blank=True,
                                   db_index=True)
    status = models.CharField(_("status"), max_length=16, choices=MemberStatus.choices, default=MemberStatus.ACTIVE)
    link_state = models.CharField(_("national card"), max_length=16, choices=LinkState.choices,
                                  default=LinkState.UNLINKED, db_index=True)
    linked_national_id = models.CharField(_("national ID (Interior)"), max_length=12, blank=True, db_index=True)
    link_class = models.CharField(max_length=16, blank=True)
    link_note = models.CharField(max_length=200, blank=True)
    also_on = models.CharField(_("also listed on card"), max_length=16, blank=True)  # the platform's dedupe

    class Meta:
        indexes = [models.Index(fields=["card", "status"])]

    def __str__(self) -> str:
        return self.full_name

    @property
    def natural_key_value(self) -> str:
        return self.record_id

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.given, self.father, self.grandfather, self.surname) if p)


class CardEvent(models.Model):
    """One dated change of a card, with its reason and where it came from. Never edited."""

    card = models.ForeignKey(Card, on_delete=models.PROTECT, related_name="events")
    member = models.ForeignKey(Member, null=True, blank=True, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(_("when"), db_index=True)
    kind = models.CharField(_("change"), max_length=32)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    source = models.CharField(_("source"), max_length=64)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]


class CardImport(models.Model):
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    at = models.DateTimeField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    flagged_two_cards = models.PositiveIntegerField(default=0)


class ImportProblem(models.Model):
    card_import = models.ForeignKey(CardImport, on_delete=models.CASCADE, related_name="problems")
    file_name = models.CharField(max_length=255)
    row = models.PositiveIntegerField()
    field = models.CharField(max_length=64)
    value = models.CharField(max_length=200, blank=True)
    reason = models.CharField(max_length=200)


class BlockState(models.TextChoices):
    PROPOSED = "proposed", _("Proposed by a match: to verify")
    DISMISSED = "dismissed", _("Dismissed at verification")
    NOTIFIED = "notified", _("Household notified: response period running")
    BLOCKED = "blocked", _("Share blocked")
    CONTESTED = "contested", _("Contested by the household")
    LIFTED = "lifted", _("Lifted: share restored")
    CONFIRMED = "confirmed", _("Contest refused: block kept")


class Block(models.Model):
    """A suspicion that a member died or emigrated, and its due process. The member is never deleted."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="blocks")
    run = models.ForeignKey("exchange.Run", null=True, blank=True, on_delete=models.PROTECT,
                            related_name="ration_blocks")  # the cycle's run whose hit proposed it
    source = models.CharField(_("source"), max_length=32)  # deaths, travel
    rule = models.CharField(_("rule"), max_length=32)
    rule_version = models.PositiveIntegerField(default=1)
    match_class = models.CharField(max_length=16, blank=True)
    evidence = models.JSONField(default=dict, blank=True)  # the opened payload and the agreement
    state = models.CharField(_("state"), max_length=16, choices=BlockState.choices, default=BlockState.PROPOSED,
                             db_index=True)
    proposed_at = models.DateTimeField()
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    notified_on = models.DateField(null=True, blank=True)
    respond_by = models.DateField(null=True, blank=True)
    blocked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    blocked_from = models.DateField(null=True, blank=True)  # first month without the share
    contested_on = models.DateField(null=True, blank=True)
    contest_reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_on = models.DateField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    months_restored = models.PositiveIntegerField(default=0)
    notice_number = models.CharField(max_length=20, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "source", "rule", "run"], name="one_block_per_run")]


class RequestKind(models.TextChoices):
    NEWBORN = "newborn", _("Add a newborn")
    DEATH = "death", _("Report a death")
    NAME = "name", _("Correct a name")
    MOVE = "move", _("Move to another agent or governorate")


class RequestState(models.TextChoices):
    SUBMITTED = "submitted", _("Waiting for the centre")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


class ChangeRequest(models.Model):
    """A head of household's request to change their card; nothing changes before a clerk decides."""

    number = models.CharField(max_length=12, unique=True)
    card = models.ForeignKey(Card, on_delete=models.PROTECT, related_name="requests")
    kind = models.CharField(_("request"), max_length=16, choices=RequestKind.choices)
    member = models.ForeignKey(Member, null=True, blank=True, on_delete=models.PROTECT, related_name="requests")
    data = models.JSONField(default=dict)
    document = models.FileField(upload_to="ration/documents/%Y/%m", blank=True)
    state = models.CharField(_("state"), max_length=16, choices=RequestState.choices,
                             default=RequestState.SUBMITTED, db_index=True)
    submitted_at = models.DateTimeField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)


class ApplicationState(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted: checks running")
    APPROVED = "approved", _("Approved: licence issued")
    REFUSED = "refused", _("Refused")


class AgentApplication(models.Model):
    """An application for an agent's licence, made online; the service clock runs from submission."""

    number = models.CharField(max_length=12, unique=True)
    name = models.CharField(_("full name"), max_length=200)
    national_id = models.CharField(_("national ID"), max_length=12)
    birth_date = models.CharField(_("birth date"), max_length=10)
    phone = models.CharField(_("phone"), max_length=20)
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, verbose_name=_("centre"))
    area = models.CharField(_("area served"), max_length=120)
    premises = models.CharField(_("premises address"), max_length=200)
    state = models.CharField(_("state"), max_length=16, choices=ApplicationState.choices,
                             default=ApplicationState.SUBMITTED, db_index=True)
    checks = models.JSONField(default=list, blank=True)  # [{check, passed, note}]
    submitted_at = models.DateTimeField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    agent = models.OneToOneField(Agent, null=True, blank=True, on_delete=models.PROTECT, related_name="application")


class CloseState(models.TextChoices):
    QUEUED = "queued", _("Waiting for the worker")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class MonthClose(models.Model):
    """The month's close for the whole registry: each card's entitlement from its members with a share, each
    agent's allocation; a background job with its progress."""

    month = models.DateField(_("month"), unique=True)  # its first day
    state = models.CharField(_("state"), max_length=16, choices=CloseState.choices, default=CloseState.QUEUED)
    basket = models.CharField(_("basket"), max_length=7, blank=True)  # the version (month it applies from)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    queued_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    totals = models.JSONField(default=dict, blank=True)  # cards, people, restored months, quantities per item
    error = models.TextField(blank=True)


class Entitlement(models.Model):
    """What one card is owed in a month: its members with a share, plus months restored by lifted blocks."""

    close = models.ForeignKey(MonthClose, on_delete=models.CASCADE, related_name="entitlements")
    card = models.ForeignKey(Card, on_delete=models.PROTECT, related_name="entitlements")
    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="entitlements")
    people = models.PositiveIntegerField()
    restored_months = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["close", "card"], name="one_entitlement_per_card_month")]


class Distribution(models.Model):
    """The basket handed out: which card collected, when, by whom (the head, or a named proxy), at which agent."""

    card = models.ForeignKey(Card, on_delete=models.PROTECT, related_name="distributions")
    month = models.DateField(_("month"))
    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="distributions")
    collected_at = models.DateTimeField(_("collected at"))
    collected_by = models.CharField(_("collected by"), max_length=16)  # head or proxy
    proxy_name = models.CharField(_("proxy's name"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["card", "month"], name="one_collection_per_card_month")]
