"""Scheduling rules that span models: which payment pays for a request, creating a
request race-safely, and which interviews overlap a slot."""

from datetime import datetime, timedelta

from django.db import IntegrityError
from django.utils import timezone

from interviews.models import (
    PAYMENT_USING_STATUSES,
    InterviewRequest,
    RequestStatus,
)
from payments.models import LIVE_PAYMENT, Payment, PaymentStatus
from portal.db import atomic

# The longest a course can last (InterviewCourse.duration_minutes validator).
LONGEST_INTERVIEW = timedelta(minutes=240)


class RequestRefused(Exception):
    """A request the student may not make; the message is shown to them."""


def usable_payment_for(student, course):
    """The student's completed, not yet consumed payment for `course` that no
    pending, scheduled, completed or missed request uses, or None."""
    return (
        Payment.objects.filter(
            LIVE_PAYMENT, student=student, course=course, status=PaymentStatus.COMPLETED
        )
        .exclude(interview_requests__status__in=PAYMENT_USING_STATUSES)
        .order_by("-created_at")
        .first()
    )


def create_request(student, course, preferred_at, notes=""):
    """Create a pending request paid by the student's usable payment.

    Raises RequestRefused when there is no usable payment or when another request
    won a race for the same payment or course (the database constraints decide).
    """
    payment = usable_payment_for(student, course)
    if payment is None:
        raise RequestRefused(
            "You need a verified payment for this course before requesting an "
            "interview."
        )
    try:
        with atomic():
            interview = InterviewRequest.objects.create(
                student=student,
                course=course,
                payment=payment,
                preferred_at=preferred_at,
                notes=notes,
            )
    except IntegrityError as exc:
        raise RequestRefused(
            "You already have an open interview request for this course."
        ) from exc
    return interview


def overlapping_interviews(start, duration, exclude=None):
    """Scheduled interviews (any course, any approver) whose time overlaps
    [start, start + duration). Narrowed in the database, exact in Python, so no
    database-specific date arithmetic is needed."""
    end = start + duration
    candidates = InterviewRequest.objects.filter(
        status=RequestStatus.SCHEDULED,
        scheduled_at__lt=end,
        scheduled_at__gt=start - LONGEST_INTERVIEW,
    ).select_related("course", "student")
    if exclude is not None:
        candidates = candidates.exclude(pk=exclude.pk)
    return [
        other
        for other in candidates.order_by("scheduled_at")
        if other.scheduled_at + other.course.duration > start
    ]


def site_datetime(day, at):
    """A naive date and time in the site's time zone, as an aware datetime."""
    return timezone.make_aware(
        datetime.combine(day, at), timezone.get_default_timezone()
    )


def site_day_bounds(day):
    """[start, end) of a calendar day in the site's time zone."""
    start = site_datetime(day, datetime.min.time())
    return start, site_datetime(day + timedelta(days=1), datetime.min.time())
