"""`.venv/bin/python -m tests.mongo_server --port 27017 --dbpath DIR` runs the
MongoDB test server (SecantusDB with the fixes in __init__.py) in the
foreground until SIGINT/SIGTERM. Extra flags go to SecantusDB unchanged
(`--log-level WARNING`, see `.venv/bin/secantusd-py --help`)."""

from __future__ import annotations

import argparse
import sys

from tests.mongo_server import apply_fixes, uri_for


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.mongo_server",
        description="SecantusDB with mongod's nested $project/$addFields semantics.",
    )
    parser.add_argument("--port", type=int, default=27017)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--dbpath",
        required=True,
        help="data directory, created if missing and kept across restarts; "
        "':memory:' for a temporary one removed on exit",
    )
    args, secantus_args = parser.parse_known_args(argv)

    from secantus import cli

    apply_fixes()
    print(f"MongoDB test server: {uri_for(args.port, args.host)}", flush=True)
    return cli.main(
        ["--host", args.host, "--port", str(args.port), "--storage-path", args.dbpath]
        + secantus_args
    )


if __name__ == "__main__":
    sys.exit(main())
