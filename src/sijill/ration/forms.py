from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from sijill.identity import to_ascii_digits as ascii_digits

from .models import Centre, RequestKind


class DigitsField(forms.CharField):
    """A number as people type it: Arabic-Indic digits, spaces and dashes accepted."""

    def to_python(self, value):
        return "".join(ch for ch in ascii_digits(super().to_python(value) or "") if ch.isdigit())


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


class SignInForm(forms.Form):
    card = DigitsField(label=_("Ration card number"), max_length=20)
    national_id = DigitsField(label=_("National ID of the head of household"), max_length=20)
    pin = DigitsField(label=_("PIN from your centre"), max_length=12, widget=forms.PasswordInput)


class ChangeForm(forms.Form):
    kind = forms.ChoiceField(label=_("Request"), choices=[("", "—"), *RequestKind.choices])  # the head chooses
    member = forms.TypedChoiceField(label=_("Person on the card"), coerce=int, required=False, empty_value=None)
    given = forms.CharField(label=_("Name"), max_length=100, required=False)
    father = forms.CharField(label=_("Father's name"), max_length=100, required=False)
    grandfather = forms.CharField(label=_("Grandfather's name"), max_length=100, required=False)
    surname = forms.CharField(label=_("Surname"), max_length=100, required=False)
    birth_date = forms.CharField(label=_("Birth date (of the newborn) or date of death"), max_length=20,
                                 required=False)
    sex = forms.ChoiceField(label=_("Sex"), choices=[("", "—"), ("M", _("Male")), ("F", _("Female"))],
                            required=False)
    agent = forms.CharField(label=_("New agent's number (to move)"), max_length=16, required=False)
    document = forms.ImageField(label=_("Photo of the document"), required=False)

    def __init__(self, *args, card=None, **kwargs):
        super().__init__(*args, **kwargs)
        members = card.members.exclude(status="removed").order_by("pk") if card is not None else []
        self.fields["member"].choices = [("", "—")] + [(m.pk, m.full_name) for m in members]

    def clean_birth_date(self):
        return ascii_digits(self.cleaned_data["birth_date"]).strip()

    def data_for(self) -> dict:
        d = self.cleaned_data
        kind = d["kind"]
        if kind == RequestKind.NEWBORN:
            return {k: d[k] for k in ("given", "father", "grandfather", "surname", "birth_date", "sex")}
        if kind == RequestKind.DEATH:
            return {"died_on": d["birth_date"]}
        if kind == RequestKind.NAME:
            return {k: d[k] for k in ("given", "father", "grandfather", "surname") if d[k]}
        return {"agent": d["agent"].strip().upper()}


class ContestForm(forms.Form):
    reason = forms.CharField(label=_("Why the block is wrong"), max_length=500,
                             widget=forms.Textarea(attrs={"rows": 3}))


class ApplicationForm(forms.Form):
    name = forms.CharField(label=_("Full name (four parts)"), max_length=200)
    national_id = DigitsField(label=_("National ID"), max_length=20)
    birth_date = forms.CharField(label=_("Birth date"), max_length=20)
    phone = DigitsField(label=_("Phone"), max_length=20)
    centre = forms.ModelChoiceField(label=_("Centre"), queryset=Centre.objects.order_by("governorate", "code"))
    area = forms.CharField(label=_("Area served"), max_length=120)
    premises = forms.CharField(label=_("Premises address"), max_length=200)

    def clean_birth_date(self):
        return ascii_digits(self.cleaned_data["birth_date"]).strip()
