"""The GitHub Actions workflow (issue 12, item 18) has never run on GitHub; it
cannot run here. This checks what can be checked without GitHub: it parses, runs
on every push and pull request, runs `.ci/run` (the one definition of CI), every
command it and `.ci/run` call exists, and its services are where `.ci/run` and
the tests look for them."""

import os
import re
import shlex
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
CI_RUN = ROOT / ".ci" / "run"
# The PostgreSQL client each Debian release ships (pg_dump refuses a newer server).
DEBIAN_POSTGRESQL = {"bookworm": 15, "trixie": 17}


@pytest.fixture(scope="module")
def workflow():
    return yaml.safe_load(WORKFLOW.read_text())


@pytest.fixture(scope="module")
def job(workflow):
    [job] = workflow["jobs"].values()
    return job


def _run_lines(job):
    for step in job["steps"]:
        for line in step.get("run", "").replace("\\\n", " ").splitlines():
            if line.strip():
                yield line.strip()


def _debian_release(job):
    container = job["container"]
    image = container if isinstance(container, str) else container["image"]
    assert image.startswith("debian:")
    return image.split(":")[1]


def test_it_parses_and_runs_on_every_push_and_pull_request(workflow):
    # YAML reads the key `on` as True.
    triggers = workflow.get("on", workflow.get(True))
    assert set(triggers) == {"push", "pull_request"}
    assert triggers["push"] is None and triggers["pull_request"] is None  # no filters


def test_it_runs_dot_ci_run_and_nothing_else_of_its_own(job):
    commands = [line for line in _run_lines(job) if not line.startswith("apt-get")]
    assert commands[-1] == ".ci/run"
    assert [c for c in commands if c != ".ci/run"] == [
        'git config --global --add safe.directory "$GITHUB_WORKSPACE"'
    ]
    assert os.access(CI_RUN, os.X_OK)


def test_git_is_installed_before_the_checkout(job):
    steps = job["steps"]
    checkout = next(i for i, s in enumerate(steps) if "checkout" in s.get("uses", ""))
    installs = " ".join(s.get("run", "") for s in steps[:checkout])
    assert re.search(r"apt-get install\b.*\bgit\b", installs.replace("\\\n", " "))


def test_the_container_has_what_dot_ci_run_does_not_install(job):
    installed = set()
    for line in _run_lines(job):
        if line.startswith("apt-get install"):
            installed |= {
                w for w in shlex.split(line)[2:] if not w.startswith(("-", ">"))
            }
    # make and python3-venv for `make test`; the PostgreSQL client for pg_dump,
    # createdb and dropdb (the backup test); the rest .ci/run installs if missing.
    assert {"git", "make", "python3", "python3-venv", "postgresql-client"} <= installed
    # The job runs as root, so .ci/run and .ci/test-tools can apt-get the rest.
    container = job["container"]
    assert isinstance(container, str) or "--user" not in container.get("options", "")


def test_every_command_dot_ci_run_calls_exists():
    script = CI_RUN.read_text()
    for path in re.findall(r"(?<![\w/])(\.ci/[\w-]+|\.venv/bin/\w+)", script):
        if path.startswith(".ci/"):
            assert os.access(ROOT / path, os.X_OK), path
        else:
            assert path.rsplit("/", 1)[1] in {"pytest", "ruff", "python"}, path
    makefile = (ROOT / "Makefile").read_text()
    for target in re.findall(r"^\s*make (\w[\w-]*)", script, re.M):
        assert re.search(rf"^{target}:", makefile, re.M), f"make {target}"
    for folder in re.findall(r"pytest [^\n]*?(tests/\w+)", script):
        assert (ROOT / folder).is_dir(), folder
    pyproject = (ROOT / "pyproject.toml").read_text()
    for marker in re.findall(r'-m "?(?:not )?(\w+)', script):
        assert re.search(rf'"{marker}: ', pyproject), f"marker {marker}"
    assert (ROOT / "manage.py").exists()


def test_the_services_are_where_dot_ci_run_and_the_tests_look(job):
    services, env = job["services"], job["env"]
    assert set(services) == {"postgres", "redis"}
    # .ci/run and tests/hardening reach PostgreSQL at $PGHOST:5432 as `postgres`,
    # with no password; the Redis tests at $REDIS_HOST:6379 (portal/tests/redis.py).
    assert env["PGHOST"] == "postgres"
    assert env["REDIS_HOST"] == "redis"
    assert services["postgres"]["env"]["POSTGRES_HOST_AUTH_METHOD"] == "trust"
    assert not services["postgres"].get("ports") and not services["redis"].get("ports")
    script = CI_RUN.read_text()
    assert 'DATABASE_URL="postgres://postgres@$PGHOST:5432/' in script
    assert 'REDIS_HOST="${REDIS_HOST:-127.0.0.1}"' in script
    # CI set: a test that needs Redis fails rather than skips when it is missing.
    assert env["CI"] == "true"
    for service in services.values():
        assert "--health-cmd" in service["options"]  # the job waits until ready


def test_the_postgresql_server_matches_the_containers_pg_dump(job):
    release = _debian_release(job)
    server = int(re.match(r"postgres:(\d+)", job["services"]["postgres"]["image"])[1])
    assert server == DEBIAN_POSTGRESQL[release], (
        f"pg_dump {DEBIAN_POSTGRESQL[release]} from debian:{release} cannot dump "
        f"a PostgreSQL {server} server"
    )


def test_the_python_of_the_container_is_the_projects(job):
    release = _debian_release(job)
    target = re.search(
        r'target-version = "py3(\d+)"', (ROOT / "pyproject.toml").read_text()
    )
    assert {"bookworm": 11, "trixie": 13}[release] >= int(target[1])


def test_no_test_hard_codes_the_loopback_redis():
    """In the workflow Redis is at the host `redis`: a test that dials
    127.0.0.1:6379 passes here and fails there."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in ROOT.glob("**/test*.py")
        if ".venv" not in path.parts
        and "node_modules" not in path.parts
        and re.search(r"redis://(127\.0\.0\.1|localhost):6379", path.read_text())
    ]
    assert not offenders
