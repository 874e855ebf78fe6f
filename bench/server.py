"""The servers under test and what they run on: the production environment,
a database of the benchmark's own, gunicorn, nginx in front of it (the topology
of `make serve`), and a browser-like session that logs in through the real form.
"""

import http.cookiejar
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MB = 1024 * 1024


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
        # The queue of tasks the site enqueues (no worker runs: the bench
        # measures the web tier), in the work directory, not the checkout.
        TASK_QUEUE_URL=f"sqlite:///{workdir / 'tasks.sqlite3'}",
        # As `make serve` runs it (Procfile.serve): nginx on loopback in front.
        TRUSTED_PROXY_IPS="127.0.0.1",
        CACHE_ENTRIES_OFF="",
    )
    env.pop("REDIS_URL", None)
    if args.redis_url:  # the cache shared by several app servers
        import redis

        redis.Redis.from_url(args.redis_url).flushdb()
        env["REDIS_URL"] = args.redis_url
    return env


class Database:
    """A database of the benchmark's own: a SQLite file in the work directory, or
    a fresh PostgreSQL database created on the server DATABASE_URL names."""

    def __init__(self, workdir, server_url):
        self.server_url = server_url
        self.name = None
        if server_url and server_url.startswith(("postgres://", "postgresql://")):
            # BENCH_DATABASE_NAME: a name of your own on a shared server.
            self.name = os.environ.get("BENCH_DATABASE_NAME") or f"bench_{os.getpid()}"
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
            with self._admin() as conn:  # a leftover of an interrupted run goes
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self):
        if self.name:
            with self._admin() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def manage(env, *arguments):
    return python(env, "manage.py", *arguments)


def python(env, script, *arguments):
    """Runs a script of the repository; returns how long it took."""
    started = time.monotonic()
    subprocess.run(  # noqa: S603 (our own fixed command)
        [str(BIN / "python"), script, *arguments],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return time.monotonic() - started


class Server:
    """gunicorn with the project's own gunicorn.conf.py (production workers)."""

    def __init__(self, env, workdir, port, name="gunicorn"):
        self.env, self.port = env, port
        self.log = open(workdir / f"{name}.log", "a")  # noqa: SIM115
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

    def cpu_seconds(self):
        """CPU time of the app server so far: the master, its live workers, and
        the workers it has reaped (max_requests recycles them mid-run)."""
        total = _cpu_ticks(self.process.pid, children=True)
        total += sum(_cpu_ticks(pid) for pid in self.workers())
        return total / os.sysconf("SC_CLK_TCK")


def _cpu_ticks(pid, children=False):
    """utime + stime (+ cutime + cstime) from /proc/<pid>/stat, in clock ticks."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    fields = stat.rsplit(")", 1)[1].split()  # the name may hold spaces
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    if children:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
    return ticks


class Front:
    """nginx in front of gunicorn, as `make serve` runs it: the configuration
    rendered from the site's settings by deploy/render_nginx.py."""

    def __init__(self, env, workdir, port, upstream_port):
        self.env, self.port, self.upstream_port = env, port, upstream_port
        self.run_dir = workdir / "nginx"
        self.process = None

    def start(self):
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(nginx).exists():
            raise SystemExit("bench: nginx is missing: apt-get install -y nginx")
        python(
            self.env,
            "deploy/render_nginx.py",
            "--listen",
            f"127.0.0.1:{self.port}",
            "--upstream",
            f"127.0.0.1:{self.upstream_port}",
            "--run-dir",
            str(self.run_dir),
        )
        self.process = subprocess.Popen(  # noqa: S603 (our own fixed command)
            [
                nginx,
                "-e",
                str(self.run_dir / "nginx-error.log"),
                "-c",
                str(self.run_dir / "nginx.conf"),
                "-p",
                str(self.run_dir),
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"bench: nginx exited; see {self.run_dir}")
            try:
                with urllib.request.urlopen(self.url("/health"), timeout=5):  # noqa: S310
                    return
            except OSError:
                time.sleep(0.2)
        raise SystemExit("bench: nginx did not answer /health within 20 s")

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def cpu_seconds(self):
        """CPU time of nginx so far: the master and its workers."""
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        total = _cpu_ticks(pid, children=True)
        total += sum(_cpu_ticks(int(child)) for child in children)
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()


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
