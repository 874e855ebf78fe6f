"""A whole answer through the room's resumable upload (the only way an answer
arrives since the single-request upload was retired): what it stores, what it
refuses, who may send it. The protocol's own edge cases (order, duplicates,
checksums, retakes) are in test_upload_chunks.py."""

import hashlib
import json
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.factories import UserFactory
from accounts.roles import make_approver
from accounts.testing import log_in_verified
from interviews import resumable
from interviews.factories import (
    AnswerFactory,
    InterviewQuestionFactory,
    mp4_bytes,
    webm_bytes,
)
from interviews.models import Answer, AnswerState, RequestStatus
from interviews.room_views import answer_chunk
from interviews.tests.room_helpers import (
    chunk_url,
    open_interview,
    post_chunk,
    received_bytes,
    send_answer,
    stored_answer_files,
)
from interviews.uploads import UploadRefused

# Emails are delivered by a task: run each at once (issue 13).
pytestmark = pytest.mark.usefixtures("immediate_tasks")


def _questions(interview):
    return list(interview.course.questions.order_by("order"))


def _stored(answer):
    # The file, or on S3 while the take is in parts, its parts.
    return received_bytes(answer)


def test_student_sends_a_webm_answer_in_chunks(student_client, student):
    interview = open_interview(student)
    question = _questions(interview)[0]
    body = webm_bytes(50_000)

    response = send_answer(
        student_client, interview, question, body, chunk_bytes=16_000
    )

    assert response.status_code == 200
    assert response.json()["completed"] is False
    answer = Answer.objects.get(request=interview, question=question)
    assert str(answer.public_id) == response.json()["answer"]
    assert answer.state == AnswerState.UPLOADED
    assert answer.content_type == "video/webm"
    assert answer.size == answer.bytes_received == len(body)
    assert answer.file.name.startswith("answers/")
    assert answer.file.name.endswith(".webm")
    assert _stored(answer) == body


def test_mp4_is_accepted_by_its_content_and_stored_as_mp4(student_client, student):
    interview = open_interview(student)

    response = send_answer(
        student_client, interview, _questions(interview)[0], mp4_bytes(5000)
    )

    assert response.status_code == 200
    answer = Answer.objects.get()
    assert answer.content_type == "video/mp4"
    assert answer.file.name.endswith(".mp4")


@pytest.mark.parametrize(("sent", "kept"), [("12.34", 12.3), ("9999", None)])
def test_the_browser_duration_is_kept_only_when_plausible(
    student_client, student, sent, kept
):
    interview = open_interview(student)

    send_answer(
        student_client, interview, _questions(interview)[0], webm_bytes(), duration=sent
    )

    assert Answer.objects.get().duration_seconds == kept


def test_wrong_type_by_content_is_refused_whatever_the_header_says(
    student_client, student
):
    files_before = stored_answer_files()
    interview = open_interview(student)
    html = b"<html><script>alert(1)</script></html>" + b" " * 2000

    response = send_answer(
        student_client,
        interview,
        _questions(interview)[0],
        html,
        content_type="video/webm",
    )

    assert response.status_code == 415
    assert "not a video" in response.json()["error"]
    assert Answer.objects.count() == 0
    assert stored_answer_files() == files_before


def test_an_empty_chunk_is_refused(student_client, student):
    interview = open_interview(student)

    response = send_answer(student_client, interview, _questions(interview)[0], b"")

    assert response.status_code == 400
    assert response.json()["code"] == "empty"
    assert Answer.objects.count() == 0


def test_a_body_longer_than_its_content_length_is_cut_off_at_the_limit(settings):
    """A lying Content-Length cannot bring more than the limit into memory."""
    settings.ANSWER_CHUNK_MAX_BYTES = 20_000

    class LyingRequest:
        headers = {"Content-Length": "100"}

        def __init__(self, body):
            self.body = body

        def read(self, size):
            part, self.body = self.body[:size], self.body[size:]
            return part

    with pytest.raises(UploadRefused) as refused:
        resumable.read_chunk(LyingRequest(webm_bytes(50_000)))

    assert refused.value.status == 413
    assert refused.value.code == "chunk_too_large"


class _BrokenStream:
    """A request body whose client disconnects after `good` bytes."""

    def __init__(self, body, good, error=None):
        self.body, self.good, self.error, self.position = body, good, error, 0

    def read(self, size=-1):
        if self.position >= self.good:
            if self.error:
                raise self.error
            return b""
        size = self.good - self.position if size < 0 else size
        chunk = self.body[self.position : min(self.position + size, self.good)]
        self.position += len(chunk)
        return chunk


def _cut_short(rf, student, interview, question, body, offset, error):
    request = rf.post(
        chunk_url(interview, question),
        data=body,
        content_type="application/octet-stream",
        headers={
            "X-Attempt": "1",
            "X-Offset": str(offset),
            "X-Chunk-SHA256": hashlib.sha256(body).hexdigest(),
        },
    )
    request._stream = _BrokenStream(body, good=len(body) * 2 // 3, error=error)
    request.user = student
    return answer_chunk(
        request, public_id=interview.public_id, question_id=question.public_id
    )


@pytest.mark.parametrize("error", [None, OSError("connection reset")])
def test_a_first_chunk_cut_short_leaves_no_row_and_no_file(rf, student, error):
    interview = open_interview(student)
    files_before = stored_answer_files()

    response = _cut_short(
        rf, student, interview, _questions(interview)[0], webm_bytes(300_000), 0, error
    )

    assert response.status_code == 400
    assert json.loads(response.content)["code"] == "interrupted"
    assert Answer.objects.count() == 0
    assert stored_answer_files() == files_before


@pytest.mark.parametrize("error", [None, OSError("connection reset")])
def test_a_later_chunk_cut_short_leaves_the_take_as_it_was(
    rf, student_client, student, error
):
    interview = open_interview(student)
    question = _questions(interview)[0]
    head = webm_bytes(3000)
    post_chunk(student_client, interview, question, head)

    response = _cut_short(
        rf, student, interview, question, b"\x44" * 90_000, len(head), error
    )

    assert response.status_code == 400
    assert json.loads(response.content)["code"] == "interrupted"
    answer = Answer.objects.get()
    assert answer.bytes_received == len(head)
    assert _stored(answer) == head


@pytest.mark.undone_in_the_test_transaction
def test_losing_the_insert_race_removes_the_stored_file(student):
    """Two first chunks of one question pass the checks together; the second
    insert hits the unique constraint and its file must not stay behind."""
    interview = open_interview(student)
    question = _questions(interview)[0]
    AnswerFactory(request=interview, question=question)
    files_before = stored_answer_files()

    with pytest.raises(UploadRefused) as refused:
        resumable._start_take(interview, question, None, 1, 0, webm_bytes())

    assert (refused.value.status, refused.value.code) == (409, "busy")
    assert Answer.objects.count() == 1
    assert stored_answer_files() == files_before


def test_anonymous_chunks_are_refused(client, student):
    interview = open_interview(student)

    response = send_answer(client, interview, _questions(interview)[0], webm_bytes())

    assert response.status_code == 302
    assert Answer.objects.count() == 0


def test_approver_cannot_send_answers(client, student):
    interview = open_interview(student)
    log_in_verified(client, make_approver(UserFactory(username="approver2")))

    response = send_answer(client, interview, _questions(interview)[0], webm_bytes())

    assert response.status_code == 404
    assert Answer.objects.count() == 0


def test_consent_is_required_before_the_first_chunk(student_client, student):
    interview = open_interview(student, consent=False)

    response = send_answer(
        student_client, interview, _questions(interview)[0], webm_bytes()
    )

    assert response.status_code == 403
    assert "consent" in response.json()["error"]
    assert Answer.objects.count() == 0


def test_chunks_before_the_window_are_refused(student_client, student):
    start = timezone.now() + timedelta(hours=1)
    interview = open_interview(student, preferred_at=start, scheduled_at=start)

    response = send_answer(
        student_client, interview, _questions(interview)[0], webm_bytes()
    )

    assert response.status_code == 403
    assert "closed" in response.json()["error"]
    assert Answer.objects.count() == 0


def test_a_question_from_another_course_is_refused(student_client, student):
    interview = open_interview(student)
    stranger = InterviewQuestionFactory()

    response = send_answer(student_client, interview, stranger, webm_bytes())

    assert response.status_code == 404
    assert "not part of your interview" in response.json()["error"]
    assert Answer.objects.count() == 0


def test_a_submitted_answer_is_not_replaced_by_a_second_one(student_client, student):
    interview = open_interview(student)
    question = _questions(interview)[0]
    first = AnswerFactory(request=interview, question=question)
    files_before = stored_answer_files()

    response = send_answer(student_client, interview, question, webm_bytes())

    assert response.status_code == 409
    assert response.json()["code"] == "already_submitted"
    assert list(Answer.objects.all()) == [first]
    assert stored_answer_files() == files_before


def test_chunks_after_completion_are_refused(student_client, student):
    interview = open_interview(student, questions=1)
    AnswerFactory(request=interview, question=_questions(interview)[0])
    interview.complete()

    response = send_answer(
        student_client, interview, _questions(interview)[0], webm_bytes()
    )

    assert response.status_code == 409
    assert "completed" in response.json()["error"]


def test_an_answer_with_the_csrf_header_is_accepted(student):
    interview = open_interview(student)
    client = Client(enforce_csrf_checks=True)
    log_in_verified(client, student)
    room = client.get(f"/interviews/{interview.public_id}/room/")
    token = str(room.context["csrf_token"])

    response = send_answer(
        client,
        interview,
        _questions(interview)[0],
        webm_bytes(),
        HTTP_X_CSRFTOKEN=token,
    )

    assert response.status_code == 200
    assert Answer.objects.get().state == AnswerState.UPLOADED


def test_last_answer_completes_the_interview_and_emails_the_approvers_once(
    student_client, student, approver, django_capture_on_commit_callbacks
):
    UserFactory(username="not-an-approver")
    interview = open_interview(student, questions=2)
    first, second = _questions(interview)

    with django_capture_on_commit_callbacks(execute=True):
        response = send_answer(student_client, interview, first, webm_bytes())
    assert response.json()["completed"] is False
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        response = send_answer(student_client, interview, second, webm_bytes())

    assert response.json()["completed"] is True
    interview.refresh_from_db()
    interview.payment.refresh_from_db()
    assert interview.status == RequestStatus.COMPLETED
    assert interview.completed_at is not None
    assert interview.payment.consumed_at is not None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [approver.email]
    assert student.display_name in mail.outbox[0].subject
    assert "/admin/interviews/interviewtoreview/" in mail.outbox[0].body

    # Opening the room again sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        student_client.get(f"/interviews/{interview.public_id}/room/")
    assert len(mail.outbox) == 1
