"""gunicorn settings: threads survive long uploads; logs go to stdout."""

import multiprocessing
import os
from pathlib import Path

import environ

# The same settings as the site's (portal/settings.py): the environment, then .env.
env = environ.Env()
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=True):
    environ.Env.read_env(Path(__file__).resolve().parent / ".env", overwrite=False)

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# A 200 MB answer on a slow uplink takes minutes; gthread keeps the worker alive
# while a thread reads it, and this bounds a request that is truly stuck.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()

# ---- Forwarded headers (issue 12, finding 9) ----
# gunicorn believes X-Forwarded-Proto (and so tells Django the request is HTTPS:
# HSTS, CSRF judged as HTTPS) from the peers in forwarded_allow_ips. Only when
# the site trusts its proxy (SECURE_PROXY_SSL_HEADER), and only from that proxy;
# otherwise from nobody, whatever the peer.
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    forwarded_allow_ips = env.str(
        "FORWARDED_ALLOW_IPS",
        default=",".join(env.list("TRUSTED_PROXY_IPS", default=[])) or "127.0.0.1,::1",
    )
else:
    forwarded_allow_ips = ""
    secure_scheme_headers = {}

# ---- Prometheus multi-process metrics (issue 19) ----
# With PROMETHEUS_MULTIPROC_DIR set, each worker writes its request metrics to
# files there and /metrics sums them (portal/metrics.py). Stale files from the
# last run are removed at start, and a dead worker's live gauges are dropped.
_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")


def on_starting(server):
    if _metrics_dir:
        os.makedirs(_metrics_dir, exist_ok=True)
        for name in os.listdir(_metrics_dir):
            if name.endswith(".db"):
                os.remove(os.path.join(_metrics_dir, name))


def child_exit(server, worker):
    if _metrics_dir:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
