"""The console filters only through its list filters: any other lookup in the
query string (a regex, a password prefix, an unknown field) is a 400 page."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from accounts.testing import log_in_verified
from interviews.factories import InterviewCourseFactory, InterviewRequestFactory
from payments.factories import CompletedPaymentFactory, PaymentFactory
from portal.admin_filters import ListedLookupsOnlyMixin

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "admin:payments_payment_changelist",
    "admin:interviews_interviewrequest_changelist",
    "admin:interviews_interviewtoreview_changelist",
    "admin:interviews_missedinterview_changelist",
    "admin:interviews_interviewcourse_changelist",
    "admin:accounts_user_changelist",
    "admin:auth_group_changelist",
]
HOSTILE = [
    pytest.param("utr__regex", "[", id="broken-regex"),
    pytest.param("utr__iregex", "(a+)+$", id="catastrophic-regex"),
    pytest.param("student__password__startswith", "x", id="password-prefix"),
    pytest.param("student__full_name__regex", "(a|aa)+$", id="related-regex"),
    pytest.param("username__regex", "[", id="user-regex"),
    pytest.param("password__startswith", "md5", id="own-password-prefix"),
    pytest.param("name__iregex", "(x+x+)+y", id="name-regex"),
    pytest.param("no_such_field", "1", id="unknown-parameter"),
]


@pytest.mark.parametrize("changelist", CHANGELISTS)
@pytest.mark.parametrize(("lookup", "value"), HOSTILE)
def test_a_lookup_outside_the_filters_is_a_400_page(
    client, superuser, changelist, lookup, value
):
    PaymentFactory()
    log_in_verified(client, superuser)

    response = client.get(reverse(changelist), {lookup: value})

    assert response.status_code == 400
    assert "Bad request" in response.content.decode()


def test_an_approver_gets_the_same_400(approver_client):
    response = approver_client.get(
        reverse("admin:payments_payment_changelist"), {"utr__regex": "["}
    )
    assert response.status_code == 400


def test_every_console_admin_allows_only_its_listed_lookups():
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label in {"accounts", "auth", "payments", "interviews"}:
            assert isinstance(model_admin, ListedLookupsOnlyMixin), model


def test_the_payment_filters_search_and_duplicate_link_still_work(approver_client):
    course = InterviewCourseFactory()
    wanted = CompletedPaymentFactory(course=course, utr="412300000077")
    same_proof = PaymentFactory(proof_sha256=wanted.proof_sha256)
    PaymentFactory()
    url = reverse("admin:payments_payment_changelist")
    start = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)

    def listed(query):
        response = approver_client.get(url, query)
        assert response.status_code == 200, query
        return {p.pk for p in response.context["cl"].result_list}

    assert listed({"status": "completed"}) == {wanted.pk}
    assert listed({"status": "all", "course__id__exact": course.pk}) == {wanted.pk}
    assert listed({"status": "all", "q": "412300000077"}) == {wanted.pk}
    assert listed({"status": "all", "proof_sha256": wanted.proof_sha256}) == {
        wanted.pk,
        same_proof.pk,
    }
    assert (
        len(
            listed(
                {
                    "status": "all",
                    "created_at__gte": str(start),
                    "created_at__lt": "2999-01-01 00:00:00+00:00",
                }
            )
        )
        == 3
    )
    # A regex-looking search is a plain substring search: no error, no match.
    assert listed({"status": "all", "q": "(a+)+$"}) == set()


def test_the_request_date_filters_and_dashboard_links_still_work(approver_client):
    interview = InterviewRequestFactory()
    url = reverse("admin:interviews_interviewrequest_changelist")
    response = approver_client.get(
        url,
        {
            "status": "pending",
            "course__id__exact": interview.course_id,
            "preferred_at__gte": "2000-01-01 00:00:00+00:00",
            "preferred_at__lt": "2999-01-01 00:00:00+00:00",
        },
    )
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [interview]
    for name in [
        "admin:interviews_interviewtoreview_changelist",
        "admin:interviews_missedinterview_changelist",
    ]:
        assert (
            approver_client.get(reverse(name), {"course__id__exact": 1}).status_code
            == 200
        )
    review = reverse("admin:interviews_interviewtoreview_changelist")
    assert (
        approver_client.get(
            review, {"reviewed": "no", "result__exact": "pass"}
        ).status_code
        == 200
    )


def test_the_user_filters_still_work(client, superuser):
    log_in_verified(client, superuser)
    url = reverse("admin:accounts_user_changelist")
    group = str(Group.objects.order_by("pk").first().pk)  # an ObjectId on MongoDB
    queries = [{"is_staff__exact": "1"}, {"groups__id__exact": group}, {"q": "root"}]
    for query in queries:
        assert client.get(url, query).status_code == 200
