"""The MongoDB test server against mongod's behaviour, through pymongo.

Each fix has a test of mongod's behaviour on the wrapper and a
`test_stock_server_still_*` test on the unpatched SecantusDB. When a stock test
fails, upstream has fixed that bug: drop the fix from __init__.py and the test.
"""

import contextlib
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip(
    "secantus", reason="SecantusDB (the `secantus` package) is not installed"
)
pymongo = pytest.importorskip("pymongo", reason="pymongo is not installed")

from tests.mongo_server import uri_for  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
PORTS = range(27200, 27300)


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS}")


@contextlib.contextmanager
def _running(module: str, data_dir: Path, *dbpath_flag: str):
    port = _free_port()
    log = data_dir / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                module,
                "--port",
                str(port),
                *dbpath_flag,
                str(data_dir / "db"),
            ],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    client = pymongo.MongoClient(uri_for(port), serverSelectionTimeoutMS=200)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                client.admin.command("ping")
                break
            except pymongo.errors.PyMongoError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{module} did not answer ping:\n{log.read_text()}"
                    )
        yield client
    finally:
        client.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with _running(
        "tests.mongo_server", tmp_path_factory.mktemp("fixed"), "--dbpath"
    ) as client:
        yield client


@pytest.fixture(scope="module")
def stock_server(tmp_path_factory):
    with _running(
        "secantus", tmp_path_factory.mktemp("stock"), "--storage-path"
    ) as client:
        yield client


def _joined_books(client, *stages):
    """Books with their author joined in as an embedded `author` document,
    the shape django-mongodb-backend builds for a join ($lookup + $unwind)."""
    db = client.fixtures
    db.authors.drop()
    db.books.drop()
    db.authors.insert_one({"_id": 1, "name": "Ann", "born": 1970})
    db.books.insert_one({"_id": 10, "title": "Notes", "author_id": 1})
    pipeline = [
        {
            "$lookup": {
                "from": "authors",
                "localField": "author_id",
                "foreignField": "_id",
                "as": "author",
            }
        },
        {"$unwind": "$author"},
        *stages,
    ]
    return list(db.books.aggregate(pipeline))


def test_nested_project_inclusion_returns_the_value(server):
    [book] = _joined_books(
        server, {"$project": {"_id": 0, "title": 1, "author": {"name": 1}}}
    )

    assert book == {"title": "Notes", "author": {"name": "Ann"}}


def test_nested_project_mixes_inclusions_and_expressions(server):
    [book] = _joined_books(
        server,
        {
            "$project": {
                "_id": 0,
                "author": {"name": 1, "shout": {"$toUpper": "$author.name"}},
            }
        },
    )

    assert book == {"author": {"name": "Ann", "shout": "ANN"}}


def test_nested_project_exclusion_removes_only_that_field(server):
    [book] = _joined_books(server, {"$project": {"author": {"born": 0}}})

    assert book["author"] == {"_id": 1, "name": "Ann"}
    assert book["title"] == "Notes"


def test_nested_project_of_id_replaces_the_default_id(server):
    groups = server.fixtures.groups
    groups.drop()
    groups.insert_one({"_id": {"course": "c1", "status": "paid"}, "total": 3})

    [included] = groups.aggregate([{"$project": {"_id": {"course": 1}}}])
    [computed] = groups.aggregate([{"$project": {"_id": {"n": "$total"}}}])

    assert included == {"_id": {"course": "c1"}}
    assert computed == {"_id": {"n": 3}}


def test_nested_add_fields_merges_into_the_embedded_document(server):
    [book] = _joined_books(
        server, {"$addFields": {"author": {"key": {"$toLower": "$author.name"}}}}
    )

    assert book["author"] == {"_id": 1, "name": "Ann", "born": 1970, "key": "ann"}


def test_nested_set_merges_like_add_fields(server):
    [book] = _joined_books(server, {"$set": {"author": {"key": "$title"}}})

    assert book["author"] == {"_id": 1, "name": "Ann", "born": 1970, "key": "Notes"}


def test_an_expression_object_still_replaces_the_field(server):
    [book] = _joined_books(server, {"$addFields": {"author": {"$literal": {"key": 1}}}})

    assert book["author"] == {"key": 1}


def test_stock_server_still_returns_literal_for_nested_project_inclusion(stock_server):
    """Upstream bug: mongod answers `author: {name: "Ann"}` here."""
    [book] = _joined_books(
        stock_server, {"$project": {"_id": 0, "author": {"name": 1}}}
    )

    assert book == {"author": {"name": 1}}


def test_stock_server_still_replaces_embedded_document_in_nested_add_fields(
    stock_server,
):
    """Upstream bug: mongod merges, answering `{_id, name, born, key}` here."""
    [book] = _joined_books(stock_server, {"$addFields": {"author": {"key": "$title"}}})

    assert book["author"] == {"key": "Notes"}


def test_transaction_commits_and_aborts_with_a_session(server):
    payments = server.fixtures.payments
    payments.drop()
    payments.insert_one({"_id": "existing"})

    with server.start_session() as session, session.start_transaction():
        payments.insert_one({"_id": "committed"}, session=session)
        assert payments.count_documents({}, session=session) == 2
        assert payments.count_documents({}) == 1
    assert payments.count_documents({}) == 2

    with server.start_session() as session:
        session.start_transaction()
        payments.insert_one({"_id": "aborted"}, session=session)
        payments.update_one(
            {"_id": "existing"}, {"$set": {"touched": True}}, session=session
        )
        session.abort_transaction()
    assert sorted(doc["_id"] for doc in payments.find()) == ["committed", "existing"]
    assert payments.find_one({"_id": "existing"}) == {"_id": "existing"}
