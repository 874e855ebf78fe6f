"""The interview room on a slow uplink: how long a student waits after Stop, and
how much is sent twice after a network drop. A script, not a timed test.

Runs a tree's dev server (this one, or an older checkout given with --tree) on a
SQLite file of its own, records one answer with Chromium's fake camera while
CDP's network emulation limits the upload, presses Stop then Submit at once, and
times until the room shows the next question. With --drop N the network goes
away for N seconds from the middle of the answer. With --chunk-cpu N it only
measures the server CPU time of N chunk requests of --chunk-kb each, through
Django's test client in one process (no browser).

    .venv/bin/python bench/room_upload.py [--tree DIR] [--seconds 120]
        [--kbps 1500] [--drop 10] [--port 8105]
    .venv/bin/python bench/room_upload.py --chunk-cpu 300 [--chunk-kb 100]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

SETUP = """
import json
from django.conf import settings
from django.test import Client
from accounts.factories import UserFactory
from interviews.factories import InterviewCourseFactory, InterviewQuestionFactory
from interviews.factories import ScheduledRequestFactory
from django.utils import timezone
student = UserFactory(username="bench-student")
course = InterviewCourseFactory(title="Bench", slug="bench", duration_minutes=60)
for order in (1, 2):
    InterviewQuestionFactory(course=course, order=order, text=f"Question {order}",
        preparation_seconds=1, max_answer_seconds=%(max)d)
interview = ScheduledRequestFactory(student=student, course=course,
    consent_given_at=timezone.now())
client = Client()
client.force_login(student)
print(json.dumps({"cookie": client.cookies[settings.SESSION_COOKIE_NAME].value,
    "name": settings.SESSION_COOKIE_NAME, "interview": str(interview.public_id)}))
"""


STORED = """
from interviews.models import Answer
print(sum(a.size for a in Answer.objects.all()))
"""


CHUNK_CPU = """
import hashlib, json, os, statistics, time
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from accounts.factories import UserFactory
from interviews.factories import InterviewQuestionFactory, ScheduledRequestFactory
from interviews.factories import webm_bytes
student = UserFactory(username="cpu-student")
interview = ScheduledRequestFactory(student=student, consent_given_at=timezone.now())
question = InterviewQuestionFactory(course=interview.course, order=1)
client = Client()
client.force_login(student)
url = reverse("interviews:answer_chunk", args=[interview.public_id, question.public_id])
size, samples, offset = %(size)d, [], 0
for n in range(%(count)d):
    data = webm_bytes(size) if n == 0 else os.urandom(size)
    headers = {"X-Attempt": "1", "X-Offset": str(offset),
        "X-Chunk-SHA256": hashlib.sha256(data).hexdigest()}
    started = time.process_time()
    response = client.post(url, data=data, content_type="application/octet-stream",
        headers=headers)
    samples.append(1000 * (time.process_time() - started))
    assert response.status_code == 201, (response.status_code, response.content)
    offset += size
samples.sort()
print(json.dumps({"chunks": len(samples), "chunk_bytes": size,
    "cpu_ms_median": round(statistics.median(samples), 2),
    "cpu_ms_p90": round(samples[int(0.9 * len(samples))], 2)}))
"""


def chunk_cpu(tree, count, chunk_kb):
    """CPU time the server spends on each chunk request (test client included,
    the browser's side excluded), on a SQLite file of its own, DEBUG off."""
    with tempfile.TemporaryDirectory(prefix="room-bench-") as folder:
        env = {
            **_env(folder),
            "DEBUG": "False",
            "LOG_LEVEL": "WARNING",
            "SECURE_SSL_REDIRECT": "False",
            "SESSION_COOKIE_SECURE": "False",
            "CSRF_COOKIE_SECURE": "False",
        }
        env.setdefault("SECRET_KEY", "bench-" + "x" * 50)
        env.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1")
        _manage(tree, env, "migrate", "-v", "0")
        _manage(tree, env, "createcachetable")
        out = _manage(
            tree,
            env,
            "shell",
            "-c",
            CHUNK_CPU % {"size": chunk_kb * 1024, "count": count},
        )
        return json.loads(out.strip().splitlines()[-1])


def _env(folder):
    env = dict(os.environ)
    env.update(
        DEBUG="True",
        DATABASE_URL=f"sqlite:///{folder}/db.sqlite3",
        MEDIA_ROOT=f"{folder}/media",
        RATELIMIT_ENABLED="False",
        HUEY_IMMEDIATE="False",  # the remux runs on a worker in production
        REDIS_URL="",
    )
    return env


def _manage(tree, env, *args):
    result = subprocess.run(  # noqa: S603 (our own fixed command)
        [PYTHON, "manage.py", *args],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode:
        raise SystemExit(f"manage.py {args[0]} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def _wait_for(url, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 (our own server)
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer")


def measure(tree, seconds, kbps, drop, port):
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT))
    from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS

    with tempfile.TemporaryDirectory(prefix="room-bench-") as folder:
        env = _env(folder)
        _manage(tree, env, "migrate", "-v", "0")
        _manage(tree, env, "createcachetable")
        scene = json.loads(
            _manage(tree, env, "shell", "-c", SETUP % {"max": seconds + 30})
            .strip()
            .splitlines()[-1]
        )
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(  # noqa: S603 (our own fixed command)
            [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=tree,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_for(f"{base}/ping")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=CHROMIUM_ARGS
                )
                context = browser.new_context(base_url=base)
                context.add_cookies(
                    [{"name": scene["name"], "value": scene["cookie"], "url": base}]
                )
                page = context.new_page()
                result = _record(page, context, scene, seconds, kbps, drop)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
        stored = _manage(tree, env, "shell", "-c", STORED).strip().splitlines()
        return {**result, "stored_answer_bytes": int(stored[-1])}


def _record(page, context, scene, seconds, kbps, drop):
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")

    def network(offline=False):
        cdp.send(
            "Network.emulateNetworkConditions",
            {
                "offline": offline,
                "latency": 40,
                "downloadThroughput": 10_000_000 / 8,
                "uploadThroughput": kbps * 1000 / 8,
            },
        )

    chunks = []  # (started, offset, size, outcome)

    whole = []  # the one-request upload of the code before issue 14

    def on_request(request):
        if (
            request.method == "POST"
            and "/answers/" in request.url
            and not request.url.endswith(("/chunks/", "/finish/"))
        ):
            whole.append(len(request.post_data_buffer or b""))
        if request.method == "POST" and "/chunks/" in request.url:
            body = request.post_data_buffer or b""
            chunks.append(
                {
                    "request": request,
                    "started": time.monotonic(),
                    "offset": int(request.headers.get("x-offset", -1)),
                    "size": len(body),
                    "outcome": None,
                }
            )

    def settle(request, outcome):
        for chunk in chunks:
            if chunk["request"] is request:
                chunk["outcome"] = outcome
                chunk["ended"] = time.monotonic()

    page.on("request", on_request)
    page.on("requestfinished", lambda r: settle(r, "answered"))
    page.on("requestfailed", lambda r: settle(r, "failed"))

    network()
    page.goto(f"/interviews/{scene['interview']}/room/")
    page.get_by_role("button", name="My camera and microphone work").click()
    stop = page.get_by_role("button", name="Stop")
    stop.wait_for(timeout=30_000)
    started = time.monotonic()
    dropped_at = None
    if drop:
        page.wait_for_timeout((seconds / 2) * 1000)
        dropped_at = time.monotonic()
        network(offline=True)
        page.wait_for_timeout(drop * 1000)
        network()
    remaining = seconds - (time.monotonic() - started)
    page.wait_for_timeout(max(remaining, 0) * 1000)
    stop.click()
    stopped = time.monotonic()
    page.get_by_role("button", name="Submit answer").click()
    page.get_by_text("Question 2 of 2").wait_for(timeout=600_000)
    waited = time.monotonic() - stopped

    result = {"seconds": seconds, "kbps": kbps, "post_stop_wait_s": round(waited, 2)}
    if whole:
        result.update(answer_bytes=max(whole), upload_requests=len(whole))
    if chunks:
        answered = [c for c in chunks if c["outcome"] == "answered"]
        total = max(c["offset"] + c["size"] for c in answered)
        seen, duplicates = set(), 0
        for chunk in answered:
            if chunk["offset"] in seen:
                duplicates += chunk["size"]
            seen.add(chunk["offset"])
        in_flight = [
            c
            for c in chunks
            if c["outcome"] == "failed"
            and dropped_at
            and c["started"] < dropped_at <= c.get("ended", 0)
        ]
        slice_sizes = sorted(c["size"] for c in answered)
        result.update(
            answer_bytes=total,
            chunk_requests=len(chunks),
            failed_requests=sum(c["outcome"] == "failed" for c in chunks),
            resent_bytes_acknowledged_twice=duplicates,
            resent_bytes_in_flight_at_drop=sum(c["size"] for c in in_flight),
            median_slice_bytes=slice_sizes[len(slice_sizes) // 2],
        )
    return result


def send_in_chunks(port, chunk_path, finish_path, answer_path, headers, chunk_bytes):
    """A whole answer file as the room sends it (interviews/resumable.py):
    chunks of `chunk_bytes` in order on one kept-alive connection, then the
    finish. For `make bench`'s upload under load. Returns (HTTP status of the
    finish or of the first refused chunk, seconds, reply text)."""
    import hashlib
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)

    def post(path, body, extra):
        connection.request(
            "POST",
            path,
            body=body,
            headers={**headers, **extra, "Content-Length": str(len(body))},
        )
        reply = connection.getresponse()
        return reply.status, reply.read().decode(errors="replace")

    started = time.monotonic()
    offset = 0
    try:
        with open(answer_path, "rb") as source:
            while chunk := source.read(chunk_bytes):
                status, text = post(
                    chunk_path,
                    chunk,
                    {
                        "Content-Type": "application/octet-stream",
                        "X-Attempt": "1",
                        "X-Offset": str(offset),
                        "X-Chunk-SHA256": hashlib.sha256(chunk).hexdigest(),
                    },
                )
                if status not in (200, 201):
                    return status, time.monotonic() - started, text
                offset += len(chunk)
        status, text = post(
            finish_path, b"", {"X-Attempt": "1", "X-Total-Bytes": str(offset)}
        )
        return status, time.monotonic() - started, text
    finally:
        connection.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, default=ROOT)
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--kbps", type=int, default=1500)
    parser.add_argument("--drop", type=int, default=0)
    parser.add_argument("--port", type=int, default=8105)
    parser.add_argument("--chunk-cpu", type=int, default=0, metavar="N")
    parser.add_argument("--chunk-kb", type=int, default=100)
    args = parser.parse_args()
    if args.chunk_cpu:
        result = chunk_cpu(args.tree.resolve(), args.chunk_cpu, args.chunk_kb)
        print(json.dumps({"tree": str(args.tree), **result}, indent=2))
        return
    result = measure(args.tree.resolve(), args.seconds, args.kbps, args.drop, args.port)
    print(json.dumps({"tree": str(args.tree), **result}, indent=2))


if __name__ == "__main__":
    main()
