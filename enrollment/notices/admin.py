"""The municipality's settings for notices in the admin site (入管への通知の設定): the bureau the
notices go to, the sender, the retention period, and the list of grounds with their legal basis.
Administrators edit their own municipality's; every change is written to the change log. A ground
is never deleted (notices refer to it): it is retired by unticking 「選べる」."""

from __future__ import annotations

from django.contrib import admin
from django.db import transaction

from enrollment.models import NoticeGround, NoticeSettings
from nhi_portal.access import has_portal_permission
from nhi_portal.admin import PortalModelAdmin
from nhi_portal.changelog import log_instance_change, snapshot
from nhi_portal.models import Municipality


class NoticeGroundInline(admin.TabularInline):
    """The grounds, edited with their settings. Answers to the portal permission like the settings
    (Django's model permissions are not used in the portal)."""

    model = NoticeGround
    fields = ["order", "label", "legal_basis", "hint", "active"]
    extra = 1
    can_delete = False

    def has_view_permission(self, request, obj=None):
        return has_portal_permission(request.user, "administer")

    def has_add_permission(self, request, obj=None):
        return has_portal_permission(request.user, "administer")

    def has_change_permission(self, request, obj=None):
        return has_portal_permission(request.user, "administer")

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(NoticeSettings)
class NoticeSettingsAdmin(PortalModelAdmin):
    editable = True
    inlines = [NoticeGroundInline]
    list_display = ["municipality", "bureau_name", "retention_years"]
    fields = [
        "municipality", "bureau_name", "bureau_section", "bureau_postal_code", "bureau_address",
        "sender_title", "number_prefix", "retention_years",
    ]  # fmt: skip

    def get_readonly_fields(self, request, obj=None):
        return [] if request.user.is_superuser else ["municipality"]

    def has_add_permission(self, request):
        if not super().has_add_permission(request):
            return False
        user = request.user
        return (
            user.is_superuser
            or not NoticeSettings.objects.filter(municipality_id=user.municipality_id).exists()
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "municipality":
            kwargs["queryset"] = Municipality.objects.tenants()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            obj.municipality_id = request.user.municipality_id
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        with transaction.atomic():
            before = {g.pk: snapshot(g) for g in formset.queryset if g.pk}
            instances = formset.save(commit=False)
            for ground in instances:
                ground.settings = form.instance
                ground.save()
                log_instance_change(user=request.user, instance=ground, before=before.get(ground.pk))
            formset.save_m2m()
