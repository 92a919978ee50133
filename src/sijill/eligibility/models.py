"""Eligibility rules as versioned data, and the findings they raise.

A rule never changes in place: editing it makes a new version, and every finding names the version and the
cycle (and hit) it came from, so a decision can always be traced to the rule as it stood.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Rule(models.Model):
    """One version of an eligibility rule. ``kind`` selects the evaluator in code; ``parameters`` hold its
    settings (thresholds, periods); ``agency`` is the source agency code it reads hits from ("" for registry
    facts alone, e.g. duplicates)."""

    code = models.SlugField(_("code"), max_length=48)  # e.g. marriage_contract, death, travel, large_loan
    version = models.PositiveIntegerField(_("version"), default=1)
    name_ar = models.CharField(_("name (Arabic)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=48)
    agency = models.CharField(_("source agency"), max_length=32, blank=True)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    active = models.BooleanField(_("in force"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    note = models.TextField(_("why this version"), blank=True)

    class Meta:
        verbose_name = _("eligibility rule")
        verbose_name_plural = _("eligibility rules")
        ordering = ["code", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="one_rule_version")]

    def __str__(self) -> str:
        return f"{self.name_ar} (v{self.version})"

    @property
    def natural_key_value(self) -> str:
        return f"{self.code}@{self.version}"


class Finding(models.Model):
    """A rule's conclusion about one beneficiary: ineligible from ``effective_date`` for ``reason``.
    A suspicion to verify, never a decision."""

    rule = models.ForeignKey(Rule, on_delete=models.PROTECT, related_name="findings", verbose_name=_("rule"))
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="findings",
                               verbose_name=_("beneficiary"))
    enrolment = models.ForeignKey("registry.Enrolment", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="findings", verbose_name=_("enrolment"))
    cycle = models.ForeignKey("exchange.Cycle", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="findings", verbose_name=_("cycle"))
    hit = models.ForeignKey("exchange.Hit", null=True, blank=True, on_delete=models.PROTECT,
                            related_name="findings", verbose_name=_("hit"))
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="findings", verbose_name=_("case"))
    effective_date = models.DateField(_("ineligible from"))
    monthly_amount_iqd = models.PositiveIntegerField(_("monthly amount concerned (IQD)"), default=0)
    details = models.JSONField(_("details"), default=dict, blank=True)  # the facts the rule used, for the notice
    created_at = models.DateTimeField(_("found at"), auto_now_add=True)

    # What a rule adds to the agency's payload, labelled for people; the source and the run date are shown apart.
    FACT_LABELS = {
        "members_before": _("household members before"),
        "amount_after_iqd": _("household amount after recalculation (IQD)"),
        "records": _("records of the same person"),
        "pair": _("duplicate pair"),
    }
    NOT_SHOWN = frozenset({"agency", "partner_record_id", "as_of"})

    @property
    def facts(self) -> list[tuple[str, object]]:
        """(label, value) of what the finding rests on: the agency's fields as the agency names them."""
        return [(self.FACT_LABELS.get(k, k), v) for k, v in (self.details or {}).items()
                if k not in self.NOT_SHOWN and v not in (None, "")]

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        constraints = [models.UniqueConstraint(fields=["rule", "person", "hit"], name="one_finding_per_rule_hit")]
        indexes = [models.Index(fields=["person"]), models.Index(fields=["cycle", "rule"])]
