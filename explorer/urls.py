"""Explorer page routes (the REST API is included separately under /api/)."""

from django.urls import path

from explorer import views

app_name = "explorer"
urlpatterns = [
    path("", views.home, name="home"),
    path("node-status", views.node_card, name="node-status"),
    path("block/<str:block_hash>", views.block, name="block"),
    path("block-height/<str:height>", views.block_height, name="block-height"),
    path("tx/<str:txid>", views.tx, name="tx"),
    path("address/<str:address>", views.address, name="address"),
    path("address/<str:address>/csv", views.address_csv, name="address-csv"),
    path("mempool", views.mempool, name="mempool"),
    path("tickets", views.tickets, name="tickets"),
    path("charts", views.charts, name="charts"),
    path("search", views.search, name="search"),
    path("search/suggest", views.suggest, name="suggest"),
]
