"""Where a transcript is shown (issue 16, item 9): wherever the recording is
(the student's published report, the reviewer's workbench, an opened share
link) and nowhere else."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.testing import log_in_verified
from interviews.factories import AnswerFactory
from interviews.models import (
    AnswerState,
    InterviewRequest,
    ReviewResult,
    Transcript,
    TranscriptState,
)
from interviews.tests.room_helpers import open_interview

pytestmark = pytest.mark.django_db

WORDS = [["tell", 0.5, 0.8], ["me", 0.81, 0.95], ["quokka", 1.2, 1.9]]


def _interview(student, published=True):
    interview = open_interview(student, questions=1)
    answer = AnswerFactory(request=interview, question=interview.course.questions.get())
    interview.complete()
    Transcript.objects.create(
        answer=answer,
        source_name=answer.file.name,
        state=TranscriptState.DONE,
        engine="pocketsphinx",
        language="en",
        text="tell me quokka",
        words=WORDS,
    )
    if published:
        InterviewRequest.objects.filter(pk=interview.pk).update(
            overall_rating=4, result=ReviewResult.PASS
        )
        interview.publish_review(None)
    return interview


def _report(interview):
    return reverse("interviews:report", args=[interview.public_id])


def _workbench(interview):
    return reverse("admin:interviews_interviewtoreview_review", args=[interview.pk])


def _client_of(user):
    client = Client()
    client.force_login(user)
    return client


def _seek_buttons(body):
    return re.findall(r'data-seek="([\d.]+)" data-end="[\d.]+">(\w+)</button>', body)


def test_the_student_reads_the_transcript_beside_their_recording(student):
    interview = _interview(student)

    body = _client_of(student).get(_report(interview)).content.decode()

    assert _seek_buttons(body) == [("0.50", "tell"), ("0.81", "me"), ("1.20", "quokka")]
    assert "js/transcript.js" in body
    assert "js/player.js" in body  # a fresh link when the recording's expires


def test_another_student_sees_neither_the_report_nor_its_transcript(
    student, other_student
):
    interview = _interview(student)

    response = _client_of(other_student).get(_report(interview))

    assert response.status_code == 404
    assert "quokka" not in response.content.decode()


def test_nothing_is_shown_to_the_student_before_the_review_is_published(student):
    interview = _interview(student, published=False)

    response = _client_of(student).get(_report(interview))

    assert response.status_code == 404
    assert "quokka" not in response.content.decode()


def test_the_reviewer_reads_the_transcript_in_the_workbench(client, approver, student):
    interview = _interview(student, published=False)

    body = log_in_verified(client, approver).get(_workbench(interview)).content.decode()

    assert [word for _at, word in _seek_buttons(body)] == ["tell", "me", "quokka"]


def test_the_reviewer_is_told_why_a_transcript_failed(client, approver, student):
    interview = _interview(student, published=False)
    Transcript.objects.update(
        state=TranscriptState.FAILED, words=[], text="", error="no audio stream"
    )

    body = log_in_verified(client, approver).get(_workbench(interview)).content.decode()

    assert "The transcript could not be made (pocketsphinx): no audio stream" in body


def test_the_student_is_not_shown_the_engine_error(student):
    interview = _interview(student)
    Transcript.objects.update(
        state=TranscriptState.FAILED, words=[], text="", error="no audio stream"
    )

    body = _client_of(student).get(_report(interview)).content.decode()

    assert "There is no transcript of this recording." in body
    assert "no audio stream" not in body


def test_the_transcript_of_an_earlier_take_is_not_shown(student):
    interview = _interview(student)
    Transcript.objects.update(source_name="answers/the-first-take.webm")

    body = _client_of(student).get(_report(interview)).content.decode()

    assert "quokka" not in body
    assert "Transcript" not in body


def test_a_mentor_reads_the_transcript_only_with_the_code(student):
    interview = _interview(student)
    response = _client_of(student).post(
        reverse("interviews:create_share", args=[interview.public_id]),
        {"days": 7},
        follow=True,
    )
    text = " ".join(str(m) for m in response.context["messages"])
    token = re.search(r"/shared/([\w-]+)/", text).group(1)
    code = re.search(r"access code (\w+)", text).group(1)
    mentor = Client()
    shared = reverse("interviews:shared", args=[token])

    before = mentor.get(shared).content.decode()
    mentor.post(shared, {"code": code})
    after = mentor.get(shared).content.decode()

    assert "quokka" not in before
    assert [word for _at, word in _seek_buttons(after)] == ["tell", "me", "quokka"]


def test_the_report_reads_transcripts_in_the_same_queries(
    student, django_assert_max_num_queries
):
    interview = _interview(student)
    client = _client_of(student)
    client.get(_report(interview))  # warm the session and the caches

    with django_assert_max_num_queries(12) as queries:
        client.get(_report(interview))

    # Read with the answers (a JOIN on SQL, a $lookup on MongoDB), not alone.
    alone = [
        q["sql"]
        for q in queries.captured_queries
        if "transcript" in q["sql"]
        and not any(join in q["sql"] for join in ("JOIN", "$lookup"))
    ]
    assert not alone, alone


def test_the_reviewer_reads_that_a_processed_answer_has_no_transcript_yet(
    client, approver, student
):
    interview = _interview(student, published=False)
    Transcript.objects.all().delete()
    interview.answers.update(state=AnswerState.PROCESSED)

    body = log_in_verified(client, approver).get(_workbench(interview)).content.decode()

    assert "No transcript yet." in body
