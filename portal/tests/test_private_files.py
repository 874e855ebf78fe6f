"""Who sends a private file's bytes (portal.http.private_file_response, issue
15): nginx when MEDIA_ACCEL_REDIRECT is on, at a signed link for recordings
(MEDIA_SIGNED_LINKS), by X-Accel-Redirect otherwise
(tests/hardening/test_protected_files.py runs both behind real nginx); this
process without nginx; S3 in portal/tests/test_object_storage.py."""

import pytest
from django.urls import reverse

from interviews.factories import AnswerFactory, webm_bytes
from payments.factories import PaymentFactory
from portal.tests.files import local_disk_only

pytestmark = [pytest.mark.django_db, local_disk_only]


def test_behind_nginx_the_view_sends_a_recording_to_a_signed_link(
    approver_client, student, settings
):
    settings.MEDIA_ACCEL_REDIRECT = settings.MEDIA_SIGNED_LINKS = True
    answer = AnswerFactory(request__student=student, video_bytes=webm_bytes(5000))

    response = approver_client.get(
        reverse("interviews:answer_video", args=[answer.public_id]),
        headers={"Range": "bytes=0-99"},
    )

    assert response.status_code == 302  # nginx answers the Ranges at the link
    assert response["Location"].startswith(f"/_media/{answer.file.name}?md5=")
    assert response["Cache-Control"] == "private, no-store"
    assert "X-Accel-Redirect" not in response


def test_without_signed_links_nginx_gets_the_recording_by_x_accel_redirect(
    approver_client, student, settings
):
    settings.MEDIA_ACCEL_REDIRECT, settings.MEDIA_SIGNED_LINKS = True, False
    answer = AnswerFactory(request__student=student, video_bytes=webm_bytes(5000))

    response = approver_client.get(
        reverse("interviews:answer_video", args=[answer.public_id]),
        headers={"Range": "bytes=0-99"},
    )

    assert response.status_code == 200  # nginx answers the Range itself
    assert response["X-Accel-Redirect"] == f"/_protected/{answer.file.name}"
    assert response["Content-Type"] == "video/webm"
    assert response.content == b""


def test_behind_nginx_a_proof_is_handed_over_too(student_client, student, settings):
    settings.MEDIA_ACCEL_REDIRECT = True
    payment = PaymentFactory(student=student)

    response = student_client.get(reverse("payments:proof", args=[payment.public_id]))

    assert response.status_code == 200  # small images: no link, one request
    assert response["X-Accel-Redirect"] == f"/_protected/{payment.proof.name}"
    assert response.content == b""


def test_without_nginx_the_view_sends_the_bytes(student_client, student):
    answer = AnswerFactory(request__student=student, video_bytes=webm_bytes(5000))

    response = student_client.get(
        reverse("interviews:answer_video", args=[answer.public_id])
    )

    assert "X-Accel-Redirect" not in response
    assert b"".join(response.streaming_content) == webm_bytes(5000)


def test_another_student_is_never_handed_over(client, student, other_student, settings):
    from accounts.testing import log_in_verified

    settings.MEDIA_ACCEL_REDIRECT = True
    answer = AnswerFactory(request__student=student)
    log_in_verified(client, other_student)

    response = client.get(reverse("interviews:answer_video", args=[answer.public_id]))

    assert response.status_code == 404
    assert "X-Accel-Redirect" not in response
    assert "Location" not in response
