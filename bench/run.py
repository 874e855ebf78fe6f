"""`make bench`: the site under load at realistic size, against a baseline measured
in the same run through the same server.

Starts gunicorn with production settings on loopback against a database of its
own (a SQLite file under /tmp, or a fresh PostgreSQL database when DATABASE_URL
points at a server), seeds scale data (bench/scale.py), logs in through the real
login form, and drives each page with wrk at a fixed concurrency (bench/pages.py).
The ratios to the trivial /ping view are what count: the machine is shared, so
absolute numbers are noisy. Then the scenarios (bench/scenarios/): a 200 MB
answer and a 5 MB proof uploaded under load (the worker's peak memory), slow
clients and concurrent uploads against plain gunicorn and through nginx (the
topology of `make serve`), reviewers seeking in a 200 MB video (app server
CPU), and the cache audit (each portal/caching.py entry on and off). Writes
docs/benchmarks.md.

    .venv/bin/python bench/run.py [--scale 10000] [--duration 15] [--port 8160]
        [--skip pages,big-uploads,slow-clients,uploads,playback,cache-audit]
"""

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

# Run as a script: the repository root, not bench/, leads the import path.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench import report as reporting  # noqa: E402
from bench.pages import build_targets, count_queries, drive, prepare_fixtures  # noqa: E402
from bench.scenarios import cache_audit, concurrent_uploads, playback, slow_clients  # noqa: E402
from bench.scenarios.big_uploads import upload_under_load  # noqa: E402
from bench.server import (  # noqa: E402
    ROOT,
    Database,
    Front,
    Server,
    Session,
    log,
    manage,
    production_env,
    python,
)

SCENARIOS = [
    "pages",
    "big-uploads",
    "slow-clients",
    "uploads",
    "playback",
    "cache-audit",
]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--scale", type=int, default=int(os.environ.get("BENCH_SCALE", 10000))
    )
    parser.add_argument(
        "--duration", type=int, default=int(os.environ.get("BENCH_DURATION", 15))
    )
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("BENCH_PORT", 8160)),
        help="gunicorn's port; nginx listens on the next one",
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
    parser.add_argument(
        "--skip",
        default=os.environ.get("BENCH_SKIP", ""),
        help=f"comma-separated parts not to run, of: {', '.join(SCENARIOS)}",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", ""),
        help="the cache (and sessions) in this Redis database, flushed first; "
        "default: the database cache table",
    )
    parser.add_argument(
        "--scenario-seconds",
        type=int,
        default=int(os.environ.get("BENCH_SCENARIO_SECONDS", 15)),
        help="how long each scenario phase loads the pages",
    )
    parser.add_argument("--slow-clients", type=int, default=500)
    parser.add_argument("--uploads", type=int, default=100)
    parser.add_argument("--upload-kbit", type=int, default=256)
    parser.add_argument("--upload-chunk-kb", type=int, default=256)
    parser.add_argument("--reviewers", type=int, default=20)
    parser.add_argument("--video-mb", type=int, default=200)
    parser.add_argument("--audit-seconds", type=int, default=8)
    args = parser.parse_args()
    args.skip = {word.strip() for word in args.skip.split(",") if word.strip()}
    unknown = args.skip - set(SCENARIOS)
    if unknown:
        parser.error(f"--skip: unknown {', '.join(sorted(unknown))}")
    if "pages" not in args.skip and shutil.which("wrk") is None:
        raise SystemExit(
            "bench: wrk is missing: apt-get install -y wrk (or --skip pages)"
        )
    return args


def main():
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    (workdir / "media").mkdir()
    (workdir / "tmp").mkdir()
    database = Database(workdir, os.environ.get("DATABASE_URL", ""))
    env = production_env(args, workdir, database.url)
    os.environ.update(env)
    servers = []  # whatever runs now, stopped at the end
    load = [os.getloadavg()[0]]
    try:
        log(f"work directory {workdir}, database {database.vendor}")
        database.create()
        timings = {"migrate": manage(env, "migrate", "--noinput")}
        manage(env, "createcachetable")
        manage(env, "collectstatic", "--noinput", "--verbosity", "0")
        manage(env, "seed_demo", "--allow-demo-passwords")
        timings["seed"] = python(env, "bench/scale.py", str(args.scale))
        log(f"seeded {args.scale} students in {timings['seed']:.1f} s")

        import django

        django.setup()
        fixtures = prepare_fixtures()
        server = Server(env, workdir, args.port)
        servers.append(server)
        server.start()
        log(f"gunicorn up on port {args.port} with {len(server.workers())} workers")
        from bench.scale import SCALE_PASSWORD
        from interviews.demo import DEMO_APPROVER

        student = Session(server).login(fixtures["student"].username, SCALE_PASSWORD)
        approver = Session(server).login(*DEMO_APPROVER[:2])
        targets = build_targets(server, fixtures, student, approver)
        if args.only:  # the /ping anchors always run: ratios need them
            targets = [
                t
                for t in targets
                if t.kind == "anchor" or any(word in t.name for word in args.only)
            ]
        baseline, uploads = None, []
        if "pages" not in args.skip:
            count_queries(targets, fixtures)
            baseline = drive(server, targets, args)
        dashboard = next((t for t in targets if t.name == "student dashboard"), None)
        if args.upload_mb and dashboard and "big-uploads" not in args.skip:
            uploads = upload_under_load(
                server, targets, fixtures, student, args, workdir
            )
        sections = []
        if dashboard and not args.only:
            sections = run_scenarios(
                args, env, workdir, servers, targets, fixtures, approver, load
            )
        load.append(os.getloadavg()[0])
        write = not args.no_doc and not args.only
        if baseline is not None or uploads:
            text = reporting.report(
                database, args, timings, fixtures, targets, baseline, uploads, load
            )
            print()
            print(text)
            if write and baseline is not None:
                reporting.write_doc(database.vendor, text)
        if sections:
            text = reporting.scenarios(database, args, load, sections)
            print()
            print(text)
            if write:
                reporting.write_doc(f"{database.vendor}-scenarios", text)
        if write:
            log(f"written to {reporting.DOC.relative_to(ROOT)}")
    finally:
        for running in reversed(servers):
            running.stop()
        from django.db import connections

        connections.close_all()
        database.drop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


def run_scenarios(args, env, workdir, servers, targets, fixtures, approver, load):
    """Slow clients, concurrent uploads and playback against plain gunicorn and
    through nginx, then the cache audit; returns [(title, table)]."""
    dashboard = next(t for t in targets if t.name == "student dashboard")
    gunicorn = servers[0]
    front = Front(env, workdir, args.port + 1, args.port)
    host = "127.0.0.1"
    sections = []
    direct, proxied = "gunicorn alone", "nginx + gunicorn (make serve)"

    def start_front():
        if front not in servers:
            servers.append(front)
            front.start()

    if "slow-clients" not in args.skip:
        phases = slow_clients.run(
            host,
            gunicorn.port,
            direct,
            dashboard.path,
            dashboard.cookie,
            sorted({10, args.slow_clients}),
            args.scenario_seconds,
            log,
        )
        start_front()
        phases += slow_clients.run(
            host,
            front.port,
            proxied,
            dashboard.path,
            dashboard.cookie,
            [args.slow_clients],
            args.scenario_seconds,
            log,
        )
        sections.append(
            (
                f"Slow clients (1 KB/s each; dashboard loaded by 16 clients for "
                f"{args.scenario_seconds} s; /health probed every 0.5 s)",
                slow_clients.table(phases),
            )
        )
    if "uploads" not in args.skip:
        start_front()
        results = [
            concurrent_uploads.run(
                host, port, name, index, dashboard.path, dashboard.cookie, args, log
            )
            for index, (name, port) in enumerate(
                [(direct, gunicorn.port), (proxied, front.port)]
            )
        ]
        sections.append(
            (
                f"Concurrent uploads ({args.uploads} answers through the chunk "
                f"protocol at {args.upload_kbit} kbit/s each, "
                f"{args.upload_chunk_kb} KB chunks, while 16 clients load the "
                "dashboard)",
                concurrent_uploads.table(results),
            )
        )
    if "playback" not in args.skip:
        answer_id, size = playback.prepare(args.video_mb, workdir)
        results = [
            playback.run(
                host,
                gunicorn.port,
                gunicorn,
                f"{direct}, Python range view",
                answer_id,
                approver.header,
                size,
                args,
                log,
            )
        ]
        for changes, name in [
            (
                {"MEDIA_ACCEL_REDIRECT": "True", "MEDIA_SIGNED_LINKS": "False"},
                f"{proxied}, X-Accel-Redirect for every seek",
            ),
            (
                {"MEDIA_ACCEL_REDIRECT": "True", "MEDIA_SIGNED_LINKS": "True"},
                f"{proxied}, signed link (secure_link) once per video",
            ),
        ]:
            results.append(
                playback_behind_nginx(
                    args,
                    env,
                    workdir,
                    servers,
                    answer_id,
                    size,
                    changes,
                    name,
                    approver.header,
                )
            )
        sections.append(
            (
                f"Playback ({args.reviewers} reviewers, a random 1 MB range of a "
                f"{args.video_mb} MB video each per second, "
                f"{args.scenario_seconds} s)",
                playback.table(results),
            )
        )
    load.append(os.getloadavg()[0])
    if "cache-audit" not in args.skip:
        for running in reversed(servers):
            running.stop()
        servers.clear()

        def start_server(changes):
            server = Server({**env, **changes}, workdir, args.port)
            server.start()
            return server

        runs = cache_audit.run(start_server, targets, fixtures, args, log)
        sections.append(
            (
                f"Cache audit (each entry off in turn; 16 clients, "
                f"{args.audit_seconds} s per page)",
                cache_audit.table(runs),
            )
        )
    return sections


def playback_behind_nginx(
    args, env, workdir, servers, answer_id, size, changes, name, cookie
):
    """Playback through nginx, gunicorn restarted with `changes`. The session
    (`cookie`) outlives the restart: logging in again within one TOTP step
    would be refused (a code is used once)."""
    for running in reversed(servers):
        running.stop()
    servers.clear()
    server = Server({**env, **changes}, workdir, args.port)
    servers.append(server)
    server.start()
    front = Front(server.env, workdir, args.port + 1, args.port)
    servers.append(front)
    front.start()
    return playback.run(
        "127.0.0.1",
        front.port,
        server,
        name,
        answer_id,
        cookie,
        size,
        args,
        log,
        front=front,
    )


if __name__ == "__main__":
    main()
