import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from accounts.roles import APPROVER_PERMISSIONS, APPROVERS_GROUP, is_approver
from accounts.testing import log_in_verified
from portal.tests.files import fetch

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]


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


# One definition of "approver": the accounts.approve permission -------------


def _grant_directly(user, perms):
    from django.contrib.auth.models import Permission

    for app_label, codename in perms:
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return User.objects.get(pk=user.pk)  # a fresh object: no permission cache


@pytest.fixture
def direct_approver(db):
    from accounts.factories import UserFactory

    user = UserFactory(username="direct", full_name="Dev Direct", is_staff=True)
    return _grant_directly(user, APPROVER_PERMISSIONS)


@pytest.fixture
def staff_without_permission(db):
    from accounts.factories import UserFactory

    user = UserFactory(username="clerk", full_name="Clerk Staff", is_staff=True)
    # Every console permission except the approver one.
    return _grant_directly(
        user, [perm for perm in APPROVER_PERMISSIONS if perm[1] != "approve"]
    )


@pytest.fixture
def files(student):
    from interviews.factories import AnswerFactory
    from interviews.tests.room_helpers import open_interview

    interview = open_interview(student, questions=1)
    answer = AnswerFactory(request=interview, question=interview.course.questions.get())
    return {
        "proof": reverse("payments:proof", args=[interview.payment.public_id]),
        "recording": reverse("interviews:answer_video", args=[answer.public_id]),
    }


def test_the_approvers_group_holds_the_approve_permission(approver):
    assert approver.has_perm("accounts.approve")
    group = Group.objects.get(name=APPROVERS_GROUP)
    assert group.permissions.filter(
        content_type__app_label="accounts", codename="approve"
    ).exists()


def test_staff_granted_the_permissions_directly_see_proofs_and_recordings(
    client, direct_approver, files
):
    assert not direct_approver.groups.exists()
    assert is_approver(direct_approver)
    log_in_verified(client, direct_approver)

    for url in files.values():
        assert fetch(client, url).status == 200, url


def test_staff_without_the_approve_permission_see_no_proof_or_recording(
    client, staff_without_permission, files
):
    assert not is_approver(staff_without_permission)
    log_in_verified(client, staff_without_permission)

    for url in files.values():
        assert client.get(url).status_code == 404, url


def test_the_dashboard_shows_the_waiting_work_to_a_direct_approver(
    client, direct_approver, staff_without_permission
):
    log_in_verified(client, direct_approver)
    assert "Payments to verify" in client.get("/admin/").content.decode()
    log_in_verified(client, staff_without_permission)
    assert "Payments to verify" not in client.get("/admin/").content.decode()


def test_the_group_approver_still_works_the_console(approver_client, files):
    assert approver_client.get("/admin/").status_code == 200
    assert approver_client.get("/admin/payments/payment/").status_code == 200
    assert fetch(approver_client, files["proof"]).status == 200


def test_approvers_are_active_staff_holding_the_permission(
    approver, direct_approver, staff_without_permission, superuser, student
):
    from accounts.factories import UserFactory
    from accounts.roles import approvers, make_approver

    retired = make_approver(UserFactory(username="retired"))
    retired.is_active = False
    retired.save()
    not_staff = _grant_directly(
        UserFactory(username="notstaff"), [("accounts", "approve")]
    )

    found = set(approvers().values_list("username", flat=True))

    assert found == {approver.username, direct_approver.username, superuser.username}
    assert not is_approver(not_staff)


def test_a_completed_interview_emails_every_approver_once(
    student,
    approver,
    direct_approver,
    staff_without_permission,
    django_capture_on_commit_callbacks,
):
    from django.core import mail

    from interviews.factories import AnswerFactory
    from interviews.tests.room_helpers import open_interview
    from interviews.uploads import finish_interview

    interview = open_interview(student, questions=1)
    AnswerFactory(request=interview, question=interview.course.questions.get())
    with django_capture_on_commit_callbacks(execute=True):
        assert finish_interview(interview)

    [email] = mail.outbox
    assert sorted(email.to) == sorted([approver.email, direct_approver.email])
