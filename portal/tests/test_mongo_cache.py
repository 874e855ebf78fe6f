"""The cache collection the site uses on MongoDB without Redis (issue 18)."""

import time

import pytest
from django.db import connection

from portal.mongo_cache import MongoDBCache

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "mongodb", reason="the MongoDB cache needs MongoDB"
    ),
]


@pytest.fixture
def mongo_cache():
    cache = MongoDBCache("test_portal_cache", {})
    cache.clear()
    yield cache
    cache.clear()


def test_add_claims_a_key_once(mongo_cache):
    assert mongo_cache.add("slot", 1, 60) is True
    assert mongo_cache.add("slot", 2, 60) is False
    assert mongo_cache.get("slot") == 1


def test_add_takes_over_an_expired_key(mongo_cache):
    mongo_cache.set("slot", "old", 0.2)
    time.sleep(0.3)
    assert mongo_cache.get("slot") is None
    assert mongo_cache.add("slot", "new", 60) is True
    assert mongo_cache.get("slot") == "new"


def test_incr_counts_in_the_database(mongo_cache):
    mongo_cache.set("n", 1, 60)
    assert mongo_cache.incr("n") == 2
    assert mongo_cache.incr("n", 5) == 7
    with pytest.raises(ValueError):
        mongo_cache.incr("missing")


def test_values_round_trip(mongo_cache):
    mongo_cache.set_many({"a": {"x": [1, 2]}, "b": "text", "c": None}, 60)
    assert mongo_cache.get_many(["a", "b", "c", "d"]) == {
        "a": {"x": [1, 2]},
        "b": "text",
        "c": None,
    }
    assert mongo_cache.has_key("a")
    assert mongo_cache.delete("a") is True
    assert mongo_cache.delete("a") is False
    assert mongo_cache.touch("b", None) is True
    mongo_cache.delete_many(["b", "c"])
    assert mongo_cache.get_many(["b", "c"]) == {}
