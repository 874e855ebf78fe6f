"""Playback: reviewers seeking in a 200 MB recording, and what it costs the app
server's CPU (the gunicorn master, its workers and the workers it reaped, from
/proc).

Each of 20 reviewers (the approver's session) asks for a random 1 MB range of
the answer's video every second, as a player does when someone drags the seek
bar, and reads it whole. Today the permission-checked view streams the bytes
from Python (portal/http.py). With MEDIA_ACCEL_REDIRECT=True behind nginx the
view answers with X-Accel-Redirect and nginx sends the bytes; that phase runs
only when the setting has an effect (the view's own reply carries the header),
and is skipped with a note otherwise.
"""

import asyncio
import os
import random
import time
from dataclasses import dataclass

from bench.aio import Connection

MB = 1024 * 1024
RANGE_BYTES = MB
SEEK_EVERY = 1.0  # seconds between one reviewer's seeks


def prepare(size_mb, workdir):
    """A completed interview's answer, given a real `size_mb` recording."""
    from interviews.models import Answer, RequestStatus
    from portal.storage import private_storage, unguessable_name

    answer = (
        Answer.objects.filter(request__status=RequestStatus.COMPLETED)
        .order_by("pk")
        .first()
    )
    storage = private_storage()
    name = unguessable_name("answers", "webm")
    path = storage.path(name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    block = os.urandom(MB)
    with open(path, "wb") as out:
        for _ in range(size_mb):
            out.write(block)
    Answer.objects.filter(pk=answer.pk).update(
        file=name, size=size_mb * MB, content_type="video/webm"
    )
    return answer.public_id, size_mb * MB


@dataclass
class Result:
    topology: str
    reviewers: int
    seconds: float
    cpu_seconds: float
    ranges: int
    errors: int
    megabytes: float
    note: str = ""

    @property
    def core_share(self):
        return self.cpu_seconds / self.seconds if self.seconds else 0.0


async def _reviewer(host, port, path, cookie, size, deadline, tally):
    connection = Connection(host, port)
    rng = random.Random()
    while time.monotonic() < deadline:
        start = rng.randrange(0, size - RANGE_BYTES)
        try:
            reply = await asyncio.wait_for(
                connection.request(
                    "GET",
                    path,
                    {
                        "Cookie": cookie,
                        "Range": f"bytes={start}-{start + RANGE_BYTES - 1}",
                    },
                ),
                30,
            )
            if reply.status == 206 and len(reply.body) == RANGE_BYTES:
                tally["ranges"] += 1
                tally["bytes"] += len(reply.body)
            else:
                tally["errors"] += 1
        except (TimeoutError, OSError, asyncio.IncompleteReadError):
            connection.close()
            tally["errors"] += 1
        await asyncio.sleep(SEEK_EVERY)
    connection.close()


def run(host, port, server, topology, answer_id, cookie, size, args, log):
    from django.urls import reverse

    path = reverse("interviews:answer_video", args=[answer_id])
    tally = {"ranges": 0, "bytes": 0, "errors": 0}

    async def reviewers():
        deadline = time.monotonic() + args.scenario_seconds
        await asyncio.gather(
            *(
                _reviewer(host, port, path, cookie, size, deadline, tally)
                for _ in range(args.reviewers)
            )
        )

    cpu, started = server.cpu_seconds(), time.monotonic()
    asyncio.run(reviewers())
    result = Result(
        topology,
        args.reviewers,
        time.monotonic() - started,
        server.cpu_seconds() - cpu,
        tally["ranges"],
        tally["errors"],
        tally["bytes"] / MB,
    )
    log(
        f"playback {topology}: {result.ranges} ranges ({result.megabytes:.0f} MB), "
        f"{result.errors} errors, app server CPU {result.cpu_seconds:.1f} s in "
        f"{result.seconds:.0f} s = {result.core_share:.0%} of one core"
    )
    return result


def accel_redirect_in_effect(server, answer_id, cookie):
    """Whether the app server itself answers with X-Accel-Redirect."""
    from django.urls import reverse

    async def ask():
        connection = Connection("127.0.0.1", server.port)
        try:
            return await connection.request(
                "GET",
                reverse("interviews:answer_video", args=[answer_id]),
                {"Cookie": cookie, "Range": "bytes=0-0"},
            )
        finally:
            connection.close()

    return "x-accel-redirect" in asyncio.run(ask()).headers


def table(results):
    lines = [
        "| topology | reviewers | seconds | ranges of 1 MB | errors | MB sent | "
        "app server CPU s | share of one core |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        if r.note:
            lines.append(f"| {r.topology} | {r.note} |||||||")
            continue
        lines.append(
            f"| {r.topology} | {r.reviewers} | {r.seconds:.0f} | {r.ranges} | "
            f"{r.errors} | {r.megabytes:.0f} | {r.cpu_seconds:.1f} | "
            f"{r.core_share:.0%} |"
        )
    return "\n".join(lines)
