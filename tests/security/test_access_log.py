"""The access log as an auditor relies on it: every read of a person's data writes exactly one
entry (not zero, not two) with who, when, from where, which ids, what and why; entries cannot be
changed or deleted — not by the model, not by SQL; exports carry their content hash; auditors
search, export and read a monthly summary of unusual patterns."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import datetime, timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from nhi_portal.audit import Purpose, log_export
from nhi_portal.auditing.summary import monthly_summary
from nhi_portal.models import AccessLog, AppendOnlyError, ChangeLog, RetentionPurge, SecurityEvent
from tests.conftest import signed_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# (url name, persona, url kwargs → world object, query string, action written)
READS = [
    ("person-detail", "clerk", {"pk": "resident"}, "", "view_person"),
    ("person-search", "clerk", {}, "?q=NGUYEN", "search_people"),
    ("isa-record", "clerk", {"pk": "record"}, "", "view_isa_record"),
    ("batch-detail", "clerk", {"pk": "batch"}, "", "view_isa_records"),
    ("review-queue", "supervisor", {}, "", "view_review_queue"),
    ("review-item", "supervisor", {"pk": "decision"}, "", "view_review_item"),
    ("review-choose", "supervisor", {"pk": "decision"}, "?q=TRAN", "search_residents"),
    ("review-overturn", "supervisor", {"pk": "record"}, "?q=NGUYEN", "search_residents"),
    ("case-list", "clerk", {}, "", "view_case_list"),
    ("case-worklists", "clerk", {}, "", "view_case_worklists"),
    ("case-detail", "clerk", {"pk": "case"}, "", "view_case"),
    ("case-respond", "clerk", {"pk": "case"}, "", "case_respond_page"),
    ("ex-officio", "supervisor", {}, "", "view_ex_officio_waiting"),
    ("ex-officio-confirm", "supervisor", {}, "", "confirm_ex_officio_export"),
    ("ex-officio-download", "supervisor", {"export_id": "export"}, "", "download_ex_officio_export"),
    ("letter-list", "clerk", {}, "", "letter_list"),
    ("letter-detail", "clerk", {"letter_id": "letter"}, "", "letter_detail"),
    ("letter-preview", "clerk", {"letter_id": "letter"}, "", "letter_preview"),
    ("print-batch-download", "clerk", {"pk": "print_batch"}, "", "print_batch_download"),
    ("api-isa-record-list", "clerk", {}, "", "api_list"),
    ("api-isa-record-detail", "clerk", {"pk": "record"}, "", "api_detail"),
    ("access-log-export", "auditor", {}, "", "export_access_log"),
    ("change-log", "auditor", {}, "", "view_change_log"),
]


# The search pages of the review show the ISA record even before a search is made.
UNLOGGED = [
    pytest.param(
        "review-choose", "supervisor", {"pk": "decision"}, "", "view_isa_record",
        id="review-choose-without-search",
    ),
    pytest.param(
        "review-overturn", "supervisor", {"pk": "record"}, "", "view_isa_record",
        id="review-overturn-without-search",
    ),
]  # fmt: skip


def new_entries(after_id: int) -> list[AccessLog]:
    return list(AccessLog.objects.filter(pk__gt=after_id).order_by("id"))


def last_id() -> int:
    return AccessLog.objects.order_by("-id").values_list("id", flat=True).first() or 0


@pytest.mark.parametrize(
    ("name", "persona", "kwargs", "query", "action"),
    [pytest.param(*r, id=r[0]) for r in READS] + UNLOGGED,
)
def test_each_read_of_personal_data_writes_exactly_one_entry(
    world, stored_files, name, persona, kwargs, query, action
):
    client = world["clients"][persona]
    user = world["users"][persona]
    url = reverse(name, kwargs={k: world["objects"][v] for k, v in kwargs.items()}) + query
    before = last_id()
    response = client.get(url)
    assert response.status_code == 200, url
    written = new_entries(before)
    assert len(written) == 1, [e.action for e in written]
    entry = written[0]
    assert entry.action == action
    assert entry.user_id == user.pk and entry.municipality_id == user.municipality_id
    assert entry.ip_address == "127.0.0.1"
    assert entry.request_id == response["X-Request-ID"]
    assert entry.purpose and entry.object_type and entry.path == url.split("?")[0]
    assert all(isinstance(i, int) for i in entry.object_ids)
    assert entry.person_count == len(entry.object_ids)
    # ids, never personal values
    assert "NGUYEN" not in str(entry.object_ids) and "TRAN" not in str(entry.object_ids)


@pytest.mark.parametrize("name", ["batch-detail", "api-batch-detail"])
def test_import_issues_with_cell_values_are_logged(world, name):
    from nhi_portal.models import ImportIssue
    from tests.factories import ImportBatchFactory

    user = world["users"]["clerk"]
    batch = ImportBatchFactory(
        municipality_id=user.municipality_id, kind="residents", annex=None, status="needs_attention"
    )
    ImportIssue.objects.create(batch=batch, line=2, column="氏名（英字）", value="NGUYEN VAN AN", reason="x")
    before = last_id()
    response = world["clients"]["clerk"].get(reverse(name, args=[batch.pk]))
    assert "NGUYEN VAN AN" in response.content.decode()
    assert len(new_entries(before)) == 1


def test_the_person_page_names_the_person_read(world):
    before = last_id()
    world["clients"]["clerk"].get(reverse("person-detail", args=[world["objects"]["resident"]]))
    assert world["objects"]["resident"] in new_entries(before)[0].object_ids


@pytest.mark.parametrize("name", ["person-detail", "case-detail", "isa-record"])
def test_another_municipalitys_object_answers_404_and_logs_nothing(world, name):
    key = {"person-detail": "resident", "case-detail": "case", "isa-record": "record"}[name]
    before = last_id()
    response = world["clients"]["other"].get(reverse(name, args=[world["objects"][key]]))
    assert response.status_code == 404
    assert "NGUYEN" not in response.content.decode()
    assert new_entries(before) == []


def test_pages_without_personal_data_log_nothing(world):
    before = last_id()
    for name in ("dashboard", "batch-list", "account", "access-log", "access-log-summary"):
        persona = "auditor" if name.startswith("access") else "clerk"
        assert world["clients"][persona].get(reverse(name)).status_code == 200
    assert new_entries(before) == []


# Append-only ---------------------------------------------------------------------------------


def records(world) -> dict:
    user = world["users"]["clerk"]
    municipality_id = user.municipality_id
    return {
        "access": AccessLog.objects.create(
            user=user,
            municipality_id=municipality_id,
            action="view_person",
            purpose="x",
            object_type="resident",
        ),
        "change": ChangeLog.objects.create(
            user=user, municipality_id=municipality_id, action="update", model="portal.user", object_id="1"
        ),
        "event": SecurityEvent.objects.create(kind="signed_in", user=user, municipality_id=municipality_id),
        "purge": RetentionPurge.objects.create(
            municipality_id=municipality_id, retention_years=5, cutoff="2021-11-01", trigger="test"
        ),
    }


def test_log_rows_cannot_be_changed_or_deleted_through_the_models(world):
    for row in records(world).values():
        with pytest.raises(AppendOnlyError):
            row.save()
        with pytest.raises(AppendOnlyError):
            row.delete()


@pytest.mark.postgres
@pytest.mark.parametrize(
    "table", ["portal_accesslog", "portal_changelog", "portal_securityevent", "portal_retentionpurge"]
)
def test_postgresql_itself_refuses_update_and_delete_of_log_rows(world, table):
    rows = records(world)
    row = {"portal_accesslog": rows["access"], "portal_changelog": rows["change"],
           "portal_securityevent": rows["event"], "portal_retentionpurge": rows["purge"]}[table]  # fmt: skip
    for sql in (f"UPDATE {table} SET at = now() WHERE id = %s", f"DELETE FROM {table} WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [row.pk])
    # The ORM's bulk paths go through the same trigger.
    with pytest.raises(DatabaseError), transaction.atomic():
        type(row).objects.filter(pk=row.pk).update(at=timezone.now())
    with pytest.raises(DatabaseError), transaction.atomic():
        type(row).objects.filter(pk=row.pk)._raw_delete(connection.alias)
    assert type(row).objects.filter(pk=row.pk).exists()


# Exports -------------------------------------------------------------------------------------


def test_the_access_log_export_is_logged_with_the_hash_of_its_bytes(world):
    client = world["clients"]["auditor"]
    world["clients"]["clerk"].get(reverse("person-detail", args=[world["objects"]["resident"]]))
    before = last_id()
    response = client.get(reverse("access-log-export"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith("\ufeff日時,".encode())
    assert b"\r\n" in response.content
    entry = new_entries(before)[0]
    assert entry.action == "export_access_log" and entry.purpose == Purpose.AUDIT
    assert entry.content_sha256 == hashlib.sha256(response.content).hexdigest()
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) - 1 == entry.person_count == len(entry.object_ids)


def test_log_export_needs_a_hash(rf, clerk):
    request = rf.get("/x")
    request.user = clerk
    with pytest.raises(ValueError):
        log_export(request, action="a", purpose="p", object_type="t", ids=[1])
    entry = log_export(request, action="a", purpose="p", object_type="t", ids=[2, 1, 2], content=b"abc")
    assert entry.content_sha256 == hashlib.sha256(b"abc").hexdigest()
    assert entry.object_ids == [1, 2] and entry.person_count == 2


def test_the_access_log_csv_neutralises_formula_cells(world):
    user = world["users"]["clerk"]
    AccessLog.objects.create(
        user=user, municipality_id=user.municipality_id, action="=HYPERLINK(\"http://x\")",
        purpose="+cmd", object_type="@SUM(A1)", path="-2+3", request_id="=1",
    )  # fmt: skip
    content = world["clients"]["auditor"].get(reverse("access-log-export")).content.decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(content)) for cell in row]
    assert (
        '\'=HYPERLINK("http://x")' in cells and "'+cmd" in cells and "'@SUM(A1)" in cells and "'-2+3" in cells
    )
    assert not any(c[:1] in "=+-@" and c[:1] and not c.lstrip("-").replace(".", "").isdigit() for c in cells)


# Searching -----------------------------------------------------------------------------------


def test_auditors_search_by_person_user_period_and_action(world):
    clerk, supervisor = world["users"]["clerk"], world["users"]["supervisor"]
    resident = world["objects"]["resident"]
    world["clients"]["clerk"].get(reverse("person-detail", args=[resident]))
    world["clients"]["supervisor"].get(reverse("review-queue"))
    client = world["clients"]["auditor"]

    def found(**query):
        html = client.get(reverse("access-log"), query).content.decode()
        return html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]  # the rows, not the filter menus

    by_person = found(person=resident)
    assert "住民の詳細" in by_person and "審査待ち一覧" not in by_person
    by_user = found(user=supervisor.pk)
    assert "審査待ち一覧" in by_user and "住民の詳細" not in by_user
    assert "住民の詳細" in found(action="view_person", user=clerk.pk)
    today = timezone.localdate()
    assert "条件に合う記録はありません" in found(date_from=today + timedelta(days=1))
    assert "住民の詳細" in found(date_from=today, date_to=today)
    bad = client.get(reverse("access-log"), {"date_from": "2026-12-01", "date_to": "2026-11-01"})
    assert "期間の終わりは始まりより後の日付にしてください" in bad.content.decode()


def test_another_municipalitys_auditor_sees_none_of_our_entries(world, other_municipality):
    world["clients"]["clerk"].get(reverse("person-detail", args=[world["objects"]["resident"]]))
    outsider = UserFactory(username="other_auditor", municipality=other_municipality, role="auditor")
    html = signed_in(outsider).get(reverse("access-log")).content.decode()
    assert "条件に合う記録はありません" in html and "sweep_clerk" not in html


# The monthly summary ---------------------------------------------------------------------------


def at(day: str, hour: int) -> datetime:
    return timezone.make_aware(datetime.fromisoformat(f"{day}T{hour:02d}:15:00"))


def test_the_monthly_summary_flags_heavy_readers_odd_hours_and_bulk_reads(municipality):
    from tests.conftest import _persona

    clerks = [_persona("clerk", municipality, f"c{n}") for n in range(4)]

    def read(user, when, people):
        AccessLog.objects.create(
            user=user, municipality=municipality, at=when, action="view_person", purpose="x",
            object_type="resident", object_ids=list(range(1, people + 1)), person_count=people,
        )  # fmt: skip

    for user in clerks[:3]:
        for _ in range(5):
            read(user, at("2026-11-04", 10), 2)  # Wednesday, office hours: 10 people each
    for _ in range(50):
        read(clerks[3], at("2026-11-05", 11), 2)  # 100 people: ten times the peers' median
    read(clerks[0], at("2026-11-06", 22), 1)  # Friday 22:00 JST
    read(clerks[1], at("2026-11-07", 10), 1)  # Saturday
    read(clerks[3], at("2026-11-09", 9), 150)  # bulk, by the heavy reader
    read(clerks[0], at("2026-10-31", 23), 1)  # another month: not counted

    summary = monthly_summary(municipality_id=municipality.pk, month=datetime(2026, 11, 1).date())
    by_name = {m.user.username: m for m in summary.users}
    assert by_name["c3"].far_above_peers and by_name["c3"].peer_median == 11
    assert not any(by_name[f"c{n}"].far_above_peers for n in range(3))
    assert (by_name["c0"].after_hours, by_name["c0"].weekend) == (1, 0)
    assert (by_name["c1"].after_hours, by_name["c1"].weekend) == (0, 1)
    assert by_name["c3"].bulk == 1 and [e.person_count for e in summary.bulk] == [150]
    assert summary.outside_hours_total == 2
    assert {m.user.username for m in summary.flagged} == {"c0", "c1", "c3"}

    auditor = _persona("auditor", municipality, "a1")
    page = signed_in(auditor).get(reverse("access-log-summary"), {"month": "2026-11"}).content.decode()
    assert "同じ役割の職員より非常に多い" in page and "時間外・休日" in page and "多人数" in page


def test_the_menu_shows_the_access_log_to_auditors_only(world):
    auditor = world["clients"]["auditor"].get(reverse("dashboard")).content.decode()
    clerk = world["clients"]["clerk"].get(reverse("dashboard")).content.decode()
    assert f'href="{reverse("access-log")}"' in auditor and "閲覧記録" in auditor
    assert f'href="{reverse("access-log")}"' not in clerk
