"""The standard grounds for notices (通知の理由), from the ministry's notice of 2019-01-07
(平成31年1月7日付保国発0107第1号「在留外国人の国民健康保険適用の不適正事案に関する通知制度の運用に
ついて」, seed 000): within a year of enrollment, an application for one of four benefits, or any
other case where staying to be treated is particularly suspected. A municipality starts from this
list (`manage.py setup_notices`) and edits it in the admin site; the legal basis is its own text."""

from __future__ import annotations

from django.db import transaction

from enrollment.models import NoticeGround, NoticeSettings
from nhi_portal.changelog import log_instance_change, snapshot

NOTICE_2019 = "平成31年1月7日付保国発0107第1号（在留外国人の国民健康保険適用の不適正事案に関する通知制度の運用について）"
WITHIN_A_YEAR = "資格取得から1年以内の療養に係るもの。"

STANDARD_GROUNDS: list[tuple[str, str, str]] = [
    ("資格取得から1年以内の限度額適用認定証の交付申請", f"{NOTICE_2019} 対象1", WITHIN_A_YEAR),
    ("資格取得から1年以内の高額療養費の支給申請", f"{NOTICE_2019} 対象2", WITHIN_A_YEAR),
    ("資格取得から1年以内の海外療養費の支給申請", f"{NOTICE_2019} 対象3", WITHIN_A_YEAR),
    ("資格取得から1年以内の出産育児一時金の支給申請", f"{NOTICE_2019} 対象4", WITHIN_A_YEAR),
    (
        "その他、医療を受ける目的で在留している（在留資格の本来活動を行っていない）ことが特に疑われる場合",
        f"{NOTICE_2019} 対象5",
        "住所・在留資格・在留期間・資格取得日と事由・就労と就学の状況を聞き取りまたは資料で確かめてから。",
    ),
]


@transaction.atomic
def notice_settings_setup(
    *, municipality, bureau_name: str, user=None, **fields
) -> tuple[NoticeSettings, int]:
    """Create or update the municipality's settings and add the standard grounds it lacks (each
    change in the change log). Returns the settings and how many grounds were added. Safe to run
    twice."""
    existing = NoticeSettings.objects.filter(municipality=municipality).first()
    before = snapshot(existing) if existing else None
    settings_row, _ = NoticeSettings.objects.update_or_create(
        municipality=municipality, defaults={"bureau_name": bureau_name, **fields}
    )
    log_instance_change(user=user, instance=settings_row, before=before)
    have = set(settings_row.grounds.values_list("label", flat=True))
    added = 0
    for order, (label, basis, hint) in enumerate(STANDARD_GROUNDS, start=1):
        if label not in have:
            ground = NoticeGround.objects.create(
                settings=settings_row, label=label, legal_basis=basis, hint=hint, order=order
            )
            log_instance_change(user=user, instance=ground, before=None)
            added += 1
    return settings_row, added
