"""The interview transitions as the site runs them: the model method decides,
and when it won, interviews/notifications.py tells whoever needs to know.
Views, admin actions and commands call these, never the bare transition, so no
path forgets an email and models never send one. The decision and its email
record commit together (one transaction), so a decision never loses its email."""

from interviews import notifications
from portal.db import atomic


def schedule_interview(interview, by, at, message=""):
    with atomic():
        won = interview.schedule(by, at, message)
        if won:
            notifications.send_scheduled(interview)
    return won


def reject_interview(interview, by, reason):
    with atomic():
        won = interview.reject(by, reason)
        if won:
            notifications.send_rejected(interview)
    return won


def cancel_interview(interview, by, now=None):
    with atomic():
        won = interview.cancel(by, now=now)
        if won:
            notifications.send_cancelled(interview)
    return won


def reopen_interview(interview, by, at, note=""):
    with atomic():
        won = interview.reopen(by, at, note)
        if won:
            notifications.send_reopened(interview)
    return won
