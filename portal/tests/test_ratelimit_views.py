"""The abuse limits on the student's write endpoints: payments and answer chunks."""

import pytest
from django.test import Client
from django.urls import reverse

from interviews.factories import InterviewCourseFactory
from payments.factories import png_bytes
from payments.models import Payment
from payments.tests.helpers import private_proof_files, upload

pytestmark = pytest.mark.django_db


def _pay(client, course, utr):
    return client.post(
        reverse("payments:pay", args=[course.slug]),
        {"utr": utr, "screenshot": upload(png_bytes())},
    )


def test_payment_submissions_are_limited_per_student(
    student_client, other_student, settings
):
    settings.RATELIMIT_PAYMENT = "3/h"
    course = InterviewCourseFactory()
    # Bad submissions count too: they are what an abuser would send.
    for n in range(3):
        response = _pay(student_client, course, utr=f"bad{n}")
        assert response.status_code == 200
    files_before = private_proof_files()
    response = _pay(student_client, course, utr="412345678901")
    assert response.status_code == 429
    assert "submitted payments too many times" in response.content.decode()
    assert response["Retry-After"].isdigit()
    # Refused before anything was read or saved.
    assert not Payment.objects.exists()
    assert private_proof_files() == files_before
    # Looking at the page is not limited, and another student is not affected.
    assert (
        student_client.get(reverse("payments:pay", args=[course.slug])).status_code
        == 200
    )
    other = Client()
    other.force_login(other_student)
    assert _pay(other, course, utr="412345678901").status_code == 302


def test_answer_chunks_are_limited_per_student(student_client, student, settings):
    from interviews.factories import webm_bytes
    from interviews.models import Answer
    from interviews.tests.room_helpers import (
        open_interview,
        post_chunk,
        stored_answer_files,
    )

    settings.RATELIMIT_ANSWER_CHUNK = "2/h"
    interview = open_interview(student, questions=3)
    first, second, third = interview.course.questions.order_by("order")
    assert post_chunk(student_client, interview, first, webm_bytes()).status_code == 201
    assert post_chunk(student_client, interview, second, b"junk").status_code >= 400
    files_before = stored_answer_files()
    response = post_chunk(student_client, interview, third, webm_bytes())
    assert response.status_code == 429
    assert response["Retry-After"].isdigit()
    # The room waits and sends the chunk again; its message says why.
    assert "sent answer chunks too many times" in response.json()["error"]
    assert Answer.objects.filter(request=interview).count() == 1
    assert stored_answer_files() == files_before
