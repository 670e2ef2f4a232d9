"""The Django project of Rusty Coin: settings, URLs, ASGI routing and the Celery app."""

from rustycoin.celery import app as celery_app

__all__ = ["celery_app"]
