"""Arrears pages: the list as of a date, households, agreements, the linkage exports, collection rates."""

from django.urls import path

from arrears import views

urlpatterns = [
    path("", views.ArrearsHomeView.as_view(), name="arrears-home"),
    path("arrears.csv", views.ArrearsCsvView.as_view(), name="arrears-csv"),
    path("households/<str:code>/", views.HouseholdView.as_view(), name="arrears-household"),
    path("households/<str:code>/agreements/new/", views.AgreementNewView.as_view(), name="agreement-new"),
    path("agreements/<int:pk>/cancel/", views.AgreementCancelView.as_view(), name="agreement-cancel"),
    path("linkage/", views.LinkageListView.as_view(), name="linkage-list"),
    path("linkage/new/", views.LinkageNewView.as_view(), name="linkage-new"),
    path("linkage/settings/", views.LinkageSettingsView.as_view(), name="linkage-settings"),
    path("linkage/<int:pk>/", views.LinkageDetailView.as_view(), name="linkage-detail"),
    path("linkage/<int:pk>/approve/", views.LinkageApproveView.as_view(), name="linkage-approve"),
    path("linkage/<int:pk>/withdraw/", views.LinkageWithdrawView.as_view(), name="linkage-withdraw"),
    path("linkage/<int:pk>/verify/", views.LinkageVerifyView.as_view(), name="linkage-verify"),
    path("linkage/<int:pk>/download/", views.LinkageDownloadView.as_view(), name="linkage-download"),
    path("collection/", views.CollectionRateView.as_view(), name="collection-rates"),
    path("collection.csv", views.CollectionRateCsvView.as_view(), name="collection-rates-csv"),
]
