"""One live account per email address (issue 12): the database refuses a second
account for an address, whatever its case; deleted accounts (tombstones, with
no address) never collide; every path that writes users keeps the key."""

import importlib
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import IntegrityError
from django.db.models import F
from django.urls import reverse

from accounts.factories import UserFactory
from accounts.forms import UserChangeForm
from accounts.models import PendingSignup, User
from portal.db import atomic
from portal.tests.migrations import migrated_back_to

pytestmark = pytest.mark.django_db


@pytest.mark.undone_in_the_test_transaction
def test_two_accounts_cannot_share_an_address_in_any_case():
    UserFactory(username="first", email="Student@Example.com")
    # Not UserFactory: its get_or_create reads again after the failed insert,
    # which MongoDB refuses in the transaction that insert aborted.
    with pytest.raises(IntegrityError), atomic():
        User.objects.create_user("second", "student@example.com")
    assert User.objects.count() == 1


def test_the_key_is_the_address_in_lower_case():
    user = UserFactory(email=" Student@Example.COM")
    assert User.objects.get(pk=user.pk).email_key == "student@example.com"


def test_deleted_accounts_do_not_collide_and_free_their_address():
    first = UserFactory(username="first", email="gone@example.com")
    second = UserFactory(username="second", email="other@example.com")
    first.make_tombstone()
    second.make_tombstone()
    assert set(User.objects.values_list("email", "email_key")) == {("", "")}
    UserFactory(username="again", email="gone@example.com")  # taken again


@pytest.mark.undone_in_the_test_transaction
def test_a_changed_address_moves_its_key(student):
    old = student.email
    student.email = "Priya.New@example.com"
    student.save(update_fields=["email"])
    assert User.objects.get(pk=student.pk).email_key == "priya.new@example.com"
    UserFactory(username="newcomer", email=old)  # the old one is free
    with pytest.raises(IntegrityError), atomic():
        User.objects.create_user("copycat", "PRIYA.NEW@example.com")


@pytest.mark.undone_in_the_test_transaction
def test_bulk_writes_keep_the_key(student):
    [made] = User.objects.bulk_create([User(username="bulk", email="Bulk@Example.com")])
    assert User.objects.get(username="bulk").email_key == "bulk@example.com"

    made.email = "Moved@Example.com"
    User.objects.bulk_update([made], ["email"])
    assert User.objects.get(username="bulk").email_key == "moved@example.com"

    User.objects.filter(pk=student.pk).update(email="Updated@Example.com")
    assert User.objects.get(pk=student.pk).email_key == "updated@example.com"
    with pytest.raises(IntegrityError), atomic():
        User.objects.filter(pk=student.pk).update(email="MOVED@example.com")


def test_an_address_from_an_expression_is_refused_rather_than_left_unkeyed(student):
    with pytest.raises(TypeError, match="email_key"):
        User.objects.filter(pk=student.pk).update(email=F("username"))


def test_createsuperuser_keys_the_address():
    call_command(
        "createsuperuser",
        interactive=False,
        username="boss",
        email="Boss@Example.com",
        verbosity=0,
    )
    assert User.objects.get(username="boss").email_key == "boss@example.com"


@pytest.mark.undone_in_the_test_transaction
def test_two_links_for_one_address_make_one_account():
    """Two sign-ups for one address, both links followed: the second insert
    loses to the constraint and leaves its link unused (the view then says the
    account exists; test_signup_race.py has the two at the same instant)."""
    first, second = (
        PendingSignup.start(
            request_id=request_id,
            lifetime=timedelta(days=1),
            email="neha@example.com",
            username=username,
            full_name="Neha Kumar",
            phone="9876543210",
            password="!",
        )[0]
        for request_id, username in [("a" * 32, "neha"), ("b" * 32, "neha2")]
    )
    assert first.create_account() is not None
    with pytest.raises(IntegrityError):
        second.create_account()
    second.refresh_from_db()
    assert second.used_at is None  # nothing of the losing click was kept
    assert User.objects.filter(email_key="neha@example.com").count() == 1


# ---- The admin's user form ----


def admin_user_data(user, **changes):
    data = {
        "username": user.username,
        "email": user.email,
        "first_name": "",
        "last_name": "",
        "full_name": user.full_name,
        "phone": user.phone,
        "is_active": "on",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
    }
    return {**data, **changes}


def test_the_admin_refuses_an_address_another_account_has(
    superuser_client, student, other_student
):
    url = reverse("admin:accounts_user_change", args=[student.pk])
    response = superuser_client.post(
        url, admin_user_data(student, email=other_student.email.upper())
    )
    assert response.status_code == 200
    assert "Another account has this email address already." in (
        response.content.decode()
    )
    student.refresh_from_db()
    assert student.email == "student@example.com"


def test_the_admin_saves_a_new_address_and_a_change_of_case(superuser_client, student):
    url = reverse("admin:accounts_user_change", args=[student.pk])
    response = superuser_client.post(
        url, admin_user_data(student, email="Student@Example.com")
    )
    assert response.status_code == 302, response.content.decode()
    response = superuser_client.post(
        url, admin_user_data(student, email="priya.new@example.com")
    )
    assert response.status_code == 302
    assert User.objects.get(pk=student.pk).email_key == "priya.new@example.com"


def test_the_admin_user_form_is_ours():
    from django.contrib import admin

    assert issubclass(admin.site._registry[User].form, UserChangeForm)


# ---- The migrations ----

REPORT = "accounts.migrations.0008_user_email_key"
BEFORE_CONSTRAINT = [("accounts", "0008_user_email_key")]


@pytest.mark.sql_only("replays the SQL migration chain (MongoDB has its own tree)")
@pytest.mark.django_db(transaction=True)
def test_the_migrations_report_shared_addresses_and_stop_clearly_before_the_constraint(
    capsys,
):
    with migrated_back_to(BEFORE_CONSTRAINT) as moment:
        apps = moment.apps
        users = apps.get_model("accounts", "User").objects
        first = users.create(username="first", email="Twice@Example.com")
        copy = users.create(username="copy", email="twice@example.com")
        users.create(username="alone", email="alone@example.com")
        users.create(username="deleted-1", email="")
        users.create(username="deleted-2", email="")
        # Rows stored before 0008 had no key: its backfill sets them.
        users.update(email_key="")
        migration = importlib.import_module(REPORT)
        migration.backfill_email_key(apps, None)
        assert users.get(pk=copy.pk).email_key == "twice@example.com"

        migration.report_shared_addresses(apps, None)

        printed = capsys.readouterr().out
        assert "1 email address(es) belong to several accounts" in printed
        assert f"user first (id {first.pk}), email 'Twice@Example.com'" in printed
        assert f"user copy (id {copy.pk}), email 'twice@example.com'" in printed
        assert "alone" not in printed and "deleted-" not in printed
        with pytest.raises(RuntimeError, match="1 email address.*first, copy"):
            moment.forward()
        assert users.filter(email_key="twice@example.com").count() == 2  # untouched

        users.filter(pk=copy.pk).update(email="copy@example.com")
        users.filter(pk=copy.pk).update(email_key="copy@example.com")
    with pytest.raises(IntegrityError), atomic():
        User.objects.filter(username="copy").update(email="TWICE@example.com")


@pytest.mark.undone_in_the_test_transaction
def test_a_dump_from_before_the_key_loads_with_it(tmp_path):
    dump = tmp_path / "old.json"
    dump.write_text(
        '[{"model": "accounts.user", "fields": {"username": "old", '
        '"email": "Old@Example.com", "password": "!", "date_joined": '
        '"2026-01-01T00:00:00Z"}}]'
    )
    call_command("loaddata", str(dump), verbosity=0)
    assert User.objects.get(username="old").email_key == "old@example.com"
    with pytest.raises(IntegrityError), atomic():
        User.objects.create_user("copy", "old@example.com")
