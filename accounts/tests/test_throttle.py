import re
from io import StringIO

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.management import call_command
from django.urls import reverse

from accounts.factories import TEST_PASSWORD
from accounts.testing import log_in_verified

pytestmark = pytest.mark.django_db

LOCKED = "Too many failed attempts for this account. Try again in"


def _login(client, username, password, address="127.0.0.1", url=None):
    return client.post(
        url or reverse("accounts:login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def _fail(client, username, times, address="127.0.0.1", url=None):
    for _ in range(times):
        response = _login(client, username, "wrong-guess", address, url)
        assert response.status_code == 200


def test_it_refuses_an_account_after_five_failures_from_one_address(client, student):
    _fail(client, "student", 5)
    response = _login(client, "student", TEST_PASSWORD)
    assert response.status_code == 200
    body = response.content.decode()
    assert LOCKED in body
    # Fixed windows: near a window's end the wait is "1 minute".
    assert re.search(r"Try again in \d+ minutes?\.", body)
    assert SESSION_KEY not in client.session


def test_the_message_keeps_the_username(client, student):
    _fail(client, "student", 5)
    response = _login(client, "student", "again")
    assert 'value="student"' in response.content.decode()


def test_guesses_while_refused_are_not_checked(client, student):
    _fail(client, "student", 5)
    # Even the right password is refused, so guessing on teaches nothing.
    response = _login(client, "student", TEST_PASSWORD)
    assert LOCKED in response.content.decode()
    assert "did not match" not in response.content.decode()


def test_the_real_user_elsewhere_is_not_locked_out(client, student):
    _fail(client, "student", 5, address="203.0.113.9")
    response = _login(client, "student", TEST_PASSWORD, address="198.51.100.7")
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(student.pk)


def test_many_addresses_guessing_one_account_lock_it_everywhere(
    client, student, settings
):
    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT = 8
    for n in range(8):
        _fail(client, "student", 1, address=f"203.0.113.{n + 1}")
    response = _login(client, "student", TEST_PASSWORD, address="198.51.100.7")
    assert LOCKED in response.content.decode()


def test_one_address_guessing_many_accounts_is_refused(client, student, settings):
    settings.LOGIN_MAX_FAILURES_PER_ADDRESS = 6
    for n in range(6):
        _fail(client, f"someone{n}", 1)
    response = _login(client, "student", TEST_PASSWORD)
    assert "Too many failed login attempts from your network" in (
        response.content.decode()
    )
    assert _login(client, "student", TEST_PASSWORD, address="10.0.0.2").status_code == (
        302
    )


def test_a_successful_login_clears_the_account_counters(client, student):
    _fail(client, "student", 4)
    assert _login(client, "student", TEST_PASSWORD).status_code == 302
    client.post(reverse("accounts:logout"))
    _fail(client, "student", 4)
    assert _login(client, "student", TEST_PASSWORD).status_code == 302


def test_usernames_are_counted_without_regard_to_case(client, student):
    _fail(client, "STUDENT", 3)
    _fail(client, "Student", 2)
    assert LOCKED in _login(client, "student", TEST_PASSWORD).content.decode()


def test_the_cool_off_ends(client, student, settings):
    from accounts import throttle

    _fail(client, "student", 5)
    # The window passing is the same as the counters being gone.
    for counter in throttle._counters(_request("127.0.0.1"), "student"):
        counter.clear()
    assert _login(client, "student", TEST_PASSWORD).status_code == 302


def test_unlock_login_clears_that_account_from_every_address(
    client, student, other_student
):
    _fail(client, "student", 5, address="203.0.113.9")
    _fail(client, "other", 5, address="203.0.113.9")

    call_command("unlock_login", "Student", stdout=StringIO())

    assert _login(client, "student", TEST_PASSWORD, "203.0.113.9").status_code == 302
    client.post(reverse("accounts:logout"))
    assert (
        LOCKED in _login(client, "other", TEST_PASSWORD, "203.0.113.9").content.decode()
    )


def test_unlock_login_leaves_the_per_address_limit(client, student, settings):
    settings.LOGIN_MAX_FAILURES_PER_ADDRESS = 3
    _fail(client, "student", 3)
    call_command("unlock_login", "student", stdout=StringIO())
    response = _login(client, "student", TEST_PASSWORD)
    assert "Too many failed login attempts from your network" in (
        response.content.decode()
    )


def test_successful_logins_do_not_use_up_the_per_address_limit(
    client, student, settings
):
    settings.LOGIN_MAX_FAILURES_PER_ADDRESS = 2
    for _ in range(4):
        assert _login(client, "student", TEST_PASSWORD).status_code == 302
        client.post(reverse("accounts:logout"))
    _fail(client, "someone", 1)
    assert _login(client, "student", TEST_PASSWORD).status_code == 302


def _request(address):
    from django.test import RequestFactory

    return RequestFactory().get("/", REMOTE_ADDR=address)


def test_the_admin_login_is_throttled_too(client, approver):
    url = reverse("admin:login")
    _fail(client, "approver", 5, url=url)
    response = _login(client, "approver", TEST_PASSWORD, url=url)
    assert response.status_code == 200
    assert LOCKED in response.content.decode()
    assert SESSION_KEY not in client.session


def test_failures_at_the_admin_and_the_site_add_up(client, student):
    _fail(client, "student", 3, url=reverse("admin:login"))
    _fail(client, "student", 2)
    assert LOCKED in _login(client, "student", TEST_PASSWORD).content.decode()


def test_a_student_with_the_right_password_at_the_admin_is_not_counted(client, student):
    for _ in range(6):
        response = _login(client, "student", TEST_PASSWORD, url=reverse("admin:login"))
        assert "for a staff account" in response.content.decode()
    assert _login(client, "student", TEST_PASSWORD).status_code == 302


def test_the_lock_is_per_client_address_behind_a_trusted_proxy(
    client, student, settings
):
    settings.TRUSTED_PROXY_IPS = ["10.0.0.1"]
    url = reverse("accounts:login")
    data = {"username": "student", "password": "wrong"}
    for _ in range(5):
        client.post(
            url, data, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5"
        )
    data["password"] = TEST_PASSWORD
    locked = client.post(
        url, data, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5"
    )
    assert LOCKED in locked.content.decode()
    other = client.post(
        url, data, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1"
    )
    assert other.status_code == 302


CHANGE = {
    "new_password1": "Brand-New-Pass-2026",
    "new_password2": "Brand-New-Pass-2026",
}


@pytest.mark.parametrize(
    "url_name, login",
    [("accounts:password_change", "student"), ("admin:password_change", "approver")],
)
def test_wrong_old_passwords_are_throttled(client, student, approver, url_name, login):
    user = {"student": student, "approver": approver}[login]
    log_in_verified(client, user)
    url = reverse(url_name)
    for _ in range(5):
        response = client.post(url, {"old_password": "wrong", **CHANGE})
        assert "Your old password was entered incorrectly" in response.content.decode()
    response = client.post(url, {"old_password": TEST_PASSWORD, **CHANGE})
    assert response.status_code == 200
    assert LOCKED in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)


def test_wrong_old_passwords_count_toward_the_login_lock(client, student):
    client.force_login(student)
    for _ in range(5):
        client.post(
            reverse("accounts:password_change"), {"old_password": "wrong", **CHANGE}
        )
    client.post(reverse("accounts:logout"))
    assert LOCKED in _login(client, "student", TEST_PASSWORD).content.decode()
