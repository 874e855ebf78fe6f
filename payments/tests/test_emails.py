import pytest
from django.core import mail

from accounts.factories import UserFactory
from interviews.factories import InterviewCourseFactory
from payments.factories import PaymentFactory
from payments.services import approve_payment, reject_payment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]

HOSTILE = '<script>alert("x")</script> & <b>bold</b>'


@pytest.fixture
def payment():
    student = UserFactory(full_name="Priya <S>", email="priya@example.org")
    course = InterviewCourseFactory(title="Data & <Analysis>")
    return PaymentFactory(student=student, course=course)


def html_of(email):
    [(html, mimetype)] = email.alternatives
    assert mimetype == "text/html"
    return html


def test_approval_emails_the_student_after_commit(
    payment, approver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert approve_payment(payment, approver, HOSTILE)
    assert mail.outbox == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()

    [email] = mail.outbox
    assert email.to == ["priya@example.org"]
    assert email.subject == (f"Payment {payment.reference} verified: Data & <Analysis>")
    assert HOSTILE in email.body
    assert f"/payments/{payment.public_id}/" in email.body
    html = html_of(email)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; " in html
    assert "Priya &lt;S&gt;" in html
    assert "Data &amp; &lt;Analysis&gt;" in html


def test_rejection_emails_the_remarks_escaped(
    payment, approver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert reject_payment(payment, approver, f"Wrong payee\n{HOSTILE}")

    [email] = mail.outbox
    assert email.subject == (
        f"Payment {payment.reference} not accepted: Data & <Analysis>"
    )
    assert f"Wrong payee\n{HOSTILE}" in email.body
    html = html_of(email)
    assert "Wrong payee<br>&lt;script&gt;" in html
    assert "<b>bold</b>" not in html


def test_a_lost_decision_sends_nothing(
    payment, approver, superuser, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert approve_payment(payment, approver)
        assert not reject_payment(payment, superuser, "late")
        assert not approve_payment(payment, superuser)

    assert len(mail.outbox) == 1
