"""The private files in a bucket (MEDIA_STORAGE=s3, issue 15), against moto's
S3 server over HTTP (portal/tests/s3.py). These run in every suite, on a
server and bucket of their own; TEST_MEDIA_STORAGE=s3 runs all the others on S3
as well."""

import shutil
import urllib.error
import urllib.request
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from accounts.testing import log_in_verified
from interviews import chunks
from interviews.factories import AnswerFactory, webm_bytes
from interviews.housekeeping import clean_stale_uploads
from interviews.models import Answer, AnswerState
from interviews.tests.room_helpers import open_interview, post_chunk, post_finish
from portal.storage import PARTS_PREFIX, private_storage, unguessable_name, walk
from portal.tests import s3
from portal.tests.files import fetch

pytestmark = pytest.mark.django_db
BUCKET = "portal-object-storage-tests"
BODY = webm_bytes(10_000)
CUES_ID = b"\x1c\x53\xbb\x6b"


@pytest.fixture(scope="module")
def endpoint():
    server, url = s3.start_server()
    s3.create_bucket(url, BUCKET)
    yield url
    server.stop()


@pytest.fixture
def bucket(settings, endpoint):
    """The private storage on the test bucket, for this test."""
    settings.STORAGES = {
        **settings.STORAGES,
        "private": s3.storage_options(endpoint, BUCKET),
    }
    return private_storage()


def _get(url, **headers):
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _parts():
    return [name for name, _size, _modified in walk(PARTS_PREFIX)]


def test_a_stored_file_is_private(bucket, endpoint):
    name = bucket.save(unguessable_name("proofs", "png"), ContentFile(b"\x89PNG"))

    status, _ = _get(f"{endpoint}/{BUCKET}/{name}")

    assert status == 403
    acl = s3.client(endpoint).get_object_acl(Bucket=BUCKET, Key=name)
    assert [grant["Grantee"].get("URI") for grant in acl["Grants"]] == [None]
    # Names are the server's: a second save never overwrites the first.
    assert bucket.save(name, ContentFile(b"other")) != name


def test_an_approver_is_sent_to_a_short_lived_signed_url(
    bucket, endpoint, approver_client, student, settings
):
    settings.MEDIA_URL_EXPIRE_SECONDS = 60
    answer = AnswerFactory(request__student=student, video_bytes=BODY)

    response = approver_client.get(
        reverse("interviews:answer_video", args=[answer.public_id])
    )

    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    location = response["Location"]
    assert location.startswith(f"{endpoint}/{BUCKET}/answers/")
    query = parse_qs(urlsplit(location).query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == ["60"]
    signed_at = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ")
    assert (
        abs((datetime.now(UTC).replace(tzinfo=None) - signed_at).total_seconds()) < 60
    )
    assert query["response-content-type"] == ["video/webm"]
    # moto checks neither signatures nor expiry (S3 and R2 do): what is asserted
    # here is that the URL asks for both, and that the bucket serves it.
    status, body = _get(location, Range="bytes=100-199")
    assert (status, body) == (206, BODY[100:200])


def test_the_redirect_is_given_only_after_the_permission_check(
    bucket, client, student, other_student
):
    answer = AnswerFactory(request__student=student, video_bytes=BODY)
    url = reverse("interviews:answer_video", args=[answer.public_id])
    log_in_verified(client, other_student)

    response = client.get(url)

    assert response.status_code == 404
    assert "Location" not in response


def test_a_proof_is_served_from_the_bucket_to_its_owner(
    bucket, student_client, student
):
    from payments.factories import PaymentFactory

    payment = PaymentFactory(student=student)
    served = fetch(student_client, reverse("payments:proof", args=[payment.public_id]))

    assert served.redirected
    assert served.status == 200
    assert served.headers["Content-Type"] == "image/png"
    with payment.proof.open("rb") as stored:
        assert served.body == stored.read()


def _send(client, interview, question, data, slices, attempt=1):
    size = -(-len(data) // slices)
    for offset in range(0, len(data), size):
        response = post_chunk(
            client, interview, question, data[offset : offset + size], attempt, offset
        )
        assert response.status_code == 201, response.json()


@pytest.mark.skipif(not shutil.which("ffmpeg"), reason="ffmpeg is installed by .ci/run")
@pytest.mark.usefixtures("immediate_tasks")
def test_chunks_are_objects_until_the_remux_puts_them_together(
    bucket, student_client, student, django_capture_on_commit_callbacks
):
    from interviews.tests.test_media import webm_without_cues

    recording = webm_without_cues()
    interview = open_interview(student, questions=1)
    question = interview.course.questions.get()
    _send(student_client, interview, question, recording, slices=3)
    # A resent chunk is acknowledged from what the bucket holds.
    resent = post_chunk(student_client, interview, question, recording[:100], 1, 0)
    assert resent.status_code == 200 and resent.json()["duplicate"] is True
    answer = Answer.objects.get()
    assert len(_parts()) == 3
    assert not bucket.exists(answer.file.name)  # not a file until the remux
    # Nothing to sign a URL for yet: not a redirect to a missing object.
    video = reverse("interviews:answer_video", args=[answer.public_id])
    assert student_client.get(video).status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        response = post_finish(student_client, interview, question, len(recording))

    assert response.status_code == 200
    answer.refresh_from_db()
    assert answer.state == AnswerState.PROCESSED, answer.processing_error
    assert student_client.get(video).status_code == 302
    with answer.file.open("rb") as fixed:
        assert CUES_ID in fixed.read()
    assert answer.size == bucket.size(answer.file.name)
    assert bucket.exists(answer.poster.name)
    assert _parts() == []


def test_the_data_export_holds_a_take_still_in_parts(
    bucket, student_client, student, django_capture_on_commit_callbacks
):
    import io
    import json
    import zipfile

    body = webm_bytes(9000)
    interview = open_interview(student, questions=1)
    question = interview.course.questions.get()
    _send(student_client, interview, question, body, slices=3)  # not finished
    assert len(_parts()) == 3

    try:
        response = student_client.get(reverse("interviews:account_export"))
        content = b"".join(response.streaming_content)
    finally:  # the bucket is the module's: leave no parts for the next test
        with django_capture_on_commit_callbacks(execute=True):
            Answer.objects.get().delete()

    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(content))
    [exported] = json.loads(archive.read("data.json"))["interview_requests"]
    [answer] = exported["answers"]
    assert archive.read(answer["recording_file"]) == body
    assert _parts() == []


@pytest.mark.parametrize(
    ("state", "listings"),
    [
        (AnswerState.UPLOADED, 1),  # may still be its parts: the bucket is asked
        (AnswerState.PROCESSED, 0),  # one file since the remux: nothing to ask
        (AnswerState.FAILED, 0),  # sealed whole when the remux failed
    ],
)
def test_playing_a_sealed_recording_lists_no_parts(
    bucket, approver_client, student, state, listings
):
    answer = AnswerFactory(request__student=student, video_bytes=BODY, state=state)
    sent = []
    events = bucket.connection.meta.client.meta.events
    operations = [f"before-send.s3.{name}" for name in ("ListObjects", "ListObjectsV2")]
    for operation in operations:  # the real requests, seen as they are sent
        events.register(operation, lambda **kwargs: sent.append(kwargs["request"]))
    try:
        response = approver_client.get(
            reverse("interviews:answer_video", args=[answer.public_id])
        )
    finally:
        for operation in operations:
            events.unregister(operation)

    assert response.status_code == 302
    assert len(sent) == listings


@pytest.mark.usefixtures("immediate_tasks")
def test_a_recording_the_remux_cannot_read_is_kept_whole(
    bucket, student_client, student, django_capture_on_commit_callbacks
):
    body = webm_bytes(5000)
    interview = open_interview(student, questions=1)
    question = interview.course.questions.get()
    _send(student_client, interview, question, body, slices=2)

    with django_capture_on_commit_callbacks(execute=True):
        post_finish(student_client, interview, question, len(body))

    answer = Answer.objects.get()
    assert answer.state == AnswerState.FAILED
    with answer.file.open("rb") as kept:  # the approver can still download it
        assert kept.read() == body
    assert _parts() == []


def test_a_retake_and_a_deleted_answer_leave_no_parts(
    bucket, student_client, student, django_capture_on_commit_callbacks
):
    interview = open_interview(student, questions=1)
    question = interview.course.questions.get()
    _send(student_client, interview, question, webm_bytes(3000), slices=2)
    first = Answer.objects.get().file.name

    with django_capture_on_commit_callbacks(execute=True):
        _send(
            student_client, interview, question, webm_bytes(2000), slices=1, attempt=2
        )

    answer = Answer.objects.get()
    assert not chunks.has_parts(first)
    assert len(_parts()) == 1
    with django_capture_on_commit_callbacks(execute=True):
        answer.delete()
    assert _parts() == []


def test_the_hourly_task_removes_parts_no_answer_waits_for(
    bucket, student_client, student
):
    interview = open_interview(student, questions=1)
    question = interview.course.questions.get()
    _send(student_client, interview, question, webm_bytes(3000), slices=1)
    left_behind = unguessable_name("answers", "webm")
    chunks.write(left_behind, 0, b"a take whose row was rolled back")

    assert clean_stale_uploads(min_age_minutes=0) == 1

    assert not chunks.has_parts(left_behind)
    assert chunks.has_parts(Answer.objects.get().file.name)  # still recording


@pytest.mark.undone_in_the_test_transaction
def test_an_unreachable_bucket_refuses_a_payment_cleanly(
    endpoint, settings, student_client
):
    from interviews.factories import InterviewCourseFactory
    from payments.models import Payment
    from payments.tests.helpers import png_bytes, upload

    nobody = f"http://127.0.0.1:{s3._free_port()}"  # nothing listens there
    settings.STORAGES = {
        **settings.STORAGES,
        "private": s3.storage_options(nobody, BUCKET),
    }
    course = InterviewCourseFactory()

    response = student_client.post(
        reverse("payments:pay", args=[course.slug]),
        {"utr": "612345678901", "screenshot": upload(png_bytes(), "proof.png")},
    )

    assert response.status_code == 503
    assert "nothing was saved" in response.content.decode()
    assert not Payment.objects.exists()
