"""The user behind a session comes from the shared cache (accounts/backends.py)."""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.backends import CachedModelBackend, users

pytestmark = pytest.mark.django_db
User = get_user_model()
DASHBOARD = reverse("dashboard")


def _user_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return [
        q["sql"]
        for q in queries
        # SQL text, or db.<collection>.<method>(...) on MongoDB (issue 18)
        if '"accounts_user"' in q["sql"] or q["sql"].startswith("db.accounts_user.")
    ]


def test_it_reads_the_user_from_the_database_once(student_client):
    assert len(_user_queries(student_client, DASHBOARD)) == 1
    assert _user_queries(student_client, DASHBOARD) == []


def test_deactivating_a_student_logs_them_out_at_once(student_client, student):
    student_client.get(DASHBOARD)  # cached
    student.is_active = False
    student.save()

    response = student_client.get(DASHBOARD)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_password_change_ends_the_other_sessions_at_once(student_client, student):
    student_client.get(DASHBOARD)  # cached, with the old password hash
    student.set_password("a-new-long-password-42")
    student.save()

    assert student_client.get(DASHBOARD).status_code == 302


def test_making_a_student_staff_shows_the_console_link_at_once(student_client, student):
    assert "Approval console" not in student_client.get(DASHBOARD).content.decode()
    student.is_staff = True
    student.save()

    # Staff at once: so asked to set up a second factor first (issue 12).
    assert "/accounts/2fa/setup/" in student_client.get(DASHBOARD)["Location"]


def test_a_read_that_raced_a_save_cannot_put_the_old_user_back(
    student, django_capture_on_commit_callbacks
):
    old = User.objects.get(pk=student.pk)  # loaded before the save committed
    with django_capture_on_commit_callbacks(execute=True):
        student.is_active = False
        student.save()

    # The late read fills the entry with add(), which finds the committed row.
    assert cache.add(users.key(student.pk), old) is False
    assert CachedModelBackend().get_user(student.pk) is None


def test_a_deleted_user_stays_gone(student, django_capture_on_commit_callbacks):
    old = User.objects.get(pk=student.pk)
    pk = student.pk
    with django_capture_on_commit_callbacks(execute=True):
        student.delete()

    assert cache.add(users.key(pk), old) is False
    assert CachedModelBackend().get_user(pk) is None
