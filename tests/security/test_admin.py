"""The admin site: administrators only (after 2FA), their municipality only, every change in the
change log, people's data read-only and access-logged, and no third-party admin left unscoped."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from nhi_portal.admin import PortalModelAdmin
from nhi_portal.models import AccessLog, ChangeLog, User
from tests.conftest import _persona, signed_in
from tests.factories import IsaRecordFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_every_registered_admin_is_a_portal_admin():
    """A ModelAdmin that is not a PortalModelAdmin would skip the permission and the wall."""
    loose = [
        f"{m._meta.label}: {type(a).__name__}"
        for m, a in admin.site._registry.items()
        if not isinstance(a, PortalModelAdmin)
    ]
    assert not loose, loose


def test_the_admin_signs_in_through_the_portal():
    first = Client().get("/admin/")
    assert first.status_code == 302 and first["Location"].startswith("/admin/login/")
    second = Client().get(first["Location"])
    assert second.status_code == 302 and second["Location"].startswith(reverse("login"))


def test_an_administrator_without_the_code_step_is_not_let_in(administrator):
    unverified = signed_in(administrator, two_factor=False)
    assert unverified.get("/admin/").status_code == 302  # to the code step first
    assert signed_in(administrator).get("/admin/").status_code == 200


def test_an_administrator_sees_only_their_municipalitys_staff(administrator, clerk, other_clerk):
    client = signed_in(administrator)
    page = client.get(reverse("admin:portal_user_changelist")).content.decode()
    assert ">clerk<" in page and "other_clerk" not in page
    assert client.get(reverse("admin:portal_user_change", args=[other_clerk.pk])).status_code == 404
    assert client.get(reverse("admin:auth_user_password_change", args=[other_clerk.pk])).status_code == 404
    assert (
        client.get(
            reverse("admin:portal_municipality_change", args=[other_clerk.municipality_id])
        ).status_code
        == 404
    )


def test_audit_records_in_the_admin_stop_at_the_wall_even_for_superusers(administrator, other_clerk):
    AccessLog.objects.create(user=other_clerk, municipality=other_clerk.municipality, action="view_person",
                             purpose="x", object_type="resident", object_ids=[987654])  # fmt: skip
    root = UserFactory(username="root", municipality=administrator.municipality, is_superuser=True)
    for user in (administrator, root):
        page = signed_in(user).get(reverse("admin:portal_accesslog_changelist")).content.decode()
        assert "other_clerk" not in page


def test_changes_in_the_admin_are_in_the_change_log_from_what_to_what(
    administrator, clerk, other_municipality
):
    client = signed_in(administrator)
    AuthToken.objects.create(user=clerk)
    url = reverse("admin:portal_user_change", args=[clerk.pk])
    form = {
        "username": "clerk",
        "last_name": "山田",
        "first_name": "花子",
        "email": "",
        "municipality": administrator.municipality_id,
        "groups": [g.pk for g in clerk.groups.all()] + [Group.objects.get(name="supervisor").pk],
        "is_active": "",  # disabled
    }
    # Another municipality is not theirs to give: the form refuses it.
    refused = client.post(url, {**form, "municipality": other_municipality.pk})
    assert refused.status_code == 200 and "正しく選択してください" in refused.content.decode()
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:3000]
    clerk.refresh_from_db()
    assert clerk.municipality_id == administrator.municipality_id
    assert clerk.has_role("supervisor") and not clerk.is_active
    changes = {
        c.field: (c.old_value, c.new_value)
        for c in ChangeLog.objects.filter(model="portal.user", object_id=str(clerk.pk))
    }
    assert changes["last_name"] == ("", "山田")
    assert changes["is_active"] == ("True", "False")
    assert changes["groups"] == ("clerk", "clerk, supervisor")
    assert "password" not in changes
    entry = ChangeLog.objects.filter(field="last_name").get()
    assert entry.user == administrator and entry.municipality_id == administrator.municipality_id
    # Disabled: no token, no session goes on.
    assert not AuthToken.objects.filter(user=clerk).exists()
    assert clerk.session_generation == 1


def test_an_administrator_removes_a_lost_2fa_device(administrator, supervisor):
    TOTPDevice.objects.create(user=supervisor, name="phone", confirmed=True)
    client = signed_in(administrator)
    response = client.post(
        reverse("admin:portal_user_changelist"),
        {"action": "remove_two_factor_devices", "_selected_action": [supervisor.pk]},
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=supervisor).exists()
    assert ChangeLog.objects.filter(model="otp_totp.totpdevice", action="delete").exists()


def test_people_in_the_admin_are_read_only_and_each_page_is_logged(municipality):
    both = UserFactory(username="admin_clerk", municipality=municipality, role="administrator")
    both.groups.add(Group.objects.get(name="clerk"))
    record = IsaRecordFactory(batch__municipality=municipality, municipality=municipality)
    client = signed_in(both)
    before = AccessLog.objects.count()
    assert client.get(reverse("admin:enrollment_isarecord_changelist")).status_code == 200
    detail = client.get(reverse("admin:enrollment_isarecord_change", args=[record.pk]))
    assert detail.status_code == 200
    entries = list(AccessLog.objects.order_by("id")[before:])
    assert [(e.action, e.object_ids) for e in entries] == [
        ("admin_list", [record.pk]),
        ("admin_detail", [record.pk]),
    ]
    assert client.post(reverse("admin:enrollment_isarecord_change", args=[record.pk]), {}).status_code == 403
    assert client.get(reverse("admin:enrollment_isarecord_delete", args=[record.pk])).status_code == 403


def test_a_plain_administrator_does_not_see_peoples_data(administrator):
    client = signed_in(administrator)
    assert client.get(reverse("admin:enrollment_isarecord_changelist")).status_code == 403
    assert "ISA記録" not in client.get(reverse("admin:index")).content.decode()


def test_a_staff_account_made_in_the_admin_belongs_to_the_administrators_municipality(
    administrator, other_municipality
):
    client = signed_in(administrator)
    data = {"username": "new_clerk", "last_name": "新", "first_name": "人", "email": ""}
    refused = client.post(reverse("admin:portal_user_add"), {**data, "municipality": other_municipality.pk})
    assert refused.status_code == 200 and not User.objects.filter(username="new_clerk").exists()
    response = client.post(
        reverse("admin:portal_user_add"), {**data, "municipality": administrator.municipality_id}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    made = User.objects.get(username="new_clerk")
    assert made.municipality_id == administrator.municipality_id and not made.has_usable_password()
    assert ChangeLog.objects.filter(model="portal.user", object_id=str(made.pk), action="create").exists()


def test_only_superusers_import_the_municipality_table(administrator):
    root = _persona("administrator", administrator.municipality, "root2")
    User.objects.filter(pk=root.pk).update(is_superuser=True)
    root.refresh_from_db()
    assert signed_in(administrator).get(reverse("admin:portal_municipality_import")).status_code == 403
    assert signed_in(root).get(reverse("admin:portal_municipality_import")).status_code == 200


def test_the_admin_speaks_japanese_and_shows_jst(administrator, clerk):
    """Issue 15 item 10: no "Access attempts", "TOTP devices", "Filter by"; times in JST."""
    import re
    from datetime import UTC, datetime

    client = signed_in(administrator)
    for url in (
        "/admin/",
        "/admin/otp_totp/totpdevice/",
        "/admin/axes/accessattempt/",
        "/admin/portal/accesslog/",
    ):
        html = client.get(url).content.decode()
        text = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style).*?</\1>", "", html, flags=re.S))
        for english in ("Access attempts", "access attempt", "TOTP devices", "Totp", "Axes", "Select an option",
                        "Filter by", "Confirmed", "Last used at", "Created at"):  # fmt: skip
            assert english not in text, (url, english)
    index = client.get("/admin/").content.decode()
    assert "二要素認証" in index and "認証アプリ（TOTP）" in index and "ログインの制限" in index
    entry = AccessLog.objects.create(
        user=clerk, municipality=clerk.municipality, action="view_person", purpose="enrollment",
        object_type="resident", at=datetime(2026, 11, 30, 23, 30, tzinfo=UTC),
    )  # fmt: skip
    assert str(entry).startswith("2026-12-01 08:30")  # JST, as every other time on the site
