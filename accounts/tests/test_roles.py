import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from accounts.roles import APPROVER_PERMISSIONS, APPROVERS_GROUP, is_approver

pytestmark = pytest.mark.django_db


def test_a_student_can_never_open_the_admin(student_client):
    assert student_client.get("/admin/").status_code == 403
    assert student_client.get("/admin/payments/payment/").status_code == 403
    assert student_client.get("/admin/login/").status_code == 403


def test_anonymous_is_sent_to_the_admin_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("name", ["dashboard", "interviews:course_list"])
def test_anonymous_student_pages_redirect_to_login(client, name):
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={url}"


def test_an_approver_opens_the_console(approver_client, approver):
    assert approver_client.get("/admin/").status_code == 200
    assert is_approver(approver)


def test_the_approvers_group_holds_exactly_the_console_permissions():
    group = Group.objects.get(name=APPROVERS_GROUP)
    held = set(group.permissions.values_list("content_type__app_label", "codename"))
    assert held == set(APPROVER_PERMISSIONS)
    assert not any(codename.endswith("_user") for _, codename in held)


def test_a_student_is_not_an_approver(student, superuser):
    assert not is_approver(student)
    assert is_approver(superuser)


def test_create_approver_reads_the_password_from_the_environment(monkeypatch):
    monkeypatch.setenv("APPROVER_PASSWORD", "Verify-Payments-2026")
    call_command("create_approver", "meera", email="meera@example.com")
    user = User.objects.get(username="meera")
    assert user.is_staff and not user.is_superuser
    assert user.groups.filter(name=APPROVERS_GROUP).exists()
    assert user.check_password("Verify-Payments-2026")


def test_create_approver_refuses_a_weak_password(monkeypatch):
    from django.core.management.base import CommandError

    monkeypatch.setenv("APPROVER_PASSWORD", "password")
    with pytest.raises(CommandError, match="too common"):
        call_command("create_approver", "weak", email="weak@example.com")
    assert not User.objects.filter(username="weak").exists()
