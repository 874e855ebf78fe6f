"""How a student's scores moved across their published reviews of one course
(issue 16): the numbers, and the points of a small server-rendered SVG chart."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Avg

from interviews.models import AnswerScore, InterviewRequest, RequestStatus
from portal.dates import site_date

CHART_WIDTH = 240
CHART_HEIGHT = 80
CHART_PAD = 10


@dataclass
class Series:
    name: str
    # [(attempt label, value or None)], oldest first
    values: list = field(default_factory=list)

    @property
    def points(self):
        """SVG points for the values that exist: x by attempt, y by score 1-5."""
        count = len(self.values)
        span = CHART_WIDTH - 2 * CHART_PAD
        height = CHART_HEIGHT - 2 * CHART_PAD
        points = []
        for index, (_label, value) in enumerate(self.values):
            if value is None:
                continue
            x = CHART_PAD + (span * index / (count - 1) if count > 1 else span / 2)
            y = CHART_PAD + height * (5 - value) / 4
            points.append({"x": round(x, 1), "y": round(y, 1), "value": value})
        return points

    @property
    def polyline(self):
        return " ".join(f"{p['x']},{p['y']}" for p in self.points)

    @property
    def summary(self):
        known = [value for _label, value in self.values if value is not None]
        if len(known) < 2:
            return "Not enough scores to compare yet."
        change = known[-1] - known[0]
        if change > 0:
            return f"Up {change:.1f} since the first attempt."
        if change < 0:
            return f"Down {-change:.1f} since the first attempt."
        return "The same as the first attempt."


def published_attempts(student, course):
    return list(
        InterviewRequest.objects.filter(
            student=student,
            course=course,
            status=RequestStatus.COMPLETED,
            reviewed_at__isnull=False,
        ).order_by("completed_at", "pk")
    )


def progress_for(student, course):
    """(attempts, [Series]): the overall rating, then one series per rubric
    criterion (the mean of its scores over the attempt's answers). Empty when
    there is only one published attempt: nothing to compare."""
    attempts = published_attempts(student, course)
    if len(attempts) < 2:
        return attempts, []
    labels = [
        f"{index}. {site_date(attempt.completed_at)}"
        for index, attempt in enumerate(attempts, start=1)
    ]
    overall = Series(
        "Overall rating",
        [
            (label, attempt.overall_rating)
            for label, attempt in zip(labels, attempts, strict=True)
        ],
    )
    means = defaultdict(dict)
    rows = (
        AnswerScore.objects.filter(answer__request__in=attempts)
        .values("criterion__name", "criterion__order", "answer__request_id")
        .annotate(mean=Avg("score"))
        .order_by("criterion__order", "criterion__name")
    )
    order = []
    for row in rows:
        name = row["criterion__name"]
        if name not in means:
            order.append(name)
        means[name][row["answer__request_id"]] = round(row["mean"], 1)
    series = [overall]
    for name in order:
        series.append(
            Series(
                name,
                [
                    (label, means[name].get(attempt.pk))
                    for label, attempt in zip(labels, attempts, strict=True)
                ],
            )
        )
    return attempts, series
