"""The scheduling emails. Each is called by the model transition that caused it,
after the transition won; portal.emails sends only once the transaction commits."""

from django.conf import settings
from django.urls import reverse

from interviews.ics import interview_invite
from portal.emails import send_on_commit


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


def _send(name, interview, attachments=()):
    send_on_commit(name, _context(interview), [interview.student.email], attachments)


def send_scheduled(interview):
    invite = ("interview.ics", interview_invite(interview), "text/calendar")
    _send("interview_scheduled", interview, [invite])


def send_rejected(interview):
    _send("interview_rejected", interview)


def send_cancelled(interview):
    _send("interview_cancelled", interview)


def send_reminder(interview):
    _send("interview_reminder", interview)


def send_feedback_published(interview):  # issue 16
    report = reverse("interviews:report", args=[interview.public_id])
    send_on_commit(
        "interview_feedback",
        {**_context(interview), "report_path": report},
        [interview.student.email],
    )
