"""One big upload at a time while wrk loads the dashboard: the serving worker's
peak memory above idle, and the dashboard's latency during the upload."""

import asyncio
import http.client
import io
import os
import re
import secrets
import threading
import time
from pathlib import Path

from bench.aio import closed_loop
from bench.server import MB, log


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
            target=asyncio.run,
            args=(
                closed_loop(
                    "127.0.0.1",
                    server.port,
                    dashboard.path,
                    {"Cookie": dashboard.cookie, "Accept": "text/html,*/*"},
                    args.concurrency,
                    12,
                ),
            ),
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
