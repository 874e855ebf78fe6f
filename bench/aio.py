"""A small HTTP/1.1 client on asyncio streams, for the scenarios that need many
connections at once (slow clients, paced uploads, reviewers seeking) and the
page load measured beside them.

Not a general client: it speaks just enough HTTP for our own servers
(Content-Length and chunked bodies, keep-alive), and can pace what it sends to
a byte rate, from a chosen loopback source address.
"""

import asyncio
import contextlib
import time
from dataclasses import dataclass, field

# Like wrk's --timeout: a request slower than this counts as an error.
REQUEST_TIMEOUT = 10.0


@dataclass
class Reply:
    status: int
    headers: dict
    body: bytes


class Connection:
    """One keep-alive connection; reopened by `request` after any failure."""

    def __init__(self, host, port, source=None):
        self.host, self.port, self.source = host, port, source
        self.reader = self.writer = None

    async def open(self):
        local = (self.source, 0) if self.source else None
        self.reader, self.writer = await asyncio.open_connection(
            self.host, self.port, local_addr=local, limit=1 << 20
        )

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, method, path, headers=None, body=b"", rate=None):
        """The reply to one request; `rate` (bytes/s) paces the body."""
        if self.writer is None:
            await self.open()
        try:
            head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}"]
            head += [f"{name}: {value}" for name, value in (headers or {}).items()]
            if body or method == "POST":
                head.append(f"Content-Length: {len(body)}")
            self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
            await send_paced(self.writer, body, rate)
            reply = await read_reply(self.reader, method)
        except BaseException:
            self.close()
            raise
        if reply.headers.get("connection", "").lower() == "close":
            self.close()
        return reply


async def send_paced(writer, data, rate=None, tick=0.1):
    """Writes `data`, at most `rate` bytes per second when a rate is given."""
    if not rate:
        writer.write(data)
        await writer.drain()
        return
    step = max(1, int(rate * tick))
    started = time.monotonic()
    for sent in range(0, len(data), step):
        writer.write(data[sent : sent + step])
        await writer.drain()
        ahead = started + (sent + step) / rate - time.monotonic()
        if ahead > 0:
            await asyncio.sleep(ahead)


async def read_reply(reader, method="GET"):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return Reply(status, headers, b"")
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b"".join(parts)
    else:
        body = await reader.read()
        headers["connection"] = "close"
    return Reply(status, headers, body)


@dataclass
class Latencies:
    """Request times in seconds, and what failed (timeouts, resets, non-2xx)."""

    seconds: list = field(default_factory=list)
    errors: int = 0
    statuses: dict = field(default_factory=dict)
    body_bytes: int = 0
    wall: float = 0.0

    def percentile(self, share):
        if not self.seconds:
            return float("nan")
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    @property
    def p50_ms(self):
        return 1000 * self.percentile(0.50)

    @property
    def p95_ms(self):
        return 1000 * self.percentile(0.95)

    @property
    def requests(self):
        return len(self.seconds) + self.errors

    @property
    def rps(self):
        return len(self.seconds) / self.wall if self.wall else 0.0

    def summary(self):
        size = self.body_bytes / max(1, self.requests) / 1024
        return (
            f"{self.rps:.0f} req/s, p50 {self.p50_ms:.0f} ms, p95 {self.p95_ms:.0f} "
            f"ms, {self.errors} errors of {self.requests} {self.statuses}, "
            f"{size:.0f} KB a reply"
        )


async def closed_loop(host, port, path, headers, concurrency, seconds):
    """`concurrency` clients, each sending the next request when the last one
    answered (as wrk does), for `seconds`. Only 2xx answers count as served."""
    result = Latencies()
    deadline = time.monotonic() + seconds

    async def client():
        connection = Connection(host, port)
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                reply = await asyncio.wait_for(
                    connection.request("GET", path, headers), REQUEST_TIMEOUT
                )
            except (TimeoutError, OSError, asyncio.IncompleteReadError):
                connection.close()
                result.errors += 1
                result.statuses["failed"] = result.statuses.get("failed", 0) + 1
                await asyncio.sleep(0.05)
                continue
            result.statuses[reply.status] = result.statuses.get(reply.status, 0) + 1
            result.body_bytes += len(reply.body)
            if 200 <= reply.status < 300:
                result.seconds.append(time.monotonic() - started)
            else:
                result.errors += 1
                await asyncio.sleep(0.05)  # a refusal is fast: do not spin on it
        connection.close()

    started = time.monotonic()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    result.wall = time.monotonic() - started
    return result


async def probe(host, port, path, stop, every=0.5, timeout=5.0):
    """Asks `path` on a new connection every `every` seconds until `stop` is
    set; returns (answered with 2xx, asked)."""
    answered = asked = 0
    while not stop.is_set():
        asked += 1
        connection = Connection(host, port)
        try:
            reply = await asyncio.wait_for(connection.request("GET", path), timeout)
            answered += 200 <= reply.status < 300
        except (TimeoutError, OSError, asyncio.IncompleteReadError):
            pass
        finally:
            connection.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
    return answered, asked
