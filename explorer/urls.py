"""Explorer routes."""

from django.urls import path

from explorer import views

app_name = "explorer"
urlpatterns = [
    path("", views.home, name="home"),
    path("node-status", views.node_card, name="node-status"),
]
