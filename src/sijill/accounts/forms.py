from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from sijill.identity import GOVERNORATES

from .lockout import LockedLoginMixin
from .models import User


class LoginForm(LockedLoginMixin, AuthenticationForm):
    """Django's login form; while the user name or address is locked (django-axes) it says for how long."""


class AdminLoginForm(LockedLoginMixin, AdminAuthenticationForm):
    """The administration's login form, under the same lock as the site's."""


class UserAdminForm(UserChangeForm):
    """Django's form for changing a user (the password only through its own form), with governorates as
    check boxes rather than JSON."""

    governorates = forms.MultipleChoiceField(label=_("governorates"), required=False,
                                             choices=[(g, g) for g in GOVERNORATES],
                                             widget=forms.CheckboxSelectMultiple)

    class Meta(UserChangeForm.Meta):
        model = User
