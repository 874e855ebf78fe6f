"""The cache audit: what each portal/caching.py entry saves.

The app server is restarted with all entries on, then with one entry off at a
time (CACHE_ENTRIES_OFF=<prefix>: that entry's reads go straight to the
database), then with all on again, so the spread of the two "all on" runs
shows the noise. Each time, every page that reads an entry is loaded by 16
clients, and its queries are counted in-process with the same setting.
"""

import asyncio
from dataclasses import dataclass, field

from bench.aio import closed_loop

# The entries still in the code, and what they hold. An entry deleted by the
# audit (docs/benchmarks.md) leaves this list with it.
# (payments:status and interviews:cards went in issue 15.)
ENTRIES = {
    "accounts:user": "the session's user (accounts/backends.py)",
    "interviews:catalogue": "the active courses (interviews/models.py)",
}
CPU_SAMPLES = 20  # requests timed in-process per page: CPU time, little noise
PAGES = [
    "trivial view /ping, logged in",
    "student dashboard",
    "course list",
    "card states poll",
    "payment status poll",
]


@dataclass
class Run:
    off: str  # the entry turned off, "" for none
    pages: dict = field(default_factory=dict)  # page name -> (Latencies, queries)


def count_queries(targets, fixtures, off):
    """{page: (queries, in-process CPU ms per request)} with `off` off.

    Queries are counted by a wrapper around the connection's execute, not from
    connection.queries_log, which each request's start clears."""
    import time

    from django.db import connection
    from django.test import Client, override_settings

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(fixtures["student"])
    counts = {}
    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with override_settings(CACHE_ENTRIES_OFF=frozenset([off] if off else [])):
        for target in targets:
            accept = "application/json" if target.kind == "poll" else "text/html"
            client.get(target.path, headers={"accept": accept})
            executed.clear()
            with connection.execute_wrapper(count):
                response = client.get(target.path, headers={"accept": accept})
            if response.status_code != 200:  # a count of the wrong page
                raise SystemExit(
                    f"bench: {target.path} answered {response.status_code} in-process"
                )
            queries = len(executed)
            started = time.process_time()
            for _ in range(CPU_SAMPLES):
                client.get(target.path, headers={"accept": accept})
            cpu_ms = 1000 * (time.process_time() - started) / CPU_SAMPLES
            counts[target.name] = (queries, cpu_ms)
    return counts


def run(start_server, targets, fixtures, args, log):
    """`start_server(env_changes)` starts the app server and returns it."""
    pages = [t for t in targets if t.name in PAGES]
    runs = []
    for off in ["", *ENTRIES, ""]:
        server = start_server({"CACHE_ENTRIES_OFF": off})
        try:
            queries = count_queries(pages, fixtures, off)
            run = Run(off)
            for target in pages:
                accept = "application/json" if target.kind == "poll" else "text/html"
                headers = {"Cookie": target.cookie, "Accept": accept}
                asyncio.run(
                    closed_loop("127.0.0.1", server.port, target.path, headers, 16, 2)
                )
                latencies = asyncio.run(
                    closed_loop(
                        "127.0.0.1",
                        server.port,
                        target.path,
                        headers,
                        16,
                        args.audit_seconds,
                    )
                )
                run.pages[target.name] = (latencies, queries[target.name])
                log(
                    f"cache audit, off: {off or 'none'}: {target.name}: "
                    f"{latencies.summary()}, {queries[target.name][0]} queries, "
                    f"{queries[target.name][1]:.1f} CPU ms in-process"
                )
            runs.append(run)
        finally:
            server.stop()
    return runs


def table(runs):
    """Per entry and page: p50 and p95 with the entry off over all on (the
    mean of the two all-on runs), and the queries on -> off."""
    on = [r for r in runs if not r.off]
    lines = [
        "| entry off | page | p50 ms on / off | p95 ms on / off | p50 off/on | "
        "p95 off/on | queries on -> off | in-process CPU ms on -> off |",
        "|---|---|---|---|---:|---:|---|---|",
    ]
    noise = []
    for name in on[0].pages:
        first, last = (r.pages[name][0] for r in on)
        noise.append(f"{name} p95 {first.p95_ms:.0f} / {last.p95_ms:.0f} ms")
    for run in runs:
        if not run.off:
            continue
        for name, (latencies, (queries, cpu)) in run.pages.items():
            p50 = sum(r.pages[name][0].p50_ms for r in on) / len(on)
            p95 = sum(r.pages[name][0].p95_ms for r in on) / len(on)
            base_queries = on[0].pages[name][1][0]
            base_cpu = sum(r.pages[name][1][1] for r in on) / len(on)
            lines.append(
                f"| {run.off} | {name} | {p50:.1f} / {latencies.p50_ms:.1f} | "
                f"{p95:.1f} / {latencies.p95_ms:.1f} | {latencies.p50_ms / p50:.2f} | "
                f"{latencies.p95_ms / p95:.2f} | {base_queries} -> {queries} | "
                f"{base_cpu:.1f} -> {cpu:.1f} |"
            )
    return (
        "\n".join(lines)
        + "\n\nAll on, first and last run (noise): "
        + "; ".join(noise)
        + "."
    )
