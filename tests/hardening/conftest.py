"""Load and fault tests against real gunicorn servers on PostgreSQL.

They are marked `load` and run only when asked for (`pytest -m load`), as their
own step in CI: each module starts servers, migrates a database of its own and
takes tens of seconds.
"""

from types import SimpleNamespace

import pytest

from tests.hardening import site


def pytest_collection_modifyitems(config, items):
    if "load" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="load/fault test: run with -m load")
    for item in items:
        if "load" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="module")
def site_env(tmp_path_factory):
    """A migrated PostgreSQL database and folders of its own; dropped afterwards."""
    try:
        site.pg_admin().close()
    except Exception as error:
        pytest.skip(f"PostgreSQL is not reachable: {error}")
    workdir = tmp_path_factory.mktemp("site")
    database = site.create_database()
    env = site.base_env(workdir, database)
    try:
        site.manage(env, "migrate", "--noinput")
        site.manage(env, "createcachetable")
        yield SimpleNamespace(env=env, workdir=workdir, database=database)
    finally:
        site.drop_database(database)


@pytest.fixture(scope="module")
def scene(site_env):
    return site.run_python(
        site_env.env, "from tests.hardening.scenes import build; build()"
    )


def counts(site_env):
    return site.run_python(
        site_env.env, "from tests.hardening.scenes import counts; counts()"
    )
