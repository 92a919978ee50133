from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from sijill.identity import to_ascii_digits

from .models import CONDITION_LABELS, EntryKind, Outcome, RecoveryPlan
from .visits import CONDITIONS


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Why"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000)


class OutcomeForm(ReasonForm):
    outcome = forms.ChoiceField(label=_("Decision"), choices=Outcome.choices)


class ResponseForm(ReasonForm):
    replied = forms.BooleanField(label=_("The beneficiary replied"), required=False,
                                 help_text=_("Unticked: the response period ended without a reply."))


class PlanForm(forms.Form):
    plan = forms.ChoiceField(label=_("Plan"), choices=RecoveryPlan.choices)
    instalments = forms.IntegerField(label=_("Number of instalments"), min_value=1, max_value=120, initial=1)


class EntryForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=EntryKind.choices)
    amount_iqd = forms.CharField(label=_("Amount (IQD)"), max_length=20,
                                 widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    reference = forms.CharField(label=_("Reference"), max_length=64, required=False)

    def clean_amount_iqd(self) -> int:
        value = to_ascii_digits(self.cleaned_data["amount_iqd"]).replace(",", "").replace("٬", "").strip()
        if not value.isdigit() or int(value) <= 0:
            raise forms.ValidationError(_("A whole number of dinars above zero."))
        return int(value)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several photos from the phone's camera or gallery (Django's documented pattern)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*", "multiple": True}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            return [super(MultipleFileField, self).clean(d, initial) for d in data]
        return super().clean(data, initial)


class VisitForm(forms.Form):
    """The surprise visit, as the researcher fills it in on a phone (the page keeps it when offline)."""

    client_uuid = forms.UUIDField(widget=forms.HiddenInput, required=False)
    household_present = forms.TypedChoiceField(label=_("Household present"), coerce=lambda v: v == "true",
                                               choices=[("true", _("yes")), ("false", _("no"))],
                                               widget=forms.RadioSelect)
    living_conditions = forms.ChoiceField(label=_("Living conditions"),
                                          choices=[(c, CONDITION_LABELS[c]) for c in CONDITIONS])
    observations = forms.CharField(label=_("Observations"), widget=forms.Textarea(attrs={"rows": 5}),
                                   max_length=10_000)
    recommendation = forms.ChoiceField(label=_("Recommendation"), choices=Outcome.choices)
    photos = MultipleFileField(label=_("Photos"), required=False)
    latitude = forms.DecimalField(widget=forms.HiddenInput, required=False, max_digits=9, decimal_places=6)
    longitude = forms.DecimalField(widget=forms.HiddenInput, required=False, max_digits=10, decimal_places=6)
    signature = forms.CharField(widget=forms.HiddenInput, required=False)
