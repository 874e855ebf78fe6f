from datetime import timedelta

from django import forms
from django.conf import settings
from django.utils import timezone

from interviews.scheduling import site_datetime
from portal.dates import site_date, site_time


class SlotFields(forms.Form):
    """A date and a time in the site's time zone, read as one aware datetime."""

    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    # Text, not type="time": browsers show that in 12-hour form in many locales,
    # while the help text and every page here write 24-hour times.
    time = forms.TimeField(
        input_formats=["%H:%M", "%H.%M", "%H:%M:%S"],
        widget=forms.TimeInput(
            format="%H:%M",
            attrs={
                "inputmode": "numeric",
                "placeholder": "HH:MM",
                "pattern": "[0-2]?[0-9][:.][0-5][0-9]",
                "autocomplete": "off",
            },
        ),
    )

    def slot(self):
        return site_datetime(self.cleaned_data["date"], self.cleaned_data["time"])


class InterviewRequestForm(SlotFields):
    """The student's preferred slot. Every rule is checked here, on the server.

    A slot must start inside bookable hours AND end (start + course duration) by
    the end of them: an interview booked at 19:55 would run past closing.
    """

    notes = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 1000}),
        help_text="Optional (at most 1000 characters): anything the approver "
        "should know.",
    )

    def __init__(self, *args, course, now=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.course = course
        self.now = now or timezone.now()
        start, end = settings.INTERVIEW_BOOKABLE_START, settings.INTERVIEW_BOOKABLE_END
        self.fields["date"].label = "Preferred date"
        self.fields["time"].label = f"Preferred time ({settings.TIME_ZONE})"
        self.fields["time"].help_text = (
            f"24-hour time, e.g. 14:30. Between {start:%H:%M} and {end:%H:%M}; the "
            f"{course.duration_minutes}-minute interview must end by {end:%H:%M}."
        )
        earliest = self.earliest()
        span = f"From {site_date(earliest)} to {site_date(self.latest())}."
        self.fields["date"].help_text = span
        self.fields["date"].widget.attrs.update(
            min=site_time(earliest, "Y-m-d"),
            max=site_time(self.latest(), "Y-m-d"),
        )

    def rules(self):
        """Every booking rule, stated before the student picks (issue 16)."""
        start, end = settings.INTERVIEW_BOOKABLE_START, settings.INTERVIEW_BOOKABLE_END
        minutes = self.course.duration_minutes
        return [
            f"At least {settings.INTERVIEW_MIN_NOTICE_HOURS} hours from now: the "
            f"earliest time is {site_time(self.earliest())}.",
            f"At most {settings.INTERVIEW_MAX_DAYS_AHEAD} days ahead (until "
            f"{site_date(self.latest())}).",
            f"Between {start:%H:%M} and {end:%H:%M}, 24-hour time; the {minutes}-"
            f"minute interview must end by {end:%H:%M}.",
            f"You can cancel until {settings.INTERVIEW_CANCEL_CUTOFF_HOURS} hours "
            "before it starts; your payment then pays for a new request.",
        ]

    def earliest(self):
        return self.now + timedelta(hours=settings.INTERVIEW_MIN_NOTICE_HOURS)

    def latest(self):
        return self.now + timedelta(days=settings.INTERVIEW_MAX_DAYS_AHEAD)

    def clean(self):
        cleaned = super().clean()
        if self.errors.keys() & {"date", "time"}:
            return cleaned
        day, at = cleaned["date"], cleaned["time"]
        slot = self.slot()
        start, end = settings.INTERVIEW_BOOKABLE_START, settings.INTERVIEW_BOOKABLE_END
        ends = slot + self.course.duration
        if slot <= self.now:
            self.add_error(
                "date", "That time has already passed. Choose a future date and time."
            )
        elif slot < self.earliest():
            self.add_error(
                "time",
                f"Book at least {settings.INTERVIEW_MIN_NOTICE_HOURS} hours ahead: "
                "the earliest possible time is "
                f"{site_time(self.earliest())}.",
            )
        elif slot > self.latest():
            self.add_error(
                "date",
                f"Book at most {settings.INTERVIEW_MAX_DAYS_AHEAD} days ahead: "
                f"the last possible date is {site_date(self.latest())}.",
            )
        if at < start or ends > site_datetime(day, end):
            self.add_error(
                "time",
                f"Choose a time between {start:%H:%M} and {end:%H:%M}, so that the "
                f"{self.course.duration_minutes}-minute interview ends by {end:%H:%M}.",
            )
        cleaned["preferred_at"] = slot
        return cleaned


class ScheduleForm(SlotFields):
    """The approver's decision: a date and time (defaulting to the preferred
    time), an optional message, and a confirmation when the slot overlaps."""

    message = forms.CharField(
        required=False,
        max_length=1000,
        label="Message to the student (optional)",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm_overlap = forms.BooleanField(
        required=False, label="Schedule anyway, despite the overlap"
    )

    def __init__(self, *args, interview, **kwargs):
        super().__init__(*args, **kwargs)
        self.interview = interview
        self.overlaps = []
        self.fields["date"].label = "Date"
        self.fields["time"].label = f"Time ({settings.TIME_ZONE})"

    def clean(self):
        from interviews.scheduling import overlapping_interviews

        cleaned = super().clean()
        if self.errors.keys() & {"date", "time"}:
            return cleaned
        slot = self.slot()
        cleaned["scheduled_at"] = slot
        if slot <= timezone.now():
            self.add_error("date", "Choose a time in the future.")
            return cleaned
        self.overlaps = overlapping_interviews(
            slot, self.interview.course.duration, exclude=self.interview
        )
        if self.overlaps and not cleaned.get("confirm_overlap"):
            names = "; ".join(
                f"{other.course} for {other.student.display_name} at "
                f"{site_time(other.scheduled_at, 'H:i')}"
                for other in self.overlaps
            )
            self.add_error(
                "confirm_overlap",
                f"This overlaps {len(self.overlaps)} scheduled interview"
                f"{'s' if len(self.overlaps) != 1 else ''} ({names}). Tick the box "
                "to schedule anyway.",
            )
        return cleaned


class RejectForm(forms.Form):
    reason = forms.CharField(
        max_length=1000,
        label="Reason (the student reads this)",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Give the student a reason for rejecting."},
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Give the student a reason for rejecting.")
        return reason
