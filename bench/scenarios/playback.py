"""Playback: reviewers seeking in a 200 MB recording, and what it costs the app
server's CPU (the gunicorn master, its workers and the workers it reaped, from
/proc) and, behind nginx, nginx's.

Each of 20 reviewers (the approver's session) asks for a random 1 MB range of
the answer's video every second, as a player does when someone drags the seek
bar, and reads it whole. Three ways to serve it (portal/http.py):

- gunicorn alone: the permission-checked view streams the bytes from Python;
- behind nginx with MEDIA_ACCEL_REDIRECT=True, MEDIA_SIGNED_LINKS=False: the
  view answers every seek with X-Accel-Redirect and nginx sends the bytes;
- behind nginx with signed links (the default there): the view answers a 302
  to a link nginx checks itself (portal/media_links.py). The reviewer does as a
  browser's player: it follows the redirect once, sends its ranges to the link
  until the link expires (or is refused), then asks the view again.
"""

import asyncio
import os
import random
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

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
    view_requests: int = 0
    front_cpu_seconds: float | None = None
    note: str = ""

    @property
    def core_share(self):
        return self.cpu_seconds / self.seconds if self.seconds else 0.0


def _link_expiry(link):
    """When a signed link stops working (its `expires`), as time.time()."""
    return int(parse_qs(urlsplit(link).query)["expires"][0])


async def _reviewer(host, port, path, cookie, size, deadline, tally):
    connection = Connection(host, port)
    rng = random.Random()
    link = None  # where the view sent us, as a player keeps the redirect's target
    while time.monotonic() < deadline:
        start = rng.randrange(0, size - RANGE_BYTES)
        wanted = {"Range": f"bytes={start}-{start + RANGE_BYTES - 1}"}
        try:
            if link is not None and time.time() >= _link_expiry(link):
                link = None
            if link is None:
                tally["view_requests"] += 1
                reply = await asyncio.wait_for(
                    connection.request("GET", path, {"Cookie": cookie, **wanted}),
                    30,
                )
                if reply.status == 302:
                    link = reply.headers["location"]
            if link is not None:
                reply = await asyncio.wait_for(
                    connection.request("GET", link, wanted), 30
                )
                if reply.status in (403, 410):  # refused or expired: ask again
                    link = None
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


def run(host, port, server, topology, answer_id, cookie, size, args, log, front=None):
    """The reviewers against `port`; CPU of `server` (and of nginx, `front`)."""
    from django.urls import reverse

    path = reverse("interviews:answer_video", args=[answer_id])
    tally = {"ranges": 0, "bytes": 0, "errors": 0, "view_requests": 0}

    async def reviewers():
        deadline = time.monotonic() + args.scenario_seconds
        await asyncio.gather(
            *(
                _reviewer(host, port, path, cookie, size, deadline, tally)
                for _ in range(args.reviewers)
            )
        )

    front_cpu = front.cpu_seconds() if front else None
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
        tally["view_requests"],
        front.cpu_seconds() - front_cpu if front else None,
    )
    log(
        f"playback {topology}: {result.ranges} ranges ({result.megabytes:.0f} MB), "
        f"{result.errors} errors, {result.view_requests} requests to the view, "
        f"app server CPU {result.cpu_seconds:.2f} s in "
        f"{result.seconds:.0f} s = {result.core_share:.1%} of one core"
        + (
            f", nginx {result.front_cpu_seconds:.2f} s"
            if result.front_cpu_seconds is not None
            else ""
        )
    )
    return result


def table(results):
    lines = [
        "| topology | reviewers | seconds | ranges of 1 MB | errors | MB sent | "
        "requests to the view | app server CPU s | share of one core | "
        "nginx CPU s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        if r.note:
            lines.append(f"| {r.topology} | {r.note} |||||||||")
            continue
        front = "-" if r.front_cpu_seconds is None else f"{r.front_cpu_seconds:.2f}"
        lines.append(
            f"| {r.topology} | {r.reviewers} | {r.seconds:.0f} | {r.ranges} | "
            f"{r.errors} | {r.megabytes:.0f} | {r.view_requests} | "
            f"{r.cpu_seconds:.2f} | {r.core_share:.1%} | {front} |"
        )
    return "\n".join(lines)
