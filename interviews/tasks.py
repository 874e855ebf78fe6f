"""The interviews app's periodic tasks: what cron used to run. The logic is in
interviews/housekeeping.py, shared with the management commands."""

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from interviews import housekeeping

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*/5"))
def send_reminders():
    sent = housekeeping.send_due_reminders()
    if sent:
        logger.info("queued %d interview reminder(s)", sent)
    return sent


@db_periodic_task(crontab(minute="*/5"))
def close_missed_interviews():
    missed, completed = housekeeping.close_missed_interviews()
    if missed or completed:
        logger.info("closed interviews: %d missed, %d completed", missed, completed)
    return missed, completed


@db_periodic_task(crontab(minute="17", hour="3"))
def purge_recordings():
    deleted, interviews = housekeeping.purge_expired_recordings()
    if deleted:
        logger.info("purged %d recording(s) of %d interview(s)", deleted, interviews)
    return deleted


@db_periodic_task(crontab(minute="23"))
def clean_stale_uploads():
    removed = housekeeping.clean_stale_uploads()
    if removed:
        logger.info("removed %d stale temporary upload(s)", removed)
    return removed
