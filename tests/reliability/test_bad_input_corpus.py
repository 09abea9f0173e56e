"""Bad input: every file of tests/corpus/ through the real intake service, and a sample of them
through the browser upload and the API upload.

What must hold for each file (tests/corpus/manifest.json says which outcome):
- a structural problem rejects the file with a Japanese reason naming the file and, where it
  applies, the line (and the column, for header problems); nothing of it is stored: no ISA
  record, resident, ledger period or import issue;
- a file with row problems is imported as "needs attention", every problem listed with its line
  and column (and nothing else listed), and the rows that must be stored are stored;
- no page or API answer is a server error.

Known defects are listed in the manifest (`bug`) and run as strict xfails.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from enrollment.models import IsaRecord, NhiMembership, Resident
from nhi_portal.intake import services
from nhi_portal.intake.registry import registered_kinds
from nhi_portal.models import BatchSource, BatchStatus, ImportBatch, ImportIssue

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
MANIFEST = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
ENTRIES = MANIFEST["entries"]
BY_FILE = {entry["file"]: entry for entry in ENTRIES}
KINDS = {"isa", "residents", "nhi_ledger", "pension_cat2_lost", "pension_cat13_lost", "payments"}
UPLOADABLE = {"isa", "residents", "nhi_ledger"}  # what the upload form and the API accept

BROWSER_SAMPLE = [
    "isa/empty.csv",
    "isa/utf16le_bom.csv",
    "isa/excel_workbook.xlsx",
    "isa/truncated_final_line.csv",
    "isa/annex_does_not_match.csv",
    "isa/dates.csv",
    "isa/spreadsheet_formulas.csv",
    "isa/html_and_script.csv",
    "residents/euc_jp.csv",
    "residents/bad_values.csv",
    "nhi_ledger/lost_before_acquired.csv",
]
API_SAMPLE = [
    "isa/empty.csv",
    "isa/png_image.csv",
    "isa/mixed_cp932_then_utf8.csv",
    "isa/bad_municipality_codes.csv",
    "isa/invisible_and_control_characters.csv",
    "residents/missing_required_column.csv",
    "residents/duplicate_resident_codes.csv",
    "nhi_ledger/bad_values.csv",
]


def corpus_params(files=None):
    entries = ENTRIES if files is None else [BY_FILE[f] for f in files]
    return [pytest.param(entry, id=entry["file"]) for entry in entries]


def prepare(request, entry) -> bytes:
    """Skip a kind whose importer is not registered yet; mark a known defect as a strict xfail."""
    if entry["kind"] not in registered_kinds():
        pytest.skip(f"no importer registered for kind {entry['kind']!r} yet (corpus file kept)")
    if entry.get("bug") and entry.get("bug_on", connection.vendor) == connection.vendor:
        request.applymarker(pytest.mark.xfail(strict=True, reason=f"BUG: {entry['bug']}"))
    return (CORPUS / entry["file"]).read_bytes()


def file_name(entry) -> str:
    return Path(entry["file"]).name


def money_models() -> list:
    """The receipts app's rows, when its importers are installed."""
    found = []
    for name in ("Payment", "Assessment"):
        try:
            found.append(apps.get_model("receipts", name))
        except LookupError:
            pass
    return found


def stored_rows(kind: str) -> int:
    if kind == "residents":
        return Resident.objects.count()
    if kind == "nhi_ledger":
        return NhiMembership.objects.count()
    if kind == "payments":
        return apps.get_model("receipts", "Payment").objects.count()
    return IsaRecord.objects.count()


def nothing_stored() -> None:
    for model in (IsaRecord, Resident, NhiMembership, ImportIssue, *money_models()):
        assert not model.objects.exists(), model.__name__


def describe(batch: ImportBatch) -> str:
    issues = [f"{i.line}:{i.column}:{i.severity}:{i.reason}" for i in batch.issues.order_by("line", "id")]
    return f"status={batch.status} reason={batch.rejection_reason!r} issues={issues}"


def check_rejection_text(reason: str, entry) -> None:
    assert f"ファイル「{file_name(entry)}」" in reason, reason
    assert entry["message"] in reason, reason
    if entry["line"] is None:
        assert not re.search(r"」、\d+行目", reason), reason
    else:
        assert f"」、{entry['line']}行目" in reason, reason
    if entry["column"]:
        assert entry["column"] in reason, reason
    for fragment in entry.get("details", []):
        assert fragment in reason, reason


def check_batch(batch: ImportBatch, entry) -> None:
    """The outcome the manifest names, checked on the stored batch."""
    assert batch.source_name == file_name(entry)
    assert batch.status != BatchStatus.FAILED, f"an unexpected error escaped the importer: {describe(batch)}"
    if entry["outcome"] == "rejected":
        assert batch.status == BatchStatus.REJECTED, describe(batch)
        check_rejection_text(batch.rejection_reason, entry)
        assert batch.rows_total == 0
        nothing_stored()
        return
    expected_status = {"needs_attention": BatchStatus.NEEDS_ATTENTION, "imported": BatchStatus.IMPORTED}
    assert batch.status == expected_status[entry["outcome"]], describe(batch)
    assert batch.rejection_reason == ""
    issues = list(batch.issues.all())
    for issue in issues:
        assert issue.line >= 2 and issue.column and issue.reason, describe(batch)
    found = {(i.line, i.column, i.severity) for i in issues}
    wanted = {(p["line"], p["column"], p["severity"]) for p in entry["problems"]}
    assert found == wanted, describe(batch)
    for problem in entry["problems"]:
        assert any(
            (i.line, i.column, i.severity) == (problem["line"], problem["column"], problem["severity"])
            and problem["reason"] in i.reason
            for i in issues
        ), f"{problem} not listed: {describe(batch)}"
    assert stored_rows(entry["kind"]) == entry["stored"], describe(batch)


def receive_and_import(municipality, entry, content) -> ImportBatch:
    received = services.batch_receive(
        municipality=municipality,
        kind=entry["kind"],
        filename=file_name(entry),
        content=content,
        source=BatchSource.COMMAND,
        enqueue=False,
        **entry["options"],
    )
    assert not received.duplicate
    return services.batch_import(batch_id=received.batch.pk)


# --- the corpus itself ------------------------------------------------------------------------


def test_the_corpus_is_complete_and_described():
    assert len(ENTRIES) >= 50
    assert {e["kind"] for e in ENTRIES} == KINDS
    on_disk = {
        str(p.relative_to(CORPUS))
        for p in CORPUS.rglob("*")
        if p.is_file() and p.parent != CORPUS and "__pycache__" not in p.parts
    }
    assert on_disk == set(BY_FILE), "every corpus file has a manifest entry and every entry a file"
    for entry in ENTRIES:
        assert entry["outcome"] in {"rejected", "needs_attention", "imported"}, entry
        assert entry["description"], entry
        if entry["outcome"] == "rejected":
            assert entry["message"], entry
        elif entry["outcome"] == "needs_attention":
            assert entry["problems"], entry
            for problem in entry["problems"]:
                assert problem["line"] >= 2 and problem["column"], entry
    outcomes = {e["outcome"] for e in ENTRIES}
    assert {"rejected", "needs_attention"} <= outcomes
    assert {BY_FILE[f]["kind"] for f in BROWSER_SAMPLE + API_SAMPLE} <= UPLOADABLE


def test_the_corpus_files_are_what_the_generator_writes(tmp_path):
    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    generator.HERE = tmp_path
    generator.main()
    for entry in ENTRIES:
        assert (tmp_path / entry["file"]).read_bytes() == (CORPUS / entry["file"]).read_bytes(), entry["file"]
    assert json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8")) == MANIFEST


# --- through the intake service ----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("entry", corpus_params())
def test_corpus_file_through_the_service(entry, municipality, request):
    data = prepare(request, entry)
    batch = receive_and_import(municipality, entry, data)
    check_batch(batch, entry)


@pytest.mark.slow
@pytest.mark.django_db
def test_a_100_mb_single_line_is_refused_naming_its_line(municipality, tmp_path):
    path = tmp_path / "one_huge_line.csv"
    header = "氏名（英字）,住居地（地方公共団体コード）,住居地,性別,生年月日,入国年月日（上陸年月日）\r\n"
    chunk = b"NGUYEN VAN AN " * (1 << 16)  # 896 KiB, no comma, no line break
    with path.open("wb") as sink:
        sink.write(header.encode("cp932"))
        for _ in range((100 << 20) // len(chunk) + 1):
            sink.write(chunk)
        sink.write(b"\r\n")
    assert path.stat().st_size > 100 << 20
    entry = {
        "file": "isa/one_huge_line.csv",
        "kind": "isa",
        "options": {},
        "outcome": "rejected",
        "message": "長すぎます",
        "line": 2,
        "column": None,
    }
    with path.open("rb") as stream:
        batch = receive_and_import(municipality, entry, stream)
    check_batch(batch, entry)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["pension_cat2_lost", "pension_cat13_lost"])
def test_a_valid_pension_list_imports(kind, municipality):
    header = "氏名（英字）,性別,生年月日,住所,資格喪失年月日\r\n"
    data = (header + "NGUYEN VAN AN,男,19980412,東京都小金井市本町1-2-3,20260915\r\n").encode("cp932")
    entry = {"file": f"{kind}/good.csv", "kind": kind, "options": {}}
    batch = receive_and_import(municipality, entry, data)
    assert batch.status == BatchStatus.IMPORTED, describe(batch)
    assert IsaRecord.objects.get().event_date.isoformat() == "2026-09-15"


# --- through the browser upload ----------------------------------------------------------------


def clerk_browser(clerk) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(clerk)
    return client


def upload_page(client, entry, data: bytes, *, name: str | None = None):
    form = {
        "kind": entry["kind"],
        "mode": "delta",
        "files": [SimpleUploadedFile(name or file_name(entry), data)],
    }
    if entry["options"].get("annex"):
        form["annex"] = str(entry["options"]["annex"])
    return client.post(reverse("batch-upload"), form)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("entry", corpus_params(BROWSER_SAMPLE))
def test_corpus_file_through_the_browser_upload(entry, clerk, request):
    data = prepare(request, entry)
    client = clerk_browser(clerk)
    response = upload_page(client, entry, data)
    assert response.status_code < 500
    name = escape(file_name(entry))
    if not data:  # the form refuses an empty file before anything is received
        assert response.status_code == 200
        page = response.content.decode()
        assert "入力内容に誤りがあります" in page
        assert "空" in page
        assert not ImportBatch.objects.exists()
        return
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("batch-detail", args=[batch.pk])
    check_batch(batch, entry)
    page_response = client.get(response["Location"])
    assert page_response.status_code == 200
    page = page_response.content.decode()
    assert name in page
    if entry["outcome"] == "rejected":
        assert "このファイルは取り込めませんでした" in page
        assert escape(batch.rejection_reason) in page
    elif entry["outcome"] == "imported":
        assert "このファイルは取り込めませんでした" not in page
        assert "確認が必要な行があります" not in page
    else:
        assert "確認が必要な行があります" in page
        for problem in entry["problems"]:
            assert f'<td class="num">{problem["line"]}</td><td>{escape(problem["column"])}</td>' in page
    list_page = client.get(reverse("batch-list"))
    assert list_page.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_file_name_with_markup_is_shown_as_text(clerk):
    entry = BY_FILE["isa/png_image.csv"]
    name = '"><img src=x onerror=alert(1)>.csv'
    client = clerk_browser(clerk)
    response = upload_page(client, entry, (CORPUS / entry["file"]).read_bytes(), name=name)
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "<img src=x" not in page
    assert escape(name) in page
    nothing_stored()


@pytest.mark.django_db(transaction=True)
def test_an_empty_file_among_several_is_named(clerk):
    good = (CORPUS / "isa" / "dates.csv").read_bytes()
    files = [SimpleUploadedFile("annex1.csv", good), SimpleUploadedFile("annex2_empty.csv", b"")]
    response = clerk_browser(clerk).post(
        reverse("batch-upload"), {"kind": "isa", "mode": "delta", "files": files}
    )
    assert response.status_code == 200
    assert "「annex2_empty.csv」は空のファイルです" in response.content.decode()
    assert not ImportBatch.objects.exists()


# --- through the API upload ----------------------------------------------------------------------


def api_client(clerk) -> Client:
    from tests.conftest import api_key

    return Client(HTTP_AUTHORIZATION=f"Token {api_key(clerk)}", raise_request_exception=False)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("entry", corpus_params(API_SAMPLE))
def test_corpus_file_through_the_api_upload(entry, clerk, request):
    data = prepare(request, entry)
    client = api_client(clerk)
    form = {"kind": entry["kind"], "file": SimpleUploadedFile(file_name(entry), data), **entry["options"]}
    response = client.post("/api/batches/upload/", form)
    assert response.status_code < 500
    body = response.json()
    if not data:
        assert response.status_code == 400
        assert set(body) == {"file"}
        assert not body["file"][0].isascii()  # said in Japanese
        assert not ImportBatch.objects.exists()
        return
    assert response.status_code == 202, body
    batch = ImportBatch.objects.get()
    assert body["batch"]["id"] == batch.pk
    assert body["batch"]["status"] == batch.status
    check_batch(batch, entry)
    detail = client.get(f"/api/batches/{batch.pk}/")
    assert detail.status_code == 200
    shown = detail.json()
    if entry["outcome"] == "rejected":
        check_rejection_text(shown["rejection_reason"], entry)
        assert shown["issues"] == []
    else:
        listed = {(i["line"], i["column"], i["severity"]) for i in shown["issues"]}
        assert listed == {(p["line"], p["column"], p["severity"]) for p in entry["problems"]}


@pytest.mark.django_db(transaction=True)
def test_the_api_refuses_a_file_over_the_upload_limit(clerk, settings):
    settings.NHI_MAX_UPLOAD_BYTES = 256
    data = (CORPUS / "isa" / "dates.csv").read_bytes()
    assert len(data) > 256
    response = api_client(clerk).post(
        "/api/batches/upload/", {"kind": "isa", "file": SimpleUploadedFile("big.csv", data)}
    )
    assert response.status_code == 400
    assert not ImportBatch.objects.exists()


# --- file names the intake must survive ----------------------------------------------------------

LONG_NAME = "令和8年10月分_特定技能外国人の情報_別紙1_" + "小金井市保険年金課受付分" * 16 + ".csv"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("via", ["browser", "api"])
def test_a_long_file_name_is_not_a_server_error(via, clerk):
    assert 196 < len(LONG_NAME) <= 255  # Django keeps upload names up to 255 characters
    data = (CORPUS / "isa" / "dates.csv").read_bytes()
    if via == "browser":
        response = upload_page(clerk_browser(clerk), BY_FILE["isa/dates.csv"], data, name=LONG_NAME)
    else:
        response = api_client(clerk).post(
            "/api/batches/upload/", {"kind": "isa", "file": SimpleUploadedFile(LONG_NAME, data)}
        )
    assert response.status_code < 500
    batch = ImportBatch.objects.get()
    assert batch.source_name == LONG_NAME
    assert batch.status == BatchStatus.NEEDS_ATTENTION
