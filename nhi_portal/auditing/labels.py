"""Japanese labels of the access log's action codes and object types (written by the views of every
app), so that an auditor reads 「住民の詳細」 rather than `view_person`. Every code the portal writes
has a label (tests/security/test_access_log.py checks the code base against this table); a code
without one is shown as 「その他の操作」 with the code in small print."""

from __future__ import annotations

ACTION_LABELS = {
    "view_person": "住民の詳細",
    "search_people": "住民の検索",
    "view_isa_record": "ISA記録",
    "view_isa_records": "取込結果の記録一覧",
    "view_isa_month_diff": "ISAデータの月次差分",
    "view_review_queue": "審査待ち一覧",
    "view_review_item": "審査",
    "search_residents": "審査での住民検索",
    "view_case_list": "ケース一覧",
    "view_case_worklists": "作業一覧",
    "view_case": "ケース",
    "view_ex_officio_waiting": "職権喪失の出力待ち",
    "confirm_ex_officio_export": "職権喪失の出力確認",
    "download_ex_officio_export": "職権喪失CSVのダウンロード",
    "api_list": "API 一覧",
    "api_detail": "API 詳細",
    "letter_list": "通知書一覧",
    "letter_detail": "通知書",
    "letter_preview": "通知書のプレビュー",
    "print_batch_download": "印刷用PDFのダウンロード",
    "print_batch_reprint": "印刷用PDFの再ダウンロード",
    "export_access_log": "閲覧記録のCSV出力",
    "view_change_log": "変更記録の閲覧",
    "admin_list": "管理画面 一覧",
    "admin_detail": "管理画面 詳細",
    "view_import_issues": "取込結果の指摘",
    "view_arrears_list": "滞納の一覧",
    "download_arrears_csv": "滞納一覧のCSV出力",
    "view_household_account": "世帯の納付状況",
    "view_linkage_export": "入管への連携出力の内容",
    "download_linkage_export": "入管への連携ファイルのダウンロード",
    "download_collection_rates": "収納率のCSV出力",
    "api_arrears_list": "API 滞納の一覧",
    "view_statement_list": "納付状況証明書の一覧",
    "confirm_payment_statement": "納付状況証明書の発行確認",
    "view_payment_statement": "納付状況証明書",
    "download_payment_statement": "納付状況証明書のダウンロード",
    "person_notices": "住民の詳細（入管への通知）",
    "view_notice": "入管への通知",
    "list_open_notices": "入管への通知（作業中の一覧）",
    "list_notices": "入管への通知の一覧",
    "notice_pdf": "入管への通知書（PDF）",
    "notice_pdf_preview": "入管への通知書の見本（PDF）",
    "notice_document": "入管への通知の添付資料",
    "notice_register_csv": "入管への通知の一覧のCSV出力",
}

# The case actions' form and confirm pages: case_<action>_page.
CASE_ACTION_LABELS = {
    "respond": "回答の記録",
    "second": "再勧奨の準備",
    "propose": "職権喪失の提案",
    "approve": "職権喪失の承認",
    "reject": "職権喪失の差し戻し",
    "close": "ケースの完了",
    "returned": "返戻の記録",
}

OBJECT_TYPE_LABELS = {
    "resident": "住民",
    "isa_record": "ISA記録・年金一覧の記録",
    "isa_record+residents": "ISA記録と候補の住民",
    "isa_record+import_issue": "ISA記録と取込の指摘",
    "import_issue": "取込の指摘",
    "assessment": "保険料の賦課",
    "payment": "保険料の収納",
    "change_log": "変更記録",
    "access_log": "閲覧記録",
    "municipality": "市区町村の集計",
}


def action_label(code: str) -> str:
    if code.startswith("case_") and code.endswith("_page"):
        action = code.removeprefix("case_").removesuffix("_page")
        return f"ケースの操作：{CASE_ACTION_LABELS.get(action, 'その他')}"
    return ACTION_LABELS.get(code, "その他の操作")


def object_type_label(code: str) -> str:
    return OBJECT_TYPE_LABELS.get(code, "その他")


def known(code: str) -> bool:
    if code.startswith("case_") and code.endswith("_page"):
        return code.removeprefix("case_").removesuffix("_page") in CASE_ACTION_LABELS
    return code in ACTION_LABELS
