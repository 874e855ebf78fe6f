import pytest
from django.urls import reverse

from accounts.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def test_it_logs_in_and_returns_to_the_page_asked_for(client, student):
    response = client.get(reverse("interviews:course_list"))
    assert response.status_code == 302
    login_url = response["Location"]
    assert login_url == f"{reverse('accounts:login')}?next=/courses/"
    response = client.post(
        login_url,
        {"username": "student", "password": TEST_PASSWORD, "next": "/courses/"},
    )
    assert response["Location"] == "/courses/"
    assert client.get("/courses/").status_code == 200


def test_it_rejects_a_wrong_password(client, student):
    response = client.post(
        reverse("accounts:login"), {"username": "student", "password": "nope"}
    )
    assert response.status_code == 200
    assert "did not match" in response.content.decode()


def test_logout_is_post_only(student_client):
    assert student_client.get(reverse("accounts:logout")).status_code == 405
    response = student_client.post(reverse("accounts:logout"))
    assert response["Location"] == reverse("accounts:login")
    assert student_client.get(reverse("dashboard")).status_code == 302


def test_password_change_requires_the_old_password(student_client, student):
    url = reverse("accounts:password_change")
    response = student_client.post(
        url,
        {
            "old_password": "wrong",
            "new_password1": "Brand-New-Pass-2026",
            "new_password2": "Brand-New-Pass-2026",
        },
    )
    assert "Your old password was entered incorrectly" in response.content.decode()
    response = student_client.post(
        url,
        {
            "old_password": TEST_PASSWORD,
            "new_password1": "Brand-New-Pass-2026",
            "new_password2": "Brand-New-Pass-2026",
        },
    )
    assert response["Location"] == reverse("accounts:password_change_done")
    student.refresh_from_db()
    assert student.check_password("Brand-New-Pass-2026")
