"""Render deploy/nginx.conf.template from the site's settings.

    python deploy/render_nginx.py --listen 8000 --upstream 127.0.0.1:8001 \
        --run-dir run/nginx --out run/nginx/nginx.conf

Body limits, static and private roots and the media link secret come from
Django settings, so the front server and the site agree; the rest are options
with production defaults. The file is written mode 0600: it holds the secret.
"""

import argparse
import getpass
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
# Room for the form fields and multipart framing around the largest file.
FORM_OVERHEAD_BYTES = 64 * 1024


def _settings():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from django.conf import settings

    return settings


def render(options, settings):
    from portal import media_links

    upstreams = "\n".join(
        f"        server {address} max_fails=1 fail_timeout=5s;"
        for address in options.upstream
    )
    values = {
        "USER": options.user,
        "WORKER_PROCESSES": str(options.worker_processes),
        "WORKER_CONNECTIONS": str(options.worker_connections),
        "RUN_DIR": str(Path(options.run_dir).resolve()),
        "ACCESS_LOG": options.access_log,
        "HEADER_TIMEOUT": str(options.header_timeout),
        "BODY_TIMEOUT": str(options.body_timeout),
        "CONNECTIONS_PER_ADDRESS": str(options.connections_per_address),
        "DEFAULT_BODY_BYTES": str(
            settings.PAYMENT_PROOF_MAX_BYTES + FORM_OVERHEAD_BYTES
        ),
        "ANSWER_BODY_BYTES": str(settings.ANSWER_CHUNK_MAX_BYTES + FORM_OVERHEAD_BYTES),
        "STATIC_ROOT": str(Path(options.static_root or settings.STATIC_ROOT).resolve()),
        "PRIVATE_ROOT": str((Path(settings.MEDIA_ROOT) / "private").resolve()),
        "MEDIA_LINK_SECRET": media_links.link_secret(),
        "MEDIA_LINK_TYPES": "\n".join(
            f"                {content_type} {extension};"
            for extension, content_type in media_links.TYPES.items()
        ),
        "LISTEN": options.listen,
        "UPSTREAMS": upstreams,
    }
    text = TEMPLATE.read_text()
    for name, value in values.items():
        text = text.replace(f"@@{name}@@", value)
    if "@@" in text:
        raise SystemExit("nginx template has a placeholder this script does not know")
    return text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default=os.environ.get("PORT", "8000"))
    parser.add_argument(
        "--upstream",
        action="append",
        help="an app server host:port (repeat for several); default 127.0.0.1:8001",
    )
    parser.add_argument("--run-dir", default=str(ROOT / "run" / "nginx"))
    parser.add_argument("--out", default=None)
    parser.add_argument(
        "--static-root", default=None, help="default: the STATIC_ROOT setting"
    )
    parser.add_argument("--access-log", default="off")
    parser.add_argument(
        "--user",
        default=getpass.getuser(),
        help="who the worker processes run as (production: www-data); "
        "default: whoever renders the file",
    )
    parser.add_argument("--worker-processes", default="auto")
    parser.add_argument("--worker-connections", type=int, default=4096)
    parser.add_argument("--header-timeout", type=int, default=10)
    parser.add_argument("--body-timeout", type=int, default=20)
    parser.add_argument("--connections-per-address", type=int, default=64)
    options = parser.parse_args(argv)
    options.upstream = options.upstream or ["127.0.0.1:8001"]
    run_dir = Path(options.run_dir)
    for sub in ("", "client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (run_dir / sub).mkdir(parents=True, exist_ok=True)
    text = render(options, _settings())
    out = Path(options.out) if options.out else run_dir / "nginx.conf"
    # It holds the media link secret: readable by its owner only (nginx's
    # master reads it before it drops to --user).
    descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    print(out)


if __name__ == "__main__":
    main()
