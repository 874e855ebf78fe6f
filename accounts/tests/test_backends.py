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


# ---- every writer of a user refreshes the cached user (issue 15, item 6) ----
# Saves and deletes refresh the entry by signal (AccountsConfig.ready); the one
# writer in the code that updates without saving, mark_email_verified (a
# conditional UPDATE), refreshes it itself. Each writer runs after the entry is
# cached, and the next read must see what the database holds.


def _cached(student):
    users.get(student.pk)  # fills the entry
    assert cache.get(users.key(student.pk)) is not None


def _write_by_save(student):
    student.full_name = "Fresh Name"
    student.save()


def _write_by_update_fields(student):
    student.full_name = "Fresh Name"
    student.save(update_fields=["full_name"])


def _write_by_conditional_update(student):
    assert student.mark_email_verified(student.email)


def _write_by_tombstone(student):
    student.make_tombstone()


WRITERS = {
    "save": (_write_by_save, lambda user: user.full_name == "Fresh Name"),
    "save(update_fields)": (
        _write_by_update_fields,
        lambda user: user.full_name == "Fresh Name",
    ),
    "mark_email_verified (a bare UPDATE)": (
        _write_by_conditional_update,
        lambda user: user.email_verified_at is not None,
    ),
    "make_tombstone": (_write_by_tombstone, lambda user: user is None),
}


@pytest.mark.parametrize("writer", WRITERS)
def test_every_writer_of_a_user_refreshes_the_cached_user(
    writer, student, django_capture_on_commit_callbacks
):
    write, is_fresh = WRITERS[writer]
    User.objects.filter(pk=student.pk).update(email_verified_at=None)
    _cached(student)
    with django_capture_on_commit_callbacks(execute=True):
        write(User.objects.get(pk=student.pk))

    assert is_fresh(CachedModelBackend().get_user(student.pk))
