"""The Celery application; configured from Django settings (CELERY_* names).

Without REDIS_URL the broker is in-memory and tasks run eagerly in-process (embedded default;
`manage.py run` then runs the periodic tasks from a timer thread). With Redis: `celery -A
rustycoin worker` and one `celery -A rustycoin beat` for CELERY_BEAT_SCHEDULE (the DailyStat
aggregates, indexer.tasks).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rustycoin.settings")

app = Celery("rustycoin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
