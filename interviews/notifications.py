"""Who is emailed about an interview, and with what. The only place that decides
it: interviews/services.py (and the periodic tasks, the upload code and the
review admin) call these after a transition won; portal.emails records the email
and enqueues it once the transaction commits.

Each email's key is "interview:<public_id>:<event>", with the scheduled time for
events that can happen again after a reopen, so a retried task sends once and
the admin finds every email about an interview by prefix.
"""

from django.conf import settings
from django.urls import reverse

from accounts.roles import approvers
from interviews.ics import interview_invite
from portal.emails import send_on_commit


def email_key_prefix(interview):
    """Every email about this interview has a key starting with this."""
    return f"interview:{interview.public_id}:"


def _key(interview, event, when=None):
    suffix = f":{when:%Y%m%dT%H%M%S}" if when else ""
    return f"{email_key_prefix(interview)}{event}{suffix}"


def _context(interview):
    return {
        "interview": interview,
        "course": interview.course,
        "student": interview.student,
        "TIME_ZONE_NAME": settings.TIME_ZONE,
        "EARLY_MINUTES": settings.INTERVIEW_EARLY_ENTRY_MINUTES,
        "my_interviews_path": reverse("interviews:my_interviews"),
        "request_path": reverse("interviews:request", args=[interview.course.slug]),
    }


def _to_student(name, interview, key, attachments=()):
    send_on_commit(
        name, _context(interview), [interview.student.email], attachments, key=key
    )


def send_scheduled(interview):
    invite = ("interview.ics", interview_invite(interview), "text/calendar")
    _to_student(
        "interview_scheduled", interview, _key(interview, "scheduled"), [invite]
    )


def send_rejected(interview):
    _to_student("interview_rejected", interview, _key(interview, "rejected"))


def send_cancelled(interview):
    _to_student("interview_cancelled", interview, _key(interview, "cancelled"))


def send_reminder(interview):
    key = _key(interview, "reminder", interview.scheduled_at)
    _to_student("interview_reminder", interview, key)


def send_reopened(interview):
    key = _key(interview, "reopened", interview.scheduled_at)
    send_on_commit(
        "interview_reopened",
        {"interview": interview, "student": interview.student},
        [interview.student.email],
        key=key,
    )


def send_completed(interview):
    """Tell the approvers a recording waits for review."""
    send_on_commit(
        "interview_completed",
        {"interview": interview, "student": interview.student},
        sorted({user.email for user in approvers() if user.email}),
        key=_key(interview, "completed"),
    )


def send_feedback_published(interview):  # issue 16
    """The review is published: the student gets a link to the report."""
    report = reverse("interviews:report", args=[interview.public_id])
    send_on_commit(
        "interview_feedback",
        {**_context(interview), "report_path": report},
        [interview.student.email],
        key=_key(interview, "feedback", interview.reviewed_at),
    )
