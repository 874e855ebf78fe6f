import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from interviews.factories import InterviewCourseFactory, InterviewRequestFactory
from interviews.models import InterviewRequest, RequestEvent, RequestStatus
from interviews.scheduling import site_datetime

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]
CHANGELIST = reverse("admin:interviews_interviewrequest_changelist")


def _change_url(interview):
    return reverse("admin:interviews_interviewrequest_change", args=[interview.pk])


def _future_day(days=3):
    local = timezone.localtime(timezone.now(), timezone.get_default_timezone())
    return (local + timedelta(days=days)).date()


def _schedule_post(client, interview, day, at="11:00", **extra):
    data = {
        "schedule-date": day.isoformat(),
        "schedule-time": at,
        "schedule-message": "See you then",
        "_schedule": "1",
        **extra,
    }
    return client.post(_change_url(interview), data)


def test_the_changelist_opens_on_the_pending_queue_oldest_first(approver_client):
    newer = InterviewRequestFactory(student__full_name="Newer Student")
    older = InterviewRequestFactory(student__full_name="Older Student")
    InterviewRequest.objects.filter(pk=older.pk).update(
        created_at=timezone.now() - timedelta(days=2)
    )
    InterviewRequestFactory(
        student__full_name="Decided Student", status=RequestStatus.REJECTED
    )
    response = approver_client.get(CHANGELIST)
    assert response.status_code == 200
    shown = list(response.context["cl"].result_list)
    assert shown == [older, newer]
    body = response.content.decode()
    assert "Decided Student" not in body


def test_all_statuses_are_one_click_away(approver_client):
    InterviewRequestFactory(status=RequestStatus.REJECTED)
    InterviewRequestFactory()
    response = approver_client.get(CHANGELIST + "?status=all")
    assert len(response.context["cl"].result_list) == 2
    response = approver_client.get(CHANGELIST + "?status=rejected")
    assert len(response.context["cl"].result_list) == 1


def test_the_changelist_shows_the_preferred_time_in_ist_and_links_the_payment(
    approver_client,
):
    interview = InterviewRequestFactory(
        preferred_at=datetime(2030, 1, 11, 6, 30, tzinfo=UTC), notes="x" * 200
    )
    body = approver_client.get(CHANGELIST).content.decode()
    assert "Fri 11 Jan 2030, 12:00" in body
    assert interview.payment.reference in body
    assert "x" * 200 not in body  # notes are truncated


def test_search_finds_students_by_name_and_email(approver_client):
    InterviewRequestFactory(
        student__full_name="Kavya Rao", student__email="kavya@example.com"
    )
    InterviewRequestFactory(student__full_name="Someone Else")
    for term in ["Kavya", "kavya@example.com"]:
        response = approver_client.get(CHANGELIST, {"q": term})
        assert len(response.context["cl"].result_list) == 1


def test_the_changelist_query_count_does_not_grow(
    approver_client, django_assert_max_num_queries
):
    InterviewRequestFactory.create_batch(3)
    approver_client.get(CHANGELIST)
    with django_assert_max_num_queries(14) as few:
        approver_client.get(CHANGELIST)
    InterviewRequestFactory.create_batch(20)
    with django_assert_max_num_queries(len(few)):
        approver_client.get(CHANGELIST)


def test_an_approver_schedules_a_request_at_an_edited_time(
    approver_client, approver, django_capture_on_commit_callbacks
):
    interview = InterviewRequestFactory()
    page = approver_client.get(_change_url(interview)).content.decode()
    local = timezone.localtime(interview.preferred_at)
    assert f'value="{local.date().isoformat()}"' in page  # defaults to preferred
    assert "Approve with this schedule" in page
    day = _future_day()
    with django_capture_on_commit_callbacks(execute=True):
        response = _schedule_post(approver_client, interview, day, "11:15")
    assert response.status_code == 302
    interview.refresh_from_db()
    assert interview.status == RequestStatus.SCHEDULED
    assert interview.scheduled_at == site_datetime(day, datetime.min.time()).replace(
        hour=11, minute=15
    )
    assert interview.decided_by == approver
    assert interview.message_to_student == "See you then"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].attachments[0][0] == "interview.ics"


def test_rejecting_needs_a_reason(approver_client):
    interview = InterviewRequestFactory()
    response = approver_client.post(
        _change_url(interview), {"reject-reason": "  ", "_reject": "1"}
    )
    assert response.status_code == 200
    assert "Give the student a reason for rejecting." in response.content.decode()
    interview.refresh_from_db()
    assert interview.status == RequestStatus.PENDING


def test_an_approver_rejects_with_a_reason(approver_client, approver):
    interview = InterviewRequestFactory()
    response = approver_client.post(
        _change_url(interview), {"reject-reason": "Fully booked", "_reject": "1"}
    )
    assert response.status_code == 302
    interview.refresh_from_db()
    assert interview.status == RequestStatus.REJECTED
    assert interview.rejection_reason == "Fully booked"


def test_an_overlapping_slot_warns_and_needs_confirmation(approver_client):
    day = _future_day()
    InterviewRequestFactory(
        status=RequestStatus.SCHEDULED,
        scheduled_at=site_datetime(day, datetime.min.time()).replace(hour=11),
        course=InterviewCourseFactory(duration_minutes=45),
        student__full_name="First Booked",
    )
    interview = InterviewRequestFactory()
    response = _schedule_post(approver_client, interview, day, "11:30")
    assert response.status_code == 200
    body = response.content.decode()
    assert "overlaps 1 scheduled interview" in body
    assert "First Booked" in body
    assert 'value="11:30"' in body  # the approver's input is kept
    interview.refresh_from_db()
    assert interview.status == RequestStatus.PENDING

    _schedule_post(
        approver_client, interview, day, "11:30", **{"schedule-confirm_overlap": "on"}
    )
    interview.refresh_from_db()
    assert interview.status == RequestStatus.SCHEDULED


def test_back_to_back_interviews_do_not_overlap(approver_client):
    day = _future_day()
    InterviewRequestFactory(
        status=RequestStatus.SCHEDULED,
        scheduled_at=site_datetime(day, datetime.min.time()).replace(hour=11),
        course=InterviewCourseFactory(duration_minutes=30),
    )
    interview = InterviewRequestFactory()
    _schedule_post(approver_client, interview, day, "11:30")
    interview.refresh_from_db()
    assert interview.status == RequestStatus.SCHEDULED


def test_the_loser_of_a_decision_sees_who_decided(approver_client, superuser):
    interview = InterviewRequestFactory()
    page = approver_client.get(_change_url(interview))
    assert page.status_code == 200
    interview.reject(superuser, "Taken by root")  # meanwhile, another approver
    response = _schedule_post(approver_client, interview, _future_day())
    follow = approver_client.get(response["Location"]).content.decode()
    assert "already rejected by Root" in follow
    interview.refresh_from_db()
    assert interview.status == RequestStatus.REJECTED


def test_the_audit_trail_is_on_the_page(approver_client, approver):
    interview = InterviewRequestFactory()
    interview.reject(approver, "Wrong course picked")
    body = approver_client.get(_change_url(interview)).content.decode()
    assert "Audit trail" in body or "audit trail" in body
    assert "Wrong course picked" in body
    assert "Approve with this schedule" not in body  # decided: no forms


def test_bulk_approve_schedules_at_preferred_times_and_skips_the_rest(
    approver_client,
):
    day = _future_day()
    ten = site_datetime(day, datetime.min.time()).replace(hour=10)
    ok = InterviewRequestFactory(preferred_at=ten)
    clash = InterviewRequestFactory(preferred_at=ten + timedelta(minutes=10))
    decided = InterviewRequestFactory(status=RequestStatus.REJECTED)
    later = InterviewRequestFactory(preferred_at=ten + timedelta(hours=2))
    response = approver_client.post(
        CHANGELIST + "?status=all",
        {
            "action": "approve_at_preferred_times",
            "_selected_action": [o.pk for o in (ok, clash, decided, later)],
        },
        follow=True,
    )
    body = response.content.decode()
    assert "Approved 2 requests." in body
    assert "1 overlapping another interview" in body
    assert "1 already decided" in body
    statuses = {r.pk: r.status for r in InterviewRequest.objects.all()}
    assert statuses[ok.pk] == statuses[later.pk] == RequestStatus.SCHEDULED
    assert statuses[clash.pk] == RequestStatus.PENDING


def test_admin_display_methods():
    from django.contrib import admin

    model_admin = admin.site._registry[InterviewRequest]
    interview = InterviewRequest(
        notes="n" * 100, preferred_at=datetime(2030, 1, 11, 18, 0, tzinfo=UTC)
    )
    assert model_admin.preferred_time(interview) == "Fri 11 Jan 2030, 23:30"
    assert len(model_admin.short_notes(interview)) == 60
    assert model_admin.scheduled_time(interview) == "-"


def test_students_cannot_open_the_console(student_client):
    assert student_client.get(CHANGELIST).status_code == 403


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_approvers_deciding_at_once_exactly_one_wins(approver, superuser):
    if connection.vendor not in ("postgresql", "mongodb"):  # issue 18
        pytest.skip("needs PostgreSQL")
    for _ in range(5):
        interview = InterviewRequestFactory()
        results, barrier = {}, threading.Barrier(2)

        def decide(name, user, interview_pk=interview.pk):
            from django.db import connection as thread_connection

            mine = InterviewRequest.objects.get(pk=interview_pk)
            barrier.wait()
            try:
                if name == "schedule":
                    results[name] = mine.schedule(user, mine.preferred_at)
                else:
                    results[name] = mine.reject(user, "Clash")
            finally:
                thread_connection.close()

        threads = [
            threading.Thread(target=decide, args=("schedule", approver)),
            threading.Thread(target=decide, args=("reject", superuser)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results.values()) == [False, True]
        assert RequestEvent.objects.filter(request=interview).count() == 1
        interview.refresh_from_db()
        assert interview.status in (RequestStatus.SCHEDULED, RequestStatus.REJECTED)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_reminders_run_concurrently_send_once():
    if connection.vendor not in ("postgresql", "mongodb"):  # issue 18
        pytest.skip("needs PostgreSQL")
    from interviews.housekeeping import send_due_reminders

    for _ in range(4):
        InterviewRequestFactory(
            status=RequestStatus.SCHEDULED,
            scheduled_at=timezone.now() + timedelta(hours=2),
        )
    counts, barrier = [], threading.Barrier(3)

    def run():
        from django.db import connection as thread_connection

        barrier.wait()
        try:
            counts.append(send_due_reminders())
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == 4
    assert len(mail.outbox) == 4


def test_the_date_filters_look_ahead(approver_client):
    tomorrow = _future_day(1)
    InterviewRequestFactory(
        preferred_at=site_datetime(tomorrow, datetime.min.time()).replace(hour=10)
    )
    InterviewRequestFactory(
        preferred_at=site_datetime(_future_day(5), datetime.min.time()).replace(hour=10)
    )
    response = approver_client.get(CHANGELIST)
    body = response.content.decode()
    assert "Tomorrow" in body
    assert "Next 7 days" in body
    spec = next(
        f for f in response.context["cl"].filter_specs if f.title == "preferred time"
    )
    links = dict(spec.links)
    tomorrow_only = approver_client.get(CHANGELIST, links["Tomorrow"])
    assert len(tomorrow_only.context["cl"].result_list) == 1
    week = approver_client.get(CHANGELIST, links["Next 7 days"])
    assert len(week.context["cl"].result_list) == 2
