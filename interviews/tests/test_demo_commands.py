from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.factories import TEST_PASSWORD, UserFactory
from accounts.models import User
from accounts.roles import APPROVERS_GROUP
from interviews.models import (
    InterviewCourse,
    InterviewQuestion,
)

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
    assert student1.email_key == student1.email.lower()  # one account per address
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
