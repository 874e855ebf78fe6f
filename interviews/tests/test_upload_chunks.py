"""The resumable upload: chunks in order, idempotent, checked; an explicit finish."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from interviews.factories import webm_bytes
from interviews.models import Answer, AnswerState, RequestStatus
from interviews.tests.room_helpers import (
    open_interview,
    post_chunk,
    post_finish,
    received_bytes,
    stored_answer_files,
)

pytestmark = pytest.mark.usefixtures("immediate_tasks")

FIRST = webm_bytes(3000)
SECOND = b"\x11" * 2000
THIRD = b"\x22" * 1000


@pytest.fixture
def interview(student):
    return open_interview(student, questions=2)


@pytest.fixture
def question(interview):
    return interview.course.questions.order_by("order").first()


def _stored(answer):
    return received_bytes(answer)


def _send_take(client, interview, question, parts, attempt=1):
    offset = 0
    for part in parts:
        response = post_chunk(client, interview, question, part, attempt, offset)
        assert response.status_code == 201, response.json()
        offset += len(part)
    return offset


def test_the_first_chunk_creates_the_answer_while_recording(
    student_client, interview, question
):
    response = post_chunk(student_client, interview, question, FIRST)

    assert response.status_code == 201
    answer = Answer.objects.get()
    assert response.json() == {
        "answer": str(answer.public_id),
        "attempt": 1,
        "offset": len(FIRST),
        "duplicate": False,
    }
    assert answer.state == AnswerState.RECORDING
    assert answer.attempt == 1
    assert answer.bytes_received == len(FIRST)
    assert answer.content_type == "video/webm"
    assert _stored(answer) == FIRST
    interview.refresh_from_db()
    assert interview.all_questions_answered() is False


def test_chunks_in_order_then_finish_submit_the_answer(
    student_client, interview, question, django_capture_on_commit_callbacks
):
    total = _send_take(student_client, interview, question, [FIRST, SECOND, THIRD])

    response = post_finish(student_client, interview, question, total, duration=9.5)

    assert response.status_code == 200
    assert response.json()["completed"] is False
    answer = Answer.objects.get()
    assert answer.state == AnswerState.UPLOADED
    assert answer.size == total
    assert answer.duration_seconds == 9.5
    assert _stored(answer) == FIRST + SECOND + THIRD


def test_a_resent_chunk_is_acknowledged_not_appended(
    student_client, interview, question
):
    _send_take(student_client, interview, question, [FIRST, SECOND])

    response = post_chunk(student_client, interview, question, SECOND, offset=3000)

    assert response.status_code == 200
    assert response.json()["duplicate"] is True
    assert response.json()["offset"] == 5000
    answer = Answer.objects.get()
    assert answer.bytes_received == 5000
    assert _stored(answer) == FIRST + SECOND


def test_different_bytes_at_an_offset_already_held_are_refused(
    student_client, interview, question
):
    _send_take(student_client, interview, question, [FIRST, SECOND])

    response = post_chunk(student_client, interview, question, THIRD, offset=3000)

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert response.json()["offset"] == 5000
    assert _stored(Answer.objects.get()) == FIRST + SECOND


def test_a_chunk_after_a_gap_is_refused_with_the_servers_offset(
    student_client, interview, question
):
    post_chunk(student_client, interview, question, FIRST)

    response = post_chunk(student_client, interview, question, THIRD, offset=5000)

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "gap"
    assert body["offset"] == 3000
    assert "missing" in body["error"]
    assert Answer.objects.get().bytes_received == 3000


def test_a_first_chunk_not_at_offset_zero_leaves_nothing(
    student_client, interview, question
):
    files_before = stored_answer_files()

    response = post_chunk(student_client, interview, question, FIRST, offset=10)

    assert response.status_code == 409
    assert response.json() == {
        "error": "A new take starts at offset 0.",
        "code": "gap",
        "offset": 0,
    }
    assert not Answer.objects.exists()
    assert stored_answer_files() == files_before


def test_an_oversize_chunk_is_refused_and_leaves_nothing(
    student_client, interview, question, settings
):
    settings.ANSWER_CHUNK_MAX_BYTES = 2999
    files_before = stored_answer_files()

    response = post_chunk(student_client, interview, question, FIRST)

    # Refused from its Content-Length by the body-limit middleware, unread.
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert response.json()["max_bytes"] == 2999
    assert not Answer.objects.exists()
    assert stored_answer_files() == files_before


def test_an_answer_growing_past_the_limit_is_refused(
    student_client, interview, question, settings
):
    settings.ANSWER_MAX_BYTES = 4000
    post_chunk(student_client, interview, question, FIRST)

    response = post_chunk(student_client, interview, question, SECOND, offset=3000)

    assert response.status_code == 413
    assert response.json()["code"] == "answer_too_large"
    answer = Answer.objects.get()
    assert answer.bytes_received == 3000
    assert _stored(answer) == FIRST


def test_a_wrong_checksum_is_refused_and_leaves_nothing(
    student_client, interview, question
):
    files_before = stored_answer_files()

    response = post_chunk(student_client, interview, question, FIRST, checksum="0" * 64)

    assert response.status_code == 400
    assert response.json()["code"] == "bad_checksum"
    assert not Answer.objects.exists()
    assert stored_answer_files() == files_before


def test_a_chunk_without_its_headers_is_refused(student_client, interview, question):
    url = reverse(
        "interviews:answer_chunk", args=[interview.public_id, question.public_id]
    )

    response = student_client.post(
        url, data=FIRST, content_type="application/octet-stream"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
    assert not Answer.objects.exists()


def test_a_first_chunk_that_is_not_a_video_leaves_nothing(
    student_client, interview, question
):
    files_before = stored_answer_files()

    response = post_chunk(student_client, interview, question, b"<html>" * 100)

    assert response.status_code == 415
    assert response.json()["code"] == "not_video"
    assert not Answer.objects.exists()
    assert stored_answer_files() == files_before


def test_a_chunk_of_an_unknown_take_is_refused(student_client, interview, question):
    post_chunk(student_client, interview, question, FIRST)

    response = post_chunk(student_client, interview, question, FIRST, attempt=3)

    assert response.status_code == 409
    assert response.json()["code"] == "foreign_attempt"
    assert Answer.objects.get().attempt == 1


def test_a_first_chunk_of_a_second_take_without_a_first_is_refused(
    student_client, interview, question
):
    response = post_chunk(student_client, interview, question, FIRST, attempt=2)

    assert response.status_code == 409
    assert response.json()["code"] == "foreign_attempt"
    assert not Answer.objects.exists()


def test_a_retake_replaces_the_take_and_refuses_the_old_ones_chunks(
    student_client, interview, question, django_capture_on_commit_callbacks
):
    files_before = set(stored_answer_files())
    post_chunk(student_client, interview, question, FIRST)
    first_file = Answer.objects.get().file.name
    retake = webm_bytes(1500)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_chunk(student_client, interview, question, retake, attempt=2)

    assert response.status_code == 201
    answer = Answer.objects.get()
    assert (answer.attempt, answer.bytes_received) == (2, 1500)
    assert answer.state == AnswerState.RECORDING
    assert answer.file.name != first_file
    assert _stored(answer) == retake
    new_files = set(stored_answer_files()) - files_before
    assert [p.name for p in new_files] == [answer.file.name.rsplit("/", 1)[-1]]
    late = post_chunk(student_client, interview, question, SECOND, offset=3000)
    assert late.status_code == 409
    assert late.json()["code"] == "foreign_attempt"


def test_retakes_are_counted_on_the_server(
    student_client, interview, question, settings
):
    settings.INTERVIEW_RETAKES = 1
    post_chunk(student_client, interview, question, FIRST)
    post_chunk(student_client, interview, question, FIRST, attempt=2)

    response = post_chunk(student_client, interview, question, FIRST, attempt=3)

    assert response.status_code == 409
    assert response.json()["code"] == "no_retakes"
    assert Answer.objects.get().attempt == 2


def test_finishing_twice_is_refused(student_client, interview, question):
    total = _send_take(student_client, interview, question, [FIRST])
    assert post_finish(student_client, interview, question, total).status_code == 200

    response = post_finish(student_client, interview, question, total)

    assert response.status_code == 409
    assert response.json()["code"] == "already_submitted"
    assert response.json()["state"] == AnswerState.UPLOADED


def test_no_chunk_is_taken_after_the_answer_is_submitted(
    student_client, interview, question
):
    total = _send_take(student_client, interview, question, [FIRST])
    post_finish(student_client, interview, question, total)

    more = post_chunk(student_client, interview, question, SECOND, offset=total)
    retake = post_chunk(student_client, interview, question, FIRST, attempt=2)

    assert more.json()["code"] == retake.json()["code"] == "already_submitted"
    assert Answer.objects.get().bytes_received == total


def test_finishing_with_a_gap_is_refused_with_the_servers_offset(
    student_client, interview, question
):
    post_chunk(student_client, interview, question, FIRST)

    response = post_finish(student_client, interview, question, total=5000)

    assert response.status_code == 409
    assert response.json()["code"] == "incomplete"
    assert response.json()["offset"] == 3000
    assert Answer.objects.get().state == AnswerState.RECORDING


def test_finishing_a_take_that_never_started_is_refused(
    student_client, interview, question
):
    response = post_finish(student_client, interview, question, total=0)

    assert response.status_code == 409
    assert not Answer.objects.exists()


def test_a_chunk_after_the_window_is_refused_and_leaves_nothing(
    student_client, student
):
    start = timezone.now() - timedelta(hours=3)
    interview = open_interview(student, preferred_at=start, scheduled_at=start)
    question = interview.course.questions.first()
    files_before = stored_answer_files()

    response = post_chunk(student_client, interview, question, FIRST)

    assert response.status_code == 403
    assert response.json()["code"] == "closed"
    assert not Answer.objects.exists()
    assert stored_answer_files() == files_before


def test_a_take_received_in_time_may_be_submitted_after_the_window(
    student_client, interview, question
):
    total = _send_take(student_client, interview, question, [FIRST])
    start = timezone.now() - timedelta(hours=3)
    type(interview).objects.filter(pk=interview.pk).update(scheduled_at=start)

    response = post_finish(student_client, interview, question, total)

    assert response.status_code == 200
    assert Answer.objects.get().state == AnswerState.UPLOADED


def test_a_chunk_for_another_students_interview_is_404(
    client, other_student, interview, question
):
    files_before = stored_answer_files()
    client.force_login(other_student)

    chunk = post_chunk(client, interview, question, FIRST)
    finish = post_finish(client, interview, question, total=0)

    assert chunk.status_code == finish.status_code == 404
    assert not Answer.objects.exists()
    assert stored_answer_files() == files_before


def test_a_question_of_another_course_is_404(student_client, student, interview):
    stranger = open_interview(student, questions=1, course__slug="other")
    question = stranger.course.questions.get()

    response = post_chunk(student_client, interview, question, FIRST)

    assert response.status_code == 404
    assert not Answer.objects.exists()


def test_chunks_need_the_csrf_token(student, interview, question):
    client = Client(enforce_csrf_checks=True)
    client.force_login(student)

    response = post_chunk(client, interview, question, FIRST)

    assert response.status_code == 403
    assert not Answer.objects.exists()


def test_the_last_submitted_answer_completes_the_interview_and_emails_once(
    student_client, interview, approver, django_capture_on_commit_callbacks
):
    first, second = interview.course.questions.order_by("order")
    for question in (first, second):
        total = _send_take(student_client, interview, question, [FIRST, SECOND])
        with django_capture_on_commit_callbacks(execute=True):
            response = post_finish(student_client, interview, question, total)

    assert response.json()["completed"] is True
    interview.refresh_from_db()
    assert interview.status == RequestStatus.COMPLETED
    assert [m.to for m in mail.outbox] == [[approver.email]]


def test_the_room_state_says_where_each_answer_stands(
    student_client, interview, settings
):
    settings.INTERVIEW_RETAKES = 2
    first, second = interview.course.questions.order_by("order")
    post_chunk(student_client, interview, first, FIRST)
    post_chunk(student_client, interview, first, FIRST, attempt=2)
    post_chunk(student_client, interview, first, SECOND, attempt=2, offset=3000)

    state = student_client.get(
        reverse("interviews:room_state", args=[interview.public_id])
    ).json()

    answer = Answer.objects.get()
    assert state["chunk_max_bytes"] == settings.ANSWER_CHUNK_MAX_BYTES
    one, two = state["questions"]
    assert {k: one[k] for k in ("answer", "attempt", "state", "bytes_received")} == {
        "answer": str(answer.public_id),
        "attempt": 2,
        "state": "recording",
        "bytes_received": 5000,
    }
    assert (one["answered"], one["retakes_left"]) == (False, 1)
    assert (two["attempt"], two["state"], two["bytes_received"]) == (0, None, 0)
    assert (two["answered"], two["retakes_left"]) == (False, 2)
