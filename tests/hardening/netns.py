"""Separate hosts on one machine for the two-node test: Linux network namespaces
joined to this host by veth pairs (`ip netns`, needs root).

The layout (all in 10.77.0.0/16):

- 10.77.0.1, an address added to this host's loopback interface (the kernel
  here has no dummy interfaces): the "services host" where the app servers
  reach PostgreSQL, Redis and the S3 endpoint. PostgreSQL and Redis listen on
  127.0.0.1 only, which another namespace cannot reach, so small TCP
  forwarders on 10.77.0.1 pass their traffic on (`site.TcpProxy`); the S3 endpoint
  (moto) listens on 10.77.0.1 itself. Over TCP rather than PostgreSQL's unix
  socket, so that the test also runs where the database is another machine
  (PGHOST, REDIS_HOST in CI).
- one namespace per app server, `tn-<x>` with 10.77.<n>.2, whose veth peer on
  this host is 10.77.<n>.1; the balancer on this host reaches the node there.
"""

import contextlib
import http.client
import os
import signal
import subprocess
import time

SERVICES_ADDRESS = "10.77.0.1"


def ip(*args, check=True):
    return subprocess.run(
        ["ip", *args], check=check, capture_output=True, text=True, timeout=20
    )


def add_services_address():
    remove_services_address()
    ip("addr", "add", f"{SERVICES_ADDRESS}/32", "dev", "lo")


def remove_services_address():
    ip("addr", "del", f"{SERVICES_ADDRESS}/32", "dev", "lo", check=False)


class Host:
    """A network namespace `tn-<name>` with one veth pair to this host."""

    def __init__(self, name, subnet):
        self.name = f"tn-{name}"
        self.host_link = f"tn-{name}-host"
        self.node_link = f"tn-{name}-node"
        self.gateway = f"10.77.{subnet}.1"  # this host's end
        self.address = f"10.77.{subnet}.2"  # the node's end

    def create(self):
        self.destroy()  # a namespace left over from an interrupted run
        ip("netns", "add", self.name)
        ip(
            "link",
            "add",
            self.host_link,
            "type",
            "veth",
            "peer",
            "name",
            self.node_link,
        )
        ip("link", "set", self.node_link, "netns", self.name)
        ip("addr", "add", f"{self.gateway}/24", "dev", self.host_link)
        ip("link", "set", self.host_link, "up")
        ip("-n", self.name, "addr", "add", f"{self.address}/24", "dev", self.node_link)
        ip("-n", self.name, "link", "set", self.node_link, "up")
        ip("-n", self.name, "link", "set", "lo", "up")
        # The services host and the other nodes are reached through this host.
        ip("-n", self.name, "route", "add", "10.77.0.0/16", "via", self.gateway)
        return self

    def destroy(self):
        # Deleting the namespace deletes the veth pair with it; the host end is
        # deleted too in case the namespace was already gone.
        ip("netns", "del", self.name, check=False)
        ip("link", "del", self.host_link, check=False)

    def popen(self, args, **kwargs):
        """Start `args` inside the namespace (`ip netns exec` execs it, so the
        process is the command itself, in a session of its own)."""
        return subprocess.Popen(
            ["ip", "netns", "exec", self.name, *args],
            start_new_session=True,
            **kwargs,
        )


def wait_for_http(address, port, process, log, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        conn = http.client.HTTPConnection(address, port, timeout=2)
        try:
            # As the balancer asks: for the site's own name, not the node's.
            conn.request("GET", "/ping", headers={"Host": "127.0.0.1"})
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            conn.close()
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-3000:]}")
        time.sleep(0.3)
    raise RuntimeError(f"{address}:{port} did not answer in {timeout} s")


def stop(process, timeout=30):
    """SIGTERM the process's whole session, then SIGKILL what is left."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill(process)


def kill(process):
    """SIGKILL the process and everything in its session: a host losing its app
    server at once, workers and all, with no graceful shutdown."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    # The leader is reaped first; its workers exit (and their sockets close)
    # a moment later. Return only when the whole group is gone.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.01)
    raise RuntimeError(f"process group {process.pid} outlived SIGKILL")
