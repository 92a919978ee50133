from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Action


class TrailFilterForm(forms.Form):
    actor = forms.CharField(label=_("Who"), required=False, max_length=150)
    action = forms.ChoiceField(label=_("Action"), required=False, choices=[("", "—"), *Action.choices])
    target = forms.CharField(label=_("Record or object"), required=False, max_length=64)
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def filter(self, qs):
        d = self.cleaned_data
        if d.get("actor"):
            qs = qs.filter(actor=d["actor"].strip())
        if d.get("action"):
            qs = qs.filter(action=d["action"])
        if d.get("target"):
            target = d["target"].strip()
            qs = qs.filter(target_id=target) | qs.filter(details__contains=target)
        if d.get("since"):
            qs = qs.filter(at__date__gte=d["since"])
        if d.get("until"):
            qs = qs.filter(at__date__lte=d["until"])
        return qs

    def as_dict(self) -> dict:
        return {k: str(v) for k, v in self.cleaned_data.items() if v}
