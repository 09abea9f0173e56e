"""Japanese labels of the access log's action codes (written by the views of every app). A code
without a label is shown as it is."""

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
}


def action_label(code: str) -> str:
    if code.startswith("case_") and code.endswith("_page"):
        return "ケースの操作"
    return ACTION_LABELS.get(code, code)
