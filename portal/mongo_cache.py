"""A cache in a MongoDB collection, for when the site runs on MongoDB without
Redis (issue 18): Django's DatabaseCache is SQL only, and django-mongodb-backend
5.2.4 ships none.

One document per key: `{_id: key, value, kind, expires}`. `add` is a single
insert (or a conditional take-over of an expired entry), so it is atomic as the
rate limits and the login throttle need (portal/ratelimit.py,
accounts/throttle.py); `incr` is one `$inc` on integers. The cache talks to the
server outside any transaction, as the SQL cache's own connection would not
roll back a claimed slot either.
"""

import math
import pickle
import time

from bson import Binary
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.db import DEFAULT_DB_ALIAS, connections
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

_INT64 = range(-(2**63), 2**63)
# Expired entries are deleted on every this many writes of a process.
_CULL_EVERY = 500


class MongoDBCache(BaseCache):
    def __init__(self, collection_name, params):
        super().__init__(params)
        self._collection_name = collection_name
        self._writes = 0

    @property
    def _collection(self):
        # The database the site's connection uses (the test database in tests).
        return connections[DEFAULT_DB_ALIAS].database[self._collection_name]

    def _document(self, key, value, timeout):
        expires = self.get_backend_timeout(timeout)
        if type(value) is int and value in _INT64:
            stored, kind = value, "int"
        else:
            pickled = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
            stored, kind = Binary(pickled), "pickle"
        return {
            "_id": key,
            "value": stored,
            "kind": kind,
            "expires": math.inf if expires is None else expires,
        }

    @staticmethod
    def _load(document):
        if document["kind"] == "int":
            return document["value"]
        return pickle.loads(document["value"])  # noqa: S301 (written by us only)

    @staticmethod
    def _alive():
        return {"expires": {"$gt": time.time()}}

    def _wrote(self):
        self._writes += 1
        if self._writes % _CULL_EVERY == 0:
            self._collection.delete_many({"expires": {"$lte": time.time()}})

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        document = self._document(key, value, timeout)
        self._wrote()
        try:
            self._collection.insert_one(document)
            return True
        except DuplicateKeyError:
            # Taken, unless expired: take it over in one conditional write.
            result = self._collection.replace_one(
                {"_id": key, "expires": {"$lte": time.time()}}, document
            )
            return result.modified_count == 1

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        document = self._document(key, value, timeout)
        self._wrote()
        try:
            self._collection.replace_one({"_id": key}, document, upsert=True)
        except DuplicateKeyError:  # two upserts of a new key at once: one won
            self._collection.replace_one({"_id": key}, document)

    def get(self, key, default=None, version=None):
        key = self.make_and_validate_key(key, version=version)
        document = self._collection.find_one({"_id": key, **self._alive()})
        return default if document is None else self._load(document)

    def get_many(self, keys, version=None):
        by_key = {self.make_and_validate_key(k, version=version): k for k in keys}
        if not by_key:
            return {}
        found = self._collection.find({"_id": {"$in": list(by_key)}, **self._alive()})
        return {by_key[d["_id"]]: self._load(d) for d in found}

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        expires = self.get_backend_timeout(timeout)
        result = self._collection.update_one(
            {"_id": key, **self._alive()},
            {"$set": {"expires": math.inf if expires is None else expires}},
        )
        return result.matched_count == 1

    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        document = self._collection.find_one_and_update(
            {"_id": key, "kind": "int", **self._alive()},
            {"$inc": {"value": delta}},
            return_document=ReturnDocument.AFTER,
        )
        if document is None:
            if self._collection.find_one({"_id": key, **self._alive()}):
                raise TypeError(f"Key '{key}' does not hold an integer.")
            raise ValueError(f"Key '{key}' not found")
        return document["value"]

    def delete(self, key, version=None):
        key = self.make_and_validate_key(key, version=version)
        return self._collection.delete_one({"_id": key}).deleted_count == 1

    def delete_many(self, keys, version=None):
        keys = [self.make_and_validate_key(k, version=version) for k in keys]
        if keys:
            self._collection.delete_many({"_id": {"$in": keys}})

    def has_key(self, key, version=None):
        key = self.make_and_validate_key(key, version=version)
        return self._collection.count_documents({"_id": key, **self._alive()}) > 0

    def clear(self):
        self._collection.delete_many({})
