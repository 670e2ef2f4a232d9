"""Governance portal routes."""

from django.urls import path

from governance_ui import views

app_name = "governance_ui"
urlpatterns = [path("", views.index, name="index")]
