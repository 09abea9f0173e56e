"""Issue 15 item 10: the error pages are Japanese, in the portal's layout, with a way back."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def _is_portal_page(html: str) -> None:
    assert '<html lang="ja">' in html and "国保加入促進ポータル" in html and 'class="site-header"' in html
    assert f'href="{reverse("dashboard")}"' in html and "ダッシュボードに戻る" in html
    assert "Not Found" not in html and "Forbidden" not in html and "Server Error" not in html


def test_404_is_japanese_in_the_layout_with_a_way_back(clerk):
    response = signed_in(clerk).get("/cases/999999/")
    html = response.content.decode()
    assert response.status_code == 404
    _is_portal_page(html)
    assert "ページが見つかりません" in html and "site-nav" in html  # the menu is there to go on


def test_403_is_japanese_and_says_what_to_do(clerk):
    response = signed_in(clerk).get(reverse("review-queue"))  # supervisors only
    html = response.content.decode()
    assert response.status_code == 403
    _is_portal_page(html)
    assert "このページを見る権限がありません" in html and "何も変更していません" in html


def test_400_and_500_render_in_the_layout(rf):
    from django.template.loader import render_to_string

    for code, title in (("400", "リクエストを処理できませんでした"), ("500", "システムでエラーが起きました")):
        html = render_to_string(f"{code}.html")  # 500 is rendered without a request
        _is_portal_page(html)
        assert title in html and f"エラー {code}" in html


def test_a_server_error_answers_the_japanese_page(clerk, settings):
    from django.urls import clear_url_caches, path

    from nhi_portal import urls

    def broken(request):
        raise RuntimeError("boom")

    settings.ROOT_URLCONF = type("urls", (), {"urlpatterns": [path("broken/", broken), *urls.urlpatterns]})
    clear_url_caches()
    client = signed_in(clerk)
    client.raise_request_exception = False
    response = client.get("/broken/")
    clear_url_caches()
    assert response.status_code == 500
    assert "システムでエラーが起きました" in response.content.decode()
