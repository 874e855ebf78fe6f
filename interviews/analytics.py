"""The owner's figures: funnel, revenue, courses, approver turnaround, attendance.

Every figure is one aggregate query (a constant number of queries whatever the
data size); Python only reshapes the few aggregated rows. The definitions below
are shown on the page, so change them together with the text in
templates/admin/analytics.html.
"""

from collections import namedtuple
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import (
    Avg,
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Floor, Least, Sqrt
from django.utils import timezone

from interviews.analytics_sql import (
    SecondsBetween,
    SiteDate,
    SiteHour,
    SiteIsoWeekDay,
    fixed_utc_offset,
)
from interviews.models import (
    InterviewCourse,
    InterviewRequest,
    RequestEvent,
    RequestStatus,
    ReviewResult,
)
from payments.models import Payment, PaymentStatus

# Turnaround is counted in buckets, bucket k holding the durations of k**2 to
# (k+1)**2 minutes (a 15 min bucket at 1 h, 1 h at 1 day, 3 h at a week; the last
# holds everything from 30 days): one grouped query per stage returns at most
# 209 rows per approver, whatever the number of decisions. The median and 90th
# percentile are interpolated inside their bucket.
LAST_BUCKET = 208  # 208**2 minutes: just over 30 days
# julianday() arithmetic is a float: a duration of exactly an hour may come out
# a few microseconds either side of 3600 s.
EDGE_TOLERANCE_SECONDS = 0.5
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


@dataclass
class Period:
    """Site-time days first..last (both included), optionally one course."""

    first: object  # date
    last: object  # date
    course: InterviewCourse | None = None
    tz: object = field(default_factory=timezone.get_default_timezone)

    def __post_init__(self):
        self.start = datetime.combine(self.first, time.min, tzinfo=self.tz)
        self.end = datetime.combine(
            self.last + timedelta(days=1), time.min, tzinfo=self.tz
        )
        self.offset = fixed_utc_offset(self.tz, self.start, self.end)

    @property
    def days(self):
        return [
            self.first + timedelta(days=n)
            for n in range((self.last - self.first).days + 1)
        ]

    def within(self, name):
        """Q: the datetime field `name` falls inside the period."""
        return Q(**{f"{name}__gte": self.start, f"{name}__lt": self.end})

    def of_course(self, prefix=""):
        if self.course is None:
            return Q()
        return Q(**{f"{prefix}course": self.course})

    def site(self, kind, name):
        return kind(name, tzinfo=self.tz, fixed_offset=self.offset)


@dataclass
class Table:
    """One table of the page, and of its CSV export (same cells)."""

    key: str
    caption: str
    columns: list
    rows: list = field(default_factory=list)
    collapsed: bool = False  # long tables sit behind a <details>
    text_columns: int = 1  # leading columns of words (the rest are numbers)


def rate(part, whole):
    return None if not whole else round(100 * part / whole, 1)


def percent(value):
    return None if value is None else f"{value:.1f}%"


# ---- the funnel ----

FUNNEL_STEPS = [
    # (key, label in the table, label in the chart)
    ("signed_up", "Signed up", "Signed up"),
    ("verified", "Verified email", "Verified email"),
    ("paid", "Paid (proof submitted)", "Paid"),
    ("approved", "Payment approved", "Payment approved"),
    ("requested", "Requested an interview", "Requested"),
    ("scheduled", "Interview scheduled", "Scheduled"),
    ("interviewed", "Interviewed (completed)", "Interviewed"),
    ("reviewed", "Review published", "Review published"),
    ("feedback_read", "Feedback read", "Feedback read"),
]
FUNNEL_CHART_LABELS = {label: short for _, label, short in FUNNEL_STEPS}


def funnel(period):
    """[(label, students)] for the cohort of students who signed up in the period:
    how many of them have ever reached each step (up to now). Three queries."""
    cohort = Q(
        is_staff=False,
        is_superuser=False,
        date_joined__gte=period.start,
        date_joined__lt=period.end,
    )
    in_cohort = Q(
        student__is_staff=False,
        student__is_superuser=False,
        student__date_joined__gte=period.start,
        student__date_joined__lt=period.end,
    )
    counts = (
        get_user_model()
        .objects.filter(cohort)
        .aggregate(
            signed_up=Count("pk"),
            verified=Count("pk", filter=Q(email_verified_at__isnull=False)),
        )
    )
    counts |= Payment.objects.filter(in_cohort, period.of_course()).aggregate(
        paid=Count("student", distinct=True),
        approved=Count(
            "student", distinct=True, filter=Q(status=PaymentStatus.COMPLETED)
        ),
    )
    counts |= InterviewRequest.objects.filter(in_cohort, period.of_course()).aggregate(
        requested=Count("student", distinct=True),
        scheduled=Count("student", distinct=True, filter=Q(scheduled_at__isnull=False)),
        interviewed=Count(
            "student", distinct=True, filter=Q(completed_at__isnull=False)
        ),
        reviewed=Count("student", distinct=True, filter=Q(reviewed_at__isnull=False)),
        feedback_read=Count(
            "student", distinct=True, filter=Q(feedback_read_at__isnull=False)
        ),
    )
    return [(label, counts[key]) for key, label, _ in FUNNEL_STEPS]


def funnel_table(steps):
    table = Table(
        "funnel",
        "Funnel: students of the cohort who reached each step",
        [
            "Step",
            "Students",
            "From the step before",
            "Dropped off",
            "From sign-up",
        ],
    )
    first = steps[0][1] if steps else 0
    previous = None
    for label, count in steps:
        if previous is None:
            table.rows.append([label, count, None, None, percent(rate(count, first))])
        else:
            table.rows.append(
                [
                    label,
                    count,
                    percent(rate(count, previous)),
                    max(previous - count, 0),
                    percent(rate(count, first)),
                ]
            )
        previous = count
    return table


# ---- revenue ----


def _decisions(period):
    # Only decided payments have a reviewed_at; filtering on it alone lets the
    # database use its index rather than the status one.
    return Payment.objects.filter(period.within("reviewed_at"), period.of_course())


DECISION_TOTALS = {
    "approved": Count("pk", filter=Q(status=PaymentStatus.COMPLETED)),
    "approved_amount": Sum("amount", filter=Q(status=PaymentStatus.COMPLETED)),
    "rejected": Count("pk", filter=Q(status=PaymentStatus.REJECTED)),
    "rejected_amount": Sum("amount", filter=Q(status=PaymentStatus.REJECTED)),
}


def revenue_by_day(period):
    """{date: totals} of payment decisions, dated by the decision (site time)."""
    rows = (
        _decisions(period)
        .annotate(day=period.site(SiteDate, "reviewed_at"))
        .values("day")
        .annotate(**DECISION_TOTALS)
        .order_by("day")
    )
    found = {row["day"]: row for row in rows}
    empty = {"approved": 0, "approved_amount": 0, "rejected": 0, "rejected_amount": 0}
    return [(day, {**empty, **found.get(day, {})}) for day in period.days]


def revenue_by_course(period, courses):
    rows = {
        row["course"]: row
        for row in _decisions(period)
        .values("course")
        .annotate(**DECISION_TOTALS)
        .order_by()
    }
    empty = {"approved": 0, "approved_amount": 0, "rejected": 0, "rejected_amount": 0}
    return [(course, {**empty, **rows.get(course.pk, {})}) for course in courses]


def _money(value):
    return value or 0


def revenue_tables(by_day, by_course):
    columns = [
        "Approved payments",
        "Approved amount (INR)",
        "Rejected payments",
        "Rejected amount (INR)",
    ]

    def cells(totals):
        return [
            totals["approved"],
            _money(totals["approved_amount"]),
            totals["rejected"],
            _money(totals["rejected_amount"]),
        ]

    daily = Table(
        "revenue_by_day",
        "Revenue per day (by the day of the decision)",
        ["Day", *columns],
        [[day.isoformat(), *cells(totals)] for day, totals in by_day],
        collapsed=True,
    )
    per_course = Table(
        "revenue_by_course",
        "Revenue per course",
        ["Course", *columns],
        [[course.title, *cells(totals)] for course, totals in by_course],
    )
    return daily, per_course


# ---- courses ----


def course_figures(period, courses):
    """Per course: students and payments submitted, requests made, interviews due
    (completed or missed, by interview time), reviews published, their average
    rating and pass rate; all in the period. Two queries."""
    paid = {
        row["course"]: row
        for row in Payment.objects.filter(
            period.within("created_at"), period.of_course()
        )
        .values("course")
        .annotate(students=Count("student", distinct=True), payments=Count("pk"))
        .order_by()
    }
    made, due, reviewed = (
        period.within("created_at"),
        period.within("scheduled_at"),
        period.within("reviewed_at"),
    )
    asked = {
        row["course"]: row
        for row in InterviewRequest.objects.filter(made | due | reviewed)
        .filter(period.of_course())
        .values("course")
        .annotate(
            requests=Count("pk", filter=made),
            completed=Count("pk", filter=due & Q(status=RequestStatus.COMPLETED)),
            missed=Count("pk", filter=due & Q(status=RequestStatus.MISSED)),
            reviews=Count("pk", filter=reviewed),
            rating=Avg("overall_rating", filter=reviewed),
            passed=Count("pk", filter=reviewed & Q(result=ReviewResult.PASS)),
        )
        .order_by()
    }
    figures = []
    for course in courses:
        p, a = paid.get(course.pk, {}), asked.get(course.pk, {})
        completed, missed = a.get("completed", 0), a.get("missed", 0)
        rating = a.get("rating")
        figures.append(
            {
                "course": course,
                "students": p.get("students", 0),
                "payments": p.get("payments", 0),
                "requests": a.get("requests", 0),
                "completed": completed,
                "missed": missed,
                "completion_rate": rate(completed, completed + missed),
                "reviews": a.get("reviews", 0),
                "rating": None if rating is None else round(rating, 2),
                "pass_rate": rate(a.get("passed", 0), a.get("reviews", 0)),
            }
        )
    return figures


def course_table(figures):
    return Table(
        "courses",
        "Courses",
        [
            "Course",
            "Students who paid",
            "Payments submitted",
            "Requests made",
            "Interviews completed",
            "Interviews missed",
            "Completion rate",
            "Reviews published",
            "Average rating (1-5)",
            "Pass rate",
        ],
        [
            [
                f["course"].title,
                f["students"],
                f["payments"],
                f["requests"],
                f["completed"],
                f["missed"],
                percent(f["completion_rate"]),
                f["reviews"],
                f["rating"],
                percent(f["pass_rate"]),
            ]
            for f in figures
        ],
    )


# ---- approver turnaround ----

Stage = namedtuple("Stage", "key label model approver end start")
STAGES = [
    Stage(
        "payments",
        "Payment submitted → decided",
        "payments",
        "reviewed_by",
        "reviewed_at",
        "created_at",
    ),
    Stage(
        "requests",
        "Request made → scheduled or turned down",
        "requests",
        "decided_by",
        "decided_at",
        "created_at",
    ),
    Stage(
        "reviews",
        "Interview completed → review published",
        "requests",
        "reviewed_by",
        "reviewed_at",
        "completed_at",
    ),
]


def _stage_queryset(period, model, end, start):
    manager = Payment.objects if model == "payments" else InterviewRequest.objects
    return manager.filter(
        period.within(end), period.of_course(), **{f"{start}__isnull": False}
    )


def bucket_bounds_hours(bucket):
    return bucket**2 / 60, (bucket + 1) ** 2 / 60


def percentile(buckets, total, share):
    """Interpolated `share` quantile (in hours) from {bucket: decisions}; None
    when it lies in the last, open-ended bucket."""
    if not total:
        return None
    rank = share * total
    seen = 0
    for bucket in sorted(buckets):
        count = buckets[bucket]
        if seen + count >= rank:
            if bucket >= LAST_BUCKET:
                return None
            low, high = bucket_bounds_hours(bucket)
            return low + (rank - seen) / count * (high - low)
        seen += count
    return None


def turnaround(period, target_hours=None):
    """Per stage, per approver (and all approvers): decisions, median, 90th
    percentile and how many took longer than the target. One query per stage,
    plus one for the approvers' names."""
    if target_hours is None:
        target_hours = settings.ANALYTICS_TURNAROUND_TARGET_HOURS
    target = target_hours * 3600
    stages = []
    approver_ids = set()
    for key, label, model, approver, end, start in STAGES:
        seconds = SecondsBetween(end, start) + EDGE_TOLERANCE_SECONDS
        rows = (
            _stage_queryset(period, model, end, start)
            .alias(seconds=seconds)
            .alias(
                bucket=Least(
                    Cast(Floor(Sqrt(F("seconds") / 60.0)), IntegerField()),
                    Value(LAST_BUCKET),
                ),
                over=ExpressionWrapper(
                    Q(seconds__gt=target), output_field=BooleanField()
                ),
            )
            .values(approver_id=F(approver), bucket=F("bucket"), over=F("over"))
            .annotate(decisions=Count("pk"))
            .order_by()
        )
        per_approver = {}
        for row in rows:
            figures = per_approver.setdefault(
                row["approver_id"], {"decisions": 0, "over": 0, "buckets": {}}
            )
            figures["decisions"] += row["decisions"]
            figures["over"] += row["decisions"] if row["over"] else 0
            buckets = figures["buckets"]
            buckets[row["bucket"]] = buckets.get(row["bucket"], 0) + row["decisions"]
        approver_ids.update(per_approver)
        stages.append((key, label, per_approver))
    names = {
        user.pk: user.display_name
        for user in get_user_model()
        .objects.filter(pk__in=[pk for pk in approver_ids if pk is not None])
        .only("pk", "username", "full_name", "first_name", "last_name")
    }
    results = []
    for key, label, per_approver in stages:
        everyone = {"decisions": 0, "over": 0, "buckets": {}}
        for figures in per_approver.values():
            everyone["decisions"] += figures["decisions"]
            everyone["over"] += figures["over"]
            for bucket, count in figures["buckets"].items():
                everyone["buckets"][bucket] = everyone["buckets"].get(bucket, 0) + count
        named = sorted(
            per_approver.items(), key=lambda item: names.get(item[0], "").lower()
        )
        rows = [(names.get(pk, "(deleted user)"), False, f) for pk, f in named]
        if rows:
            rows.append(("All approvers", True, everyone))
        for who, is_total, figures in rows:
            results.append(
                {
                    "stage": key,
                    "stage_label": label,
                    "approver": who,
                    "is_total": is_total,
                    "decisions": figures["decisions"],
                    "median": percentile(figures["buckets"], figures["decisions"], 0.5),
                    "p90": percentile(figures["buckets"], figures["decisions"], 0.9),
                    "over": figures["over"],
                }
            )
    return results


def hours(value):
    if value is None:
        return None
    return f"{value:.1f} h"


def turnaround_table(figures, target_hours):
    last = bucket_bounds_hours(LAST_BUCKET)[0]
    return Table(
        "turnaround",
        f"Approver turnaround (target: {target_hours} h)",
        [
            "Approver",
            "Stage",
            "Decisions",
            "Median",
            "90th percentile",
            f"Longer than {target_hours} h",
        ],
        [
            [
                f["approver"],
                f["stage_label"],
                f["decisions"],
                hours(f["median"]) or (f"over {last:.0f} h" if f["decisions"] else ""),
                hours(f["p90"]) or (f"over {last:.0f} h" if f["decisions"] else ""),
                f["over"],
            ]
            for f in figures
        ],
        text_columns=2,
    )


# ---- attendance ----

HEAT_MAP_STATUSES = [
    RequestStatus.SCHEDULED,
    RequestStatus.COMPLETED,
    RequestStatus.MISSED,
]


def attendance(period):
    """Interviews due in the period (by interview time) that were completed or
    missed, cancellations, and from the audit trail: no-shows recorded and
    missed interviews reopened. Two queries."""
    due, cancelled = period.within("scheduled_at"), period.within("cancelled_at")
    counts = InterviewRequest.objects.filter(
        due | cancelled, period.of_course()
    ).aggregate(
        completed=Count("pk", filter=due & Q(status=RequestStatus.COMPLETED)),
        missed=Count("pk", filter=due & Q(status=RequestStatus.MISSED)),
        cancelled=Count("pk", filter=cancelled & Q(status=RequestStatus.CANCELLED)),
        cancelled_scheduled=Count(
            "pk",
            filter=cancelled
            & Q(status=RequestStatus.CANCELLED, scheduled_at__isnull=False),
        ),
    )
    counts |= RequestEvent.objects.filter(
        period.within("created_at"), period.of_course("request__")
    ).aggregate(
        no_shows=Count("pk", filter=Q(to_status=RequestStatus.MISSED)),
        reopened=Count(
            "pk",
            filter=Q(
                from_status=RequestStatus.MISSED, to_status=RequestStatus.SCHEDULED
            ),
        ),
    )
    counts["due"] = counts["completed"] + counts["missed"]
    counts["missed_rate"] = rate(counts["missed"], counts["due"])
    return counts


def attendance_table(counts):
    return Table(
        "attendance",
        "Attendance",
        ["Figure", "Value"],
        [
            ["Interviews due (completed or missed)", counts["due"]],
            ["Completed", counts["completed"]],
            ["Missed (still)", counts["missed"]],
            ["Missed rate", percent(counts["missed_rate"])],
            ["No-shows recorded (including those reopened later)", counts["no_shows"]],
            ["Missed interviews reopened", counts["reopened"]],
            ["Requests cancelled", counts["cancelled"]],
            ["of which after being scheduled", counts["cancelled_scheduled"]],
        ],
    )


def heat_map(period):
    """(hours, {(iso weekday, hour): interviews}) of interviews scheduled,
    completed or missed with a time in the period, in site time. One query."""
    rows = (
        InterviewRequest.objects.filter(
            period.within("scheduled_at"),
            period.of_course(),
            status__in=HEAT_MAP_STATUSES,
        )
        .annotate(
            weekday=period.site(SiteIsoWeekDay, "scheduled_at"),
            hour=period.site(SiteHour, "scheduled_at"),
        )
        .values("weekday", "hour")
        .annotate(interviews=Count("pk"))
        .order_by()
    )
    cells = {(row["weekday"], row["hour"]): row["interviews"] for row in rows}
    start = settings.INTERVIEW_BOOKABLE_START.hour
    end = settings.INTERVIEW_BOOKABLE_END.hour
    seen = [hour for _, hour in cells]
    hours = list(range(min([start, *seen]), max([end, *seen]) + 1))
    return hours, cells


def heat_map_table(hours, cells):
    return Table(
        "heat_map",
        "Interviews per weekday and hour (site time)",
        ["Weekday", *[f"{hour:02d}:00" for hour in hours]],
        [
            [name, *[cells.get((day, hour), 0) for hour in hours]]
            for day, name in enumerate(WEEKDAYS, start=1)
        ],
        collapsed=True,
    )
