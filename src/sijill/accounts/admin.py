from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from sijill.audit.models import Action
from sijill.audit.trail import record

from .forms import AdminLoginForm, UserAdminForm
from .models import User

admin.site.site_header = admin.site.site_title = _("Sijill administration")
admin.site.index_title = _("Users and roles")
admin.site.site_url = "/"
admin.site.login_form = AdminLoginForm  # under the same lockout as the site's login


class ManageUsersOnly:
    """Admin pages for administrators (``manage_users``) only; nothing is ever deleted, because the audit
    trail names it (a user is deactivated, a token revoked)."""

    def has_module_permission(self, request):
        return request.user.is_authenticated and request.user.can("manage_users")

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    has_change_permission = has_add_permission = has_view_permission

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(ManageUsersOnly, BaseUserAdmin):
    form = UserAdminForm
    list_display = ("username", "first_name", "last_name", "role", "is_active", "last_login")
    list_filter = ("role", "is_active")
    fieldsets = (
        *BaseUserAdmin.fieldsets[:1],
        (_("Role"), {"fields": ("role", "governorates", "agency")}),
        *BaseUserAdmin.fieldsets[1:],
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "role", "usable_password", "password1", "password2")}),
    )


    def user_change_password(self, request, id, form_url=""):
        """Django's page for setting another user's password; a password set there is in the audit trail."""
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = self.get_object(request, unquote(id))
            record(Action.PASSWORD_RESET, request=request, target=user, target_id=user.get_username(),
                   own=user.pk == request.user.pk)
        return response

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        changed = sorted(f for f in form.changed_data if f not in ("password", "password1", "password2"))
        record(Action.ADMIN_CHANGE, request=request, target=obj, target_id=obj.get_username(),
               change="changed" if change else "created", fields=changed)
