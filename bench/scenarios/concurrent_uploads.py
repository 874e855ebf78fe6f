"""Concurrent uploads: 100 answers sent at 256 kbit/s each through the room's
resumable chunk protocol (interviews/resumable.py: POST chunks with X-Attempt,
X-Offset and X-Chunk-SHA256, then finish with X-Total-Bytes), all in flight
while 16 clients load the dashboard. Then every answer is read back from
storage and compared with what was sent.

Each upload is a different scale student's scheduled interview, its room
opened now, with a session of its own; a phase uses the next question of the
same interviews, so phases never collide.
"""

import asyncio
import hashlib
import os
import secrets
import time
from dataclasses import dataclass

from bench.aio import Connection, closed_loop

# The start of a WebM recording (EBML header): what the upload's sniffing wants.
WEBM_HEADER = bytes.fromhex(
    "1a45dfa39f4286810142f7810142f2810442f381084282847765626d"
    "42878104428581021853806701ffffffffffffff"
)


def source(number):
    """Each student uploads from an address of their own (127.0.2.1, ...), as
    students at home do: the front server limits connections per address."""
    return f"127.0.{2 + number // 250}.{1 + number % 250}"


@dataclass
class Upload:
    student: object
    interview: object
    question: object
    cookie: str
    data: bytes = b""
    status: str = "not started"
    seconds: float = 0.0


def prepare(count, question_index):
    """`count` scheduled interviews of scale students, rooms opened now, each
    with a logged-in session; the question at `question_index`."""
    from django.conf import settings
    from django.test import Client
    from django.utils import timezone

    from interviews.models import InterviewRequest, RequestStatus

    now = timezone.now()
    interviews = list(
        InterviewRequest.objects.filter(
            status=RequestStatus.SCHEDULED, student__username__startswith="scale"
        )
        .select_related("student", "course")
        .order_by("-student__username")[:count]
    )
    if len(interviews) < count:
        raise SystemExit(f"bench: only {len(interviews)} scheduled interviews")
    InterviewRequest.objects.filter(pk__in=[i.pk for i in interviews]).update(
        scheduled_at=now, consent_given_at=now
    )
    uploads = []
    for interview in interviews:
        questions = list(interview.course.questions.order_by("order", "id"))
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(interview.student)
        csrf = secrets.token_hex(16)  # 32 characters, as Django's own
        cookie = (
            f"{settings.SESSION_COOKIE_NAME}="
            f"{client.cookies[settings.SESSION_COOKIE_NAME].value}; "
            f"{settings.CSRF_COOKIE_NAME}={csrf}"
        )
        upload = Upload(interview.student, interview, questions[question_index], cookie)
        upload.csrf = csrf
        uploads.append(upload)
    return uploads


async def _send(host, port, upload, size, chunk_bytes, rate, source, delay):
    from django.urls import reverse

    await asyncio.sleep(delay)

    ids = [upload.interview.public_id, upload.question.public_id]
    chunk_url = reverse("interviews:answer_chunk", args=ids)
    finish_url = reverse("interviews:finish_answer", args=ids)
    upload.data = WEBM_HEADER + os.urandom(size - len(WEBM_HEADER))
    headers = {
        "Cookie": upload.cookie,
        "X-CSRFToken": upload.csrf,
        "Accept": "application/json",
        "X-Attempt": "1",
    }
    connection = Connection(host, port, source)
    started = time.monotonic()
    try:
        for offset in range(0, size, chunk_bytes):
            piece = upload.data[offset : offset + chunk_bytes]
            reply = await connection.request(
                "POST",
                chunk_url,
                {
                    **headers,
                    "Content-Type": "application/octet-stream",
                    "X-Offset": str(offset),
                    "X-Chunk-SHA256": hashlib.sha256(piece).hexdigest(),
                },
                piece,
                rate=rate,
            )
            if reply.status not in (200, 201):
                upload.status = f"chunk HTTP {reply.status} {reply.body[:80]!r}"
                return
        reply = await connection.request(
            "POST",
            finish_url,
            {**headers, "X-Total-Bytes": str(size), "X-Duration": "30"},
        )
        upload.status = "sent" if reply.status == 200 else f"finish HTTP {reply.status}"
    except (OSError, asyncio.IncompleteReadError) as error:
        upload.status = f"failed: {error.__class__.__name__}"
    finally:
        upload.seconds = time.monotonic() - started
        connection.close()


async def _phase(host, port, uploads, dashboard_path, cookie, seconds, options):
    size, chunk_bytes, rate = options
    headers = {"Cookie": cookie, "Accept": "text/html,*/*"}
    baseline = await closed_loop(host, port, dashboard_path, headers, 16, seconds)
    limit = 4 * size / rate + 60 + chunk_bytes / rate  # stuck: failed
    sending = [
        asyncio.create_task(
            asyncio.wait_for(
                _send(
                    host,
                    port,
                    u,
                    size,
                    chunk_bytes,
                    rate,
                    source(number),
                    # Students do not start in step: spread the starts over one
                    # chunk's time, so chunks arrive steadily, not 100 at once.
                    number * chunk_bytes / rate / len(uploads),
                ),
                limit,
            )
        )
        for number, u in enumerate(uploads)
    ]
    await asyncio.sleep(2 + chunk_bytes / rate)  # every upload under way
    during = await closed_loop(host, port, dashboard_path, headers, 16, seconds)
    in_flight = sum(not task.done() for task in sending)
    for upload, outcome in zip(
        uploads, await asyncio.gather(*sending, return_exceptions=True), strict=True
    ):
        if isinstance(outcome, asyncio.TimeoutError):
            upload.status = "timed out"
    return baseline, during, in_flight


def check_intact(uploads):
    """How many answers are stored complete with exactly the bytes sent."""
    from interviews.models import Answer, AnswerState

    intact = 0
    for upload in uploads:
        if upload.status != "sent":
            continue
        answer = Answer.objects.filter(
            request=upload.interview, question=upload.question
        ).first()
        if answer is None or answer.state == AnswerState.RECORDING:
            upload.status = "not stored"
            continue
        with answer.file.open("rb") as stored:
            digest = hashlib.sha256(stored.read()).hexdigest()
        if digest == hashlib.sha256(upload.data).hexdigest():
            intact += 1
        else:
            upload.status = "stored bytes differ"
    return intact


@dataclass
class Result:
    topology: str
    uploads: int
    baseline: object
    during: object
    in_flight: int
    intact: int
    failures: list
    upload_seconds: float


def run(host, port, topology, question_index, dashboard_path, cookie, args, log):
    rate = args.upload_kbit * 1000 // 8
    # Long enough to stay in flight through the load after the staggered starts.
    size = max(
        rate * (args.scenario_seconds + 8) + args.upload_chunk_kb * 1024, 64 * 1024
    )
    options = (size, args.upload_chunk_kb * 1024, rate)
    uploads = prepare(args.uploads, question_index)
    baseline, during, in_flight = asyncio.run(
        _phase(
            host, port, uploads, dashboard_path, cookie, args.scenario_seconds, options
        )
    )
    intact = check_intact(uploads)
    failures = sorted({u.status for u in uploads if u.status != "sent"})
    seconds = sorted(u.seconds for u in uploads)
    result = Result(
        topology,
        len(uploads),
        baseline,
        during,
        in_flight,
        intact,
        failures,
        seconds[len(seconds) // 2],
    )
    log(
        f"uploads {topology}: {intact}/{len(uploads)} intact ({size // 1024} KB "
        f"each at {args.upload_kbit} kbit/s, {in_flight} still in flight when the "
        f"load ended); dashboard without {baseline.summary()}, during "
        f"{during.summary()} {failures[:3]}"
    )
    return result


def table(results):
    lines = [
        "| topology | uploads | intact | in flight at the load's end | median "
        "upload s | dashboard req/s without / during | p95 ms without / during | "
        "p95 ratio | page errors during | failures |",
        "|---|---:|---:|---:|---:|---|---|---:|---:|---|",
    ]
    for r in results:
        ratio = (
            f"{r.during.p95_ms / r.baseline.p95_ms:.1f}x"
            if r.during.seconds and r.baseline.seconds
            else "no page served"
        )
        lines.append(
            f"| {r.topology} | {r.uploads} | {r.intact} | {r.in_flight} | "
            f"{r.upload_seconds:.0f} | {r.baseline.rps:.0f} / {r.during.rps:.0f} | "
            f"{r.baseline.p95_ms:.0f} / "
            f"{r.during.p95_ms:.0f} | {ratio} | {r.during.errors} of "
            f"{r.during.requests} | {'; '.join(r.failures) or 'none'} |"
        )
    return "\n".join(lines)
