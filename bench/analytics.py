"""Time the owner's analytics page on scale data, in-process.

Builds a throwaway SQLite database (or uses DATABASE_URL), seeds it with
`seed_demo` then `bench/scale.py N`, marks most scale students' emails verified and some
feedback read (the seeder sets neither), then renders /admin/analytics/ as a
superuser through the test client: the median of --renders renders per period
(wall time, and the process's CPU time, which includes SQLite's work and is
what counts on a shared machine), with the number of queries.

    .venv/bin/python bench/analytics.py [--scale 10000] [--renders 9]
"""

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PERIODS = ["period=7", "period=30", "period=90", "period=365"]
TARGET_MS = 300


def configure(workdir):
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
    os.environ.update(
        DEBUG="False",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="testserver",
        SECURE_SSL_REDIRECT="False",
        MEDIA_ROOT=str(workdir / "media"),
        LOG_LEVEL="WARNING",
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    sys.path.insert(0, str(ROOT))
    import django
    from django.conf import settings
    from django.test.utils import override_settings

    django.setup()
    # No collectstatic here: plain static names instead of the manifest's.
    storages = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }
    override_settings(STORAGES=storages).enable()


def seed(scale):
    from django.core.management import call_command
    from django.db.models import F, Q
    from django.db.models.functions import Mod

    from accounts.models import User
    from bench.scale import seed_scale
    from interviews.models import InterviewRequest

    quiet = StringIO()
    call_command("migrate", verbosity=0, stdout=quiet)
    call_command("createcachetable", stdout=quiet)
    started = time.monotonic()
    call_command("seed_demo", "--allow-demo-passwords", stdout=quiet)
    seed_scale(scale, stdout=quiet)
    seconds = time.monotonic() - started
    # Nine in ten verify their email; two in three read their feedback.
    User.objects.alias(tenth=Mod("pk", 10)).filter(
        ~Q(tenth=0), username__startswith="scale"
    ).update(email_verified_at=F("date_joined"))
    InterviewRequest.objects.alias(third=Mod("pk", 3)).filter(
        ~Q(third=0), reviewed_at__isnull=False
    ).update(feedback_read_at=F("reviewed_at"))
    return seconds, quiet.getvalue().strip().splitlines()[-1]


def time_page(renders):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User

    owner = User.objects.create_superuser("bench-owner", "owner@example.com", None)
    client = Client()
    client.force_login(owner)
    results = []
    for query in PERIODS:
        url = f"/admin/analytics/?{query}"
        assert client.get(url).status_code == 200  # warm the per-process caches
        timings, cpu = [], []
        for _ in range(renders):
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            assert response.status_code == 200
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        results.append(
            (query, statistics.median(timings), statistics.median(cpu), len(captured))
        )
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10000)
    parser.add_argument("--renders", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-analytics-") as workdir:
        configure(Path(workdir))
        from django.db import connection

        seconds, summary = seed(args.scale)
        print(f"seeded in {seconds:.1f} s: {summary}")
        print(f"database: {connection.vendor}; median of {args.renders} renders")
        print(f"load average before timing: {os.getloadavg()[0]:.1f}")
        for query, wall, cpu, queries in time_page(args.renders):
            # CPU time: in-process SQLite makes it the render's own cost, which
            # other work on a shared machine does not inflate as it does wall time.
            verdict = "ok" if cpu <= TARGET_MS else f"over {TARGET_MS} ms"
            print(
                f"  {query:<12} {wall:7.1f} ms wall  {cpu:7.1f} ms CPU  "
                f"{queries:3d} queries  {verdict}"
            )


if __name__ == "__main__":
    main()
