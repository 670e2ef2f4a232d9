"""Top-level URL routes: explorer at /, governance, wallet, admin and a health check."""

from django.contrib import admin
from django.urls import include, path

from rustycoin import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/", include("explorer.api.urls")),
    path("governance/", include("governance_ui.urls")),
    path("wallet/", include("wallet_ui.urls")),
    path("", include("explorer.urls")),
]

handler404 = "rustycoin.views.not_found"
