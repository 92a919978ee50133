"""API tokens in the administration pages (administrators): create one (its secret is shown once), list,
revoke. Never deleted: the audit trail names them."""

from __future__ import annotations

import datetime as dt

from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from sijill.accounts.admin import ManageUsersOnly
from sijill.audit.models import Action
from sijill.audit.trail import record

from . import tokens
from .models import ApiToken, Partner


@admin.register(ApiToken)
class ApiTokenAdmin(ManageUsersOnly, admin.ModelAdmin):
    list_display = ("prefix", "user", "name", "sender_id", "expires_at", "revoked_at", "last_used_at")
    list_filter = ("revoked_at",)
    search_fields = ("prefix", "user__username", "name", "sender_id")
    actions = ["revoke_tokens"]
    fields = ("user", "name", "expires_at", "rate_per_minute", "sender_id", "sender_key")
    readonly_on_change = ("prefix", "user", "sender_id", "sender_key", "created_by", "created_at", "revoked_at",
                          "revoked_by", "last_used_at")

    def get_fields(self, request, obj=None):
        return self.fields if obj is None else ("name", "expires_at", "rate_per_minute", *self.readonly_on_change)

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_on_change

    def get_changeform_initial_data(self, request):
        return {"expires_at": timezone.now() + dt.timedelta(days=tokens.DEFAULT_DAYS)}

    def save_model(self, request, obj, form, change):
        if change:
            obj.save()
            record(Action.ADMIN_CHANGE, request=request, target=obj, change="api token changed",
                   fields=sorted(form.changed_data))
            return
        obj.created_by = request.user
        request.sijill_api_token = tokens.save_new(obj)
        tokens.audit_created(obj, request=request)

    def response_add(self, request, obj, post_url_continue=None):
        """Show the new token once; the database keeps only its hash."""
        context = {**self.admin_site.each_context(request), "token": obj, "secret": request.sijill_api_token,
                   "opts": self.opts, "title": _("API token created")}
        response = TemplateResponse(request, "api/token_created.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke_tokens(self, request, queryset):
        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            tokens.revoke(token, by=request.user, request=request)
            count += 1
        self.message_user(request, ngettext("%(n)d token revoked.", "%(n)d tokens revoked.", count) % {"n": count},
                          messages.SUCCESS)


@admin.register(Partner)
class PartnerAdmin(ManageUsersOnly, admin.ModelAdmin):
    """DCI partners: where asynchronous answers go (registered here, never taken from a request), and which
    senders are civil registries whose death notifications open cases."""

    list_display = ("sender_id", "name", "callback_url", "civil_registry", "active")
    list_filter = ("civil_registry", "active")
    search_fields = ("sender_id", "name")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        record(Action.ADMIN_CHANGE, request=request, target=obj, change="dci partner " + ("changed" if change
                                                                                         else "added"),
               fields=sorted(form.changed_data))
