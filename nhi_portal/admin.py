"""Admin registrations. Every ModelAdmin here is a `PortalModelAdmin`: it answers only to the
portal permission it declares, shows only the admin's municipality, and writes each change to
the ChangeLog. Models whose changes must go through services (ISA records, decisions, the logs)
are read-only; reading a person's data here is access-logged like anywhere else.

Third-party admins that would cross the municipality wall (django-otp devices, API tokens (knox),
django-axes attempts, auth groups) are replaced or removed below; a test checks that every
registered admin is a PortalModelAdmin."""

from __future__ import annotations

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django_otp.plugins.otp_totp.models import TOTPDevice
from import_export import resources
from import_export.admin import ImportExportModelAdmin
from knox.models import AuthToken

from nhi_portal.access import has_portal_permission
from nhi_portal.audit import Purpose, log_read
from nhi_portal.changelog import log_change, log_deletion, log_instance_change, snapshot
from nhi_portal.models import (
    AccessLog,
    ChangeAction,
    ChangeLog,
    ImportBatch,
    Job,
    Municipality,
    NightlyRun,
    RetentionPurge,
    Role,
    SecurityEvent,
    User,
)
from nhi_portal.security import sessions, tokens
from nhi_portal.security import twofactor as twofactor_rules


class PortalModelAdmin(admin.ModelAdmin):
    """Base of every admin: a portal permission, the municipality wall, changes logged.

    `municipality_lookup`: the path from the model to its municipality (None: the model has none,
    only superusers see it). `people_data`: rows hold personal data — scoped for superusers too,
    and every list and detail page writes one access-log entry."""

    permission = "administer"
    municipality_lookup: str | None = "municipality"
    people_data = False
    editable = False
    deletable = False
    access_object_type = ""
    show_full_result_count = False
    list_per_page = 50

    # Scope -----------------------------------------------------------------------------------

    def scope(self, request, queryset):
        user = request.user
        if user.is_superuser and not self.people_data:
            return queryset
        if not user.municipality_id or self.municipality_lookup is None:
            return queryset.none()
        return queryset.filter(**{self.municipality_lookup: user.municipality_id})

    def get_queryset(self, request):
        return self.scope(request, super().get_queryset(request))

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Another municipality's object (or none): 404 as everywhere else, not a redirect.
        raise Http404

    # Permissions ------------------------------------------------------------------------------

    def has_view_permission(self, request, obj=None):
        user = request.user
        if user.is_superuser and not self.people_data:
            return True
        return has_portal_permission(user, self.permission)

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_add_permission(self, request):
        return self.editable and self.has_view_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.editable and self.has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.deletable and self.has_view_permission(request, obj)

    # Change log -------------------------------------------------------------------------------

    def save_model(self, request, obj, form, change):
        before = None
        if change and obj.pk:
            stored = type(obj)._default_manager.filter(pk=obj.pk).first()
            before = snapshot(stored) if stored is not None else None
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            log_instance_change(user=request.user, instance=obj, before=before)

    def delete_model(self, request, obj):
        with transaction.atomic():
            log_deletion(user=request.user, instance=obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                log_deletion(user=request.user, instance=obj)
            super().delete_queryset(request, queryset)

    # Reads of personal data -------------------------------------------------------------------

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        if self.people_data and hasattr(response, "context_data"):
            changelist = (response.context_data or {}).get("cl")
            if changelist is not None:
                self._log(request, "admin_list", [o.pk for o in changelist.result_list])
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if self.people_data and getattr(response, "status_code", 0) == 200:
            original = (getattr(response, "context_data", None) or {}).get("original")
            if original is not None:
                self._log(request, "admin_detail", [original.pk])
        return response

    def _log(self, request, action: str, ids: list[int]) -> None:
        log_read(
            request,
            action=action,
            purpose=Purpose.ADMINISTRATION,
            object_type=self.access_object_type or self.model._meta.model_name,
            ids=ids,
        )


class ReadOnlyAdmin(PortalModelAdmin):
    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


# Reference table and staff -----------------------------------------------------------------


class MunicipalityResource(resources.ModelResource):
    """Municipalities as a reference table (CSV import/export); each imported change is logged."""

    class Meta:
        model = Municipality
        import_id_fields = ["lg_code"]
        fields = ["lg_code", "name", "parent", "department", "postal_code", "address", "phone",
                  "opening_hours", "mayor_title",
                  # the office on letters, with its Latin forms (issue 14)
                  "office_name_latin", "address_latin", "counter", "counter_latin", "opening_hours_latin",
                  "interpreter_service", "interpreter_service_latin", "prepayment_allowed"]  # fmt: skip
        skip_unchanged = True

    def before_save_instance(self, instance, row, **kwargs):
        stored = Municipality.objects.filter(pk=instance.pk).first() if instance.pk else None
        instance._changelog_before = snapshot(stored) if stored is not None else None

    def after_save_instance(self, instance, row, **kwargs):
        log_instance_change(
            user=kwargs.get("user"), instance=instance, before=getattr(instance, "_changelog_before", None)
        )


@admin.register(Municipality)
class MunicipalityAdmin(ImportExportModelAdmin, PortalModelAdmin):
    """自治体: administrators edit their own municipality's sender block (letters); superusers add
    municipalities and import the reference table."""

    resource_classes = [MunicipalityResource]
    editable = True
    list_display = ["lg_code", "name", "parent", "department"]
    search_fields = ["lg_code", "name"]

    def scope(self, request, queryset):
        user = request.user
        if user.is_superuser:
            return queryset
        if not user.municipality_id:
            return queryset.none()
        return queryset.filter(Q(pk=user.municipality_id) | Q(parent_id=user.municipality_id))

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_import_permission(self, request):
        return request.user.is_superuser

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def get_readonly_fields(self, request, obj=None):
        return [] if request.user.is_superuser else ["lg_code", "parent"]


class StaffCreationForm(forms.ModelForm):
    """A new staff account: user name and names; the password is set with "パスワードを変更"."""

    class Meta:
        model = User
        fields = ["username", "last_name", "first_name", "email"]


@admin.register(User)
class StaffAdmin(UserAdmin, PortalModelAdmin):
    """職員: administrators manage the staff of their municipality — roles, activation, sign-out,
    API tokens, 2FA devices. Only superusers see or make superusers."""

    editable = True
    list_display = [
        "username",
        "last_name",
        "first_name",
        "municipality",
        "role_list",
        "is_active",
        "last_login",
    ]
    list_filter = ["is_active", "groups"]
    search_fields = ["username", "last_name", "first_name"]
    ordering = ["username"]
    actions = ["sign_out_everywhere", "revoke_api_tokens", "remove_two_factor_devices"]
    filter_horizontal = []
    add_form = StaffCreationForm

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["username", "last_name", "first_name", "email", "municipality"]})]
        fieldsets = [
            (None, {"fields": ["username", "password"]}),
            ("氏名・連絡先", {"fields": ["last_name", "first_name", "email"]}),
            ("所属と役割", {"fields": ["municipality", "groups", "is_active"]}),
            ("記録", {"fields": ["last_login", "date_joined"]}),
        ]
        if request.user.is_superuser:
            fieldsets.append(("特権", {"fields": ["is_staff", "is_superuser"]}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        return ["last_login", "date_joined"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "municipality" and not request.user.is_superuser:
            kwargs["queryset"] = Municipality.objects.filter(pk=request.user.municipality_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups":
            kwargs["queryset"] = Group.objects.filter(name__in=Role.values).order_by("name")
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def scope(self, request, queryset):
        queryset = super().scope(request, queryset)
        return queryset if request.user.is_superuser else queryset.filter(is_superuser=False)

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, self.scope(request, queryset), search_term)

    @admin.display(description="役割")
    def role_list(self, obj):
        return obj.role_labels

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            obj.municipality_id = request.user.municipality_id
            obj.is_superuser = False
        if not change:
            obj.set_unusable_password()
        stored = User.objects.filter(pk=obj.pk).first() if change else None
        super().save_model(request, obj, form, change)
        if stored is not None and (
            stored.municipality_id != obj.municipality_id or (stored.is_active and not obj.is_active)
        ):
            # Moved or disabled: no session or token of the old standing goes on.
            tokens.token_revoke(user=obj, request=request, by=request.user)
            sessions.sign_out_everywhere(user=obj, request=request)

    def save_related(self, request, form, formsets, change):
        obj = form.instance
        before = ", ".join(sorted(obj.groups.values_list("name", flat=True))) if change else ""
        super().save_related(request, form, formsets, change)
        after = ", ".join(sorted(obj.groups.values_list("name", flat=True)))
        if before != after:
            log_change(
                user=request.user,
                action=ChangeAction.UPDATE if change else ChangeAction.CREATE,
                instance=obj,
                changes={"groups": (before, after)},
            )

    @admin.action(description="選んだ職員をすべての端末からログアウトさせる")
    def sign_out_everywhere(self, request, queryset):
        for user in queryset:
            sessions.sign_out_everywhere(user=user, request=request)
        messages.success(request, f"{queryset.count()}人をログアウトさせました。")

    @admin.action(description="選んだ職員のAPIトークンを無効にする")
    def revoke_api_tokens(self, request, queryset):
        revoked = sum(tokens.token_revoke(user=u, request=request, by=request.user) for u in queryset)
        messages.success(request, f"{revoked}件のAPIトークンを無効にしました。")

    @admin.action(description="選んだ職員の認証アプリの登録を削除する（次のログインで登録し直し）")
    def remove_two_factor_devices(self, request, queryset):
        for user in queryset:
            twofactor_rules.devices_remove(request=request, user=user)
        messages.success(request, f"{queryset.count()}人の認証アプリの登録を削除しました。")


# Read-only records of the shared base --------------------------------------------------------


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "source_name", "status", "data_month", "rows_total", "created_at"]
    list_filter = ["kind", "status"]
    exclude = ["summary"]


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "status", "title", "created_at"]
    list_filter = ["kind", "status"]


@admin.register(NightlyRun)
class NightlyRunAdmin(ReadOnlyAdmin):
    list_display = ["id", "status", "current_step", "created_at", "finished_at"]


class _AuditRecordAdmin(ReadOnlyAdmin):
    permission = "view_access_log"

    def scope(self, request, queryset):
        # Audit records are the municipality's own: superusers too see only theirs.
        if not request.user.municipality_id:
            return queryset.none()
        return queryset.filter(municipality_id=request.user.municipality_id)


@admin.register(AccessLog)
class AccessLogAdmin(_AuditRecordAdmin):
    list_display = ["at", "user", "action", "purpose", "object_type", "person_count", "ip_address"]
    list_filter = ["action", "purpose"]
    date_hierarchy = "at"


@admin.register(ChangeLog)
class ChangeLogAdmin(_AuditRecordAdmin):
    list_display = ["at", "user", "action", "model", "object_id", "field"]
    list_filter = ["action", "model"]
    people_data = True  # old and new values may be personal: reading them is logged
    access_object_type = "change_log"

    def has_view_permission(self, request, obj=None):
        return has_portal_permission(request.user, self.permission)


@admin.register(SecurityEvent)
class SecurityEventAdmin(_AuditRecordAdmin):
    list_display = ["at", "kind", "username", "user", "ip_address"]
    list_filter = ["kind"]


@admin.register(RetentionPurge)
class RetentionPurgeAdmin(_AuditRecordAdmin):
    list_display = ["at", "cutoff", "retention_years", "trigger"]


# Credentials of other apps, behind the wall ---------------------------------------------------


def _replace(model, admin_class=None) -> None:
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    if admin_class is not None:
        admin.site.register(model, admin_class)


class TotpDeviceAdmin(PortalModelAdmin):
    """認証アプリ: administrators see their staff's devices and may delete one (a lost phone).
    django-otp's field names are English literals: Japanese columns by display functions."""

    municipality_lookup = "user__municipality"
    deletable = True
    list_display = ["staff", "device_name", "is_confirmed", "created", "last_used"]
    fields = list_display
    readonly_fields = fields

    @admin.display(description="職員", ordering="user__username")
    def staff(self, obj):
        return obj.user

    @admin.display(description="名前")
    def device_name(self, obj):
        return obj.name

    @admin.display(description="設定済み", boolean=True)
    def is_confirmed(self, obj):
        return obj.confirmed

    @admin.display(description="登録日時", ordering="created_at")
    def created(self, obj):
        return obj.created_at

    @admin.display(description="最後に使った日時", ordering="last_used_at")
    def last_used(self, obj):
        return obj.last_used_at

    def has_change_permission(self, request, obj=None):
        return False


class ApiTokenAdmin(PortalModelAdmin):
    """APIトークン: who has one, since when and until when (never the key: only its digest is
    stored); an administrator may revoke."""

    municipality_lookup = "user__municipality"
    deletable = True
    list_display = ["user", "created", "expiry"]
    fields = ["user", "created", "expiry"]
    readonly_fields = fields

    def has_change_permission(self, request, obj=None):
        return False


class LockoutAdmin(PortalModelAdmin):
    """ログインのロック（django-axes）: delete an entry to unlock a user name before the time is up."""

    municipality_lookup = None
    deletable = True
    list_display = ["username", "ip_address", "failures_since_start", "attempt_time"]
    fields = ["username", "ip_address", "failures_since_start", "attempt_time"]
    readonly_fields = fields

    def scope(self, request, queryset):
        user = request.user
        if user.is_superuser:
            return queryset
        if not user.municipality_id:
            return queryset.none()
        names = User.objects.filter(municipality_id=user.municipality_id).values("username")
        return queryset.filter(username__in=names)

    def has_change_permission(self, request, obj=None):
        return False


# Japanese names for the third-party apps and models the admin lists. Their own names are English
# literals, not translatable; only the display names are set (Meta.original_attrs, which the
# migrations read, is left alone, so no migration of those apps follows).
for label, name in (("otp_totp", "二要素認証"), ("axes", "ログインの制限"), ("knox", "APIトークン")):
    if apps.is_installed(label) or label in apps.app_configs:
        apps.get_app_config(label).verbose_name = name
TOTPDevice._meta.verbose_name = TOTPDevice._meta.verbose_name_plural = "認証アプリ（TOTP）"

_replace(TOTPDevice, TotpDeviceAdmin)
_replace(AuthToken, ApiTokenAdmin)
_replace(Group)
_replace(apps.get_model("axes", "AccessAttempt"), LockoutAdmin)
_replace(apps.get_model("axes", "AccessLog"))
_replace(apps.get_model("axes", "AccessFailureLog"))


# Personal data of the apps above, read-only and access-logged --------------------------------
# (Looked up by label: the shared base does not import the apps above it.)


class PersonRecordAdmin(ReadOnlyAdmin):
    permission = "view_people"
    people_data = True
    list_display = ["id", "__str__"]


PERSON_MODELS = {
    "enrollment.IsaRecord": "isa_record",
    "enrollment.MatchDecision": "isa_record",
    "enrollment.Resident": "resident",
}

for label, object_type in PERSON_MODELS.items():
    if apps.is_installed(label.split(".")[0]):
        _replace(
            apps.get_model(label),
            type(f"{label.split('.')[1]}Admin", (PersonRecordAdmin,), {"access_object_type": object_type}),
        )
