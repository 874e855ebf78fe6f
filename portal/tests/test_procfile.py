"""`make run`'s one foreground command: honcho runs the Procfile's web and worker
processes; Ctrl-C (SIGINT to honcho) stops both."""

import os
import re
import signal
import subprocess
import time
import urllib.request

import pytest

from portal.tests.queue_helpers import BASE_DIR, database_url, free_port, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_honcho_serves_the_site_runs_the_worker_and_stops_both(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.test_settings",
        "DATABASE_URL": database_url(),
        "WEB_CONCURRENCY": "1",
    }
    log = tmp_path / "honcho.log"
    with open(log, "w") as out:
        honcho = subprocess.Popen(
            [str(BASE_DIR / ".venv/bin/honcho"), "start", "-e", "/dev/null"]
            + ["-f", "Procfile", "-p", str(port)],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:

        def health():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health") as r:
                    return r.status == 200
            except OSError:
                return False

        wait_for(health, timeout=60, what="the site")
        wait_for(lambda: "worker.1" in log.read_text(), what="the worker")
        pids = {
            int(pid) for pid in re.findall(r"started \(pid=(\d+)\)", log.read_text())
        }
        assert len(pids) == 2, log.read_text()
        honcho.send_signal(signal.SIGINT)
        honcho.wait(timeout=20)
        time.sleep(0.5)
        assert not any(_alive(pid) for pid in pids), log.read_text()
        text = log.read_text()
        assert "web.1 stopped" in text and "worker.1 stopped" in text
    finally:
        if honcho.poll() is None:
            honcho.kill()
