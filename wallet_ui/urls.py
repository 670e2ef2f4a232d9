"""Web wallet routes."""

from django.urls import path

from wallet_ui import views

app_name = "wallet_ui"
urlpatterns = [path("", views.index, name="index")]
