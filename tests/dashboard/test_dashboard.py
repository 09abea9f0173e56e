"""The dashboard: this month's figures, the monthly funnel, the review queue's age and the
collection rates — counted for the user's own municipality only, shown to the roles that may see
them, in a fixed number of queries."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from enrollment.models import LinkStatus, MatchDecision
from enrollment.reports import selectors
from nhi_portal import selectors as base
from nhi_portal.selectors import add_months
from tests.arrears.builders import town as arrears_town
from tests.conftest import signed_in
from tests.dashboard.builders import files, previous_month, town
from tests.dashboard.helpers import section, stat, text
from tests.receipts.helpers import pay

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_towns(municipality, other_municipality, clerk, other_clerk):
    """Ours and 千代田区's: the same month of work each, so any leak doubles a figure."""
    ours = town(municipality, clerk)
    town(other_municipality, other_clerk)
    files(municipality)
    files(other_municipality)
    return ours


def test_this_months_figures_count_our_municipality_only(two_towns, clerk):
    today = timezone.localdate()
    month = selectors.enrollment_month(user=clerk, today=today)
    assert (month.matched, month.review, month.not_resident) == (4, 1, 1)
    assert (month.cases_opened, month.letters_printed, month.letters_sent, month.responses) == (4, 4, 4, 1)
    assert month.enrolled_after_letter == 1
    assert (month.conversion_sent, month.conversion_enrolled, month.conversion_text) == (4, 1, "25.0%")
    assert (month.deadlines_this_week, month.overdue, month.returned, month.address_unknown) == (1, 1, 1, 1)

    intake = base.intake_month(user=clerk, today=today)
    by_label = {row.label: row for row in intake.rows}
    assert set(by_label) == {"ISA 特定技能ファイル 別紙1", "ISA 特定技能ファイル 別紙2", "住民基本台帳"}
    annex1, annex2, register = by_label.values()
    assert (annex1.files, annex1.rows, annex1.rows_with_errors) == (1, 6, 0)
    assert (annex2.files, annex2.rows, annex2.rows_with_errors) == (1, 3, 1)
    assert (register.files, register.landed, register.rejected) == (1, 0, 1)
    assert (intake.total.files, intake.total.rows, intake.total.rows_with_errors, intake.total.rejected) == (
        3,
        9,
        1,
        1,
    )  # last month's file is not counted
    assert [b.source_name for b in intake.needs_attention] == ["isa_annex2.csv"]


def test_the_page_shows_this_months_figures(two_towns, clerk):
    page = signed_in(clerk).get(reverse("dashboard")).content.decode()
    work = section(page, "work-h")
    assert (
        stat(work, "住民と照合") == "4件"
        and stat(work, "審査待ち") == "1件"
        and stat(work, "住民でない") == "1件"
    )
    assert stat(work, "作成したケース") == "4件" and stat(work, "印刷した通知書") == "4通"
    assert stat(work, "記録した回答") == "1件" and stat(work, "通知後の加入") == "1件"
    assert stat(work, "加入率（過去12か月）") == "25.0%"
    assert stat(work, "回答期限切れ") == "1件" and stat(work, "今月の返戻") == "1通"
    assert "今週が回答期限" in work
    intake = section(page, "intake-h")
    assert stat(intake, "受け付けたファイル") == "3件" and stat(intake, "取込不可のファイル") == "1件"
    assert "ISA 特定技能ファイル 別紙2" in intake and "isa_annex2.csv" in intake
    # counts only: no person's name on the dashboard
    assert "NGUYEN" not in page and "TRAN THI BINH" not in page


def test_another_municipalitys_clerk_sees_none_of_our_counts(municipality, clerk, other_clerk):
    town(municipality, clerk)
    files(municipality)
    page = signed_in(other_clerk).get(reverse("dashboard")).content.decode()
    work = section(page, "work-h")
    for label in ("住民と照合", "審査待ち", "作成したケース", "記録した回答", "通知後の加入", "回答期限切れ"):
        assert stat(work, label).startswith("0"), label
    assert stat(section(page, "intake-h"), "受け付けたファイル") == "0件"
    assert "isa_annex2.csv" not in page
    funnel = selectors.funnel(user=other_clerk, today=timezone.localdate())
    assert funnel.total.records == funnel.total.matched == 0


def test_the_funnel_follows_each_month_of_isa_data_to_enrollment(
    municipality, other_municipality, clerk, other_clerk
):
    today = timezone.localdate()
    month = previous_month(today)
    town(municipality, clerk, month=month)
    town(other_municipality, other_clerk, month=month)
    earlier = add_months(month, -2)
    from tests.linking.helpers import isa_batch, match

    match(isa_batch(municipality, [{"name": "NOBODY KNOWN", "birth_date": date(1990, 1, 1)}], month=earlier))

    funnel = selectors.funnel(user=clerk, today=today)
    assert [m.month for m in funnel.months] == [add_months(month, -i) for i in range(11, -1, -1)]
    rows = {m.month: m for m in funnel.months}
    assert (rows[month].records, rows[month].matched, rows[month].letters, rows[month].enrolled) == (
        6,
        4,
        4,
        1,
    )
    assert (rows[earlier].records, rows[earlier].matched, rows[earlier].letters) == (1, 0, 0)
    assert rows[add_months(month, -1)].records == 0
    assert (funnel.total.records, funnel.total.enrolled, funnel.total.conversion_text) == (7, 1, "25.0%")
    # the chart has the same numbers as its table, month by month
    assert funnel.chart.table_head == ["ISAデータの月", "ISA記録", "住民と照合", "通知書を送付", "加入"]
    assert funnel.chart.table_rows[-1] == (f"{month.year}年{month.month}月", ["6", "4", "4", "1"])
    assert len(funnel.chart.bars) == 48

    page = signed_in(clerk).get(reverse("dashboard")).content.decode()
    chart = section(page, "funnel-h")
    assert '<figure class="chart"' in chart and 'role="img"' in chart and "<desc" in chart
    assert "<caption>ISAデータの月別の件数</caption>" in chart and 'scope="row"' in chart
    assert "style=" not in chart


def test_the_funnel_ends_with_the_newest_month_of_data(municipality, clerk):
    """ISA files arrive a month or more late: the twelve months end with the newest data held."""
    old = add_months(timezone.localdate().replace(day=1), -14)
    from tests.linking.helpers import isa_batch

    isa_batch(municipality, [{}], month=old)
    funnel = selectors.funnel(user=clerk, today=timezone.localdate())
    assert funnel.last == old and funnel.months[-1].records == 1


def test_the_review_queue_by_age(municipality, clerk, supervisor):
    town(municipality, clerk)
    from tests.linking.helpers import isa_batch, match

    twins_again = [{"name": "TRAN THI BINH", "birth_date": date(1995, 1, 3), "sex": "F"}]
    for _ in range(3):
        match(isa_batch(municipality, twins_again, month=date(2026, 1, 1)))
    waiting = list(MatchDecision.objects.filter(status=LinkStatus.PENDING_REVIEW).order_by("pk"))
    assert len(waiting) == 4
    now = timezone.now()
    for decision, days in zip(waiting, (0, 9, 45, 61), strict=True):
        MatchDecision.objects.filter(pk=decision.pk).update(decided_at=now - timedelta(days=days))
    ageing = selectors.review_ageing(user=supervisor, today=timezone.localdate(), reasons=True)
    assert [b.count for b in ageing.bands] == [1, 1, 0, 1, 1]
    assert (ageing.total, ageing.over_30) == (4, 2)
    assert ageing.oldest == timezone.localtime(now - timedelta(days=61)).date() and ageing.longest_days == 61
    assert ageing.by_reason == [("氏名・生年月日・性別が同じ住民が複数", 4)]
    assert ageing.chart.show_values and [b.value_text for b in ageing.chart.bars] == ["1", "1", "0", "1", "1"]

    page = signed_in(supervisor).get(reverse("dashboard")).content.decode()
    panel = section(page, "review-age-h")
    assert stat(panel, "審査待ち") == "4件" and stat(panel, "30日以上") == "2件"
    assert stat(panel, "最も長く待っている").startswith("61日")
    assert 'class="chart-value"' in panel  # values printed on the bars: readable on paper


def test_collection_rates_come_from_the_collection_rate_selector(municipality, clerk):
    from tests.receipts.helpers import assess

    arrears_town(municipality)
    assess(municipality, "10000000099")
    pay(municipality, "10000000099", instalment=1, amount=10_000, on=date(2025, 6, 30))
    page = signed_in(clerk).get(reverse("dashboard")).content.decode()
    panel = section(page, "collection-h")
    from arrears.selectors import collection_rates

    latest = collection_rates(municipality_id=municipality.pk, today=timezone.localdate())[0]
    assert stat(panel, f"全世帯（{latest.fiscal_year}年度の累計）") == latest.rate_all_text
    assert stat(panel, "世帯主が外国籍の世帯") == latest.rate_foreign_text
    assert "chart-series-1" in panel and "chart-series-2" in panel and "数字を表で見る" in panel


ROLE_PANELS = {
    # persona: (panel headings shown, headings not shown)
    "clerk": (["system-h", "intake-h", "work-h", "funnel-h", "collection-h"], ["review-age-h", "audit-h"]),
    "supervisor": (
        ["system-h", "intake-h", "work-h", "funnel-h", "review-age-h", "collection-h"],
        ["audit-h"],
    ),
    "auditor": (["audit-h"], ["system-h", "intake-h", "work-h", "funnel-h", "review-age-h", "collection-h"]),
    "administrator": (
        ["system-h", "audit-h"],
        ["intake-h", "work-h", "funnel-h", "review-age-h", "collection-h"],
    ),
}


@pytest.mark.parametrize("persona", ROLE_PANELS)
def test_each_role_sees_the_panels_it_may(persona, request, municipality):
    user = request.getfixturevalue(persona)
    page = signed_in(user).get(reverse("dashboard")).content.decode()
    shown, hidden = ROLE_PANELS[persona]
    for heading in shown:
        assert f'id="{heading}"' in page, heading
    for heading in hidden:
        assert f'id="{heading}"' not in page, heading
    menu = page[page.index('class="site-nav"') : page.index("</nav>", page.index('class="site-nav"'))]
    assert (reverse("supervisor-overview") in menu) is (persona == "supervisor")


def test_the_auditor_sees_this_months_access_log(municipality, auditor, clerk, two_towns):
    signed_in(clerk).get(reverse("case-list"))  # one read, naming the people on the page
    page = signed_in(auditor).get(reverse("dashboard")).content.decode()
    panel = section(page, "audit-h")
    assert stat(panel, "閲覧・出力") == "1件" and stat(panel, "対象（延べ人数）") == "4人"
    assert reverse("access-log-summary") in panel


def _dashboard_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("dashboard")).status_code == 200
    return len(queries)


def test_the_dashboard_takes_a_fixed_number_of_queries(
    municipality, clerk, supervisor, django_assert_max_num_queries
):
    client = signed_in(supervisor)
    town(municipality, clerk)
    files(municipality)
    small = _dashboard_queries(client)
    # twice the work, more months, more staff, failed jobs: the same number of queries
    town(municipality, clerk, month=add_months(previous_month(timezone.localdate()), -3), tag="B")
    files(municipality)
    from nhi_portal.models import Job

    for n in range(8):
        Job.objects.create(
            kind="import", municipality=municipality, title=f"取込 {n}", status="failed", error="x"
        )
    assert _dashboard_queries(client) == small
    with django_assert_max_num_queries(25):
        client.get(reverse("dashboard"))


def test_the_page_prints_its_charts_with_their_numbers(municipality, clerk):
    town(municipality, clerk)
    page = signed_in(clerk).get(reverse("dashboard")).content.decode()
    assert page.count("data-print-open") == page.count('<figure class="chart"') >= 1
    assert "data-print hidden" in page  # the print button (shown by portal.js)
    assert text(section(page, "funnel-h")).count("数字を表で見る") == 1
