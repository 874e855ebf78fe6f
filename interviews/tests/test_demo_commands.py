import hashlib
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.factories import TEST_PASSWORD, UserFactory
from accounts.models import User
from accounts.roles import APPROVERS_GROUP
from interviews.management.commands.seed_demo import SCALE_PASSWORD
from interviews.models import (
    Answer,
    InterviewCourse,
    InterviewQuestion,
    InterviewRequest,
    RequestStatus,
)
from payments.models import Payment, PaymentStatus
from portal.storage import private_storage
from portal.tests.files import fetch

pytestmark = pytest.mark.django_db


def _snapshot():
    return (
        sorted(InterviewCourse.objects.values_list("slug", "title", "fee")),
        sorted(InterviewQuestion.objects.values_list("course__slug", "order", "text")),
        sorted(User.objects.values_list("username", "is_staff", "password")),
    )


def test_seed_demo_creates_courses_and_accounts():
    out = StringIO()
    call_command("seed_demo", "--allow-demo-passwords", stdout=out)
    assert InterviewCourse.objects.count() == 5
    for course in InterviewCourse.objects.all():
        assert 3 <= course.questions.count() <= 5
    admin1 = User.objects.get(username="admin1")
    assert admin1.is_staff and not admin1.is_superuser
    assert admin1.groups.filter(name=APPROVERS_GROUP).exists()
    assert admin1.check_password("admin123")
    student1 = User.objects.get(username="student1")
    assert not student1.is_staff and student1.check_password("student123")
    assert "approver admin1: created" in out.getvalue()


def test_seed_demo_twice_changes_nothing():
    call_command("seed_demo", "--allow-demo-passwords", stdout=StringIO())
    before = _snapshot()
    out = StringIO()
    call_command("seed_demo", "--allow-demo-passwords", stdout=out)
    assert _snapshot() == before
    assert "student student1: exists" in out.getvalue()


def test_seed_demo_refuses_known_passwords_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="well-known"):
        call_command("seed_demo", stdout=StringIO())
    assert not User.objects.filter(username="admin1").exists()


def test_reset_demo_touches_only_demo_users():
    call_command("seed_demo", "--allow-demo-passwords", stdout=StringIO())
    student1 = User.objects.get(username="student1")
    student1.set_password("changed-by-student-1")
    student1.save()
    outsider = UserFactory(username="realstudent")
    out = StringIO()
    call_command("reset_demo", "--allow-demo-passwords", stdout=out)
    student1.refresh_from_db()
    outsider.refresh_from_db()
    assert student1.check_password("student123")
    assert outsider.check_password(TEST_PASSWORD)
    assert "passwords reset" in out.getvalue()


def _seed_scale(count, *extra):
    out = StringIO()
    call_command(
        "seed_demo", "--allow-demo-passwords", "--scale", str(count), *extra, stdout=out
    )
    return out.getvalue()


def test_seed_demo_scale_adds_students_with_a_realistic_mix():
    out = _seed_scale(40)
    scale_students = User.objects.filter(username__startswith="scale")
    assert scale_students.count() == 40
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


def test_seed_demo_scale_reviews_most_completed_interviews():
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


def test_seed_demo_scale_spreads_submission_times_oldest_first_queue_is_meaningful():
    _seed_scale(20)
    times = set(Payment.objects.values_list("created_at", flat=True))
    assert len(times) > Payment.objects.count() // 2


def test_scale_students_log_in_with_the_shared_password(client):
    _seed_scale(3)
    assert client.login(username="scale000003", password=SCALE_PASSWORD)
    assert not client.login(username="scale000003", password="wrong-password")


def test_seed_demo_scale_twice_adds_more_students_without_conflicts():
    _seed_scale(15)
    payments = Payment.objects.count()
    out = _seed_scale(15)
    assert User.objects.filter(username__startswith="scale").count() == 30
    assert "scale000016..scale000030" in out
    assert Payment.objects.count() > payments
    assert InterviewCourse.objects.count() == 5


def test_seed_demo_scale_runs_in_bulk_not_row_by_row():
    call_command("seed_demo", "--allow-demo-passwords", stdout=StringIO())
    with CaptureQueriesContext(connection) as few:
        _seed_scale(5)
    with CaptureQueriesContext(connection) as many:
        _seed_scale(100)
    # bulk_create splits rows into batches (SQLite caps a query's parameters),
    # so a few more queries, but far fewer than one per extra student.
    assert len(many) - len(few) < 95 / 4


def test_seed_demo_refuses_a_negative_scale():
    with pytest.raises(CommandError, match="zero or more"):
        _seed_scale(-1)


def test_seed_demo_scale_writes_files_only_when_asked():
    _seed_scale(3)
    storage = private_storage()
    assert not any(storage.exists(p.proof.name) for p in Payment.objects.all())

    _seed_scale(3, "--with-files")
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
    _seed_scale(2, "--with-files")
    payment = Payment.objects.select_related("student").first()
    client.force_login(payment.student)
    served = fetch(client, reverse("payments:proof", args=[payment.public_id]))
    assert served.status == 200
    assert served.body.startswith(b"\x89PNG")
