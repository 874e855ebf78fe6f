"""Profile one page with pyinstrument, through Django's test client, against the
database DATABASE_URL names (seed it first with `seed_demo` then `bench/scale.py N`).

    DEBUG=False SECRET_KEY=... DATABASE_URL=sqlite:////tmp/x.sqlite3 \\
        .venv/bin/python bench/profile_page.py /courses/ --as scale000001 -n 200

Prints where the time goes and the queries of one request.
"""

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("path")
    parser.add_argument("--as", dest="username", help="log in as this user")
    parser.add_argument("-n", type=int, default=100, help="requests to profile")
    parser.add_argument("--queries", action="store_true", help="print the SQL")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from pyinstrument import Profiler

    client = Client(HTTP_HOST="127.0.0.1")
    if args.username:
        # Staff also pass the second factor (accounts/two_factor.py).
        from accounts.testing import log_in_verified

        log_in_verified(client, get_user_model().objects.get(username=args.username))
    response = client.get(args.path)
    print(f"HTTP {response.status_code}, {len(response.content)} bytes")
    with CaptureQueriesContext(connection) as queries:
        client.get(args.path)
    print(f"{len(queries)} queries")
    if args.queries:
        for query in queries:
            print(f"  {query['time']}s  {query['sql'][:300]}")
    profiler = Profiler(interval=0.0005)
    with profiler:
        for _ in range(args.n):
            client.get(args.path)
    print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
