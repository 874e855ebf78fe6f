"""Slow clients: hundreds of connections that send their headers, or a POST
body, at about 1 KB/s, while 16 clients load the dashboard and a probe asks
/health every half second.

Each slow client opens a connection from one of ten loopback source addresses
(127.0.1.1-10, 50 connections each at 500: the front server's per-address
connection limit is for one abuser, this is many), then drips: half of them an
endless header block (a 1 KB header line a second), half a 1 MB form body after
complete headers. When the server cuts one off, it reconnects, so the number in
flight stays constant. The dashboard's p95 is compared with its p95 without
slow clients, on the same server, in the same run.
"""

import asyncio
import time
from dataclasses import dataclass

from bench.aio import closed_loop, probe

SOURCES = [f"127.0.1.{n}" for n in range(1, 11)]
DRIP_BYTES_PER_SECOND = 1024
TICK = 0.25  # seconds between drips
RAMP_SECONDS = 3  # to let every slow client connect before measuring


@dataclass
class Phase:
    topology: str
    slow_clients: int
    dashboard: object  # aio.Latencies
    health_answered: int
    health_asked: int
    cut_off: int  # slow connections the server closed


async def _drip(host, port, source, number, stop, tally):
    piece = max(1, int(DRIP_BYTES_PER_SECOND * TICK))
    body_request = number % 2 == 1
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection(
                host, port, local_addr=(source, 0)
            )
        except OSError:
            await asyncio.sleep(0.5)
            continue
        try:
            if body_request:
                writer.write(
                    b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    b"Content-Type: application/x-www-form-urlencoded\r\n"
                    b"Content-Length: 1048576\r\n\r\n"
                )
                filler = b"a" * piece
            else:
                writer.write(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                filler = b"X-Slow: " + b"a" * max(1, piece - 10) + b"\r\n"
            while not stop.is_set() and not reader.at_eof():
                writer.write(filler)
                await writer.drain()
                await asyncio.sleep(TICK)
            if not stop.is_set():
                tally["cut_off"] += 1
        except (OSError, asyncio.IncompleteReadError):
            tally["cut_off"] += 1
        finally:
            writer.close()
        if not stop.is_set():
            await asyncio.sleep(0.2)


async def measure(host, port, topology, dashboard_path, cookie, slow, seconds):
    """One phase: `slow` dripping clients, then the dashboard's load and the
    /health probe for `seconds`."""
    stop, tally = asyncio.Event(), {"cut_off": 0}
    drips = [
        asyncio.create_task(
            _drip(host, port, SOURCES[n % len(SOURCES)], n, stop, tally)
        )
        for n in range(slow)
    ]
    if slow:
        await asyncio.sleep(RAMP_SECONDS)
    probe_stop = asyncio.Event()
    probing = asyncio.create_task(probe(host, port, "/health", probe_stop))
    headers = {"Cookie": cookie, "Accept": "text/html,*/*"}
    dashboard = await closed_loop(host, port, dashboard_path, headers, 16, seconds)
    probe_stop.set()
    answered, asked = await probing
    stop.set()
    await asyncio.gather(*drips, return_exceptions=True)
    return Phase(topology, slow, dashboard, answered, asked, tally["cut_off"])


def run(host, port, topology, dashboard_path, cookie, levels, seconds, log):
    """Without slow clients, then at each level; a pause between phases lets a
    server that fell over recover (or shows that it did not)."""
    phases = []
    for slow in (0, *levels):
        phase = asyncio.run(
            measure(host, port, topology, dashboard_path, cookie, slow, seconds)
        )
        phases.append(phase)
        log(
            f"slow clients {topology}, {slow} dripping: dashboard "
            f"{phase.dashboard.summary()}; /health {phase.health_answered}/"
            f"{phase.health_asked}; {phase.cut_off} cut off by the server"
        )
        time.sleep(3)
    return phases


def table(phases):
    lines = [
        "| topology | slow clients | dashboard req/s | p50 ms | p95 ms | "
        "p95 vs none | errors | /health answered | slow ones cut off |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    baseline = {}
    for phase in phases:
        d = phase.dashboard
        if phase.slow_clients == 0:
            baseline[phase.topology] = d.p95_ms
        base = baseline.get(phase.topology)
        ratio = (
            "-" if phase.slow_clients == 0 or not base else f"{d.p95_ms / base:.1f}x"
        )
        if not d.seconds:
            ratio = "no page served"
        lines.append(
            f"| {phase.topology} | {phase.slow_clients} | {d.rps:.0f} | "
            f"{d.p50_ms:.0f} | {d.p95_ms:.0f} | {ratio} | {d.errors} of "
            f"{d.requests} | {phase.health_answered} of {phase.health_asked} | "
            f"{phase.cut_off} |"
        )
    return "\n".join(lines)
