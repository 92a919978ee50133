from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sijill.identity import to_ascii_digits

from .models import (
    CONDITION_LABELS,
    CheckAnswer,
    EntryKind,
    Evidence,
    Outcome,
    RecoveryPlan,
    ReferralStatus,
    ReplyChannel,
)
from .referrals import recipients
from .visits import CONDITIONS

EMPTY = [("", "—")]  # every consequential choice starts here: nothing is chosen for the user


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Why"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000)


class OutcomeForm(ReasonForm):
    outcome = forms.ChoiceField(label=_("Decision"), choices=EMPTY + Outcome.choices)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented pattern): visit photos, a reply's documents."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*", "multiple": True}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            return [super(MultipleFileField, self).clean(d, initial) for d in data]
        return super().clean(data, initial)


class ResponseForm(ReasonForm):
    """The reply as the beneficiary gave it, or the end of the period without one."""

    MAX_FILE_BYTES = 10 * 1024 * 1024

    reason = forms.CharField(label=_("Why"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000,
                             required=False, help_text=_("When the period ended without a reply."))
    replied = forms.TypedChoiceField(label=_("The beneficiary's reply"), coerce=lambda v: v == "true",
                                     choices=[("true", _("The beneficiary replied")),
                                              ("false", _("The response period ended without a reply"))],
                                     widget=forms.RadioSelect)
    text = forms.CharField(label=_("What the beneficiary said"), required=False, max_length=20000,
                           widget=forms.Textarea(attrs={"rows": 4}))
    received_on = forms.DateField(label=_("Received on"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    channel = forms.ChoiceField(label=_("How"), choices=[("", "—"), *ReplyChannel.choices], required=False)
    attachments = MultipleFileField(label=_("Documents given with the reply"), required=False,
                                    widget=MultipleFileInput(attrs={"multiple": True}))

    def clean(self):
        data = super().clean()
        if data.get("replied"):
            for name in ("text", "received_on", "channel"):
                if not data.get(name):
                    self.add_error(name, _("Needed when the beneficiary replied."))
            if data.get("received_on") and data["received_on"] > timezone.localdate():
                self.add_error("received_on", _("A reply cannot be received in the future."))
        elif not data.get("reason"):
            self.add_error("reason", _("Needed when the period ended without a reply."))
        for upload in data.get("attachments") or []:
            if upload.size > self.MAX_FILE_BYTES:
                self.add_error("attachments", _("%(name)s is larger than 10 MB.") % {"name": upload.name})
        return data


class PlanForm(forms.Form):
    plan = forms.ChoiceField(label=_("Plan"), choices=EMPTY + RecoveryPlan.choices)
    instalments = forms.IntegerField(label=_("Number of instalments"), min_value=1, max_value=120, initial=1)


class EntryForm(forms.Form):
    """Money received or deducted. A write-off is never one person's entry: it follows from a clearance,
    which the four-eyes rule already puts in two people's hands."""

    kind = forms.ChoiceField(label=_("Kind"), choices=EMPTY + [(k, label) for k, label in EntryKind.choices
                                                      if k in (EntryKind.PAYMENT, EntryKind.DEDUCTION)])
    amount_iqd = forms.CharField(label=_("Amount (IQD)"), max_length=20,
                                 widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    reference = forms.CharField(label=_("Reference"), max_length=64, required=False)

    def clean_amount_iqd(self) -> int:
        value = to_ascii_digits(self.cleaned_data["amount_iqd"]).replace(",", "").replace("٬", "").strip()
        if not value.isdigit() or int(value) <= 0:
            raise forms.ValidationError(_("A whole number of dinars above zero."))
        return int(value)


class VisitForm(forms.Form):
    """The surprise visit, as the researcher fills it in on a phone (the page keeps it when offline)."""

    client_uuid = forms.UUIDField(widget=forms.HiddenInput, required=False)
    household_present = forms.TypedChoiceField(label=_("Household present"), coerce=lambda v: v == "true",
                                               choices=[("true", _("yes")), ("false", _("no"))],
                                               widget=forms.RadioSelect)
    living_conditions = forms.ChoiceField(label=_("Living conditions"),
                                          choices=EMPTY + [(c, CONDITION_LABELS[c]) for c in CONDITIONS])
    observations = forms.CharField(label=_("Observations"), widget=forms.Textarea(attrs={"rows": 5}),
                                   max_length=10_000)
    recommendation = forms.ChoiceField(label=_("Recommendation"), choices=EMPTY + Outcome.choices)
    photos = MultipleFileField(label=_("Photos"), required=False)
    latitude = forms.DecimalField(widget=forms.HiddenInput, required=False, max_digits=9, decimal_places=6)
    longitude = forms.DecimalField(widget=forms.HiddenInput, required=False, max_digits=10, decimal_places=6)
    signature = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, questions=(), **kwargs):
        """``questions``: the case's checklist (cases.checks.questions): an answer, its evidence and a note
        for each item, none chosen in advance."""
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        for q in self.questions:
            self.fields[q.name("check")] = forms.ChoiceField(label=q.item.text, choices=CheckAnswer.choices,
                                                             widget=forms.RadioSelect)
            self.fields[q.name("evidence")] = forms.ChoiceField(label=_("Evidence"), choices=EMPTY + Evidence.choices)
            self.fields[q.name("checknote")] = forms.CharField(label=_("Note (document number, what was seen)"),
                                                               required=False, max_length=500)

    def check_rows(self):
        """(question, answer field, evidence field, note field) for the template, grouped by finding."""
        return [(q, self[q.name("check")], self[q.name("evidence")], self[q.name("checknote")])
                for q in self.questions]

    def main_fields(self):
        """The report's own fields (the checklist is shown apart)."""
        names = {q.name(p) for q in self.questions for p in ("check", "evidence", "checknote")}
        return [f for f in self.visible_fields() if f.name not in names]


class ReferralForm(forms.Form):
    recipient = forms.ChoiceField(label=_("Refer to"), choices=())
    reason = forms.CharField(label=_("Why"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipient"].choices = EMPTY + [(r.code, r.name) for r in recipients()]


class ReferralStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=())
    outside_reference = forms.CharField(label=_("Recipient's reference"), max_length=64, required=False)
    reason = forms.CharField(label=_("Why"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = EMPTY + [c for c in ReferralStatus.choices if c[0] != "prepared"]
