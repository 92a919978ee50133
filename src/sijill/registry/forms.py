from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from sijill import identity
from sijill.identity import to_ascii_digits

from .importing.kinds import Invalid, phones
from .importing.schema import schema_names
from .models import GOVERNORATE_CHOICES, PairStatus
from .search import SearchQuery


class SearchForm(forms.Form):
    """Digits may be typed in Arabic-Indic or Latin; the national ID with spaces or dashes."""

    national_id = forms.CharField(label=_("National ID"), required=False, max_length=40,
                                  widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    name = forms.CharField(label=_("Name"), required=False, max_length=200,
                           help_text=_("Given name, father's, grandfather's (and surname)"),
                           widget=forms.TextInput(attrs={"autocomplete": "off"}))
    mother = forms.CharField(label=_("Mother's name"), required=False, max_length=150,
                             widget=forms.TextInput(attrs={"autocomplete": "off"}))
    birth_year = forms.CharField(label=_("Birth year"), required=False, max_length=8,
                                 widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    governorate = forms.ChoiceField(label=_("Governorate"), required=False, choices=[("", "—"), *GOVERNORATE_CHOICES])
    phone = forms.CharField(label=_("Phone number"), required=False, max_length=40,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    address = forms.CharField(label=_("Mahalla or landmark"), required=False, max_length=100,
                              help_text=_("With a name: the mahalla number, the nahiya or words of the landmark"),
                              widget=forms.TextInput(attrs={"autocomplete": "off"}))

    def clean_national_id(self) -> str:
        value = self.cleaned_data["national_id"].strip()
        if not value:
            return ""
        try:
            return identity.national_id(value)
        except identity.IdentityError:
            raise forms.ValidationError(_("A national ID has 12 digits."), code="invalid") from None

    def clean_birth_year(self) -> int | None:
        value = to_ascii_digits(self.cleaned_data["birth_year"]).strip()
        if not value:
            return None
        if not value.isdigit() or not 1880 <= int(value) <= 2100:
            raise forms.ValidationError(_("Write the year in four digits, e.g. 1985."), code="invalid")
        return int(value)

    def clean_phone(self) -> str:
        value = self.cleaned_data["phone"].strip()
        if not value:
            return ""
        try:
            found = phones(value).split()
        except Invalid:
            raise forms.ValidationError(_("A phone number: 07XXXXXXXXX or +964 7XX XXX XXXX."),
                                        code="invalid") from None
        if len(found) != 1:
            raise forms.ValidationError(_("Search for one phone number at a time."), code="invalid")
        return found[0]

    def clean_address(self) -> str:
        return " ".join(to_ascii_digits(self.cleaned_data["address"]).split())

    def clean_name(self) -> str:
        value = " ".join(self.cleaned_data["name"].split())
        if value and not identity.normalize_text(value):
            raise forms.ValidationError(_("A name needs letters."), code="invalid")
        return value

    def clean(self):
        data = super().clean()
        if not self.errors and not self.query().is_enough():
            raise forms.ValidationError(
                _("Enter a national ID or a phone number, or a name together with the mother's name, the birth "
                  "year, the governorate or the mahalla."), code="too_broad")
        return data

    def query(self) -> SearchQuery:
        d = self.cleaned_data
        return SearchQuery(national_id=d.get("national_id") or "", name=d.get("name") or "",
                           mother=" ".join((d.get("mother") or "").split()), birth_year=d.get("birth_year"),
                           governorate=d.get("governorate") or "", phone=d.get("phone") or "",
                           address=d.get("address") or "")


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File"), help_text=_("CSV (UTF-8 or Windows-1256), XLSX or Parquet"))
    schema = forms.ChoiceField(label=_("Kind of file"), choices=[("", "—"), *((n, n) for n in schema_names())])

    def __init__(self, *args, max_bytes: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.max_bytes:
            raise forms.ValidationError(_("The file is larger than %(mb)d MB; import it with the command line."),
                                        params={"mb": self.max_bytes // (1024 * 1024)})
        if not upload.name.lower().endswith((".csv", ".txt", ".xlsx", ".xlsm", ".parquet")):
            raise forms.ValidationError(_("Send a CSV, XLSX or Parquet file."))
        return upload


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=[c for c in PairStatus.choices if c[0] != "pending"],
                                 widget=forms.RadioSelect)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
