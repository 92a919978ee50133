from __future__ import annotations

import math

from django import forms
from django.contrib.auth.forms import AuthenticationForm, UserChangeForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sijill.audit.models import Action
from sijill.audit.trail import record
from sijill.identity import GOVERNORATES

from . import throttle
from .models import User


class LoginForm(AuthenticationForm):
    """Django's login form, refusing to even try a password while the user name or address is locked."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": _("Too many failed logins. Try again in %(minutes)d minutes."),
    }

    def clean(self):
        username = (self.cleaned_data.get("username") or "").strip()
        ip = throttle.client_ip(self.request)
        until = throttle.locked_until(username, ip) if username else None
        if until:
            record(Action.LOGIN_BLOCKED, request=self.request, actor=username[:150])
            minutes = max(1, math.ceil((until - timezone.now()).total_seconds() / 60))
            raise forms.ValidationError(self.error_messages["locked"], code="locked", params={"minutes": minutes})
        return super().clean()


class UserAdminForm(UserChangeForm):
    """Django's form for changing a user (the password only through its own form), with governorates as
    check boxes rather than JSON."""

    governorates = forms.MultipleChoiceField(label=_("governorates"), required=False,
                                             choices=[(g, g) for g in GOVERNORATES],
                                             widget=forms.CheckboxSelectMultiple)

    class Meta(UserChangeForm.Meta):
        model = User
