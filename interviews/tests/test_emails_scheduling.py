from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from interviews.factories import InterviewCourseFactory, InterviewRequestFactory
from interviews.ics import escape_text, fold
from interviews.services import reject_interview, schedule_interview

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]
AT = datetime(2030, 1, 11, 6, 30, tzinfo=UTC)  # 12:00 IST


def parse_ics(text):
    """Unfold lines (RFC 5545 3.1) and read the VEVENT's properties."""
    assert "\r\n" in text
    unfolded = text.replace("\r\n ", "")
    lines = [line for line in unfolded.split("\r\n") if line]
    assert lines[0] == "BEGIN:VCALENDAR"
    assert lines[-1] == "END:VCALENDAR"
    for line in text.split("\r\n"):
        assert len(line.encode()) <= 75
    event = lines[lines.index("BEGIN:VEVENT") + 1 : lines.index("END:VEVENT")]
    return dict(line.split(":", 1) for line in event)


def unescape(value):
    return (
        value.replace("\\n", "\n")
        .replace("\\,", ",")
        .replace("\\;", ";")
        .replace("\\\\", "\\")
    )


def _scheduled_email(approver, django_capture_on_commit_callbacks, **course):
    interview = InterviewRequestFactory(
        course=InterviewCourseFactory(**course),
        # The same student each time (one account per address).
        student__username="priya",
        student__email="priya@example.com",
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert schedule_interview(interview, approver, AT, "Bring your CV; join early.")
    return interview, mail.outbox[-1]


def test_scheduling_emails_the_student_an_invite_in_utc(
    approver, django_capture_on_commit_callbacks
):
    interview, message = _scheduled_email(
        approver,
        django_capture_on_commit_callbacks,
        title="Sales, Marketing; and Growth",
        duration_minutes=45,
    )
    assert message.to == ["priya@example.com"]
    assert "scheduled for Fri 11 Jan 2030, 12:00" in message.subject
    assert "Fri 11 Jan 2030, 12:00 (Asia/Kolkata)" in message.body
    assert "Bring your CV; join early." in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "Bring your CV; join early." in html

    (filename, content, mimetype) = message.attachments[0]
    assert filename == "interview.ics"
    assert mimetype == "text/calendar"
    event = parse_ics(content)
    assert event["DTSTART"] == "20300111T063000Z"
    start = datetime.strptime(event["DTSTART"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    end = datetime.strptime(event["DTEND"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert start == interview.scheduled_at
    assert end - start == timedelta(minutes=45)
    assert event["UID"] == f"{interview.public_id}@127.0.0.1"
    assert unescape(event["SUMMARY"]) == "Mock interview: Sales, Marketing; and Growth"
    assert "\\," in event["SUMMARY"] and "\\;" in event["SUMMARY"]
    assert "Bring your CV; join early." in unescape(event["DESCRIPTION"])


def test_each_invite_has_its_own_uid(approver, django_capture_on_commit_callbacks):
    _, first = _scheduled_email(approver, django_capture_on_commit_callbacks)
    _, second = _scheduled_email(approver, django_capture_on_commit_callbacks)
    uid = [parse_ics(m.attachments[0][1])["UID"] for m in (first, second)]
    assert uid[0] != uid[1]


def test_long_and_multibyte_lines_are_folded_without_splitting_characters():
    line = "SUMMARY:" + "साक्षात्कार " * 20
    folded = fold(line)
    pieces = folded.split("\r\n")
    assert all(len(piece.encode()) <= 75 for piece in pieces)
    assert all(piece.startswith(" ") for piece in pieces[1:])
    assert folded.replace("\r\n ", "") == line


def test_text_values_are_escaped():
    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


def test_rejecting_emails_the_reason(approver, django_capture_on_commit_callbacks):
    interview = InterviewRequestFactory(course__title="HR Round")
    with django_capture_on_commit_callbacks(execute=True):
        reject_interview(interview, approver, "No approver free on Sunday.")
    message = mail.outbox[-1]
    assert message.subject == "Your HR Round interview request was not accepted"
    assert "No approver free on Sunday." in message.body
    assert f"/courses/{interview.course.slug}/request/" in message.body


def test_a_lost_decision_sends_nothing(
    approver, superuser, django_capture_on_commit_callbacks
):
    interview = InterviewRequestFactory()
    with django_capture_on_commit_callbacks(execute=True):
        assert reject_interview(interview, approver, "No")
        assert not schedule_interview(interview, superuser, AT)
    assert len(mail.outbox) == 1


def test_rejecting_requires_a_reason(approver):
    interview = InterviewRequestFactory()
    with pytest.raises(ValueError):
        reject_interview(interview, approver, "   ")
    interview.refresh_from_db()
    assert interview.status == "pending"
