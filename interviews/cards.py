"""What a student sees on a course card: one function, tested as a table
(interviews/tests/test_cards.py), and a batch version for whole pages."""

import functools
from dataclasses import dataclass
from datetime import timedelta

from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from interviews.models import InterviewRequest, RequestStatus
from payments.models import Payment, PaymentStatus
from portal.dates import site_time

ROOM_WATCH_AHEAD = timedelta(hours=1)


class Tone:
    """Badge tones of interview states; a payment's come from its own
    `badge` (payments/models.py), the one mapping for payments."""

    OK = "ok"
    WAIT = "wait"
    BAD = "bad"
    NONE = ""


@dataclass(frozen=True)
class CardState:
    badge: str
    tone: str
    action_label: str | None = None
    action_url: str | None = None
    action_enabled: bool = False
    waiting_on_approver: bool = False
    note: str = ""
    # The room opens within the hour: keep polling so "Go to interview" turns
    # on by itself, without a reload.
    opens_soon: bool = False
    # A second, quieter link (e.g. "Book another" beside "Read your feedback").
    more_label: str | None = None
    more_url: str | None = None

    @property
    def should_poll(self):
        return self.waiting_on_approver or self.opens_soon

    @property
    def key(self):
        """Changes whenever anything the student sees changes (for live updates)."""
        return "|".join(
            [self.badge, self.action_label or "", str(self.action_enabled), self.note]
        )


@functools.lru_cache(maxsize=4096)
def _url(name, *args):
    # Every card of every student page links somewhere: the URLs of a process do
    # not change, so each is reversed once. A card without its link is better
    # than a page that fails if a URL is ever renamed.
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _action(label, url):
    return {"action_label": label, "action_url": url, "action_enabled": url is not None}


def _disabled(label):
    return {"action_label": label, "action_url": None, "action_enabled": False}


INTERVIEW_WORDS = {
    RequestStatus.PENDING: ("Schedule request pending", Tone.WAIT),
    RequestStatus.SCHEDULED: ("Scheduled", Tone.OK),
    RequestStatus.REJECTED: ("Request rejected", Tone.BAD),
    RequestStatus.CANCELLED: ("Cancelled", Tone.NONE),
    RequestStatus.COMPLETED: ("Interview completed", Tone.OK),
    RequestStatus.MISSED: ("Interview missed", Tone.BAD),
}


def interview_words(interview):
    """(label, tone) of an interview request in the card's words."""
    if interview.status == RequestStatus.COMPLETED and interview.reviewed_at:
        return "Feedback ready", Tone.OK
    return INTERVIEW_WORDS[interview.status]


def card_state_for(course, payment, request, now=None, email_verified=True):
    """The card state for `course`, given the student's newest payment for it and
    the newest request on that payment (either may be None), and whether the
    student has verified their email (needed before paying)."""
    now = now or timezone.now()
    pay_url = _url("payments:pay", course.slug)
    request_url = _url("interviews:request", course.slug)

    if not email_verified and (
        payment is None or payment.status == PaymentStatus.REJECTED
    ):
        return CardState(
            "Verify your email",
            Tone.WAIT,
            note="Open the link we emailed you, then you can pay.",
            **_action("Verify your email", _url("accounts:verify_email")),
        )

    if payment is None:
        # The fee is on the card already: the badge says where the student is.
        return CardState(
            "Not booked yet", Tone.NONE, **_action("Pay & Schedule", pay_url)
        )
    if payment.status == PaymentStatus.PENDING_VERIFICATION:
        return CardState(
            payment.student_label,
            payment.badge,
            waiting_on_approver=True,
            note="We are checking your payment. This page updates by itself.",
            **_disabled("Request interview"),
        )
    if payment.status == PaymentStatus.REJECTED:
        return CardState(
            f"{payment.student_label}: {payment.remarks}".rstrip(": "),
            payment.badge,
            **_action("Pay again", pay_url),
        )

    status = request.status if request is not None else None
    if status in (None, RequestStatus.CANCELLED):
        return CardState(
            payment.student_label,
            payment.badge,
            **_action("Request interview", request_url),
        )
    if status == RequestStatus.PENDING:
        return CardState(
            "Schedule request pending",
            Tone.WAIT,
            waiting_on_approver=True,
            note=f"You asked for {site_time(request.preferred_at)}.",
            **_disabled("Request interview"),
        )
    if status == RequestStatus.SCHEDULED:
        is_open = request.room_is_open(now)
        room_url = _url("interviews:room", request.public_id)
        note = (
            "" if is_open else f"The room opens at {site_time(request.room_opens_at)}."
        )
        opens_soon = not is_open and (
            now < request.room_opens_at <= now + ROOM_WATCH_AHEAD
        )
        return CardState(
            f"Scheduled on {site_time(request.scheduled_at)}",
            Tone.OK,
            action_label="Go to interview",
            action_url=room_url if is_open else None,
            action_enabled=is_open and room_url is not None,
            note=note,
            opens_soon=opens_soon,
        )
    if status == RequestStatus.REJECTED:
        return CardState(
            f"Request rejected: {request.rejection_reason}",
            Tone.BAD,
            **_action("Reschedule", request_url),
        )
    if status == RequestStatus.COMPLETED and request.reviewed_at is not None:
        return CardState(
            "Feedback ready",
            Tone.OK,
            note="" if request.feedback_read_at else "Your reviewer's feedback is in.",
            **_action(
                "Read your feedback", _url("interviews:report", request.public_id)
            ),
            more_label="Book another (pay again)",
            more_url=pay_url,
        )
    if status == RequestStatus.COMPLETED:
        # Waiting on a reviewer: the card polls, so "Feedback ready" shows up.
        return CardState(
            "Interview completed",
            Tone.OK,
            waiting_on_approver=True,
            note="A reviewer is watching your answers. Your feedback appears here.",
            **_action("Book another (pay again)", pay_url),
        )
    # MISSED: the payment stays used; only an approver can give a new time.
    return CardState(
        "Interview missed",
        Tone.BAD,
        note="An approver can reopen it with a new time: reply to any email from us.",
    )


def card_states_for(student, courses, now=None):
    """{course.pk: CardState} for every course, from the student's records
    (`student_records`: two queries), whatever the number of courses, payments
    and requests."""
    now = now or timezone.now()
    newest_payment, newest_request = student_records(student.pk)
    states = {}
    for course in courses:
        payment = newest_payment.get(course.pk)
        interview = newest_request.get(payment.pk) if payment else None
        if interview is not None:
            interview.course = course  # no extra query
        states[course.pk] = card_state_for(
            course, payment, interview, now, student.email_verified_at is not None
        )
    return states


def student_records(student_id):
    """The student's newest payment per course, and the newest request on each."""
    newest_payment = {}
    payments = Payment.objects.filter(student_id=student_id).only(
        "course_id", "status", "remarks", "consumed_at", "created_at"
    )
    for payment in payments.order_by("created_at", "pk"):
        newest_payment[payment.course_id] = payment
    newest_request = {}
    if newest_payment:
        requests = InterviewRequest.objects.filter(
            payment_id__in=[payment.pk for payment in newest_payment.values()]
        ).order_by("created_at", "pk")
        for interview in requests:
            newest_request[interview.payment_id] = interview
    return newest_payment, newest_request
