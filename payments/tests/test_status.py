import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from payments.factories import PaymentFactory
from payments.models import Payment

pytestmark = pytest.mark.django_db


def status_url(payment):
    return reverse("payments:status", args=[payment.public_id])


def test_it_reports_pending_then_the_decision_with_remarks(
    student_client, student, approver
):
    payment = PaymentFactory(student=student)

    pending = student_client.get(status_url(payment)).json()
    payment.reject(approver, "Wrong payee")
    decided = student_client.get(status_url(payment))

    assert pending["status"] == "pending_verification"
    # In the card's words (issue 16).
    assert pending["status_label"] == "Pending admin approval"
    assert pending["is_final"] is False
    assert "no-store" in decided["Cache-Control"]
    body = decided.json()
    assert body["status"] == "rejected"
    assert body["status_label"] == "Payment rejected"
    assert body["badge"] == "bad"
    assert body["remarks"] == "Wrong payee"
    assert body["is_final"] is True


def test_student_cannot_poll_another_students_payment(client, other_student):
    client.force_login(other_student)
    assert client.get(status_url(PaymentFactory())).status_code == 404


def test_approvers_use_the_console_not_the_students_status(approver_client):
    assert approver_client.get(status_url(PaymentFactory())).status_code == 404


def test_a_write_is_not_allowed(student_client, student):
    payment = PaymentFactory(student=student)
    assert student_client.post(status_url(payment)).status_code == 405


def test_the_poll_reads_the_payment_once_then_from_the_cache(student_client, student):
    payment = PaymentFactory(student=student)
    student_client.get(status_url(payment))

    with CaptureQueriesContext(connection) as queries:
        assert student_client.get(status_url(payment)).status_code == 200

    assert not [q for q in queries if '"payments_payment"' in q["sql"]]


def test_a_decision_reaches_the_poll_when_it_commits(
    student_client, student, approver, django_capture_on_commit_callbacks
):
    payment = PaymentFactory(student=student)
    stale = Payment.status_snapshot(payment.public_id)  # a poll before the decision
    with django_capture_on_commit_callbacks(execute=True):
        payment.approve(approver)

    # A poll that read the row just before the commit cannot store it over it.
    assert cache.add(f"payments:status:{payment.public_id}", stale) is False
    assert student_client.get(status_url(payment)).json()["status"] == "completed"


def test_a_cached_status_is_not_shown_to_another_student(
    client, student, other_student
):
    payment = PaymentFactory(student=student)
    client.force_login(student)
    client.get(status_url(payment))  # cached
    client.force_login(other_student)

    assert client.get(status_url(payment)).status_code == 404
