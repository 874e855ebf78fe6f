"""Concurrent uploads on PostgreSQL: exactly one answer per question, exactly
one completion and one email. Run with DATABASE_URL=postgres://..."""

import threading

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import Client

from interviews.factories import webm_bytes
from interviews.models import Answer, RequestEvent, RequestStatus
from interviews.tests.room_helpers import (
    open_interview,
    post_chunk,
    post_finish,
    send_answer,
    stored_answer_files,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("immediate_tasks"),
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        not in ("postgresql", "mongodb"),  # issue 18
        reason="concurrency is tested on PostgreSQL",
    ),
]


def _in_parallel(jobs):
    """Run the callables at the same moment, each in its own thread."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def run(index, job):
        try:
            barrier.wait()
            results[index] = job()
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(index, job))
        for index, job in enumerate(jobs)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_same_answer_sent_four_times_at_once_is_stored_once(student):
    """Four tabs send the same take and submit it, all at once; like the room,
    each sends again when told the server is busy. One submission wins."""
    interview = open_interview(student, questions=2)
    question = interview.course.questions.order_by("order").first()
    body = webm_bytes(200_000)
    files_before = set(stored_answer_files())
    clients = [_client_for(student) for _ in range(4)]

    def send(client):
        for _ in range(20):
            response = send_answer(client, interview, question, body, 50_000)
            if response.json().get("code") != "busy":
                return response
        return response

    responses = _in_parallel([lambda c=c: send(c) for c in clients])

    codes = sorted(response.status_code for response in responses)
    assert codes == [200, 409, 409, 409], [r.json() for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {
        "already_submitted"
    }
    answer = Answer.objects.get(request=interview, question=question)
    assert answer.size == len(body)
    with answer.file.open("rb") as stored:
        assert stored.read() == body
    assert len(set(stored_answer_files()) - files_before) == 1


def test_the_last_two_answers_at_once_complete_the_interview_once(student, approver):
    interview = open_interview(student, questions=2)
    first, second = interview.course.questions.order_by("order")
    clients = [_client_for(student), _client_for(student)]
    for question in (first, second):
        assert (
            post_chunk(clients[0], interview, question, webm_bytes()).status_code == 201
        )

    responses = _in_parallel(
        [
            lambda: post_finish(clients[0], interview, first, 2048),
            lambda: post_finish(clients[1], interview, second, 2048),
        ]
    )

    assert [r.status_code for r in responses] == [200, 200]
    assert sorted(r.json()["completed"] for r in responses) == [False, True]
    interview.refresh_from_db()
    assert interview.status == RequestStatus.COMPLETED
    assert (
        RequestEvent.objects.filter(
            request=interview, to_status=RequestStatus.COMPLETED
        ).count()
        == 1
    )
    assert [m.to for m in mail.outbox] == [[approver.email]]


def test_the_same_chunk_sent_four_times_at_once_is_stored_once(student):
    interview = open_interview(student, questions=1)
    question = interview.course.questions.get()
    first, second = webm_bytes(50_000), b"\x33" * 40_000
    files_before = set(stored_answer_files())
    clients = [_client_for(student) for _ in range(4)]

    heads = _in_parallel(
        [lambda c=c: post_chunk(c, interview, question, first) for c in clients]
    )
    tails = _in_parallel(
        [
            lambda c=c: post_chunk(c, interview, question, second, offset=50_000)
            for c in clients
        ]
    )

    for responses in (heads, tails):
        codes = sorted(r.status_code for r in responses)
        assert codes.count(201) == 1, codes
        assert set(codes) <= {200, 201, 409}
        assert all(
            r.json().get("code") == "busy" for r in responses if r.status_code == 409
        )
    answer = Answer.objects.get(request=interview, question=question)
    assert answer.bytes_received == 90_000
    with answer.file.open("rb") as stored:
        assert stored.read() == first + second
    assert len(set(stored_answer_files()) - files_before) == 1
