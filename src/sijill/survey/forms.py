from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from sijill.accounts.models import User
from sijill.identity import national_id
from sijill.identity import to_ascii_digits as ascii_digits
from sijill.registry.models import GOVERNORATE_CHOICES

from .backchecks import KEY_QUESTIONS
from .models import Campaign, CampaignState, Questionnaire
from .xlsform import label


class CampaignForm(forms.Form):
    code = forms.SlugField(label=_("Campaign code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=200)
    governorates = forms.MultipleChoiceField(label=_("Governorates"), choices=GOVERNORATE_CHOICES,
                                             widget=forms.CheckboxSelectMultiple)
    districts = forms.CharField(label=_("Districts (one a line; empty: all)"), required=False,
                                widget=forms.Textarea(attrs={"rows": 3}))
    starts_on = forms.DateField(label=_("Starts"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Ends"), widget=forms.DateInput(attrs={"type": "date"}))
    questionnaire = forms.ModelChoiceField(label=_("Questionnaire"), queryset=Questionnaire.objects.all())

    def clean_districts(self) -> list[str]:
        return [d.strip() for d in self.cleaned_data["districts"].splitlines() if d.strip()]

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("The campaign ends before it starts."))
        return data


class ApplicantForm(forms.Form):
    """A family that applies in the field: registered by the researcher who met it, then interviewed."""

    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=Campaign.objects.none())
    name = forms.CharField(label=_("Applicant's full name"), max_length=200)
    national_id = forms.CharField(label=_("National ID"), max_length=20,
                                  widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    governorate = forms.ChoiceField(label=_("Governorate"))
    district = forms.CharField(label=_("District"), max_length=64, required=False)

    def __init__(self, user=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        places = list(user.governorates or []) if user is not None else [g for g, _ in GOVERNORATE_CHOICES]
        self.fields["governorate"].choices = [("", "—")] + [(g, g) for g in places]
        self.fields["campaign"].queryset = Campaign.objects.filter(state=CampaignState.OPEN).order_by("-created_at")
        self.places = places

    def clean_national_id(self) -> str:
        try:
            return national_id(self.cleaned_data["national_id"])
        except ValueError as e:
            raise forms.ValidationError(_("Not a national ID: %(why)s") % {"why": e}) from None

    def clean(self):
        data = super().clean()
        campaign, place = data.get("campaign"), data.get("governorate")
        if campaign and place and place not in campaign.governorates:
            self.add_error("campaign", _("The campaign does not cover this governorate."))
        return data


class QuestionnaireForm(forms.Form):
    file = forms.FileField(label=_("XLSForm (.xlsx, .xls, .md or .csv)"))


class ReassignForm(forms.Form):
    researcher = forms.ModelChoiceField(label=_("To researcher"), queryset=User.objects.filter(
        role="field_researcher", is_active=True).order_by("username"))
    from_researcher = forms.ModelChoiceField(label=_("All the households waiting for"), required=False,
                                             queryset=User.objects.filter(role="field_researcher").order_by("username"))
    households = forms.CharField(label=_("Or these household numbers (one a line)"), required=False,
                                 widget=forms.Textarea(attrs={"rows": 3}))
    reason = forms.CharField(label=_("Why"), max_length=500)


class PmtForm(forms.Form):
    weights = forms.CharField(label=_("Weights (CSV: variable,weight)"), widget=forms.Textarea(attrs={"rows": 14}))
    cutoffs = forms.CharField(label=_("Cut-offs (CSV: governorate,area,cutoff,band)"),
                              widget=forms.Textarea(attrs={"rows": 6}))
    effective_from = forms.DateField(label=_("In force from"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("Why this change"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class BackCheckForm(forms.Form):
    """The key answers asked again, with the questionnaire's own choices."""

    members = forms.CharField(label=_("Number of members"), max_length=4,
                              widget=forms.TextInput(attrs={"inputmode": "numeric"}))

    def __init__(self, spec: dict | None = None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        by_name = {q["name"]: q for q in (spec or {"questions": []})["questions"]}
        for name in KEY_QUESTIONS:
            q = by_name.get(name)
            if q is None:
                continue
            choices = [(c["name"], label(c["label"])) for c in q["choices"]]
            if q["type"] == "select all that apply":
                field = forms.MultipleChoiceField(choices=choices, required=False, widget=forms.CheckboxSelectMultiple)
            elif choices:  # nothing chosen in advance: the household's answer, not the form's
                field = forms.ChoiceField(choices=[("", "—"), *choices])
            else:
                field = forms.CharField(max_length=20, widget=forms.TextInput(attrs={"inputmode": "numeric"}))
            field.label = label(q["label"])
            self.fields[name] = field

    def clean_members(self) -> int:
        value = ascii_digits(self.cleaned_data["members"]).strip()
        if not value.isdigit() or not 1 <= int(value) <= 60:
            raise forms.ValidationError(_("A whole number between 1 and 60."))
        return int(value)

    def answers(self) -> dict:
        out = {}
        for name in KEY_QUESTIONS:
            if name not in self.cleaned_data:
                continue
            value = self.cleaned_data[name]
            if isinstance(value, list):
                value = " ".join(value)
            elif isinstance(value, str) and ascii_digits(value).strip().isdigit():
                value = int(ascii_digits(value).strip())
            out[name] = value
        return out
