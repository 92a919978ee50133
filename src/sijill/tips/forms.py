from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from sijill import identity

from .models import Category

OFF = {"autocomplete": "off"}


class TipForm(forms.Form):
    """Whatever the caller gives; digits may be Arabic-Indic, the governorate may be named by its capital."""

    subject_name = forms.CharField(label=_("Name of the person the tip is about"), required=False, max_length=200,
                                   widget=forms.TextInput(attrs=OFF))
    subject_mother = forms.CharField(label=_("Their mother's name"), required=False, max_length=150,
                                     widget=forms.TextInput(attrs=OFF))
    subject_national_id = forms.CharField(label=_("Their national ID"), required=False, max_length=40,
                                          help_text=_("As the caller gave it, even if incomplete"),
                                          widget=forms.TextInput(attrs={**OFF, "inputmode": "numeric"}))
    subject_governorate = forms.CharField(label=_("Governorate"), required=False, max_length=40,
                                          help_text=_("The governorate or its capital city"),
                                          widget=forms.TextInput(attrs=OFF))
    subject_address = forms.CharField(label=_("Where they live"), required=False, max_length=300,
                                      widget=forms.TextInput(attrs=OFF))
    category = forms.ChoiceField(label=_("Allegation"), choices=[("", "—"), *Category.choices])
    allegation = forms.CharField(label=_("What the caller said"), max_length=4000,
                                 widget=forms.Textarea(attrs={"rows": 4}))
    caller_name = forms.CharField(label=_("Caller's name"), required=False, max_length=200,
                                  widget=forms.TextInput(attrs=OFF))
    caller_phone = forms.CharField(label=_("Caller's phone"), required=False, max_length=40,
                                   widget=forms.TextInput(attrs={**OFF, "inputmode": "tel"}))
    caller_contact = forms.CharField(label=_("Other ways to reach the caller"), required=False, max_length=300,
                                     widget=forms.TextInput(attrs=OFF))

    def clean_subject_governorate(self) -> str:
        value = self.cleaned_data["subject_governorate"].strip()
        if not value:
            return ""
        try:
            return identity.governorate(value)
        except identity.IdentityError:
            raise forms.ValidationError(_("Not a governorate of Iraq or its capital city."), code="invalid") from None

    def clean(self):
        data = super().clean()
        if not self.errors and not any(data.get(f) for f in ("subject_name", "subject_national_id")):
            raise forms.ValidationError(_("Write at least the name or the national ID of the person the tip is "
                                          "about."), code="no_subject")
        return data

    def subject(self) -> dict:
        d = self.cleaned_data
        return {"name": d["subject_name"], "mother": d["subject_mother"], "national_id": d["subject_national_id"],
                "governorate": d["subject_governorate"], "address": d["subject_address"]}

    def caller(self) -> dict:
        d = self.cleaned_data
        return {"name": d["caller_name"], "phone": d["caller_phone"], "contact": d["caller_contact"]}


class CloseForm(forms.Form):
    note = forms.CharField(label=_("Why the tip is closed"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Why you need the caller's identity"), min_length=10, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))


class StatusForm(forms.Form):
    reference = forms.CharField(label=_("Tip number"), max_length=40,
                                widget=forms.TextInput(attrs={**OFF, "inputmode": "numeric"}))
