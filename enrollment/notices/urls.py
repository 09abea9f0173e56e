"""Notice pages (enrollment.notices.views): the draft from a person's page, one notice and its
actions (each a form and a confirm page), the PDF and documents, the register and its CSV."""

from django.urls import path

from enrollment.notices import views

_ACTIONS = ["submit", "approve", "reject", "withdraw", "sent"]

urlpatterns = [
    path("people/<int:pk>/notices/new/", views.NoticeCreateView.as_view(), name="notice-create"),
    path("notices/", views.NoticeRegisterView.as_view(), name="notice-register"),
    path("notices/work/", views.NoticeWorkListView.as_view(), name="notice-work"),
    path("notices/export.csv", views.NoticeRegisterCsvView.as_view(), name="notice-register-csv"),
    path("notices/<int:pk>/", views.NoticeDetailView.as_view(), name="notice-detail"),
    path("notices/<int:pk>/edit/", views.NoticeEditView.as_view(), name="notice-edit"),
    path("notices/<int:pk>/pdf/", views.NoticePdfView.as_view(), name="notice-pdf"),
    path("notices/documents/<int:pk>/", views.NoticeDocumentView.as_view(), name="notice-document"),
    *(
        route
        for action in _ACTIONS
        for route in (
            path(
                f"notices/<int:pk>/{action}/",
                views.NoticeActionView.as_view(action=action),
                name=f"notice-{action}",
            ),
            path(
                f"notices/<int:pk>/{action}/confirm/",
                views.NoticeConfirmView.as_view(action=action),
                name=f"notice-{action}-confirm",
            ),
        )
    ),
]
