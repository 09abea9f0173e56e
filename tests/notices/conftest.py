"""A 小金井市 set up for notices: the bureau and two grounds, a foreign NHI insured resident, and
ISA records about that resident carrying a MARKER that must never reach a notice."""

from __future__ import annotations

from datetime import date

import pytest

from enrollment.models import NoticeGround, NoticeSettings
from enrollment.notices import services
from tests.factories import NhiMembershipFactory, ResidentFactory
from tests.linking.helpers import isa_batch, match

MARKER = "ISAMARKERQZX"
MARKER_DATE = date(2026, 9, 17)  # the ISA record's event date: no notice page shows it


@pytest.fixture
def notice_settings(municipality):
    found = NoticeSettings.objects.create(
        municipality=municipality,
        bureau_name="東京出入国在留管理局長",
        bureau_section="審査管理部門",
        bureau_postal_code="108-8255",
        bureau_address="東京都港区港南5-5-30",
        sender_title="小金井市長",
    )
    NoticeGround.objects.create(
        settings=found,
        order=1,
        label="資格取得から1年以内の高額療養費の支給申請",
        legal_basis="平成31年1月7日付保国発0107第1号 記の対象2",
    )
    NoticeGround.objects.create(
        settings=found,
        order=2,
        label="その他、医療を受ける目的で在留していることが特に疑われる場合",
        legal_basis="平成31年1月7日付保国発0107第1号 記の対象5",
    )
    return found


@pytest.fixture
def person(municipality):
    resident = ResidentFactory(
        municipality=municipality,
        resident_code="55500000011",
        name_alpha="TRAN THI HOA",
        name_kana="チャン ティ ホア",
        sex="F",
        birth_date=date(1996, 8, 3),
        residence_status="経営・管理",
        residence_period="1年",
        residence_expiry=date(2027, 6, 30),
        address="東京都小金井市本町3丁目4番5号 本町ハイツ202",
    )
    NhiMembershipFactory(
        municipality=municipality,
        insured_number="31000011",
        resident_code=resident.resident_code,
        household_head_code=resident.resident_code,
        acquired_date=date(2026, 8, 1),
    )
    return resident


@pytest.fixture
def isa_marked(municipality, person):
    """An ISA record about the person (linked by matching), its raw values and address marked."""
    batch = isa_batch(
        municipality,
        [
            {
                "name": person.name_alpha,
                "raw_name": f"{person.name_alpha} {MARKER}",
                "sex": "F",
                "birth_date": person.birth_date,
                "address": person.address,
                "raw_address": f"{MARKER} 東京都小金井市",
                "event_date": MARKER_DATE,
            }
        ],
    )
    match(batch)
    record = batch.isa_records.get()
    assert record.decision.linked_resident_id == person.pk
    return record


def draft_input(settings_row, *, facts=None) -> services.DraftInput:
    return services.DraftInput(
        grounds=list(settings_row.grounds.all()[:1]),
        facts=facts
        or [
            services.FactInput(
                date(2026, 10, 20), "高額療養費の支給申請を受け付けた（資格取得の2か月半後、入院費用）。"
            )
        ],
        employment="窓口で勤務先を尋ねたが、答えなかった。",
        summary="",
    )
