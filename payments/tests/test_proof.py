import pytest
from django.urls import reverse

from accounts.testing import log_in_verified
from payments.factories import PaymentFactory
from portal.tests.files import fetch, local_disk_only

pytestmark = pytest.mark.django_db


@pytest.fixture
def payment(student):
    return PaymentFactory(student=student)


def proof_url(payment):
    return reverse("payments:proof", args=[payment.public_id])


def assert_served(client, payment):
    served = fetch(client, proof_url(payment))
    assert served.status == 200
    assert served.headers["Content-Type"] == "image/png"
    assert "private" in served.headers["Cache-Control"]
    with payment.proof.open("rb") as stored:
        assert served.body == stored.read()


@local_disk_only
def test_a_streamed_proof_is_neither_sniffed_nor_run(student_client, payment):
    served = fetch(student_client, proof_url(payment))
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_the_owner_can_open_their_proof(student_client, payment):
    assert_served(student_client, payment)


def test_an_approver_can_open_any_proof(approver_client, payment):
    assert_served(approver_client, payment)


def test_a_superuser_can_open_any_proof(client, superuser, payment):
    log_in_verified(client, superuser)
    assert_served(client, payment)


def test_student_cannot_open_another_students_proof(client, other_student, payment):
    log_in_verified(client, other_student)
    assert client.get(proof_url(payment)).status_code == 404


def test_staff_outside_the_approvers_group_cannot_open_a_proof(client, payment):
    from accounts.factories import UserFactory

    log_in_verified(client, UserFactory(is_staff=True))
    assert client.get(proof_url(payment)).status_code == 404


def test_anonymous_cannot_open_a_proof(client, payment):
    assert client.get(proof_url(payment)).status_code == 404


def test_a_missing_file_is_404(student_client, payment):
    payment.proof.storage.delete(payment.proof.name)
    assert student_client.get(proof_url(payment)).status_code == 404


def test_deleting_a_payment_deletes_its_file(
    payment, django_capture_on_commit_callbacks
):
    storage, name = payment.proof.storage, payment.proof.name
    assert storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        payment.delete()
    assert not storage.exists(name)
