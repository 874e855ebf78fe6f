import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_404_is_friendly(student_client):
    response = student_client.get("/no/such/page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Page not found" in body
    assert "Go to your dashboard" in body


def test_403_is_friendly(student_client):
    response = student_client.get("/admin/")
    assert response.status_code == 403
    assert "You do not have access to this page" in response.content.decode()


def test_csrf_failure_is_friendly(student):
    client = Client(enforce_csrf_checks=True)
    client.force_login(student)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 403
    assert "Your form expired" in response.content.decode()


def test_500_page_renders_without_a_database(client):
    from portal.views import server_error

    response = server_error(None)
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


def test_400_is_friendly(client):
    from django.test import RequestFactory

    from portal.views import bad_request

    request = RequestFactory().get("/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    response = bad_request(request)
    assert response.status_code == 400
    assert "Bad request" in response.content.decode()


def test_security_headers_are_set(client):
    response = client.get(reverse("accounts:login"))
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
