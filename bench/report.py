"""The report: the machine, the pages' table, the uploads; written into
docs/benchmarks.md between markers of its own."""

import os
import platform
import re
import shutil
import subprocess
import time
from pathlib import Path

from bench.pages import TARGETS
from bench.server import MB, ROOT

DOC = ROOT / "docs" / "benchmarks.md"


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
    wrk = ""
    if shutil.which("wrk"):
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
        "Server": f"gunicorn gthread, {workers} workers x {threads} threads"
        f"; cache: {'Redis' if args.redis_url else 'database table'}",
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
        f"{timings['seed']:.1f} s (`bench/scale.py {args.scale}`)",
        f"- **Machine load** (1-minute load average) before: {load[0]:.2f}, "
        f"after: {load[1]:.2f} (other work shares these cores)",
    ]
    if baseline is not None:
        parts += [
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


def scenarios(database, args, load, sections):
    """The scenarios' tables, each under its title, after the machine."""
    described = machine(database, args)
    described["Load"] = "bench/aio.py (asyncio), 16 connections for the pages"
    parts = [
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "",
        *[f"- **{key}**: {value}" for key, value in described.items()],
        f"- **Machine load** (1-minute load average) before: {load[0]:.2f}, "
        f"after: {load[-1]:.2f} (other work shares these cores)",
    ]
    for title, text in sections:
        parts += ["", f"**{title}**", "", text]
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
