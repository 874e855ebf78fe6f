import pytest
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


def test_a_decision_reaches_the_next_poll(student_client, student, approver):
    payment = PaymentFactory(student=student)
    assert student_client.get(status_url(payment)).json()["status"] == (
        "pending_verification"
    )
    payment.approve(approver)

    assert student_client.get(status_url(payment)).json()["status"] == "completed"


def test_a_bare_queryset_update_reaches_the_next_poll(student_client, student):
    payment = PaymentFactory(student=student)
    student_client.get(status_url(payment))
    # A bare update keeps is_live in step itself (the is_live_follows_status check).
    Payment.objects.filter(pk=payment.pk).update(
        status="rejected", is_live=False, remarks="Late"
    )

    assert student_client.get(status_url(payment)).json()["status"] == "rejected"


def test_a_polled_status_is_not_shown_to_another_student(
    client, student, other_student
):
    payment = PaymentFactory(student=student)
    client.force_login(student)
    client.get(status_url(payment))
    client.force_login(other_student)

    assert client.get(status_url(payment)).status_code == 404
