from datetime import UTC, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from interviews.factories import InterviewCourseFactory, InterviewRequestFactory
from interviews.forms import InterviewRequestForm
from interviews.models import InterviewRequest, RequestStatus
from interviews.scheduling import RequestRefused, create_request, site_datetime
from payments.factories import CompletedPaymentFactory, PaymentFactory
from payments.models import PaymentStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    return InterviewCourseFactory(title="Data Analyst", slug="data-analyst")


@pytest.fixture
def paid(student, course):
    return CompletedPaymentFactory(student=student, course=course)


def _local_today():
    return timezone.localtime(timezone.now(), timezone.get_default_timezone()).date()


def _url(course):
    return reverse("interviews:request", args=[course.slug])


def _post(client, course, day, at="10:00", notes=""):
    return client.post(
        _url(course), {"date": day.isoformat(), "time": at, "notes": notes}
    )


def test_a_paid_student_requests_an_interview(student_client, student, course, paid):
    day = _local_today() + timedelta(days=3)
    response = _post(student_client, course, day, "10:30", "Evening works too.")
    assert response.status_code == 302
    interview = InterviewRequest.objects.get()
    assert interview.student == student
    assert interview.payment == paid
    assert interview.status == RequestStatus.PENDING
    assert interview.notes == "Evening works too."
    assert interview.preferred_at == site_datetime(day, time(10, 30))


def test_the_form_shows_the_site_time_zone(student_client, course, paid):
    body = student_client.get(_url(course)).content.decode()
    assert "Asia/Kolkata" in body
    assert 'type="date"' in body
    # 24-hour text, not type="time" (12-hour in many browsers' locales).
    assert 'placeholder="HH:MM"' in body
    assert 'type="time"' not in body


def test_the_form_states_every_booking_rule_up_front(student_client, course, paid):
    body = student_client.get(_url(course)).content.decode()
    assert "When you can book" in body
    assert "At least 12 hours from now" in body
    assert "days ahead" in body
    assert "24-hour time" in body
    assert "You can cancel until" in body


@pytest.mark.parametrize(
    ("days", "at", "field", "message"),
    [
        (-1, "10:00", "date", "That time has already passed"),
        (0, "00:01", "date", "That time has already passed"),
        (61, "10:00", "date", "Book at most 60 days ahead"),
        (3, "08:30", "time", "Choose a time between 09:00 and 20:00"),
        (3, "19:45", "time", "so that the 30-minute interview ends by 20:00"),
        (3, "20:30", "time", "Choose a time between 09:00 and 20:00"),
    ],
)
def test_each_slot_rule_has_a_clear_message_next_to_its_field(
    student_client, course, paid, days, at, field, message
):
    day = _local_today() + timedelta(days=days)
    response = _post(student_client, course, day, at, "keep me")
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert any(message in error for error in errors[field])
    body = response.content.decode()
    assert message in body
    assert "keep me" in body  # the input is kept
    assert f'value="{day.isoformat()}"' in body
    assert InterviewRequest.objects.count() == 0


def test_the_minimum_notice_is_enforced(course):
    now = datetime(2030, 1, 10, 4, 30, tzinfo=UTC)  # 10:00 IST
    form = InterviewRequestForm(
        {"date": "2030-01-10", "time": "18:00", "notes": ""}, course=course, now=now
    )
    assert not form.is_valid()
    assert form.errors["time"] == [
        "Book at least 12 hours ahead: the earliest possible time is "
        "Thu 10 Jan 2030, 22:00."
    ]


def test_the_last_bookable_day_is_accepted_and_the_next_refused(course):
    now = datetime(2030, 1, 10, 4, 30, tzinfo=UTC)  # 10:00 IST
    ok = InterviewRequestForm(
        {"date": "2030-03-11", "time": "09:30"}, course=course, now=now
    )
    late = InterviewRequestForm(
        {"date": "2030-03-11", "time": "10:30"}, course=course, now=now
    )
    assert ok.is_valid(), ok.errors
    assert not late.is_valid()
    assert "the last possible date is Mon 11 Mar 2030" in late.errors["date"][0]


def test_notes_longer_than_1000_characters_are_refused(student_client, course, paid):
    day = _local_today() + timedelta(days=3)
    response = _post(student_client, course, day, "10:00", "x" * 1001)
    assert response.status_code == 200
    assert "at most 1000 characters" in response.context["form"].errors["notes"][0]
    assert InterviewRequest.objects.count() == 0


def test_missing_date_and_time_are_reported(student_client, course, paid):
    response = student_client.post(_url(course), {"date": "", "time": "", "notes": ""})
    assert response.context["form"].errors["date"] == ["This field is required."]
    assert response.context["form"].errors["time"] == ["This field is required."]


@pytest.mark.parametrize("tz_name", ["Asia/Kolkata"])
def test_a_late_evening_slot_lands_on_the_chosen_ist_date(settings, course, tz_name):
    """23:30 IST is 18:00 UTC the same day; 01:00 IST is 19:30 UTC the day before."""
    settings.INTERVIEW_BOOKABLE_START = time(0, 0)
    settings.INTERVIEW_BOOKABLE_END = time(23, 59)
    settings.INTERVIEW_MIN_NOTICE_HOURS = 1
    now = datetime(2030, 1, 10, 4, 30, tzinfo=UTC)
    late = InterviewRequestForm(
        {"date": "2030-01-12", "time": "23:00"}, course=course, now=now
    )
    assert late.is_valid(), late.errors
    assert late.cleaned_data["preferred_at"] == datetime(
        2030, 1, 12, 17, 30, tzinfo=UTC
    )
    early = InterviewRequestForm(
        {"date": "2030-01-13", "time": "01:00"}, course=course, now=now
    )
    assert early.is_valid(), early.errors
    assert early.cleaned_data["preferred_at"] == datetime(
        2030, 1, 12, 19, 30, tzinfo=UTC
    )


def test_a_request_made_at_2330_ist_counts_days_in_ist(course):
    # 23:30 IST on 10 Jan is 18:00 UTC on 10 Jan; "tomorrow" is 11 Jan in IST.
    now = datetime(2030, 1, 10, 18, 0, tzinfo=UTC)
    form = InterviewRequestForm(
        {"date": "2030-01-11", "time": "12:00"}, course=course, now=now
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["preferred_at"] == datetime(2030, 1, 11, 6, 30, tzinfo=UTC)
    # 10 Jan is already over in IST even though it is still 10 Jan in UTC.
    past = InterviewRequestForm(
        {"date": "2030-01-10", "time": "19:00"}, course=course, now=now
    )
    assert "That time has already passed" in past.errors["date"][0]


def test_the_preferred_time_is_shown_in_ist(student_client, student, course):
    InterviewRequestFactory(
        student=student,
        course=course,
        preferred_at=datetime(2030, 1, 11, 6, 30, tzinfo=UTC),
    )
    body = student_client.get(reverse("interviews:my_interviews")).content.decode()
    assert "Fri 11 Jan 2030, 12:00" in body


def test_a_student_without_a_payment_is_refused_on_the_server(student_client, course):
    day = _local_today() + timedelta(days=3)
    response = _post(student_client, course, day)
    assert response.status_code == 302
    assert InterviewRequest.objects.count() == 0
    page = student_client.get(response["Location"]).content.decode()
    assert "You need a verified payment for this course" in page


@pytest.mark.parametrize(
    "status", [PaymentStatus.PENDING_VERIFICATION, PaymentStatus.REJECTED]
)
def test_an_unverified_payment_does_not_pay_for_a_request(
    student_client, student, course, status
):
    PaymentFactory(student=student, course=course, status=status)
    response = _post(student_client, course, _local_today() + timedelta(days=3))
    assert response.status_code == 302
    assert InterviewRequest.objects.count() == 0


def test_another_students_payment_does_not_count(student_client, other_student, course):
    CompletedPaymentFactory(student=other_student, course=course)
    _post(student_client, course, _local_today() + timedelta(days=3))
    assert InterviewRequest.objects.count() == 0


def test_a_double_submit_creates_one_request(student_client, course, paid):
    day = _local_today() + timedelta(days=3)
    _post(student_client, course, day)
    second = _post(student_client, course, day)
    assert InterviewRequest.objects.count() == 1
    page = student_client.get(second["Location"]).content.decode()
    assert "You already have an open interview request for this course" in page


@pytest.mark.undone_in_the_test_transaction
def test_a_race_lost_to_the_database_constraint_saves_nothing(student, course):
    # An open request on an older payment: the constraint, not the view's
    # check, has the last word.
    used = CompletedPaymentFactory(student=student, course=course)
    InterviewRequestFactory(student=student, course=course, payment=used)
    used.mark_consumed()
    CompletedPaymentFactory(student=student, course=course)
    with pytest.raises(RequestRefused, match="already have an open interview request"):
        create_request(student, course, timezone.now() + timedelta(days=2))
    assert InterviewRequest.objects.count() == 1


def test_after_a_rejection_the_same_payment_pays_for_a_new_request(
    student_client, student, approver, course, paid
):
    first = InterviewRequestFactory(student=student, course=course, payment=paid)
    assert first.reject(approver, "No approver free that day")
    body = student_client.get(reverse("dashboard")).content.decode()
    assert "Request rejected: No approver free that day" in body
    assert "Reschedule" in body
    _post(student_client, course, _local_today() + timedelta(days=4))
    newest = InterviewRequest.objects.order_by("-created_at").first()
    assert newest.pk != first.pk
    assert newest.payment == paid
    assert newest.status == RequestStatus.PENDING


def test_an_inactive_course_cannot_be_requested(student_client, student):
    course = InterviewCourseFactory(is_active=False)
    CompletedPaymentFactory(student=student, course=course)
    assert student_client.get(_url(course)).status_code == 404


def test_the_request_page_requires_login(client, course):
    response = client.get(_url(course))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
