"""`make bench`: the site under load at realistic size, against a baseline measured
in the same run through the same server.

Starts gunicorn with production settings on loopback against a database of its
own (a SQLite file under /tmp, or a fresh PostgreSQL database when DATABASE_URL
points at a server), seeds scale data, logs in through the real login form, and
drives each page with wrk at a fixed concurrency. The ratios to the trivial
/ping view are what count: the machine is shared, so absolute numbers are noisy.
Then it uploads a 200 MB answer and a 5 MB proof while a load runs and reports
the serving worker's peak memory above idle. Writes docs/benchmarks.md.

    .venv/bin/python bench/run.py [--scale 10000] [--duration 15] [--port 8160]
"""

import argparse
import http.client
import http.cookiejar
import io
import json
import os
import platform
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LUA = Path(__file__).resolve().parent / "report.lua"
DOC = ROOT / "docs" / "benchmarks.md"
MB = 1024 * 1024
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


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S', time.gmtime())}] {message}", flush=True)


# ---- the environment of the server under test ----


def production_env(args, workdir, database_url):
    env = dict(os.environ)
    env.update(
        DEBUG="False",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="False",
        SESSION_COOKIE_SECURE="False",
        CSRF_COOKIE_SECURE="False",
        SECURE_HSTS_SECONDS="0",
        DATABASE_URL=database_url,
        MEDIA_ROOT=str(workdir / "media"),
        FILE_UPLOAD_TEMP_DIR=str(workdir / "tmp"),
        EMAIL_URL="consolemail://",
        LOG_LEVEL="WARNING",
        HOST="127.0.0.1",
        PORT=str(args.port),
        DJANGO_SETTINGS_MODULE="portal.settings",
    )
    env.pop("REDIS_URL", None)
    return env


class Database:
    """A database of the benchmark's own: a SQLite file in the work directory, or
    a fresh PostgreSQL database created on the server DATABASE_URL names."""

    def __init__(self, workdir, server_url):
        self.server_url = server_url
        self.name = None
        if server_url and server_url.startswith(("postgres://", "postgresql://")):
            self.name = f"bench_{os.getpid()}"
            parts = urllib.parse.urlsplit(server_url)
            self.url = urllib.parse.urlunsplit(parts._replace(path=f"/{self.name}"))
        elif server_url and not server_url.startswith("sqlite"):
            raise SystemExit(f"bench: unsupported DATABASE_URL {server_url!r}")
        else:
            self.url = f"sqlite:///{workdir / 'bench.sqlite3'}"

    @property
    def vendor(self):
        return "postgresql" if self.name else "sqlite"

    def _admin(self):
        import psycopg

        parts = urllib.parse.urlsplit(self.server_url)
        return psycopg.connect(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
            user=urllib.parse.unquote(parts.username or "postgres"),
            password=urllib.parse.unquote(parts.password or "") or None,
            dbname="postgres",  # the maintenance database: always there
            autocommit=True,
        )

    def create(self):
        if self.name:
            with self._admin() as conn:
                conn.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self):
        if self.name:
            with self._admin() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def manage(env, *arguments):
    started = time.monotonic()
    subprocess.run(  # noqa: S603 (our own fixed command)
        [str(BIN / "python"), "manage.py", *arguments],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return time.monotonic() - started


class Server:
    """gunicorn with the project's own gunicorn.conf.py (production workers)."""

    def __init__(self, env, workdir, port):
        self.env, self.port = env, port
        self.log = open(workdir / "gunicorn.log", "w")  # noqa: SIM115
        self.process = None

    def start(self):
        self.process = subprocess.Popen(  # noqa: S603 (our own fixed command)
            [
                str(BIN / "gunicorn"),
                "portal.wsgi:application",
                "-c",
                "gunicorn.conf.py",
                "--access-logfile",
                "/dev/null",  # the load would be measuring the log writes
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit("bench: gunicorn exited; see its log")
            try:
                health = self.url("/health")  # always http://127.0.0.1
                with urllib.request.urlopen(health, timeout=5) as reply:  # noqa: S310
                    if reply.status == 200 and len(self.workers()) >= 1:
                        time.sleep(2)  # let every worker finish booting
                        return
            except OSError:  # refused, reset or timed out while booting
                pass
            time.sleep(0.3)
        raise SystemExit("bench: gunicorn did not answer /health within 60 s")

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def workers(self):
        pid = self.process.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return []
        return [int(child) for child in children]

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


# ---- logging in through the real form ----


class Session:
    def __init__(self, server):
        self.server = server
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar)
        )

    def login(self, username, password):
        login_url = self.server.url("/accounts/login/")
        page = self.opener.open(login_url, timeout=30).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        data = urllib.parse.urlencode(
            {
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": token.group(1),
            }
        ).encode()
        reply = self.opener.open(login_url, data=data, timeout=30)
        reply.read()
        if "sessionid" not in self.cookies():
            raise SystemExit(f"bench: could not log in as {username}")
        if "/accounts/2fa/" in reply.geturl():
            self._second_factor(username, reply.geturl())
        return self

    def _second_factor(self, username, page_url):
        """Staff pass the second factor (accounts/two_factor.py) as a person
        would: a code from their authenticator, which the bench adds if needed."""
        from django.contrib.auth import get_user_model

        from accounts.testing import current_code, give_authenticator

        user = get_user_model().objects.get(username=username)
        device = give_authenticator(user)
        verify_url = self.server.url("/accounts/2fa/")
        page = self.opener.open(verify_url, timeout=30).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        data = urllib.parse.urlencode(
            {"code": current_code(device), "csrfmiddlewaretoken": token.group(1)}
        ).encode()
        reply = self.opener.open(verify_url, data=data, timeout=30)
        reply.read()
        if "/accounts/2fa/" in reply.geturl():
            raise SystemExit(f"bench: {username} could not pass the second factor")

    def cookies(self):
        return {cookie.name: cookie.value for cookie in self.jar}

    @property
    def header(self):
        return "; ".join(f"{name}={value}" for name, value in self.cookies().items())


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


# ---- uploads under load: peak memory of the workers ----


class MemoryWatcher(threading.Thread):
    """Polls VmRSS of every gunicorn worker every 50 ms."""

    def __init__(self, server):
        super().__init__(daemon=True)
        self.server = server
        self.idle = {pid: rss_kb(pid) for pid in server.workers()}
        self.peak = dict(self.idle)
        self.running = True

    def run(self):
        while self.running:
            for pid in self.idle:
                self.peak[pid] = max(self.peak[pid], rss_kb(pid))
            time.sleep(0.05)

    def stop(self):
        self.running = False
        self.join()
        growth = {pid: self.peak[pid] - self.idle[pid] for pid in self.idle}
        pid = max(growth, key=growth.get)
        return {
            "pid": pid,
            "idle_mb": self.idle[pid] / 1024,
            "peak_mb": self.peak[pid] / 1024,
            "above_idle_mb": growth[pid] / 1024,
        }


def rss_kb(pid):
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(match.group(1)) if match else 0


def webm_file(path, size):
    """A body that starts like a WebM recording (EBML header), then filler."""
    header = bytes.fromhex(
        "1a45dfa39f4286810142f7810142f2810442f381084282847765626d"
        "42878104428581021853806701ffffffffffffff"
    )
    block = os.urandom(MB)
    with open(path, "wb") as out:
        out.write(header)
        written = len(header)
        while written < size:
            chunk = block[: min(MB, size - written)]
            out.write(chunk)
            written += len(chunk)


def png_bytes(limit):
    """A real PNG screenshot just under `limit` bytes: noise does not compress."""
    from PIL import Image

    side = int((limit / 3) ** 0.5)
    while True:
        image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", compress_level=1)
        if buffer.tell() <= limit:
            return buffer.getvalue()
        side -= 16


def multipart_body(boundary, fields, upload):
    name, filename, content_type, content = upload
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
        f"{value}\r\n".encode()
        for key, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
        f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
    )
    parts += [content, f"\r\n--{boundary}--\r\n".encode()]
    return b"".join(parts)


def post(server, path, body, headers, body_size=None):
    connection = http.client.HTTPConnection(
        "127.0.0.1", server.port, timeout=300, blocksize=MB
    )
    headers = {**headers, "Content-Length": str(body_size or len(body))}
    started = time.monotonic()
    connection.request("POST", path, body=body, headers=headers)
    reply = connection.getresponse()
    text = reply.read().decode(errors="replace")
    connection.close()
    return reply.status, time.monotonic() - started, text


def probe_latency(server, path, cookie, stop, samples):
    """Times one page repeatedly (one request at a time) until `stop` is set."""
    while not stop.is_set():
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        started = time.monotonic()
        connection.request("GET", path, headers={"Cookie": cookie})
        connection.getresponse().read()
        samples.append(time.monotonic() - started)
        connection.close()
        time.sleep(0.02)


def upload_under_load(server, targets, fixtures, student, args, workdir):
    """One upload at a time while wrk loads the dashboard; a probe times the
    dashboard as one more client, and the watcher records worker memory."""
    from django.conf import settings
    from django.urls import reverse

    from bench.room_upload import send_in_chunks

    dashboard = next(t for t in targets if t.name == "student dashboard")
    csrf = student.cookies()["csrftoken"]
    uploads = []

    answer_path = workdir / "answer.webm"
    webm_file(answer_path, args.upload_mb * MB)
    proof = png_bytes(settings.PAYMENT_PROOF_MAX_BYTES - 4096)
    boundary = secrets.token_hex(16)
    utr = str(secrets.randbelow(9 * 10**11) + 10**11)
    multipart = multipart_body(
        boundary,
        {"csrfmiddlewaretoken": csrf, "utr": utr},
        ("screenshot", "paid.png", "image/png", proof),
    )
    interview, question = fixtures["interview"], fixtures["question"]
    ids = [interview.public_id, question.public_id]
    chunk_bytes = settings.ANSWER_CHUNK_MAX_BYTES
    pay_path = reverse("payments:pay", args=[fixtures["unpaid_course"].slug])
    jobs = [
        (
            f"{args.upload_mb} MB answer (in {chunk_bytes / MB:.0f} MB chunks)",
            reverse("interviews:answer_chunk", args=ids),
            lambda headers: send_in_chunks(
                server.port,
                reverse("interviews:answer_chunk", args=ids),
                reverse("interviews:finish_answer", args=ids),
                answer_path,
                headers,
                chunk_bytes,
            ),
            {"X-Duration": "42"},
        ),
        (
            f"{len(proof) / MB:.1f} MB proof (multipart)",
            pay_path,
            lambda headers: post(server, pay_path, multipart, headers),
            {"Content-Type": f"multipart/form-data; boundary={boundary}"},
        ),
    ]
    for name, path, send, headers in jobs:
        headers = {
            **headers,
            "Cookie": student.header,
            "X-CSRFToken": csrf,
            "Referer": server.url(path),
        }
        load = threading.Thread(
            target=run_wrk,
            args=(server.url(dashboard.path), dashboard.cookie, 12, args.concurrency),
        )
        load.start()
        time.sleep(2)
        watcher = MemoryWatcher(server)
        watcher.start()
        stop = threading.Event()
        samples = []
        probe = threading.Thread(
            target=probe_latency,
            args=(server, dashboard.path, dashboard.cookie, stop, samples),
        )
        probe.start()
        status, seconds, text = send(headers)
        stop.set()
        probe.join()
        memory = watcher.stop()
        load.join()
        samples.sort()
        uploads.append(
            {
                "name": name,
                "status": status,
                "seconds": seconds,
                "memory": memory,
                "probe_p50_ms": 1000 * samples[len(samples) // 2] if samples else 0,
                "probe_max_ms": 1000 * samples[-1] if samples else 0,
                "probe_count": len(samples),
                "reply": text[:200] if status >= 400 else "",
            }
        )
        log(
            f"upload {name}: HTTP {status} in {seconds:.1f} s, worker "
            f"{memory['above_idle_mb']:.1f} MB above idle, dashboard p50 during it "
            f"{uploads[-1]['probe_p50_ms']:.0f} ms {uploads[-1]['reply']}"
        )
    answer_path.unlink()
    return uploads


# ---- the report ----


def machine(database, args):
    import django
    from django.db import connection

    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    meminfo = Path("/proc/meminfo").read_text()
    ram = int(re.search(r"MemTotal:\s+(\d+)", meminfo).group(1)) / MB
    with connection.cursor() as cursor:
        version = (
            connection.Database.sqlite_version if database.vendor == "sqlite" else None
        )
        if version is None:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
    workers = os.environ.get("WEB_CONCURRENCY", str((os.cpu_count() or 1) * 2 + 1))
    threads = os.environ.get("GUNICORN_THREADS", "4")
    wrk = subprocess.run(  # noqa: S603 (our own fixed command)
        [shutil.which("wrk"), "-v"], capture_output=True, text=True
    ).stdout
    return {
        "CPU": f"{cpu}, {os.cpu_count()} cores",
        "RAM": f"{ram:.1f} GiB",
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "Django": django.get_version(),
        "Database": f"{database.vendor} {version}",
        "Server": f"gunicorn gthread, {workers} workers x {threads} threads",
        "Load": f"{(wrk.split()[:2] and ' '.join(wrk.split()[:2])) or 'wrk'}, "
        f"{args.concurrency} connections, {args.duration} s per target "
        "(after 2 s warm-up)",
    }


def verdict(target, baseline):
    goal = TARGETS[target.kind]
    ratio = target.result["rps"] / baseline
    if target.result["errors"]:
        return ratio, "FAIL (errors)"
    if goal is None:
        return ratio, "anchor"
    return ratio, ("ok" if ratio >= goal else "MISS") + f" (>= {goal:.0%})"


def table(targets, baseline):
    lines = [
        "| target | req/s | p50 ms | p95 ms | p99 ms | errors | vs /ping | "
        "vs logged-in /ping | queries | in-process ms | target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    floor = next((t for t in targets if t.cookie and t.kind == "anchor"), None)
    for target in targets:
        r = target.result
        ratio, mark = verdict(target, baseline)
        queries = "-" if target.queries is None else str(target.queries)
        cpu = "-" if target.cpu_ms is None else f"{target.cpu_ms:.1f}"
        vs_floor = "-"
        if floor is not None and target.cookie and target is not floor:
            vs_floor = f"{r['rps'] / floor.result['rps']:.0%}"
        rows = f" ({target.rows} rows)" if target.rows is not None else ""
        errors = str(r["errors"])
        if r["non2xx"]:
            errors += f" (HTTP {r['first_bad_status']})"
        lines.append(
            f"| {target.name}{rows} | {r['rps']:.0f} | {r['p50_us'] / 1000:.1f} | "
            f"{r['p95_us'] / 1000:.1f} | {r['p99_us'] / 1000:.1f} | {errors} | "
            f"{ratio:.0%} | {vs_floor} | {queries} | {cpu} | {mark} |"
        )
    return "\n".join(lines)


def report(database, args, timings, fixtures, targets, baseline, uploads, load):
    described = machine(database, args)
    rows = fixtures["rows"]
    parts = [
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "",
        *[f"- **{key}**: {value}" for key, value in described.items()],
        f"- **Data**: {rows['students']} users, {rows['payments']} payments "
        f"({rows['pending_payments']} pending), {rows['requests']} interview "
        f"requests ({rows['pending_requests']} pending); seeded in "
        f"{timings['seed']:.1f} s (`seed_demo --scale {args.scale}`)",
        f"- **Machine load** (1-minute load average) before: {load[0]:.2f}, "
        f"after: {load[1]:.2f} (other work shares these cores)",
        "",
        table(targets, baseline),
        "",
        f"Baseline: /ping {targets[0].result['rps']:.0f} req/s at the start and "
        f"{targets[-1].result['rps']:.0f} at the end; ratios use their mean "
        f"({baseline:.0f}).",
    ]
    if uploads:
        parts += [
            "",
            "| upload, while 16 clients load the dashboard | HTTP | seconds | "
            "worker RSS idle MB | peak MB | above idle MB | dashboard p50 / max ms "
            "during it |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        for upload in uploads:
            m = upload["memory"]
            parts.append(
                f"| {upload['name']} | {upload['status']} | {upload['seconds']:.1f} | "
                f"{m['idle_mb']:.0f} | {m['peak_mb']:.0f} | {m['above_idle_mb']:.1f} | "
                f"{upload['probe_p50_ms']:.0f} / {upload['probe_max_ms']:.0f} "
                f"({upload['probe_count']} probes) |"
            )
    return "\n".join(parts)


def write_doc(vendor, text):
    start, end = f"<!-- bench:{vendor}:start -->", f"<!-- bench:{vendor}:end -->"
    doc = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    block = f"{start}\n{text}\n{end}"
    if start in doc and end in doc:
        doc = doc[: doc.index(start)] + block + doc[doc.index(end) + len(end) :]
    else:
        doc = doc.rstrip() + f"\n\n## {vendor}\n\n{block}\n"
    DOC.write_text(doc)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--scale", type=int, default=int(os.environ.get("BENCH_SCALE", 10000))
    )
    parser.add_argument(
        "--duration", type=int, default=int(os.environ.get("BENCH_DURATION", 15))
    )
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("BENCH_PORT", 8160))
    )
    parser.add_argument("--upload-mb", type=int, default=200, help="0 skips uploads")
    parser.add_argument("--no-doc", action="store_true", help="print only")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument(
        "--only",
        action="append",
        metavar="WORD",
        help="only the targets whose name contains WORD (repeatable); implies --no-doc",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench: wrk is missing: apt-get install -y wrk")

    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    (workdir / "media").mkdir()
    (workdir / "tmp").mkdir()
    database = Database(workdir, os.environ.get("DATABASE_URL", ""))
    env = production_env(args, workdir, database.url)
    os.environ.update(env)
    server = Server(env, workdir, args.port)
    load = [os.getloadavg()[0]]
    try:
        log(f"work directory {workdir}, database {database.vendor}")
        database.create()
        timings = {"migrate": manage(env, "migrate", "--noinput")}
        manage(env, "createcachetable")
        manage(env, "collectstatic", "--noinput", "--verbosity", "0")
        timings["seed"] = manage(
            env, "seed_demo", "--allow-demo-passwords", "--scale", str(args.scale)
        )
        log(f"seeded {args.scale} students in {timings['seed']:.1f} s")

        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        fixtures = prepare_fixtures()
        server.start()
        log(f"gunicorn up on port {args.port} with {len(server.workers())} workers")
        from interviews.demo import DEMO_APPROVER
        from interviews.management.commands.seed_demo import SCALE_PASSWORD

        student = Session(server).login(fixtures["student"].username, SCALE_PASSWORD)
        approver = Session(server).login(*DEMO_APPROVER[:2])
        targets = build_targets(server, fixtures, student, approver)
        if args.only:  # the /ping anchors always run: ratios need them
            targets = [
                t
                for t in targets
                if t.kind == "anchor" or any(word in t.name for word in args.only)
            ]
        count_queries(targets, fixtures)
        baseline = drive(server, targets, args)
        uploads = []
        if args.upload_mb and any(t.name == "student dashboard" for t in targets):
            uploads = upload_under_load(
                server, targets, fixtures, student, args, workdir
            )
        load.append(os.getloadavg()[0])
        text = report(
            database, args, timings, fixtures, targets, baseline, uploads, load
        )
        print()
        print(text)
        if not args.no_doc and not args.only:
            write_doc(database.vendor, text)
            log(f"written to {DOC.relative_to(ROOT)}")
    finally:
        server.stop()
        from django.db import connections

        connections.close_all()
        database.drop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
