from django.urls import include, path

urlpatterns = [
    path("", include("enrollment.linking.urls")),
    path("", include("enrollment.cases.urls")),
    path("", include("enrollment.letters_web.urls")),
    path("", include("enrollment.reports.urls")),
    path("", include("enrollment.notices.urls")),
]
