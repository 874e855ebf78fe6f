from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from interviews.cards import card_state_for, card_states_for
from interviews.factories import InterviewCourseFactory, InterviewRequestFactory
from interviews.models import InterviewCourse, InterviewRequest, RequestStatus
from payments.factories import CompletedPaymentFactory, PaymentFactory
from payments.models import Payment, PaymentStatus

NOW = timezone.now().replace(microsecond=0)
# 09:00 IST on a fixed day, far from the room window of NOW.
LATER = datetime(2031, 3, 14, 3, 30, tzinfo=UTC)


def _url(name, *args):
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _course():
    return InterviewCourse(
        pk=1, slug="data-analyst", title="Data Analyst", fee=Decimal("200.00")
    )


def _payment(status, remarks="", consumed=False):
    return Payment(
        pk=1,
        status=status,
        remarks=remarks,
        consumed_at=NOW if consumed else None,
    )


def _request(status, scheduled_at=None, reason="", reviewed_at=None):
    return InterviewRequest(
        course=_course(),
        status=status,
        preferred_at=LATER,
        scheduled_at=scheduled_at,
        rejection_reason=reason,
        reviewed_at=reviewed_at,
    )


COMPLETED = PaymentStatus.COMPLETED
CARD_TABLE = [
    # (payment, request, badge, tone, action, waiting on approver)
    (None, None, "Not booked yet", "", "Pay & Schedule", False),
    (
        _payment(PaymentStatus.PENDING_VERIFICATION),
        None,
        "Pending admin approval",
        "wait",
        "Request interview",
        True,
    ),
    (
        _payment(PaymentStatus.REJECTED, "UTR does not match"),
        None,
        "Payment rejected: UTR does not match",
        "bad",
        "Pay again",
        False,
    ),
    (_payment(COMPLETED), None, "Ready to schedule", "ok", "Request interview", False),
    (
        _payment(COMPLETED),
        _request(RequestStatus.PENDING),
        "Schedule request pending",
        "wait",
        "Request interview",
        True,
    ),
    (
        _payment(COMPLETED),
        _request(RequestStatus.SCHEDULED, scheduled_at=LATER),
        "Scheduled on Fri 14 Mar 2031, 09:00",
        "ok",
        "Go to interview",
        False,
    ),
    (
        _payment(COMPLETED),
        _request(RequestStatus.REJECTED, reason="No approver that day"),
        "Request rejected: No approver that day",
        "bad",
        "Reschedule",
        False,
    ),
    (
        _payment(COMPLETED, consumed=True),
        _request(RequestStatus.COMPLETED),
        "Interview completed",
        "ok",
        "Book another (pay again)",
        True,  # waiting on a reviewer: the card polls for "Feedback ready"
    ),
    (
        _payment(COMPLETED, consumed=True),
        _request(RequestStatus.COMPLETED, reviewed_at=NOW),
        "Feedback ready",
        "ok",
        "Read your feedback",
        False,
    ),
    (
        _payment(COMPLETED),
        _request(RequestStatus.CANCELLED),
        "Ready to schedule",
        "ok",
        "Request interview",
        False,
    ),
    (
        _payment(COMPLETED),
        _request(RequestStatus.MISSED),
        "Interview missed",
        "bad",
        None,
        False,
    ),
]


@pytest.mark.parametrize(
    ("payment", "interview", "badge", "tone", "action", "waiting"),
    CARD_TABLE,
    ids=[row[2].split(":")[0] + f"-{i}" for i, row in enumerate(CARD_TABLE)],
)
def test_card_state_table(payment, interview, badge, tone, action, waiting):
    state = card_state_for(_course(), payment, interview, NOW)
    assert state.badge == badge
    assert state.tone == tone
    assert state.action_label == action
    assert state.waiting_on_approver is waiting


VERIFY_FIRST = ("Verify your email", "wait", "Verify your email", False)


@pytest.mark.parametrize(
    ("payment", "interview", "badge", "tone", "action", "waiting"),
    CARD_TABLE,
    ids=[row[2].split(":")[0] + f"-{i}" for i, row in enumerate(CARD_TABLE)],
)
def test_card_state_table_for_an_unverified_email(
    payment, interview, badge, tone, action, waiting
):
    """Where the card would offer to pay, it asks to verify the email first;
    every other state reads as for a verified student."""
    state = card_state_for(_course(), payment, interview, NOW, email_verified=False)
    offers_to_pay = payment is None or payment.status == PaymentStatus.REJECTED
    expected = VERIFY_FIRST if offers_to_pay else (badge, tone, action, waiting)
    assert (
        state.badge,
        state.tone,
        state.action_label,
        state.waiting_on_approver,
    ) == expected
    if offers_to_pay:
        assert state.action_url == reverse("accounts:verify_email")


@pytest.mark.parametrize(
    ("payment", "interview", "url_name", "enabled"),
    [
        (None, None, "payments:pay", True),
        (_payment(PaymentStatus.PENDING_VERIFICATION), None, None, False),
        (_payment(PaymentStatus.REJECTED, "x"), None, "payments:pay", True),
        (_payment(COMPLETED), None, "interviews:request", True),
        (_payment(COMPLETED), _request(RequestStatus.PENDING), None, False),
        (
            _payment(COMPLETED),
            _request(RequestStatus.REJECTED, reason="x"),
            "interviews:request",
            True,
        ),
        (
            _payment(COMPLETED, consumed=True),
            _request(RequestStatus.COMPLETED),
            "payments:pay",
            True,
        ),
    ],
)
def test_card_actions_link_to_the_next_step(payment, interview, url_name, enabled):
    state = card_state_for(_course(), payment, interview, NOW)
    url = _url(url_name, "data-analyst") if url_name else None
    assert state.action_url == url
    # A link whose page is not installed yet is shown disabled, never broken.
    assert state.action_enabled is (enabled and url is not None)


def test_go_to_interview_is_enabled_only_while_the_room_is_open():
    interview = _request(RequestStatus.SCHEDULED, scheduled_at=LATER)
    before = card_state_for(
        _course(), _payment(COMPLETED), interview, LATER - timedelta(hours=1)
    )
    inside = card_state_for(_course(), _payment(COMPLETED), interview, LATER)
    after = card_state_for(
        _course(), _payment(COMPLETED), interview, LATER + timedelta(hours=3)
    )
    assert not before.action_enabled
    assert "The room opens at Fri 14 Mar 2031, 08:50" in before.note
    assert inside.action_enabled
    assert inside.action_url == _url("interviews:room", interview.public_id)
    assert not after.action_enabled


def test_cards_keep_polling_only_when_the_room_opens_within_the_hour():
    interview = _request(RequestStatus.SCHEDULED, scheduled_at=LATER)
    opens = interview.room_opens_at

    def state(now):
        return card_state_for(_course(), _payment(COMPLETED), interview, now)

    assert not state(opens - timedelta(hours=2)).should_poll
    assert state(opens - timedelta(minutes=30)).should_poll
    assert not state(opens).should_poll  # open now: the button is on
    assert state(opens - timedelta(minutes=30)).key != state(opens).key


def test_feedback_ready_links_to_the_report_and_to_booking_again():
    interview = _request(RequestStatus.COMPLETED, reviewed_at=NOW)
    state = card_state_for(_course(), _payment(COMPLETED, consumed=True), interview)
    assert state.action_url == _url("interviews:report", interview.public_id)
    assert state.action_enabled
    assert state.more_url == _url("payments:pay", "data-analyst")
    interview.feedback_read_at = NOW
    read = card_state_for(_course(), _payment(COMPLETED, consumed=True), interview)
    assert read.key != state.key  # the "feedback is in" note goes once read


@pytest.mark.django_db
def test_the_fee_shows_once_with_its_paise(student_client):
    InterviewCourseFactory(title="HR Round", fee=Decimal("249.50"))

    body = student_client.get(reverse("interviews:course_list")).content.decode()

    assert body.count("₹249.50") == 1  # on the card, not again in a badge
    assert "Not booked yet" in body


@pytest.mark.django_db
def test_the_newest_payment_and_its_newest_request_decide_the_card(student):
    course = InterviewCourseFactory()
    old = PaymentFactory(student=student, course=course, status=PaymentStatus.REJECTED)
    payment = CompletedPaymentFactory(student=student, course=course)
    Payment.objects.filter(pk=old.pk).update(created_at=NOW - timedelta(days=3))
    first = InterviewRequestFactory(
        student=student, course=course, payment=payment, status=RequestStatus.REJECTED
    )
    InterviewRequest.objects.filter(pk=first.pk).update(
        created_at=NOW - timedelta(days=1)
    )
    InterviewRequestFactory(student=student, course=course, payment=payment)
    states = card_states_for(student, [course])
    assert states[course.pk].badge == "Schedule request pending"


@pytest.mark.django_db
def test_other_students_payments_do_not_change_my_cards(student, other_student):
    course = InterviewCourseFactory()
    CompletedPaymentFactory(student=other_student, course=course)
    assert card_states_for(student, [course])[course.pk].badge == "Not booked yet"


def _fill(student, count):
    """`count` courses in every card state, with older payments and requests."""
    statuses = [None, "pending", "completed", "rejected"]
    for n in range(count):
        course = InterviewCourseFactory()
        kind = statuses[n % len(statuses)]
        if kind == "pending":
            PaymentFactory(student=student, course=course)
        elif kind == "rejected":
            PaymentFactory(student=student, course=course, status="rejected")
        elif kind == "completed":
            InterviewRequestFactory(
                student=student, course=course, status=RequestStatus.REJECTED
            )


@pytest.mark.django_db
@pytest.mark.parametrize("count", [2, 20])
@pytest.mark.parametrize("page", ["dashboard", "interviews:course_list"])
def test_pages_render_in_constant_queries(
    student_client, student, django_assert_max_num_queries, count, page
):
    _fill(student, count)
    student_client.get(reverse(page))  # the first visit after login saves the session
    # session + user + courses + payments + requests, whatever the count
    with django_assert_max_num_queries(5):
        response = student_client.get(reverse(page))
    assert response.status_code == 200
    assert response.content.decode().count('class="card"') == count


@pytest.mark.django_db
def test_the_pages_show_the_card_states_and_the_live_update_hooks(
    student_client, student
):
    course = InterviewCourseFactory(title="HR Round")
    PaymentFactory(student=student, course=course)
    for page in ["dashboard", "interviews:course_list"]:
        body = student_client.get(reverse(page)).content.decode()
        assert "Pending admin approval" in body
        assert 'data-waiting="true"' in body
        assert reverse("interviews:card_states") in body
        assert 'aria-live="polite"' in body
        assert "js/cards.js" in body


@pytest.mark.django_db
def test_card_states_returns_each_cards_fragment(student_client, student, approver):
    course = InterviewCourseFactory()
    payment = PaymentFactory(student=student, course=course)
    data = student_client.get(reverse("interviews:card_states")).json()
    assert data["waiting"] is True
    assert data["cards"][course.slug]["badge"] == "Pending admin approval"
    payment.approve(approver)
    data = student_client.get(reverse("interviews:card_states")).json()
    assert data["waiting"] is False
    card = data["cards"][course.slug]
    assert card["badge"] == "Ready to schedule"
    assert reverse("interviews:request", args=[course.slug]) in card["html"]


@pytest.mark.django_db
def test_card_states_requires_login(client):
    response = client.get(reverse("interviews:card_states"))
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("status", "label"),
    [
        (PaymentStatus.PENDING_VERIFICATION, "Pending admin approval"),
        (PaymentStatus.REJECTED, "Payment rejected"),
        (COMPLETED, "Ready to schedule"),
    ],
)
def test_payments_are_named_as_on_the_cards(status, label):
    assert _payment(status).student_label == label
    assert _payment(COMPLETED, consumed=True).student_label == "Used"


def test_every_interview_status_has_the_cards_words():
    from interviews.cards import interview_words

    for status in RequestStatus:
        assert interview_words(_request(status))[0]
    reviewed = _request(RequestStatus.COMPLETED, reviewed_at=NOW)
    assert interview_words(reviewed)[0] == "Feedback ready"
