import pytest
from django.urls import reverse

from accounts.testing import log_in_verified
from interviews.factories import AnswerFactory, webm_bytes
from portal.http import parse_range
from portal.tests.files import fetch, local_disk_only

BODY = webm_bytes(10_000)


@pytest.fixture
def answer(student):
    return AnswerFactory(request__student=student, video_bytes=BODY)


def _video(client, answer, **headers):
    """The view's answer, followed to the bucket on S3 (portal/tests/files.py):
    Range works the same whoever sends the bytes."""
    url = reverse("interviews:answer_video", args=[answer.public_id])
    return fetch(client, url, headers)


def test_owner_gets_the_whole_recording(student_client, answer):
    served = _video(student_client, answer)

    assert served.status == 200
    assert served.body == BODY
    assert served.headers["Content-Type"] == "video/webm"
    assert served.headers["Content-Length"] == str(len(BODY))
    assert served.headers["Accept-Ranges"] == "bytes"
    assert "no-store" in served.headers["Cache-Control"]


@local_disk_only
def test_the_streamed_recording_is_not_sniffed(student_client, answer):
    served = _video(student_client, answer)

    assert served.headers["X-Content-Type-Options"] == "nosniff"


def test_a_range_gets_206_with_content_range(student_client, answer):
    served = _video(student_client, answer, Range="bytes=100-199")

    assert served.status == 206
    assert served.headers["Content-Range"] == f"bytes 100-199/{len(BODY)}"
    assert served.headers["Content-Length"] == "100"
    assert served.body == BODY[100:200]


def test_an_open_ended_range_runs_to_the_end(student_client, answer):
    served = _video(student_client, answer, Range="bytes=9000-")

    assert served.status == 206
    assert served.headers["Content-Range"] == f"bytes 9000-9999/{len(BODY)}"
    assert served.body == BODY[9000:]


def test_a_suffix_range_gets_the_last_bytes(student_client, answer):
    served = _video(student_client, answer, Range="bytes=-10")

    assert served.status == 206
    assert served.body == BODY[-10:]


def test_a_range_past_the_end_gets_416(student_client, answer):
    served = _video(student_client, answer, Range=f"bytes={len(BODY)}-")

    assert served.status == 416


@local_disk_only
def test_a_416_says_the_size(student_client, answer):
    served = _video(student_client, answer, Range=f"bytes={len(BODY)}-")

    assert served.headers["Content-Range"] == f"bytes */{len(BODY)}"


def test_several_ranges_get_the_whole_file(student_client, answer):
    served = _video(student_client, answer, Range="bytes=0-1,5-6")

    assert served.status == 200
    assert served.body == BODY


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
    assert _video(approver_client, answer).status == 200


def test_superuser_can_watch_a_recording(client, superuser, answer):
    log_in_verified(client, superuser)

    assert _video(client, answer).status == 200


def test_other_student_cannot_watch_a_recording(client, other_student, answer):
    log_in_verified(client, other_student)

    assert _video(client, answer).status == 404


def test_staff_outside_the_approvers_group_cannot_watch(client, answer):
    from accounts.factories import UserFactory

    log_in_verified(client, UserFactory(username="staffer", is_staff=True))

    assert _video(client, answer).status == 404


def test_anonymous_is_sent_to_login(client, answer):
    url = reverse("interviews:answer_video", args=[answer.public_id])
    response = client.get(url)

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
