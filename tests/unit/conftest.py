"""Fixtures of the metadata store tests: a migrated SQLite store run inline, the root
credential and one bucket."""

import pytest
from twisted.internet.task import Clock

from ramod.metadata.db import open_database
from ramod.metadata.store import MetadataStore
from ramod.threads import Pools


def result(d):
    """The result of an already-fired Deferred, or raise its failure's exception."""
    outcome = []
    d.addBoth(outcome.append)
    assert outcome, "the Deferred has not fired"
    value = outcome[0]
    if hasattr(value, "raiseException"):
        value.raiseException()
    return value


@pytest.fixture
def db(tmp_path):
    database = open_database("sqlite:///" + str(tmp_path / "meta.sqlite3"))
    yield database
    database.close()


@pytest.fixture
def store(db):
    metadata = MetadataStore(db, Pools(Clock(), 1, 1, inline=True))
    result(metadata.migrate())
    return metadata


@pytest.fixture
def root(store):
    return result(store.ensure_root("ROOTKEY", "rootsecret", None))[0]


@pytest.fixture
def bucket(store, root):
    return result(store.create_bucket("bkt", root.id, "us-east-1"))


