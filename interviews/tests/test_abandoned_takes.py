"""Answers left recording, never submitted: the periodic cleanup removes them
(row and file) once no chunk has touched them for UNFINISHED_ANSWER_MAX_HOURS."""

from datetime import timedelta
from io import StringIO
from pathlib import PurePosixPath

import pytest
from django.core.management import call_command
from django.utils import timezone

from interviews import tasks
from interviews.factories import webm_bytes
from interviews.models import Answer, AnswerState
from interviews.tests.room_helpers import (
    open_interview,
    post_chunk,
    send_answer,
    stored_answer_files,
)
from portal.tests.files import empty_private_storage


@pytest.fixture(autouse=True)
def empty_media(settings, tmp_path):
    """An empty private folder, so check_media judges this test's files only."""
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    empty_private_storage()


def _age(answer, hours):
    Answer.objects.filter(pk=answer.pk).update(
        updated_at=timezone.now() - timedelta(hours=hours)
    )


def _check_media():
    out = StringIO()
    call_command("check_media", "--min-age-minutes", "0", stdout=out)
    return out.getvalue()


def test_takes_left_recording_are_removed_with_their_files_and_recent_ones_kept(
    student_client, student, settings, django_capture_on_commit_callbacks
):
    settings.UNFINISHED_ANSWER_MAX_HOURS = 24
    interview = open_interview(student, questions=3)
    abandoned, recent, submitted = interview.course.questions.order_by("order")
    for question in (abandoned, recent):
        assert (
            post_chunk(student_client, interview, question, webm_bytes()).status_code
            == 201
        )
    assert (
        send_answer(student_client, interview, submitted, webm_bytes()).status_code
        == 200
    )
    by_question = {a.question_id: a for a in Answer.objects.all()}
    _age(by_question[abandoned.pk], hours=25)
    _age(by_question[recent.pk], hours=23)
    _age(by_question[submitted.pk], hours=25)
    # On S3 a take still recording is held in parts: stored_answer_files counts them.
    gone = PurePosixPath(by_question[abandoned.pk].file.name)
    assert gone in stored_answer_files()

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.clean_stale_uploads.call_local() == 1

    assert gone not in stored_answer_files()
    kept = Answer.objects.order_by("question__order")
    assert [(a.question_id, a.state) for a in kept] == [
        (recent.pk, AnswerState.RECORDING),
        (submitted.pk, AnswerState.UPLOADED),
    ]
    held = sorted(PurePosixPath(a.file.name) for a in kept)
    assert sorted(stored_answer_files()) == held
    assert "Media and records match." in _check_media()


def test_a_cleaned_question_can_be_answered_afresh(
    student_client, student, settings, django_capture_on_commit_callbacks
):
    interview = open_interview(student, questions=1)
    question = interview.course.questions.get()
    post_chunk(student_client, interview, question, webm_bytes())
    _age(Answer.objects.get(), hours=settings.UNFINISHED_ANSWER_MAX_HOURS + 1)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.clean_stale_uploads.call_local()

    response = send_answer(student_client, interview, question, webm_bytes(4000))

    assert response.status_code == 200
    assert Answer.objects.get().attempt == 1
