"""App config of the governance portal."""

from django.apps import AppConfig


class GovernanceUiConfig(AppConfig):
    name = "governance_ui"
    verbose_name = "Governance portal"
