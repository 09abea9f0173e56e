"""Issue 15 item 6: the access-log screen as an auditor reads it — Japanese action names, no
internal codes or ids — and searchable by a person's resident code: every read of that person
(their register entry, a list that showed them, the ISA record matched to them), no one else's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from nhi_portal.auditing.labels import known
from tests.conftest import signed_in
from tests.linking.helpers import isa_batch, match, resident

pytestmark = pytest.mark.django_db


def rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [row for row in body.split("</tr>") if "<td" in row]


def test_an_auditor_finds_every_read_of_one_person_by_resident_code(municipality, clerk, supervisor, auditor):
    person = resident(municipality, resident_code="12345678901", name_alpha="PHAM THI LAN")
    other = resident(municipality, resident_code="12345678902", name_alpha="TRAN VAN NAM")
    batch = isa_batch(municipality, [{"name": "PHAM THI LAN", "birth_date": person.birth_date}])
    match(batch)
    record = batch.isa_records.get()
    assert record.decision.linked_resident_id == person.pk

    clerk_client = signed_in(clerk)
    clerk_client.get(reverse("person-detail", args=[person.pk]))  # the register entry
    clerk_client.get(reverse("person-detail", args=[other.pk]))  # someone else
    signed_in(supervisor).get(reverse("isa-record", args=[record.pk]))  # the ISA record linked to them

    client = signed_in(auditor)
    html = client.get(reverse("access-log"), {"resident_code": "12345678901"}).content.decode()
    found = rows(html)
    assert len(found) == 2
    assert '住民票コード <span class="mono">12345678901</span> の人を見た・出力した記録：2件' in html
    assert any("住民の詳細" in row for row in found) and any("ISA記録" in row for row in found)
    assert all("view_person" not in row and "isa_record" not in row for row in found)  # no raw codes
    assert any(clerk.get_username() in row for row in found)

    # Full-width digits are read: the other person's search finds the clerk's read of them.
    theirs = rows(
        client.get(reverse("access-log"), {"resident_code": "１２３４５６７８９０２"}).content.decode()
    )
    assert len([row for row in theirs if "住民の詳細" in row]) == 1
    unknown = client.get(reverse("access-log"), {"resident_code": "99999999999"}).content.decode()
    assert "この住民票コードの人は、この市区町村の住民記録にいません" in unknown
    short = client.get(reverse("access-log"), {"resident_code": "1234"}).content.decode()
    assert "住民票コードは11桁の数字で入力してください。" in short


def test_the_screen_shows_japanese_names_not_internal_codes(municipality, clerk, auditor):
    person = resident(municipality)
    signed_in(clerk).get(reverse("person-detail", args=[person.pk]))
    html = signed_in(auditor).get(reverse("access-log")).content.decode()
    row = rows(html)[0]
    assert "住民の詳細" in row and ">住民<" in row
    assert "view_person" not in row and "resident" not in row and f">{person.pk}<" not in row
    assert "対象ID</th>" not in html


# Every action code written anywhere has a Japanese label: an auditor never sees `api_arrears_list`.
_CODE = re.compile(
    r"""(?:action=|log_action = |_log_letters\(\s*(?:self\.)?request,\s*|self\._log\(request,\s*)f?"([a-z_{}.]+)\""""
)


def test_every_logged_action_has_a_japanese_label():
    codes = set()
    for app in ("nhi_portal", "enrollment", "receipts", "arrears"):
        for path in (Path(settings.BASE_DIR) / app).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if (
                "log_read" not in text
                and "log_export" not in text
                and "_log_letters" not in text
                and "_log(" not in text
                and "log_action = " not in text
            ):
                continue
            codes |= {c for c in _CODE.findall(text) if not c.startswith("case_{")}
    codes -= {
        "store_true",
        "returned",
        "second",
        "propose",
        "response_recorded",
        "letter_printed",
        "welcome_sent",
    }  # not log actions (case events)
    assert {"view_person", "api_arrears_list", "letter_preview", "admin_list"} <= codes
    assert not [c for c in sorted(codes) if not known(c)]
    for action in ("respond", "second", "propose", "approve", "reject", "close", "returned"):
        assert known(f"case_{action}_page")
