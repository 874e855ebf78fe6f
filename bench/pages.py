"""The pages `make bench` drives with wrk: which ones, logged in as whom, their
queries and in-process CPU time, and the load itself."""

import http.client
import json
import re
import shutil
import statistics
import subprocess
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from bench.server import log

LUA = Path(__file__).resolve().parent / "report.lua"
# Requests timed in-process per page: CPU time, a view of cost that load noise
# from other processes on the machine barely touches.
CPU_SAMPLES = 20

# What each kind of page must reach, as a share of the trivial view's requests/s.
TARGETS = {"anchor": None, "student": 0.50, "poll": 0.80, "admin": 0.25}


@dataclass
class Target:
    name: str
    path: str
    kind: str  # anchor, student, poll, admin
    cookie: str = ""
    queries: int | None = None
    cpu_ms: float | None = None
    rows: int | None = None
    result: dict = field(default_factory=dict)


# ---- the data the targets need ----


def prepare_fixtures():
    """Pick a scale student who has a pending payment (for the status poll), a
    course without a live payment (for the proof upload) and a scheduled
    interview, whose room is moved to now (for the answer upload)."""
    from django.utils import timezone

    from interviews.models import InterviewCourse, InterviewRequest, RequestStatus
    from payments.models import Payment, PaymentStatus

    course_count = InterviewCourse.objects.filter(is_active=True).count()
    scheduled = InterviewRequest.objects.filter(
        status=RequestStatus.SCHEDULED,
        student__username__startswith="scale",
        student__payments__status=PaymentStatus.PENDING_VERIFICATION,
    ).select_related("student", "course")
    for interview in scheduled.order_by("student__username")[:200]:
        payments = Payment.objects.filter(student=interview.student)
        live = [p for p in payments if p.is_live]
        if len({p.course_id for p in live}) >= course_count:
            continue
        pending = next(
            p for p in live if p.status == PaymentStatus.PENDING_VERIFICATION
        )
        unpaid = (
            InterviewCourse.objects.filter(is_active=True)
            .exclude(pk__in=[p.course_id for p in live])
            .first()
        )
        now = timezone.now()
        InterviewRequest.objects.filter(pk=interview.pk).update(
            scheduled_at=now, consent_given_at=now
        )
        interview.refresh_from_db()
        return {
            "student": interview.student,
            "pending_payment": pending,
            "unpaid_course": unpaid,
            "interview": interview,
            "question": interview.course.questions.order_by("order", "id").first(),
            "rows": {
                "students": interview.student.__class__.objects.count(),
                "payments": Payment.objects.count(),
                "requests": InterviewRequest.objects.count(),
                "pending_payments": Payment.objects.filter(
                    status=PaymentStatus.PENDING_VERIFICATION
                ).count(),
                "pending_requests": InterviewRequest.objects.filter(
                    status=RequestStatus.PENDING
                ).count(),
            },
        }
    raise SystemExit("bench: no scale student fits; seed with --scale 1000 or more")


def build_targets(server, fixtures, student, approver):
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.urls import NoReverseMatch, reverse

    def url(name, *args):
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            log(f"target {name} does not exist yet: skipped")
            return None

    candidates = [
        ("trivial view /ping", url("ping"), "anchor", ""),
        (
            "static file (whitenoise)",
            staticfiles_storage.url("css/site.css"),
            "anchor",
            "",
        ),
        # The floor of every logged-in page: the session lookup, nothing else.
        ("trivial view /ping, logged in", url("ping"), "anchor", student.header),
        ("login page", url("accounts:login"), "student", ""),
        ("student dashboard", url("dashboard"), "student", student.header),
        ("course list", url("interviews:course_list"), "student", student.header),
        (
            "payment status poll",
            url("payments:status", fixtures["pending_payment"].public_id),
            "poll",
            student.header,
        ),
        ("card states poll", url("interviews:card_states"), "poll", student.header),
        ("my interviews", url("interviews:my_interviews"), "student", student.header),
        ("admin index", url("admin:index"), "admin", approver.header),
        (
            "admin payments pending queue",
            url("admin:payments_payment_changelist"),
            "admin",
            approver.header,
        ),
        (
            "admin requests pending queue",
            url("admin:interviews_interviewrequest_changelist"),
            "admin",
            approver.header,
        ),
        (
            "admin review queue",
            url("admin:interviews_interviewtoreview_changelist"),
            "admin",
            approver.header,
        ),
    ]
    targets = []
    for name, path, kind, cookie in candidates:
        if path is None:
            continue
        # A changelist may redirect to its default filter: measure where it lands.
        path = final_path(server, path, cookie)
        targets.append(Target(name, path, kind, cookie))
    return targets


def final_path(server, path, cookie):
    for _ in range(3):
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        reply = connection.getresponse()
        reply.read()
        connection.close()
        if reply.status not in (301, 302) or not reply.getheader("Location"):
            return path
        path = urllib.parse.urljoin(path, reply.getheader("Location"))
    return path


def count_queries(targets, fixtures):
    """Queries per request through Django's test client against the same
    database (the second request, so one-off caches are warm); and the rows a
    changelist shows."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.testing import log_in_verified
    from interviews.demo import DEMO_APPROVER

    approver = get_user_model().objects.get(username=DEMO_APPROVER[0])
    clients = {"": Client(HTTP_HOST="127.0.0.1")}
    for kind, user in (("student", fixtures["student"]), ("admin", approver)):
        clients[kind] = Client(HTTP_HOST="127.0.0.1")
        log_in_verified(clients[kind], user)
    for target in targets:
        if target.kind == "anchor" and "static" in target.name:
            continue  # whitenoise answers before Django's views
        client = (
            clients[""]
            if not target.cookie
            else clients["admin" if target.kind == "admin" else "student"]
        )
        headers = {"accept": accept_for(target)}
        client.get(target.path, headers=headers)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(target.path, headers=headers)
        target.queries = len(queries)
        started = time.process_time()
        for _ in range(CPU_SAMPLES):
            client.get(target.path, headers=headers)
        target.cpu_ms = 1000 * (time.process_time() - started) / CPU_SAMPLES
        if target.kind == "admin" and "queue" in target.name:  # rows listed
            target.rows = changelist_rows(response.content.decode())


def changelist_rows(html):
    """Rows in the admin changelist's result table (header row excluded)."""
    match = re.search(r'<table id="result_list">(.*?)</table>', html, re.S)
    return match.group(1).count("<tr") - 1 if match else 0


def accept_for(target):
    return "application/json" if target.kind == "poll" else "text/html,*/*"


# ---- driving the load ----


def run_wrk(url, cookie, seconds, concurrency, accept=""):
    command = [
        shutil.which("wrk"),
        f"-t{min(2, concurrency)}",
        f"-c{concurrency}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        url,
    ]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    if accept:  # the polls ask for JSON, as static/js does
        command[1:1] = ["-H", f"Accept: {accept}"]
    output = subprocess.run(  # noqa: S603 (our own fixed command)
        command, capture_output=True, text=True, check=True
    ).stdout
    line = next(x for x in output.splitlines() if x.startswith("BENCH_JSON "))
    result = json.loads(line.removeprefix("BENCH_JSON "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["errors"] = result["socket_errors"] + result["timeouts"] + result["non2xx"]
    return result


def drive(server, targets, args):
    anchor = targets[0]
    order = [
        *targets,
        Target(anchor.name + " (again, at the end)", anchor.path, "anchor"),
    ]
    for target in order:
        url, accept = server.url(target.path), accept_for(target)
        run_wrk(url, target.cookie, 2, args.concurrency, accept)  # warm-up
        target.result = run_wrk(
            url, target.cookie, args.duration, args.concurrency, accept
        )
        r = target.result
        log(
            f"{target.name}: {r['rps']:.0f} req/s, p50 {r['p50_us'] / 1000:.1f} ms, "
            f"p99 {r['p99_us'] / 1000:.1f} ms, errors {r['errors']}"
        )
    targets.append(order[-1])
    baseline = statistics.mean([targets[0].result["rps"], targets[-1].result["rps"]])
    return baseline
