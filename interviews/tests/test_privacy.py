import io
import json
import zipfile
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.factories import TEST_PASSWORD
from accounts.models import User
from accounts.testing import log_in_verified
from interviews.factories import AnswerFactory, InterviewRequestFactory
from interviews.models import Answer, InterviewRequest, RequestEvent, RequestStatus
from payments.factories import PaymentFactory
from payments.models import Payment, PaymentEvent
from portal.sessions import SessionStore
from portal.storage import walk
from portal.tests.files import empty_private_storage

pytestmark = pytest.mark.django_db

ACCOUNT = reverse("interviews:account")
EXPORT = reverse("interviews:account_export")
DELETE = reverse("interviews:account_delete")


@pytest.fixture
def media(settings, tmp_path):
    """An empty private folder: files of earlier tests outlive their rows."""
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    empty_private_storage()


@pytest.fixture
def history(media, student, approver):
    """A reviewed interview with two answers, a pending request and a rejected
    payment: one of everything the student owns."""
    reviewed = AnswerFactory(
        request__student=student, request__course__title="HR Round"
    ).request
    AnswerFactory(request=reviewed, question__course=reviewed.course)
    reviewed.status = RequestStatus.COMPLETED
    reviewed.completed_at = timezone.now()
    reviewed.overall_rating = 4
    reviewed.result = "pass"
    reviewed.feedback = "Clear answers."
    reviewed.reviewed_by = approver
    reviewed.reviewed_at = timezone.now()
    reviewed.save()
    RequestEvent.objects.create(
        request=reviewed, from_status="scheduled", to_status="completed"
    )
    pending = InterviewRequestFactory(student=student)
    rejected = PaymentFactory(student=student)
    rejected.reject(approver, "Screenshot unreadable.")
    return {"reviewed": reviewed, "pending": pending, "rejected": rejected}


def _check_media():
    out = StringIO()
    call_command("check_media", "--min-age-minutes", "0", stdout=out)
    return out.getvalue()


def test_the_account_page_is_in_the_nav_and_says_what_is_kept(student_client):
    body = student_client.get(reverse("dashboard")).content.decode()
    assert f'href="{ACCOUNT}"' in body
    page = student_client.get(ACCOUNT).content.decode()
    assert "Download my data" in page
    assert "The law requires us to keep payment records" in page


def test_the_export_holds_the_json_and_the_files_byte_for_byte(
    student_client, student, history, media
):
    response = student_client.get(EXPORT)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    data = json.loads(archive.read("data.json"))

    assert data["profile"]["username"] == "student"
    assert data["profile"]["email"] == student.email
    payments = {p["reference"]: p for p in data["payments"]}
    assert len(payments) == Payment.objects.filter(student=student).count() == 3
    rejected = payments[history["rejected"].reference]
    assert rejected["status"] == "rejected"
    assert rejected["events"][0]["remarks"] == "Screenshot unreadable."
    for payment in Payment.objects.filter(student=student):
        name = payments[payment.reference]["proof_file"]
        with payment.proof.open("rb") as stored:
            assert archive.read(name) == stored.read()

    requests = {r["payment"]: r for r in data["interview_requests"]}
    reviewed = requests[history["reviewed"].payment.reference]
    assert reviewed["review"]["feedback"] == "Clear answers."
    assert reviewed["events"][0]["to"] == "completed"
    assert requests[history["pending"].payment.reference]["review"] is None
    assert len(reviewed["answers"]) == 2
    for answer, stored in zip(
        reviewed["answers"],
        Answer.objects.filter(request=history["reviewed"]).order_by("created_at"),
        strict=True,
    ):
        with stored.file.open("rb") as handle:
            assert archive.read(answer["recording_file"]) == handle.read()


def test_the_export_holds_nothing_of_another_student(
    client, other_student, history, media
):
    log_in_verified(client, other_student)
    response = client.get(EXPORT)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    data = json.loads(archive.read("data.json"))
    assert data["payments"] == data["interview_requests"] == []
    assert archive.namelist() == ["data.json"]


def test_a_wrong_password_deletes_nothing(student_client, student, history, media):
    response = student_client.post(DELETE, {"password": "not-my-password"})
    assert response.status_code == 400
    assert "nothing was deleted" in response.content.decode()
    assert User.objects.get(pk=student.pk).deleted_at is None
    assert InterviewRequest.objects.filter(student=student).count() == 2
    assert student_client.get(ACCOUNT).status_code == 200


def test_deleting_keeps_only_the_anonymised_payments(
    student_client,
    student,
    other_student,
    history,
    media,
    django_capture_on_commit_callbacks,
):
    theirs = AnswerFactory(request__student=other_student)
    their_proof = theirs.request.payment.proof.name
    utrs = set(Payment.objects.filter(student=student).values_list("utr", flat=True))
    second = Client()
    second.force_login(student)  # another browser: logged out too
    second_key = second.cookies[settings.SESSION_COOKIE_NAME].value

    with django_capture_on_commit_callbacks(execute=True):
        response = student_client.post(DELETE, {"password": TEST_PASSWORD})
    assert response.status_code == 302

    tombstone = User.objects.get(pk=student.pk)
    assert tombstone.username.startswith("deleted-")
    assert tombstone.email == tombstone.full_name == tombstone.phone == ""
    assert not tombstone.has_usable_password()
    assert not tombstone.is_active
    assert tombstone.display_name == "deleted student"

    assert not InterviewRequest.objects.filter(student=student).exists()
    assert not Answer.objects.filter(request__student=student).exists()
    kept = Payment.objects.filter(student=student)
    assert set(kept.values_list("utr", flat=True)) == utrs
    assert set(kept.values_list("proof", flat=True)) == {""}
    assert set(kept.values_list("remarks", flat=True)) == {""}
    assert not PaymentEvent.objects.filter(payment__student=student).exclude(remarks="")

    # No file and no row of theirs is left behind.
    assert "Media and records match." in _check_media()
    stored = {name for name, _size, _modified in walk()}
    assert stored == {their_proof, theirs.file.name}

    # Logged out everywhere; the old login does not work.
    assert student_client.get(ACCOUNT).status_code == 302
    assert second.get(ACCOUNT).status_code == 302
    assert not SessionStore().exists(second_key)  # neither cache nor database
    assert not Session.objects.exists() or all(
        s.get_decoded().get("_auth_user_id") != str(student.pk)
        for s in Session.objects.all()
    )
    assert not Client().login(username="student", password=TEST_PASSWORD)
    # The other student's data is untouched.
    assert Answer.objects.filter(pk=theirs.pk).exists()


def test_approvers_see_a_deleted_student(student_client, approver, history):
    reference = history["rejected"].reference
    assert student_client.post(DELETE, {"password": TEST_PASSWORD}).status_code == 302
    changelist = (
        log_in_verified(Client(), approver)
        .get(reverse("admin:payments_payment_changelist"), {"status": "rejected"})
        .content.decode()
    )
    assert reference in changelist
    assert "deleted student" in changelist
    assert "Priya Student" not in changelist
    proof = reverse("payments:proof", args=[history["rejected"].public_id])
    assert log_in_verified(Client(), approver).get(proof).status_code == 404


def test_staff_cannot_delete_themselves(approver_client, approver):
    page = approver_client.get(ACCOUNT).content.decode()
    assert "Staff accounts cannot be deleted here" in page
    response = approver_client.post(DELETE, {"password": TEST_PASSWORD})
    assert response.status_code == 302
    assert User.objects.get(pk=approver.pk).deleted_at is None


def test_wrong_passwords_are_limited(student_client, student, settings):
    settings.RATELIMIT_DELETE_ACCOUNT = "2/h"
    for _ in range(2):
        student_client.post(DELETE, {"password": "guess"})
    response = student_client.post(DELETE, {"password": TEST_PASSWORD})
    assert "Too many wrong passwords" in response.content.decode()
    assert User.objects.get(pk=student.pk).deleted_at is None
