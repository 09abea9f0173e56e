"""An administrator sets the municipality up for notices in the admin site: the bureau and the
grounds with their legal basis; every change is in the change log; another municipality's
settings are not found."""

from __future__ import annotations

import pytest
from django.urls import reverse

from enrollment.models import NoticeGround, NoticeSettings
from nhi_portal.models import ChangeLog
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def form(**extra) -> dict:
    data = {
        "bureau_name": "東京出入国在留管理局長",
        "bureau_section": "審査管理部門",
        "bureau_postal_code": "108-8255",
        "bureau_address": "東京都港区港南5-5-30",
        "sender_title": "",
        "number_prefix": "入管通知",
        "retention_years": "5",
        "grounds-TOTAL_FORMS": "1",
        "grounds-INITIAL_FORMS": "0",
        "grounds-MIN_NUM_FORMS": "0",
        "grounds-MAX_NUM_FORMS": "1000",
        "grounds-0-order": "1",
        "grounds-0-label": "資格取得から1年以内の高額療養費の支給申請",
        "grounds-0-legal_basis": "平成31年1月7日付保国発0107第1号 対象2",
        "grounds-0-hint": "",
        "grounds-0-active": "on",
    }
    data.update(extra)
    return data


def test_an_administrator_sets_the_bureau_and_grounds_and_it_is_logged(administrator, other_municipality):
    client = signed_in(administrator)
    response = client.post(reverse("admin:enrollment_noticesettings_add"), form())
    assert response.status_code == 302, response.content.decode()[:3000]
    found = NoticeSettings.objects.get(municipality=administrator.municipality)
    ground = NoticeGround.objects.get(settings=found)
    assert ground.municipality_id == administrator.municipality_id
    assert ChangeLog.objects.filter(model="enrollment.noticesettings", object_id=str(found.pk)).exists()
    assert ChangeLog.objects.filter(model="enrollment.noticeground", object_id=str(ground.pk)).exists()
    assert (
        client.get(reverse("admin:enrollment_noticesettings_add")).status_code == 403
    )  # one per municipality

    theirs = NoticeSettings.objects.create(
        municipality=other_municipality, bureau_name="東京出入国在留管理局長"
    )
    assert client.get(reverse("admin:enrollment_noticesettings_change", args=[theirs.pk])).status_code == 404


def test_a_clerk_cannot_change_the_settings(clerk):
    assert signed_in(clerk).get(reverse("admin:enrollment_noticesettings_changelist")).status_code in (
        302,
        403,
    )


def test_a_ground_given_twice_is_refused_on_the_form(administrator):
    client = signed_in(administrator)
    data = form(
        **{
            "grounds-TOTAL_FORMS": "2",
            "grounds-1-order": "2",
            "grounds-1-label": "資格取得から1年以内の高額療養費の支給申請",
            "grounds-1-legal_basis": "同じ",
            "grounds-1-hint": "",
            "grounds-1-active": "on",
        }
    )
    response = client.post(reverse("admin:enrollment_noticesettings_add"), data)
    assert response.status_code == 200  # the form again, with the error; nothing saved
    assert not NoticeSettings.objects.exists() and not NoticeGround.objects.exists()
