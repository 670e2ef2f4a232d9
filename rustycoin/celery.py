"""The Celery application; configured from Django settings (CELERY_* names).

Without REDIS_URL the broker is in-memory and tasks run eagerly in-process (embedded default).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rustycoin.settings")

app = Celery("rustycoin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
