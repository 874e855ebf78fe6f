"""A real site for the load and fault tests: gunicorn (several workers, threads)
on a PostgreSQL database of its own, files and emails in folders of its own, and a
small TCP proxy that can cut the site off from PostgreSQL."""

import contextlib
import http.client
import json
import os
import secrets
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
PG_HOST, PG_PORT, PG_USER = os.environ.get("PGHOST", "127.0.0.1"), 5432, "postgres"
CSRF = "hardeningcsrfsecret0123456789abc"  # 32 characters: a valid CSRF secret


def pg_admin():
    return psycopg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True
    )


def create_database():
    name = f"hardening_{uuid.uuid4().hex[:12]}"
    with pg_admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_database(name):
    with pg_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def base_env(workdir, database, db_port=PG_PORT):
    env = {
        k: v
        for k, v in os.environ.items()
        if k != "DJANGO_ALLOW_ASYNC_UNSAFE"
        and not k.startswith(("SECURE_", "DATABASE_", "EMAIL_", "MEDIA_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="tests.hardening.settings",
        DEBUG="False",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="False",
        SESSION_COOKIE_SECURE="False",
        CSRF_COOKIE_SECURE="False",
        SECURE_HSTS_SECONDS="0",
        DATABASE_URL=f"postgres://{PG_USER}@{PG_HOST}:{db_port}/{database}",
        DB_CONNECT_TIMEOUT="3",
        MEDIA_ROOT=str(workdir / "media"),
        FILE_UPLOAD_TEMP_DIR=str(workdir / "upload-tmp"),
        EMAIL_URL=f"filemail:///{workdir / 'mail'}",
        # Emails are sent by the task worker (issue 13), from a queue of its own.
        TASK_QUEUE_URL=f"sqlite:///{workdir / 'tasks.sqlite3'}",
        RATELIMIT_ENABLED="False",
        LOG_LEVEL="WARNING",
        WEB_CONCURRENCY="3",
        GUNICORN_THREADS="4",
        GUNICORN_GRACEFUL_TIMEOUT="20",
    )
    for folder in ("media", "upload-tmp", "mail"):
        (workdir / folder).mkdir(parents=True, exist_ok=True)
    return env


def manage(env, *args, timeout=180):
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def run_python(env, code):
    """Run `code` inside the site (Django set up) and return what it printed as
    `RESULT <json>`."""
    out = manage(env, "shell", "-c", code)
    line = [x for x in out.splitlines() if x.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT ") :])


class Gunicorn:
    def __init__(self, env, port, log):
        self.env = {**env, "PORT": str(port)}
        self.port = port
        self.log = log
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "portal.wsgi:application",
                "-c",
                "gunicorn.conf.py",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status, _, _ = request(self.port, "GET", "/ping", timeout=2)
                if status == 200:
                    return self
            except OSError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log.read_text()[-3000:]}")
            time.sleep(0.3)
        raise RuntimeError("gunicorn did not start in 60 s")

    def workers(self):
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def terminate(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.wait()

    def wait(self, timeout=40):
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


def request(port, method, path, body=b"", headers=None, session=None, timeout=30):
    headers = dict(headers or {})
    cookies = [f"csrftoken={CSRF}"]
    if session:
        cookies.append(f"sessionid={session}")
    headers.setdefault("Cookie", "; ".join(cookies))
    if method == "POST":
        headers.setdefault("X-CSRFToken", CSRF)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def post_chunk(port, session, interview, question, data, offset=0, attempt=1):
    """One chunk of an answer, as the room sends it (interviews/resumable.py)."""
    import hashlib

    return request(
        port,
        "POST",
        f"/interviews/{interview}/answers/{question}/chunks/",
        data,
        {
            "Content-Type": "application/octet-stream",
            "Accept": "application/json",
            "X-Attempt": str(attempt),
            "X-Offset": str(offset),
            "X-Chunk-SHA256": hashlib.sha256(data).hexdigest(),
        },
        session=session,
    )


def finish_answer(port, session, interview, question, total, attempt=1):
    return request(
        port,
        "POST",
        f"/interviews/{interview}/answers/{question}/finish/",
        b"",
        {
            "Accept": "application/json",
            "X-Attempt": str(attempt),
            "X-Total-Bytes": str(total),
            "X-Duration": "12.5",
        },
        session=session,
    )


def send_answer(port, session, interview, question, body, chunk_bytes=64 * 1024):
    """A whole answer: its chunks in order, each sent again while the server says
    it is busy (as the room does), then the finish. Returns the finish's
    (status, headers, body), or the first chunk refusal's."""
    offset = 0
    while offset < len(body):
        part = body[offset : offset + chunk_bytes]
        for _ in range(20):
            result = post_chunk(port, session, interview, question, part, offset)
            if result[0] != 409 or json.loads(result[2]).get("code") != "busy":
                break
        if result[0] not in (200, 201):
            return result
        offset += len(part)
    return finish_answer(port, session, interview, question, offset)


def form(fields):
    from urllib.parse import urlencode

    return urlencode(fields).encode(), {
        "Content-Type": "application/x-www-form-urlencoded"
    }


def multipart(fields, files):
    boundary = f"----hardening{uuid.uuid4().hex}"
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
        )
    for name, (filename, content, content_type) in files.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
            + content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), {
        "Content-Type": f"multipart/form-data; boundary={boundary}"
    }


def at_once(count, action):
    """Run action(i) in `count` threads released together; returns the results
    (or the exceptions) in order."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(i):
        barrier.wait()
        try:
            results[i] = action(i)
        except Exception as error:  # kept and judged by the test
            results[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


class Worker:
    """The task worker (`manage.py run_huey`) beside the servers: it sends the
    emails the site enqueues."""

    def __init__(self, env, log):
        self.env = env
        self.log = log
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "run_huey"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def terminate(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def emails_sent(workdir, subject_contains, at_least=1, timeout=30):
    """The emails the worker has sent with this subject, once there are
    `at_least` (or the timeout passed), read again a moment later so that a
    duplicate on its way is counted too."""
    deadline = time.monotonic() + timeout
    while len(emails(workdir, subject_contains)) < at_least:
        if time.monotonic() > deadline:
            break
        time.sleep(0.3)
    time.sleep(2)
    return emails(workdir, subject_contains)


def emails(workdir, subject_contains=""):
    subjects = []
    for path in sorted((workdir / "mail").glob("*")):
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("Subject: ") and subject_contains in line:
                subjects.append(line[len("Subject: ") :])
    return subjects


class TcpProxy:
    """A TCP forwarder from `listen` (default: a free loopback port) to `target`
    (default: PostgreSQL). It can be cut (every connection dropped and new ones
    refused) and restored, to play the database going away; the two-node test
    offers the loopback services to its namespaces through it."""

    def __init__(self, target_port=PG_PORT, *, target=None, listen=None):
        self.target = target or (PG_HOST, target_port)
        if listen is None:
            probe = socket.socket()
            probe.bind(("127.0.0.1", 0))
            listen = probe.getsockname()
            probe.close()
        self.listen = listen
        self.port = listen[1]
        self.listener = None
        self.sockets = set()
        self.lock = threading.Lock()
        self.running = False

    def start(self):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(self.listen)
        self.listener.listen(128)
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def _accept(self):
        listener = self.listener
        while self.running:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.sockets.update((client, upstream))
            threading.Thread(
                target=self._pump, args=(client, upstream), daemon=True
            ).start()

    def _pump(self, a, b):
        selector = selectors.DefaultSelector()
        selector.register(a, selectors.EVENT_READ, b)
        selector.register(b, selectors.EVENT_READ, a)
        try:
            while True:
                for key, _ in selector.select():
                    data = key.fileobj.recv(65536)
                    if not data:
                        return
                    key.data.sendall(data)
        except OSError:
            return
        finally:
            selector.close()
            with self.lock:
                self.sockets.difference_update((a, b))
            for sock in (a, b):
                with contextlib.suppress(OSError):
                    sock.close()

    def cut(self):
        self.running = False
        # shutdown() wakes the thread blocked in accept(); close() alone does not.
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self.listener.close()
        with self.lock:
            sockets, self.sockets = set(self.sockets), set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def restore(self):
        return self.start()

    close = cut


def start_nginx(env, port, upstreams, run_dir, *options, edit=None):
    """nginx on 127.0.0.1:`port` in front of `upstreams`, from the repository's
    config (deploy/render_nginx.py with `options`); `edit` may change the
    rendered text first. Returns the process once it answers /ping."""
    subprocess.run(
        [
            sys.executable,
            "deploy/render_nginx.py",
            f"--listen=127.0.0.1:{port}",
            *[f"--upstream={upstream}" for upstream in upstreams],
            f"--run-dir={run_dir}",
            f"--static-root={ROOT / 'static'}",
            "--worker-processes=1",
            *options,
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    conf = run_dir / "nginx.conf"
    if edit is not None:
        conf.write_text(edit(conf.read_text()))
    nginx = subprocess.Popen(
        ["nginx", "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            if request(port, "GET", "/ping", timeout=2)[0] == 200:
                return nginx
        except OSError:
            pass
        if time.monotonic() > deadline or nginx.poll() is not None:
            nginx.terminate()
            error_log = run_dir / "nginx-error.log"
            raise RuntimeError(
                "nginx did not start: "
                + (error_log.read_text() if error_log.exists() else "")
            )
        time.sleep(0.2)
