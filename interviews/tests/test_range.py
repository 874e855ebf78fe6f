import pytest
from django.urls import reverse

from accounts.testing import log_in_verified
from interviews.factories import AnswerFactory, webm_bytes
from portal.http import parse_range

BODY = webm_bytes(10_000)


@pytest.fixture
def answer(student):
    return AnswerFactory(request__student=student, video_bytes=BODY)


def _video(client, answer, **headers):
    url = reverse("interviews:answer_video", args=[answer.public_id])
    return client.get(url, headers=headers)


def _content(response):
    return b"".join(response.streaming_content)


def test_owner_gets_the_whole_recording(student_client, answer):
    response = _video(student_client, answer)

    assert response.status_code == 200
    assert _content(response) == BODY
    assert response["Content-Type"] == "video/webm"
    assert response["Content-Length"] == str(len(BODY))
    assert response["Accept-Ranges"] == "bytes"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


def test_a_range_gets_206_with_content_range(student_client, answer):
    response = _video(student_client, answer, Range="bytes=100-199")

    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 100-199/{len(BODY)}"
    assert response["Content-Length"] == "100"
    assert _content(response) == BODY[100:200]


def test_an_open_ended_range_runs_to_the_end(student_client, answer):
    response = _video(student_client, answer, Range="bytes=9000-")

    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 9000-9999/{len(BODY)}"
    assert _content(response) == BODY[9000:]


def test_a_suffix_range_gets_the_last_bytes(student_client, answer):
    response = _video(student_client, answer, Range="bytes=-10")

    assert response.status_code == 206
    assert _content(response) == BODY[-10:]


def test_a_range_past_the_end_gets_416(student_client, answer):
    response = _video(student_client, answer, Range=f"bytes={len(BODY)}-")

    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(BODY)}"


def test_several_ranges_get_the_whole_file(student_client, answer):
    response = _video(student_client, answer, Range="bytes=0-1,5-6")

    assert response.status_code == 200
    assert _content(response) == BODY


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-0", (0, 0)),
        ("bytes=5-", (5, 99)),
        ("bytes=-5", (95, 99)),
        ("bytes=-500", (0, 99)),
        ("bytes=90-500", (90, 99)),
        ("items=0-5", None),
    ],
)
def test_parse_range(header, expected):
    assert parse_range(header, 100) == expected


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=50-10", "bytes=-0"])
def test_parse_range_refuses_what_cannot_be_satisfied(header):
    with pytest.raises(ValueError):
        parse_range(header, 100)


def test_approver_can_watch_a_recording(approver_client, answer):
    assert _video(approver_client, answer).status_code == 200


def test_superuser_can_watch_a_recording(client, superuser, answer):
    log_in_verified(client, superuser)

    assert _video(client, answer).status_code == 200


def test_other_student_cannot_watch_a_recording(client, other_student, answer):
    log_in_verified(client, other_student)

    assert _video(client, answer).status_code == 404


def test_staff_outside_the_approvers_group_cannot_watch(client, answer):
    from accounts.factories import UserFactory

    log_in_verified(client, UserFactory(username="staffer", is_staff=True))

    assert _video(client, answer).status_code == 404


def test_anonymous_is_sent_to_login(client, answer):
    response = _video(client, answer)

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
