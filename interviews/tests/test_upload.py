import json
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.test import Client
from django.utils import timezone

from accounts.factories import UserFactory
from accounts.roles import make_approver
from accounts.testing import log_in_verified
from interviews.factories import (
    AnswerFactory,
    InterviewQuestionFactory,
    mp4_bytes,
    webm_bytes,
)
from interviews.models import Answer, RequestStatus
from interviews.room_views import upload_answer
from interviews.tests.room_helpers import (
    open_interview,
    post_video,
    stored_answer_files,
    upload_url,
)
from interviews.uploads import UploadRefused, receive_recording, store_answer

# Emails are delivered by a task: run each at once (issue 13).
pytestmark = pytest.mark.usefixtures("immediate_tasks")


@pytest.fixture(autouse=True)
def upload_temp_dir(settings, tmp_path):
    """Uploads stream into this folder, so tests can see that nothing is left."""
    folder = tmp_path / "upload-tmp"
    folder.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    return folder


def _questions(interview):
    return list(interview.course.questions.order_by("order"))


def test_student_uploads_a_webm_answer(student_client, student, upload_temp_dir):
    interview = open_interview(student)
    question = _questions(interview)[0]
    body = webm_bytes(50_000)

    response = post_video(
        student_client, interview, question, body, HTTP_X_DURATION="12.3"
    )

    assert response.status_code == 201
    assert response.json()["completed"] is False
    answer = Answer.objects.get(request=interview, question=question)
    assert str(answer.public_id) == response.json()["answer"]
    assert answer.content_type == "video/webm"
    assert answer.size == len(body)
    assert answer.file.name.startswith("answers/")
    assert answer.file.name.endswith(".webm")
    with answer.file.open("rb") as stored:
        assert stored.read() == body
    assert list(upload_temp_dir.iterdir()) == []


def test_mp4_is_accepted_and_stored_as_mp4(student_client, student):
    interview = open_interview(student)

    response = post_video(
        student_client, interview, _questions(interview)[0], mp4_bytes(), "video/mp4"
    )

    assert response.status_code == 201
    answer = Answer.objects.get()
    assert answer.content_type == "video/mp4"
    assert answer.file.name.endswith(".mp4")


def test_the_browser_duration_is_kept_when_plausible(student_client, student):
    interview = open_interview(student)
    question = _questions(interview)[0]

    post_video(
        student_client, interview, question, webm_bytes(), HTTP_X_DURATION="12.34"
    )

    assert Answer.objects.get().duration_seconds == 12.3


def test_wrong_type_by_content_is_refused_whatever_the_header_says(
    student_client, student, upload_temp_dir
):
    files_before = stored_answer_files()
    interview = open_interview(student)
    html = b"<html><script>alert(1)</script></html>" + b" " * 2000

    response = post_video(student_client, interview, _questions(interview)[0], html)

    assert response.status_code == 415
    assert "not a video" in response.json()["error"]
    assert Answer.objects.count() == 0
    assert stored_answer_files() == files_before
    assert list(upload_temp_dir.iterdir()) == []


def test_empty_upload_is_refused(student_client, student):
    interview = open_interview(student)

    response = post_video(student_client, interview, _questions(interview)[0], b"")

    assert response.status_code == 400
    assert Answer.objects.count() == 0


def test_oversize_upload_gets_413_with_a_clear_message(
    student_client, student, settings, upload_temp_dir
):
    settings.ANSWER_MAX_BYTES = 10_000
    files_before = stored_answer_files()
    interview = open_interview(student)

    response = post_video(
        student_client, interview, _questions(interview)[0], webm_bytes(10_001)
    )

    assert response.status_code == 413
    assert "too large" in response.json()["error"]
    assert "limit" in response.json()["error"]
    assert Answer.objects.count() == 0
    assert stored_answer_files() == files_before
    assert list(upload_temp_dir.iterdir()) == []


def test_body_longer_than_its_content_length_is_cut_off_at_the_limit(
    student, settings, upload_temp_dir
):
    """A lying Content-Length cannot smuggle more than the limit onto disk."""

    class LyingRequest:
        headers = {"Content-Length": "100"}

        def __init__(self, body):
            self.body = iter([body[i : i + 4096] for i in range(0, len(body), 4096)])

        def read(self, size):
            return next(self.body, b"")

    with pytest.raises(UploadRefused) as refused:
        receive_recording(LyingRequest(webm_bytes(50_000)), max_bytes=20_000)

    assert refused.value.status == 413
    assert list(upload_temp_dir.iterdir()) == []


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


@pytest.mark.parametrize("error", [None, OSError("connection reset")])
def test_interrupted_upload_leaves_no_row_and_no_file(
    rf, student, upload_temp_dir, error
):
    interview = open_interview(student)
    question = _questions(interview)[0]
    body = webm_bytes(300_000)
    files_before = stored_answer_files()
    request = rf.post(
        upload_url(interview, question), data=body, content_type="video/webm"
    )
    request._stream = _BrokenStream(body, good=200_000, error=error)
    request.user = student

    response = upload_answer(
        request, public_id=interview.public_id, question_id=question.public_id
    )

    assert response.status_code == 400
    assert "interrupted" in json.loads(response.content)["error"]
    assert Answer.objects.count() == 0
    assert stored_answer_files() == files_before
    assert list(upload_temp_dir.iterdir()) == []


@pytest.mark.undone_in_the_test_transaction
def test_losing_the_insert_race_removes_the_stored_file(student, upload_temp_dir):
    """Two uploads of one question pass the checks together; the second insert
    hits the unique constraint and its file must not stay behind."""
    interview = open_interview(student)
    question = _questions(interview)[0]
    AnswerFactory(request=interview, question=question)
    files_before = stored_answer_files()
    upload = TemporaryUploadedFile("answer", "video/webm", 0, None)
    upload.write(webm_bytes())
    upload.content_type, upload.extension, upload.size = "video/webm", "webm", 2048

    with pytest.raises(UploadRefused) as refused:
        store_answer(interview, question, upload)

    assert refused.value.status == 409
    assert Answer.objects.count() == 1
    assert stored_answer_files() == files_before
    assert list(upload_temp_dir.iterdir()) == []


def test_anonymous_upload_is_refused(client, student):
    interview = open_interview(student)

    response = post_video(client, interview, _questions(interview)[0], webm_bytes())

    assert response.status_code == 302
    assert Answer.objects.count() == 0


def test_student_cannot_upload_to_another_students_interview(client, student):
    files_before = stored_answer_files()
    interview = open_interview(student)
    log_in_verified(client, UserFactory(username="intruder"))

    response = post_video(client, interview, _questions(interview)[0], webm_bytes())

    assert response.status_code == 404
    assert Answer.objects.count() == 0
    assert stored_answer_files() == files_before


def test_approver_cannot_upload_answers(client, student):
    interview = open_interview(student)
    log_in_verified(client, make_approver(UserFactory(username="approver2")))

    response = post_video(client, interview, _questions(interview)[0], webm_bytes())

    assert response.status_code == 404


def test_consent_is_required_before_the_first_upload(student_client, student):
    interview = open_interview(student, consent=False)

    response = post_video(
        student_client, interview, _questions(interview)[0], webm_bytes()
    )

    assert response.status_code == 403
    assert "consent" in response.json()["error"]
    assert Answer.objects.count() == 0


def test_upload_before_the_window_is_refused(student_client, student):
    start = timezone.now() + timedelta(hours=1)
    interview = open_interview(student, preferred_at=start, scheduled_at=start)

    response = post_video(
        student_client, interview, _questions(interview)[0], webm_bytes()
    )

    assert response.status_code == 403
    assert "closed" in response.json()["error"]


def test_upload_after_the_window_is_refused(student_client, student):
    start = timezone.now() - timedelta(hours=3)
    interview = open_interview(student, preferred_at=start, scheduled_at=start)

    response = post_video(
        student_client, interview, _questions(interview)[0], webm_bytes()
    )

    assert response.status_code == 403
    assert Answer.objects.count() == 0


def test_question_from_another_course_is_refused(student_client, student):
    interview = open_interview(student)
    stranger = InterviewQuestionFactory()

    response = post_video(student_client, interview, stranger, webm_bytes())

    assert response.status_code == 404
    assert "not part of your interview" in response.json()["error"]
    assert Answer.objects.count() == 0


def test_duplicate_answer_is_refused_and_keeps_the_first(
    student_client, student, upload_temp_dir
):
    interview = open_interview(student)
    question = _questions(interview)[0]
    first = AnswerFactory(request=interview, question=question)
    files_before = stored_answer_files()

    response = post_video(student_client, interview, question, webm_bytes())

    assert response.status_code == 409
    assert "already been answered" in response.json()["error"]
    assert list(Answer.objects.all()) == [first]
    assert stored_answer_files() == files_before
    assert list(upload_temp_dir.iterdir()) == []


def test_upload_after_completion_is_refused(student_client, student):
    interview = open_interview(student, questions=1)
    AnswerFactory(request=interview, question=_questions(interview)[0])
    interview.complete()

    response = post_video(
        student_client, interview, _questions(interview)[0], webm_bytes()
    )

    assert response.status_code == 409
    assert "completed" in response.json()["error"]


def test_upload_requires_the_csrf_token(student):
    interview = open_interview(student)
    client = Client(enforce_csrf_checks=True)
    log_in_verified(client, student)

    response = post_video(client, interview, _questions(interview)[0], webm_bytes())

    assert response.status_code == 403
    assert Answer.objects.count() == 0


def test_upload_with_the_csrf_header_is_accepted(student):
    interview = open_interview(student)
    client = Client(enforce_csrf_checks=True)
    log_in_verified(client, student)
    room = client.get(f"/interviews/{interview.public_id}/room/")
    token = room.context["csrf_token"]

    response = post_video(
        client,
        interview,
        _questions(interview)[0],
        webm_bytes(),
        HTTP_X_CSRFTOKEN=str(token),
    )

    assert response.status_code == 201


def test_last_answer_completes_the_interview_and_emails_the_approvers_once(
    student_client, student, approver, django_capture_on_commit_callbacks
):
    UserFactory(username="not-an-approver")
    interview = open_interview(student, questions=2)
    first, second = _questions(interview)

    with django_capture_on_commit_callbacks(execute=True):
        assert (
            post_video(student_client, interview, first, webm_bytes()).json()[
                "completed"
            ]
            is False
        )
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        response = post_video(student_client, interview, second, webm_bytes())

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
