"""Queries per page do not grow with the data.

Each page is measured on a small data set, then the data grows (more scale
students with payments, requests and reviews; more history for the student under
test) and the page must take exactly as many queries again, within a fixed bound.
The bounds are what the pages take today: raise one only with a reason.
"""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.testing import log_in_verified
from bench.scale import seed_scale
from interviews.factories import InterviewRequestFactory
from interviews.models import InterviewCourse, InterviewRequest, RequestStatus
from payments.factories import CompletedPaymentFactory, PaymentFactory
from payments.models import Payment, PaymentStatus

pytestmark = pytest.mark.django_db

STUDENT = "scale000001"
APPROVER = "admin1"


def _seed_scale(count):
    call_command("seed_demo", "--allow-demo-passwords", stdout=StringIO())
    seed_scale(count, stdout=StringIO())


def _grow_history(student, rounds):
    """Old decided payments and finished requests on every course, as a student
    who has used the site for a long time has."""
    for course in InterviewCourse.objects.all():
        for _ in range(rounds):
            PaymentFactory(
                student=student,
                course=course,
                status=PaymentStatus.REJECTED,
                remarks="Amount mismatch.",
            )
            used = CompletedPaymentFactory(
                student=student, course=course, consumed_at=timezone.now()
            )
            for status in (RequestStatus.CANCELLED, RequestStatus.COMPLETED):
                InterviewRequestFactory(
                    student=student, course=course, payment=used, status=status
                )


def _queries(client, url, bound):
    client.get(url)  # per-process caches (content types, permissions) warm up
    with bound as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured)


def _pages(student):
    pending = (
        Payment.objects.filter(
            student=student, status=PaymentStatus.PENDING_VERIFICATION
        )
        .order_by("created_at")
        .first()
    )
    if pending is None:
        pending = PaymentFactory(student=student, course=InterviewCourse.objects.last())
    return {
        "student": {
            "dashboard": reverse("dashboard"),
            "course list": reverse("interviews:course_list"),
            "card states poll": reverse("interviews:card_states"),
            "my interviews": reverse("interviews:my_interviews"),
            "my interviews, last page": reverse("interviews:my_interviews")
            + "?page=last",
            "payment status poll": reverse("payments:status", args=[pending.public_id]),
        },
        "approver": {
            "admin index": reverse("admin:index"),
            # Both changelists open on their pending queue.
            "payments pending queue": reverse("admin:payments_payment_changelist"),
            "requests pending queue": reverse(
                "admin:interviews_interviewrequest_changelist"
            ),
            "review queue": reverse("admin:interviews_interviewtoreview_changelist"),
        },
    }


# The most queries each page may take, whatever the size of the data.
BOUNDS = {
    "dashboard": 5,
    "course list": 5,
    "card states poll": 5,
    "my interviews": 5,
    "my interviews, last page": 5,
    "payment status poll": 3,
    # Staff pages: one more for the session's second-factor device (django-otp).
    "admin index": 12,
    "payments pending queue": 10,
    "requests pending queue": 8,
    "review queue": 10,
}


def _measure(client, student, approver, assert_max_queries):
    counts = {}
    pages = _pages(student)
    for user, role in ((student, "student"), (approver, "approver")):
        log_in_verified(client, user)
        for name, url in pages[role].items():
            bound = assert_max_queries(BOUNDS[name])
            counts[name] = _queries(client, url, bound)
    return counts


def test_queries_per_page_do_not_grow_with_the_data(
    client, django_assert_max_num_queries
):
    _seed_scale(8)
    student = User.objects.get(username=STUDENT)
    approver = User.objects.get(username=APPROVER)
    small = _measure(client, student, approver, django_assert_max_num_queries)

    _seed_scale(60)
    _grow_history(student, rounds=3)
    assert Payment.objects.filter(student=student).count() > 30
    large = _measure(client, student, approver, django_assert_max_num_queries)

    assert large == small


def test_admin_queues_list_fifty_rows_a_page(client):
    _seed_scale(150)
    assert (
        Payment.objects.filter(status=PaymentStatus.PENDING_VERIFICATION).count() > 50
    )
    requests = InterviewRequest.objects
    assert requests.filter(status=RequestStatus.PENDING).count() > 50
    assert requests.filter(status=RequestStatus.COMPLETED).count() > 50
    log_in_verified(client, User.objects.get(username=APPROVER))
    pages = _pages(User.objects.get(username=STUDENT))["approver"]
    for name in ("payments pending queue", "requests pending queue", "review queue"):
        html = client.get(pages[name]).content.decode()
        table = re.search(r'<table id="result_list">(.*?)</table>', html, re.S)
        assert table.group(1).count("<tr") - 1 == 50, name  # less the header
