from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from sijill.exchange.models import Cycle

from .rules import check_parameters


class RuleChangeForm(forms.Form):
    """A change to a rule: its parameters as JSON (thresholds, periods, payload fields), and why."""

    name_ar = forms.CharField(label=_("Name (Arabic)"), max_length=200)
    parameters = forms.CharField(label=_("Parameters"), widget=forms.Textarea(attrs={"rows": 12, "dir": "ltr"}))
    note = forms.CharField(label=_("Why this change"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    cycle = forms.ModelChoiceField(label=_("Preview on cycle"), queryset=Cycle.objects.all(), required=False)

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind

    def clean_parameters(self) -> dict:
        try:
            value = json.loads(self.cleaned_data["parameters"])
        except json.JSONDecodeError as e:
            raise forms.ValidationError(_("Not valid JSON: %(error)s"), params={"error": e.msg}) from None
        try:
            check_parameters(self.kind, value)
        except ValueError as e:
            raise forms.ValidationError(str(e)) from None
        return value


class EvaluateForm(forms.Form):
    as_of = forms.DateField(label=_("Evaluate as of"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}),
                            help_text=_("Empty: today. Periods and vehicle ages are counted to this day."))
