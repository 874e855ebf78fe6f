"""A calendar invite (RFC 5545) for a scheduled interview, written by hand: one
event, times in UTC, lines folded at 75 octets."""

from datetime import UTC
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import timezone


def _utc(moment):
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def escape_text(value):
    """Escape a TEXT value: backslash, semicolon, comma and newlines."""
    return (
        str(value)
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line):
    """Fold a content line into pieces of at most 75 octets, never splitting a
    UTF-8 character; continuation lines start with one space."""
    pieces, current, size = [], "", 0
    for char in line:
        width = len(char.encode())
        limit = 75 if not pieces else 74  # the leading space counts
        if size + width > limit:
            pieces.append(current)
            current, size = "", 0
        current += char
        size += width
    pieces.append(current)
    return "\r\n ".join(pieces)


def site_host():
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def interview_invite(interview):
    """The .ics text for a scheduled interview request."""
    course = interview.course
    room_url = settings.SITE_URL + reverse("interviews:my_interviews")
    description = (
        f"Your {course.title} mock video interview ({course.duration_minutes} min). "
        f"Open the interview room from {room_url}"
    )
    if interview.message_to_student:
        description += f"\nMessage from the approver: {interview.message_to_student}"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Video Interview Portal//Scheduling//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{interview.public_id}@{site_host()}",
        f"DTSTAMP:{_utc(timezone.now())}",
        f"DTSTART:{_utc(interview.scheduled_at)}",
        f"DTEND:{_utc(interview.ends_at)}",
        f"SUMMARY:{escape_text(f'Mock interview: {course.title}')}",
        f"DESCRIPTION:{escape_text(description)}",
        f"URL:{room_url}",
        "STATUS:CONFIRMED",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(fold(line) for line in lines) + "\r\n"
