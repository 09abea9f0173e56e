"""URL map. Pages are Japanese server-rendered views; /api/ is the REST API (DRF)."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import IsAuthenticated

from nhi_portal import views
from nhi_portal.security import account, signin, twofactor

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("accounts/login/", signin.SignInView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/2fa/setup/", twofactor.SetupView.as_view(), name="otp-setup"),
    path("accounts/2fa/verify/", twofactor.VerifyView.as_view(), name="otp-verify"),
    path("accounts/2fa/remove/", twofactor.RemoveView.as_view(), name="otp-remove"),
    path("account/", account.AccountView.as_view(), name="account"),
    path(
        "account/sign-out-everywhere/",
        account.SignOutEverywhereView.as_view(),
        name="account-sign-out-everywhere",
    ),
    path("account/token/", account.TokenCreateView.as_view(), name="account-token-create"),
    path("account/token/revoke/", account.TokenRevokeView.as_view(), name="account-token-revoke"),
    path("audit/", include("nhi_portal.auditing.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("nightly/<int:pk>/rerun/", views.NightlyRerunView.as_view(), name="nightly-rerun"),
    path("jobs/<int:pk>/", views.JobDetailView.as_view(), name="job-detail"),
    path("jobs/<int:pk>/progress/", views.JobProgressView.as_view(), name="job-progress"),
    path("imports/", include("enrollment.intake.urls")),
    path("", include("enrollment.urls")),
    path("receipts/", include("receipts.urls")),
    path("arrears/", include("arrears.urls")),
    path("api/", include("nhi_portal.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]), name="api-schema"),
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", permission_classes=[IsAuthenticated]),
        name="api-docs",
    ),
    path("admin/", admin.site.urls),
]
