"""The benchmarks' scale seeder (bench/scale.py): a realistic mix, in bulk."""

import hashlib
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from bench.scale import SCALE_PASSWORD, seed_scale
from interviews.models import Answer, InterviewCourse, InterviewRequest, RequestStatus
from payments.models import Payment, PaymentStatus
from portal.storage import private_storage
from portal.tests.files import fetch

pytestmark = pytest.mark.django_db


def _seed_scale(count, with_files=False):
    out = StringIO()
    call_command("seed_demo", "--allow-demo-passwords", stdout=out)
    seed_scale(count, with_files=with_files, stdout=out)
    return out.getvalue()


def test_scale_adds_students_with_a_realistic_mix():
    out = _seed_scale(40)
    scale_students = User.objects.filter(username__startswith="scale")
    assert scale_students.count() == 40
    # bulk_create skips save(): the user queryset keys the addresses (issue 12).
    assert scale_students.filter(email_key__gt="").count() == 40
    assert "scale: 40 students" in out
    assert set(Payment.objects.values_list("status", flat=True)) == set(
        PaymentStatus.values
    )
    assert {
        RequestStatus.PENDING,
        RequestStatus.SCHEDULED,
        RequestStatus.REJECTED,
        RequestStatus.COMPLETED,
        RequestStatus.MISSED,
    } <= set(InterviewRequest.objects.values_list("status", flat=True))
    assert Payment.objects.count() + InterviewRequest.objects.count() >= 40 * 3


def test_scale_reviews_most_completed_interviews():
    _seed_scale(60)
    completed = InterviewRequest.objects.filter(status=RequestStatus.COMPLETED)
    reviewed = completed.filter(reviewed_at__isnull=False)
    awaiting = completed.filter(reviewed_at__isnull=True)
    assert reviewed.exists() and awaiting.exists()
    for request in completed.select_related("payment", "course"):
        assert request.payment.consumed_at is not None
        assert request.answers.count() == request.course.questions.count()
    for request in reviewed:
        assert request.overall_rating and request.result and request.feedback
        assert not request.answers.filter(rating__isnull=True).exists()
    for request in awaiting:
        assert not request.overall_rating and not request.result
        assert not request.answers.filter(rating__isnull=False).exists()
    missed = InterviewRequest.objects.filter(status=RequestStatus.MISSED)
    assert missed.exists()
    assert not missed.filter(payment__consumed_at__isnull=False).exists()
    pending = Payment.objects.filter(status=PaymentStatus.PENDING_VERIFICATION)
    assert not pending.filter(reviewed_at__isnull=False).exists()
    rejected = Payment.objects.filter(status=PaymentStatus.REJECTED)
    assert not rejected.filter(remarks="").exists()


def test_scale_spreads_submission_times_oldest_first_queue_is_meaningful():
    _seed_scale(20)
    times = set(Payment.objects.values_list("created_at", flat=True))
    assert len(times) > Payment.objects.count() // 2


def test_scale_students_log_in_with_the_shared_password(client):
    _seed_scale(3)
    assert client.login(username="scale000003", password=SCALE_PASSWORD)
    assert not client.login(username="scale000003", password="wrong-password")


def test_scale_twice_adds_more_students_without_conflicts():
    _seed_scale(15)
    payments = Payment.objects.count()
    out = _seed_scale(15)
    assert User.objects.filter(username__startswith="scale").count() == 30
    assert "scale000016..scale000030" in out
    assert Payment.objects.count() > payments
    assert InterviewCourse.objects.count() == 5


def test_scale_runs_in_bulk_not_row_by_row():
    call_command("seed_demo", "--allow-demo-passwords", stdout=StringIO())
    with CaptureQueriesContext(connection) as few:
        _seed_scale(5)
    with CaptureQueriesContext(connection) as many:
        _seed_scale(100)
    # bulk_create splits rows into batches (SQLite caps a query's parameters),
    # so a few more queries, but far fewer than one per extra student.
    assert len(many) - len(few) < 95 / 4


def test_scale_refuses_a_negative_count():
    with pytest.raises(ValueError, match="zero or more"):
        _seed_scale(-1)


def test_scale_writes_files_only_when_asked():
    _seed_scale(3)
    storage = private_storage()
    assert not any(storage.exists(p.proof.name) for p in Payment.objects.all())

    _seed_scale(3, with_files=True)
    payments = Payment.objects.filter(student__username__gte="scale000004")
    assert payments.exists()
    for payment in payments:
        content = storage.open(payment.proof.name).read()
        assert content.startswith(b"\x89PNG")
        assert hashlib.sha256(content).hexdigest() == payment.proof_sha256
    answers = Answer.objects.filter(request__student__username__gte="scale000004")
    for answer in answers:
        assert storage.open(answer.file.name).read(4) == b"\x1a\x45\xdf\xa3"
        assert answer.size == storage.size(answer.file.name)


def test_scale_student_can_open_their_seeded_proof(client):
    _seed_scale(2, with_files=True)
    payment = Payment.objects.select_related("student").first()
    client.force_login(payment.student)
    served = fetch(client, reverse("payments:proof", args=[payment.public_id]))
    assert served.status == 200
    assert served.body.startswith(b"\x89PNG")
