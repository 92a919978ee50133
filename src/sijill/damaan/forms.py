"""Damaan's forms. Every input accepts Arabic-Indic digits (folded before validation)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from sijill import identity
from sijill.identity.text import to_ascii_digits

from . import contributions as c
from .models import Establishment, RateTable, Sector
from .registration import PersonDetails

GOVERNORATE_CHOICES = [("", "—"), *((g, g) for g in identity.GOVERNORATES)]
SEX_CHOICES = [("", "—"), ("M", _("Male")), ("F", _("Female"))]
NO_FOLD = ("password", "password2")


class FoldedForm(forms.Form):
    """Arabic-Indic and Persian digits become ASCII in every field but the passwords."""

    def __init__(self, data=None, *args, **kwargs):
        if data is not None:
            data = data.copy()
            for key in list(data.keys()):
                if key in NO_FOLD:
                    continue
                if hasattr(data, "setlist"):  # a request's QueryDict
                    data.setlist(key, [to_ascii_digits(v) if isinstance(v, str) else v for v in data.getlist(key)])
                elif isinstance(data[key], str):
                    data[key] = to_ascii_digits(data[key])
        super().__init__(data, *args, **kwargs)


class MonthField(forms.CharField):
    """A month as yyyy-mm (what <input type=month> sends) or mm/yyyy; cleaned to its first day."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "2026-01"})

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        try:
            found = identity.parse_date(value)
        except identity.IdentityError as e:
            raise forms.ValidationError(_("Write the month as 2026-01.")) from e
        if found.month is None:
            raise forms.ValidationError(_("Write the month as 2026-01."))
        return dt.date(found.year, found.month, 1)


DATE = forms.DateInput(attrs={"type": "date"})


class AccountForm(FoldedForm):
    username = forms.CharField(label=_("User name"), max_length=150)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput)
    password2 = forms.CharField(label=_("Password again"), widget=forms.PasswordInput)

    def clean_username(self):
        name = self.cleaned_data["username"].strip()
        if get_user_model().objects.filter(username__iexact=name).exists():
            raise forms.ValidationError(_("This user name is taken."))
        return name

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        elif data.get("password"):
            try:
                validate_password(data["password"], get_user_model()(username=data.get("username", "")))
            except forms.ValidationError as e:
                self.add_error("password", e)
        return data


class EstablishmentForm(forms.ModelForm):
    class Meta:
        model = Establishment
        fields = ["name", "employer", "sector", "activity", "governorate", "address", "registration_no"]
        widgets = {"governorate": forms.Select(choices=GOVERNORATE_CHOICES)}

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(FoldedForm(data).data if data is not None else None, *args, **kwargs)
        self.fields["sector"].choices = [("", "—"), *Sector.choices]  # nothing chosen for the employer


class DecisionForm(forms.Form):
    approve = forms.TypedChoiceField(choices=[("1", _("Approve")), ("0", _("Ask for a correction"))],
                                     coerce=lambda v: v == "1", widget=forms.RadioSelect, label=_("Decision"))
    note = forms.CharField(label=_("Reasons the representative will read"), required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self):
        data = super().clean()
        if data.get("approve") is False and not (data.get("note") or "").strip():
            self.add_error("note", _("Say what must be corrected."))
        return data


class PersonForm(FoldedForm):
    national_id = forms.CharField(label=_("National ID"), max_length=20)
    given = forms.CharField(label=_("Given name"), max_length=60)
    father = forms.CharField(label=_("Father's name"), max_length=60)
    grandfather = forms.CharField(label=_("Grandfather's name"), max_length=60)
    surname = forms.CharField(label=_("Surname"), max_length=60, required=False)
    mother = forms.CharField(label=_("Mother's name"), max_length=120)
    birth_date = forms.CharField(label=_("Birth date"), widget=forms.TextInput(attrs={"placeholder": "1985-03-21"}))
    sex = forms.ChoiceField(label=_("Sex"), choices=SEX_CHOICES)
    governorate = forms.ChoiceField(label=_("Governorate"), choices=GOVERNORATE_CHOICES)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            self.details = PersonDetails.parse(data)
        except identity.InvalidIdentifier as e:
            self.add_error("national_id", e.reason)
        except identity.InvalidDate as e:
            self.add_error("birth_date", e.reason)
        except identity.IdentityError as e:
            self.add_error(None, e.reason)
        return data


class HireForm(PersonForm):
    start = forms.DateField(label=_("Start of work"), widget=DATE)
    wage = forms.IntegerField(label=_("Monthly wage (IQD)"), min_value=0)
    allowances = forms.IntegerField(label=_("Allowances (IQD)"), min_value=0, initial=0, required=False)
    profession = forms.CharField(label=_("Profession"), max_length=100, required=False)


class EndForm(FoldedForm):
    end = forms.DateField(label=_("Last day of work"), widget=DATE)


class UploadForm(FoldedForm):
    month = MonthField(label=_("Month"))
    file = forms.FileField(label=_("CSV or XLSX file"),
                           help_text=_("Columns: رقم البطاقة الوطنية, الأجر, المخصصات (optional)."))


class PaymentForm(FoldedForm):
    month = MonthField(label=_("Month"))
    amount = forms.IntegerField(label=_("Amount paid (IQD)"), min_value=1)
    reference = forms.CharField(label=_("Electronic payment reference"), max_length=40)
    paid_on = forms.DateField(label=_("Paid on"), widget=DATE)


class VoluntaryForm(PersonForm):
    occupation = forms.CharField(label=_("Occupation (barber, taxi driver, vendor...)"), max_length=100)
    category = forms.ChoiceField(label=_("Contribution category"))
    start = MonthField(label=_("First month"))

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.categories = {str(cat.pk): cat for cat in categories}
        self.fields["category"].choices = [(str(cat.pk), _("Category %(n)s: %(amount)s IQD a month") % {
            "n": cat.number, "amount": f"{cat.monthly_iqd:,}"}) for cat in categories]

    def clean_start(self):
        start = self.cleaned_data["start"]
        if start and start > c.add_months(c.month_start(dt.date.today()), 1):
            raise forms.ValidationError(_("Start this month or next month."))
        return start


class VoluntaryPayForm(FoldedForm):
    months = forms.IntegerField(label=_("Months to pay (the oldest first)"), min_value=1, max_value=120, initial=1)
    reference = forms.CharField(label=_("Electronic payment reference"), max_length=40)


class CategoryForm(FoldedForm):
    category = forms.ChoiceField(label=_("New category (from next month)"))

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.categories = {str(cat.pk): cat for cat in categories}
        self.fields["category"].choices = [(str(cat.pk), f"{cat.number}: {cat.monthly_iqd:,}") for cat in categories]


class VerifyForm(FoldedForm):
    number = forms.CharField(label=_("Certificate number"), max_length=30,
                             widget=forms.TextInput(attrs={"placeholder": "ABCD-EFGH-JKMN", "autocomplete": "off"}))


class RecomputeForm(forms.Form):
    table = forms.ModelChoiceField(label=_("Table version"), queryset=RateTable.objects.all(), to_field_name="version")
    reason = forms.CharField(label=_("Reason"), max_length=200)
