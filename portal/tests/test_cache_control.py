"""Personal pages and private files are never cached: private, no-store."""

import pytest
from django.urls import reverse

from accounts.factories import TEST_PASSWORD
from payments.factories import PaymentFactory
from portal.tests.files import SUITE_ON_S3

pytestmark = pytest.mark.django_db


def _directives(response):
    return {part.strip() for part in response["Cache-Control"].split(",")}


@pytest.mark.parametrize(
    "url",
    ["/", "/interviews/", "/courses/", "/accounts/password/change/"],
)
def test_every_page_of_a_logged_in_student_is_private_and_not_stored(
    student_client, url
):
    response = student_client.get(url, follow=True)
    assert response.status_code == 200
    assert {"private", "no-store"} <= _directives(response)


def test_the_proof_image_is_private_and_not_stored(student_client, student):
    payment = PaymentFactory(student=student)
    response = student_client.get(reverse("payments:proof", args=[payment.public_id]))
    # On S3 the view's answer is the redirect to a signed URL: not stored either.
    assert response.status_code == (302 if SUITE_ON_S3 else 200)
    assert {"private", "no-store"} <= _directives(response)
    assert "max-age=3600" not in response["Cache-Control"]


def test_the_approval_console_is_private_and_not_stored(approver_client):
    response = approver_client.get(reverse("admin:index"))
    assert {"private", "no-store"} <= _directives(response)


def test_the_redirect_after_logging_in_is_private_and_not_stored(client, student):
    response = client.post(
        reverse("accounts:login"), {"username": "student", "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert {"private", "no-store"} <= _directives(response)
