"""App config of the web wallet."""

from django.apps import AppConfig


class WalletUiConfig(AppConfig):
    name = "wallet_ui"
    verbose_name = "Web wallet"
