"""A real local SMTP server (aiosmtpd) and a real worker (`manage.py run_huey`
in a subprocess) for the queue tests. The worker shares the test database (a
file, or the PostgreSQL test database) and the test's queue (the SqliteHuey
file, inherited through TASK_QUEUE_URL, or Redis)."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from email import message_from_bytes
from pathlib import Path

from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection

BASE_DIR = Path(settings.BASE_DIR)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Recorder:
    """Accepts mail, or refuses the next `refuse` messages with a 451, and can
    stall before answering RCPT (a slow server) for `stall` seconds."""

    def __init__(self):
        self.messages = []
        self.refuse = 0
        self.stall = 0.0
        self.refused = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.stall:
            await asyncio.sleep(self.stall)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse > 0:
            self.refuse -= 1
            self.refused += 1
            return "451 4.3.0 Mailbox busy, try again later"
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server(port=None):
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    recorder.port = controller.port
    recorder.url = f"smtp://127.0.0.1:{controller.port}"
    try:
        yield recorder
    finally:
        controller.stop()


def database_url():
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        assert not connection.is_in_memory_db(), "worker tests need a file database"
        return f"sqlite:///{db['NAME']}"
    if connection.vendor == "mongodb":  # issue 18
        options = "&".join(
            f"{key}={str(value).lower() if isinstance(value, bool) else value}"
            for key, value in db["OPTIONS"].items()
        )
        return f"mongodb://{db['HOST']}:{db['PORT']}/{db['NAME']}?{options}"
    return (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}"
        f":{db['PORT'] or 5432}/{db['NAME']}"
    )


class Worker:
    def __init__(self, process, log):
        self.process = process
        self.log = log

    def output(self):
        return Path(self.log.name).read_text()

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)


@contextmanager
def worker(email_url, **env):
    """`manage.py run_huey` with one worker thread, polling often, no periodic
    schedule (tests enqueue the periodic tasks themselves)."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.test_settings",
        "DATABASE_URL": database_url(),
        "PORTAL_TEST_EMAIL_URL": email_url,
        "EMAIL_RETRY_BASE_SECONDS": "0.5",
        **{key: str(value) for key, value in env.items()},
    }
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115
        "w+", prefix="worker-", suffix=".log", delete=False
    )
    process = subprocess.Popen(
        [sys.executable, "manage.py", "run_huey", "--workers", "1"]
        + ["--delay", "0.05", "--max-delay", "0.2", "--no-periodic"]
        + os.environ.get("PORTAL_TEST_WORKER_ARGS", "").split(),
        cwd=BASE_DIR,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    running = Worker(process, log)
    try:
        yield running
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        log.close()
        os.unlink(log.name)


def wait_for(condition, timeout=30, what="the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
