import pytest
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db

GOOD = {
    "username": "newstudent",
    "full_name": "  Neha   Kumar ",
    "email": "Neha@Example.com",
    "phone": "98765 43210",
    "password1": "Interview-Ready-2026",
    "password2": "Interview-Ready-2026",
}


def test_it_creates_the_account_and_logs_in(client):
    response = client.post(reverse("accounts:signup"), GOOD)
    assert response.status_code == 302
    assert response["Location"] == reverse("interviews:course_list")
    user = User.objects.get(username="newstudent")
    assert user.full_name == "Neha Kumar"
    assert user.email == "neha@example.com"
    assert user.phone == "9876543210"
    assert not user.is_staff
    assert client.get(reverse("dashboard")).status_code == 200


def test_it_returns_to_next_after_signup(client):
    data = dict(GOOD, next="/courses/")
    response = client.post(reverse("accounts:signup"), data)
    assert response["Location"] == "/courses/"


def test_it_ignores_an_offsite_next(client):
    data = dict(GOOD, next="https://evil.example.com/")
    response = client.post(reverse("accounts:signup"), data)
    assert response["Location"] == reverse("interviews:course_list")


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("email", "not-an-email", "Enter a valid email address."),
        ("phone", "12345", "Enter a valid mobile number"),
        ("full_name", "   ", "This field is required."),
        ("password2", "something-else-2026", "The two password fields"),
        ("username", "bad name!", "Enter a valid username."),
    ],
)
def test_it_shows_errors_next_to_the_field_and_keeps_input(
    client, field, value, message
):
    data = dict(GOOD, **{field: value})
    response = client.post(reverse("accounts:signup"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    kept = "phone" if field != "phone" else "username"
    assert f'value="{GOOD[kept]}"' in response.content.decode()
    assert not User.objects.filter(username="newstudent").exists()


def test_it_applies_djangos_password_validators(client):
    data = dict(GOOD, password1="12345678", password2="12345678")
    response = client.post(reverse("accounts:signup"), data)
    body = response.content.decode()
    assert "This password is too common." in body
    assert "This password is entirely numeric." in body
    assert not User.objects.filter(username="newstudent").exists()


def test_it_refuses_a_taken_email_in_any_case(client, student):
    data = dict(GOOD, email=student.email.upper())
    response = client.post(reverse("accounts:signup"), data)
    assert "An account with this email already exists" in response.content.decode()


def test_it_refuses_a_taken_username(client, student):
    data = dict(GOOD, username=student.username)
    response = client.post(reverse("accounts:signup"), data)
    assert "A user with that username already exists." in response.content.decode()


def test_it_escapes_html_in_the_name(client):
    data = dict(GOOD, full_name="<script>alert(1)</script>")
    client.post(reverse("accounts:signup"), data)
    body = client.get(reverse("dashboard")).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
