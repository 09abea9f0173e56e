"""Case pages (enrollment.cases.views): the list and work lists, one case and its actions (each a
form and a confirm page), the ex officio export, and the person pages."""

from django.urls import path

from enrollment.cases import views

_CASE_ACTIONS = ["respond", "second", "propose", "approve", "reject", "close"]

urlpatterns = [
    path("cases/", views.CaseListView.as_view(), name="case-list"),
    path("cases/work/", views.WorkListsView.as_view(), name="case-worklists"),
    path("cases/ex-officio/", views.ExOfficioView.as_view(), name="ex-officio"),
    path("cases/ex-officio/confirm/", views.ExOfficioConfirmView.as_view(), name="ex-officio-confirm"),
    path(
        "cases/ex-officio/<int:export_id>/download/",
        views.ExOfficioDownloadView.as_view(),
        name="ex-officio-download",
    ),
    path("cases/<int:pk>/", views.CaseDetailView.as_view(), name="case-detail"),
    *(
        route
        for action in _CASE_ACTIONS
        for route in (
            path(
                f"cases/<int:pk>/{action}/",
                views.CaseActionView.as_view(action=action),
                name=f"case-{action}",
            ),
            path(
                f"cases/<int:pk>/{action}/confirm/",
                views.CaseConfirmView.as_view(action=action),
                name=f"case-{action}-confirm",
            ),
        )
    ),
    path(
        "cases/<int:pk>/letters/<int:letter_id>/returned/",
        views.CaseActionView.as_view(action="returned"),
        name="case-returned",
    ),
    path(
        "cases/<int:pk>/letters/<int:letter_id>/returned/confirm/",
        views.CaseConfirmView.as_view(action="returned"),
        name="case-returned-confirm",
    ),
    path("people/", views.PersonSearchView.as_view(), name="person-search"),
    path("people/<int:pk>/", views.PersonDetailView.as_view(), name="person-detail"),
]
