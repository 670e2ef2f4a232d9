"""Celery tasks of the indexer app (thin: the work is in indexer.stats).

`update_daily_stats` runs on the beat schedule in settings (CELERY_BEAT_SCHEDULE); in the
embedded `manage.py run` (no broker) a timer thread calls it instead.
"""

from __future__ import annotations

from celery import shared_task

from indexer import stats


@shared_task(name="indexer.tasks.update_daily_stats", ignore_result=True)
def update_daily_stats(days: int = 3, full: bool = False) -> int:
    """Recompute the DailyStat rows of the last `days` days (all days when `full`)."""
    return stats.update_daily_stats(days, full=full)
