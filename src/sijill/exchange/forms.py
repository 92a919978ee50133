from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import HitReview


class PackageForm(forms.Form):
    file = forms.FileField(label=_("Package archive"),
                           help_text=_("The .tar or .zip of the package folder made by `sijill encode` "
                                       "(`sijill cycle pack` makes it)."))


class KeyForm(forms.Form):
    key = forms.CharField(label=_("Public key (holder.pub)"), widget=forms.Textarea(attrs={"rows": 4, "dir": "ltr"}),
                          help_text=_("Paste the contents of the holder.pub file the agency made with "
                                      "`sijill keys init`. It is public: it only verifies signatures."))


class OpenCycleForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=500)
    rotate_registry_key = forms.BooleanField(
        label=_("Also replace the registry's payload key"), required=False,
        help_text=_("Recommended once a year; the old key is kept (retired) to open earlier payloads."))


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect, choices=[
        (HitReview.ACCEPTED, HitReview.ACCEPTED.label), (HitReview.REJECTED, HitReview.REJECTED.label)])
    note = forms.CharField(label=_("Why"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
