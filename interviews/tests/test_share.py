"""Sharing a report with an outside mentor (issue 16)."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.testing import log_in_verified
from interviews.factories import AnswerFactory
from interviews.models import (
    AnswerComment,
    InterviewRequest,
    ReviewResult,
    ShareEvent,
    ShareLink,
)
from interviews.tests.room_helpers import open_interview
from portal.tests.files import fetch, local_disk_only

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(student):
    interview = open_interview(student, questions=1)
    AnswerFactory(
        request=interview,
        question=interview.course.questions.get(),
        duration_seconds=60,
    )
    interview.complete()
    InterviewRequest.objects.filter(pk=interview.pk).update(
        overall_rating=4, result=ReviewResult.PASS
    )
    interview.publish_review(None)
    return interview


def _make_link(student_client, interview, days=7):
    response = student_client.post(
        reverse("interviews:create_share", args=[interview.public_id]),
        {"days": days},
        follow=True,
    )
    text = " ".join(str(m) for m in response.context["messages"])
    token = re.search(r"/shared/([\w-]+)/", text).group(1)
    code = re.search(r"access code (\w+)", text).group(1)
    return token, code


def _open(client, token, code):
    return client.post(reverse("interviews:shared", args=[token]), {"code": code})


def test_the_student_makes_a_link_that_opens_with_its_code(
    student_client, client, published
):
    token, code = _make_link(student_client, published)
    link = ShareLink.objects.get()
    assert token not in link.token_hash and code not in link.code_hash  # hashed
    assert link.expires_at > timezone.now() + timedelta(days=6)

    mentor = client.__class__()
    page = mentor.get(reverse("interviews:shared", args=[token]))
    assert page.status_code == 200
    assert "Access code" in page.content.decode()
    assert page["X-Robots-Tag"] == "noindex, nofollow"
    assert page["Referrer-Policy"] == "same-origin"

    assert _open(mentor, token, code.lower()).status_code == 302
    body = mentor.get(reverse("interviews:shared", args=[token])).content.decode()
    answer = published.answers.get()
    video = reverse("interviews:shared_video", args=[token, answer.public_id])
    assert video in body
    assert '<meta name="robots" content="noindex, nofollow">' in body
    assert "js/player.js" in body  # a fresh link when one expires
    assert fetch(mentor, video).status == 200
    assert ShareEvent.objects.filter(kind=ShareEvent.Kind.OPENED).count() == 1


@local_disk_only
def test_behind_nginx_the_mentor_is_sent_to_a_signed_link(
    student_client, client, published, settings
):
    settings.MEDIA_ACCEL_REDIRECT = settings.MEDIA_SIGNED_LINKS = True
    token, code = _make_link(student_client, published)
    answer = published.answers.get()
    _open(client, token, code)

    response = client.get(
        reverse("interviews:shared_video", args=[token, answer.public_id])
    )

    assert response.status_code == 302
    assert response["Location"].startswith(f"/_media/{answer.file.name}?md5=")
    assert response["Cache-Control"] == "private, no-store"
    assert response["Referrer-Policy"] == "same-origin"


def test_a_wrong_code_opens_nothing_and_is_logged(student_client, client, published):
    token, _code = _make_link(student_client, published)
    answer = published.answers.get()

    response = _open(client, token, "WRONG123")

    assert response.status_code == 200
    assert "That code does not open this link." in response.content.decode()
    video = reverse("interviews:shared_video", args=[token, answer.public_id])
    assert client.get(video).status_code == 404
    assert ShareEvent.objects.filter(kind=ShareEvent.Kind.WRONG_CODE).count() == 1


def test_guessing_codes_is_rate_limited(student_client, client, published, settings):
    settings.RATELIMIT_ENABLED = True
    token, code = _make_link(student_client, published)
    for _ in range(10):
        _open(client, token, "WRONG123")

    assert _open(client, token, code).status_code == 429


def test_the_mentor_comments_and_the_student_sees_it_marked(
    student_client, client, published
):
    token, code = _make_link(student_client, published)
    _open(client, token, code)
    answer = published.answers.get()
    prefix = f"comment-{answer.public_id}"

    client.post(
        reverse("interviews:shared_comment", args=[token, answer.public_id]),
        {
            f"{prefix}-mentor_name": "Dr Rao",
            f"{prefix}-at_seconds": "20",
            f"{prefix}-text": "Pause here.",
        },
    )

    comment = AnswerComment.objects.get()
    assert (comment.mentor_name, comment.author, comment.share) == (
        "Dr Rao",
        None,
        ShareLink.objects.get(),
    )
    report = student_client.get(
        reverse("interviews:report", args=[published.public_id])
    ).content.decode()
    assert "Pause here." in report and "Mentor: Dr Rao" in report


def test_a_revoked_link_no_longer_opens(student_client, client, published):
    token, code = _make_link(student_client, published)
    _open(client, token, code)
    link = ShareLink.objects.get()

    student_client.post(
        reverse("interviews:revoke_share", args=[published.public_id, link.public_id])
    )

    assert client.get(reverse("interviews:shared", args=[token])).status_code == 404
    answer = published.answers.get()
    video = reverse("interviews:shared_video", args=[token, answer.public_id])
    assert client.get(video).status_code == 404
    assert ShareEvent.objects.filter(kind=ShareEvent.Kind.REVOKED).count() == 1


def test_an_expired_link_no_longer_opens(student_client, client, published):
    token, code = _make_link(student_client, published, days=1)
    ShareLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert _open(client, token, code).status_code == 404


def test_only_the_student_or_an_approver_can_share_or_revoke(
    client, other_student, student_client, published
):
    _make_link(student_client, published)
    link = ShareLink.objects.get()
    client.force_login(other_student)

    create = client.post(
        reverse("interviews:create_share", args=[published.public_id]), {"days": 7}
    )
    revoke = client.post(
        reverse("interviews:revoke_share", args=[published.public_id, link.public_id])
    )

    assert (create.status_code, revoke.status_code) == (404, 404)
    assert ShareLink.objects.count() == 1
    link.refresh_from_db()
    assert link.revoked_at is None


def test_a_link_opens_only_its_own_interviews_answers(
    student_client, client, student, published
):
    token, code = _make_link(student_client, published)
    _open(client, token, code)
    elsewhere = AnswerFactory()

    video = reverse("interviews:shared_video", args=[token, elsewhere.public_id])
    assert client.get(video).status_code == 404


def test_superusers_read_the_share_log_in_the_console(
    client, superuser, student_client, published
):
    _make_link(student_client, published)
    link = ShareLink.objects.get()
    log_in_verified(client, superuser)

    page = client.get(reverse("admin:interviews_sharelink_change", args=[link.pk]))

    assert page.status_code == 200
    assert "Created" in page.content.decode()
