"""Tests for ramod.metadata.store on a real SQLite file, its calls run inline."""

import dataclasses
import unicodedata
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from conftest import result

from ramod.metadata import errors
from ramod.metadata.migrations import CURRENT_VERSION
from ramod.metadata.records import Stats
from ramod.metadata.models import Blob, Credential, GarbageBlob, Object, SchemaVersion
from ramod.metadata.store import MetadataStore, NewObject, ObjectInfo
from ramod.threads import Pools


def new_blob(size=3, etag='"abc"', **attrs) -> NewObject:
    values = {"content_type": "text/plain", "headers": {"cache-control": "no-cache"},
              "checksums": {"CRC32": "AAAAAA=="}}
    values.update(attrs)
    return NewObject(uuid.uuid4().hex, size, etag, values["content_type"], values["headers"],
                     values["checksums"])


def blob_rows() -> dict:
    return {b.blob_id: b.refcount for b in Blob.select()}


def garbage_rows() -> set:
    return {g.blob_id for g in GarbageBlob.select()}


# -- schema and root credential ---------------------------------------------------------------

def test_migrate_twice(db):
    """migrate() creates the schema once, records its version, and is a no-op the second time."""
    store = MetadataStore(db, Pools(None, 1, 1, inline=True))
    assert result(store.migrate()) == 0
    assert [r.version for r in SchemaVersion.select()] == [CURRENT_VERSION]
    assert result(store.migrate()) == CURRENT_VERSION
    assert [r.version for r in SchemaVersion.select()] == [CURRENT_VERSION]
    assert set(db.get_tables()) >= {"schemaversion", "credential", "bucket", "blob", "object",
                                    "garbageblob"}


def test_migrate_keeps_data(store, bucket):
    """Migrating an up-to-date database keeps its rows."""
    assert result(store.migrate()) == CURRENT_VERSION
    assert result(store.get_bucket("bkt")) == bucket


def test_migrate_refuses_newer_schema(store):
    """A database from a newer ramod is refused rather than downgraded."""
    SchemaVersion.update(version=CURRENT_VERSION + 1).execute()
    with pytest.raises(RuntimeError):
        result(store.migrate())


def test_ensure_root_generates_once(store):
    """Without configured keys the root credential is generated once and then kept."""
    calls = []

    def make_key():
        calls.append(1)
        return "GENKEY", "gensecret"
    first, created = result(store.ensure_root(None, None, make_key))
    assert created
    assert (first.access_key, first.secret_key, first.is_root, first.is_active) == (
        "GENKEY", "gensecret", True, True)
    second, created = result(store.ensure_root(None, None, make_key))
    assert not created
    assert second == first
    assert len(calls) == 1
    assert Credential.select().count() == 1


def test_ensure_root_with_configured_keys(store):
    """Configured root keys are used, a new secret replaces the old, a new access key renames it."""
    first, created = result(store.ensure_root("AK", "SK", None))
    assert created and (first.access_key, first.secret_key) == ("AK", "SK")
    same, created = result(store.ensure_root("AK", "SK", None))
    assert not created and same == first
    rotated, created = result(store.ensure_root("AK", "SK2", None))
    assert not created and (rotated.id, rotated.access_key, rotated.secret_key) == (first.id, "AK", "SK2")
    renamed, created = result(store.ensure_root("AK2", "SK3", None))
    assert not created and (renamed.id, renamed.access_key, renamed.secret_key) == (first.id, "AK2", "SK3")
    kept, created = result(store.ensure_root(None, None, None))
    assert not created and kept == renamed
    assert Credential.select().count() == 1


def test_get_credential(store, root):
    """get_credential() finds a key pair by access key, or gives None."""
    assert result(store.get_credential("ROOTKEY")) == root
    assert result(store.get_credential("rootkey")) is None


# -- lookup and buckets ---------------------------------------------------------------------

def test_lookup_unknown_key(store, bucket):
    """An unknown access key gives nothing else either, even for a bucket and key that exist."""
    result(store.put_object(bucket, "key", new_blob()))
    assert result(store.lookup("NOSUCHKEY", None)) == (None, None, None)
    assert result(store.lookup("NOSUCHKEY", "bkt")) == (None, None, None)
    assert result(store.lookup("NOSUCHKEY", "bkt", "key")) == (None, None, None)


def test_lookup(store, root, bucket):
    """lookup() returns the credential, the bucket (with its usage) and (when asked) the
    object in one call."""
    info, _ = result(store.put_object(bucket, "key", new_blob()))
    bucket = dataclasses.replace(bucket, object_count=1, object_bytes=info.size)
    assert result(store.lookup("ROOTKEY", None)) == (root, None, None)
    assert result(store.lookup("ROOTKEY", "absent")) == (root, None, None)
    assert result(store.lookup("ROOTKEY", "absent", "key")) == (root, None, None)
    assert result(store.lookup("ROOTKEY", "bkt")) == (root, bucket, None)
    assert result(store.lookup("ROOTKEY", "bkt", "absent")) == (root, bucket, None)
    assert result(store.lookup("ROOTKEY", "bkt", "key")) == (root, bucket, info)


def test_create_bucket(store, root):
    """create_bucket() returns the new bucket, owned by the caller, created just now."""
    before = datetime.now(timezone.utc) - timedelta(seconds=1)
    info = result(store.create_bucket("new-bucket", root.id, "eu-west-1"))
    assert (info.name, info.owner_id, info.owner_name, info.region) == (
        "new-bucket", root.id, "root", "eu-west-1")
    assert before <= info.created_at <= datetime.now(timezone.utc)
    assert result(store.get_bucket("new-bucket")) == info
    assert result(store.get_bucket("absent")) is None


def test_bucket_taken(store, root, bucket):
    """Creating an existing bucket raises BucketTaken saying whether the caller owns it."""
    other = Credential.create(user_name="other", access_key="OTHER", secret_key="s",
                              created_at=datetime(2020, 1, 1))
    with pytest.raises(errors.BucketTaken) as caught:
        result(store.create_bucket("bkt", root.id, "us-east-1"))
    assert caught.value.owned_by_caller is True
    with pytest.raises(errors.BucketTaken) as caught:
        result(store.create_bucket("bkt", other.id, "us-east-1"))
    assert caught.value.owned_by_caller is False


def test_list_buckets(store, root):
    """list_buckets() sorts by name and filters by owning user, prefix, position and region."""
    other = Credential.create(user_name="other", access_key="OTHER", secret_key="s",
                              created_at=datetime(2020, 1, 1))
    for name, owner in [("b", root.id), ("c", other.id), ("a", root.id), ("ab", root.id)]:
        result(store.create_bucket(name, owner, "us-east-1"))
    assert [b.name for b in result(store.list_buckets(None))] == ["a", "ab", "b", "c"]
    assert [b.name for b in result(store.list_buckets(root.user_name))] == ["a", "ab", "b"]
    assert [b.name for b in result(store.list_buckets("other"))] == ["c"]
    assert [b.name for b in result(store.list_buckets(None, prefix="a"))] == ["a", "ab"]
    assert [b.name for b in result(store.list_buckets(None, after="ab", limit=1))] == ["b"]
    assert result(store.list_buckets(None, region="eu-west-1")) == []


def test_delete_bucket(store, root, bucket):
    """An empty bucket is deleted; deleting it again is BucketMissing."""
    result(store.delete_bucket("bkt"))
    assert result(store.get_bucket("bkt")) is None
    with pytest.raises(errors.BucketMissing):
        result(store.delete_bucket("bkt"))


def test_delete_bucket_with_objects(store, bucket):
    """A bucket holding an object is not deleted (BucketHasObjects) until the object goes."""
    result(store.put_object(bucket, "key", new_blob()))
    with pytest.raises(errors.BucketHasObjects):
        result(store.delete_bucket("bkt"))
    assert result(store.get_bucket("bkt")).object_count == 1
    result(store.delete_object(bucket, "key"))
    assert result(store.get_bucket("bkt")) == bucket
    result(store.delete_bucket("bkt"))
    assert result(store.get_bucket("bkt")) is None


# -- objects --------------------------------------------------------------------------------

def test_put_new_object(store, bucket):
    """A new key is stored with its attributes, no garbage, and its blob counted once."""
    new = new_blob(size=42, etag='"e"', content_type="image/png", headers={"x-amz-meta-a": "é"},
                   checksums={"SHA1": "x"})
    info, garbage = result(store.put_object(bucket, "key", new))
    assert garbage == []
    assert (info.bucket, info.key, info.blob_id, info.size, info.etag, info.content_type,
            info.headers, info.checksums, info.storage_class) == (
        "bkt", "key", new.blob_id, 42, '"e"', "image/png", {"x-amz-meta-a": "é"}, {"SHA1": "x"},
        "STANDARD")
    assert info.last_modified.tzinfo is not None
    assert result(store.get_object(bucket, "key")) == info
    assert blob_rows() == {new.blob_id: 1}
    assert garbage_rows() == set()


def test_get_missing_object(store, bucket):
    """get_object() of a key that was never written is None."""
    assert result(store.get_object(bucket, "absent")) is None


def test_overwrite_returns_old_blob_as_garbage(store, bucket):
    """Overwriting a key repoints it and hands back the old blob, now queued as garbage."""
    first, second = new_blob(etag='"1"'), new_blob(etag='"2"', content_type=None, headers={},
                                                    checksums={})
    result(store.put_object(bucket, "key", first))
    info, garbage = result(store.put_object(bucket, "key", second))
    assert garbage == [first.blob_id]
    assert result(store.get_object(bucket, "key")) == info
    assert (info.blob_id, info.etag, info.content_type, info.headers, info.checksums) == (
        second.blob_id, '"2"', None, {}, {})
    assert blob_rows() == {second.blob_id: 1}
    assert garbage_rows() == {first.blob_id}
    assert Object.select().count() == 1


def test_objects_share_nothing_across_keys(store, bucket):
    """Overwriting one key leaves the other keys' blobs alone."""
    a, b, c = new_blob(), new_blob(), new_blob()
    result(store.put_object(bucket, "a", a))
    result(store.put_object(bucket, "b", b))
    assert result(store.put_object(bucket, "a", c))[1] == [a.blob_id]
    assert blob_rows() == {b.blob_id: 1, c.blob_id: 1}
    assert result(store.get_object(bucket, "b")).blob_id == b.blob_id


def test_precondition_sees_current_object(store, bucket):
    """The precondition is called with None for a new key and the current ObjectInfo otherwise."""
    seen = []
    first = new_blob(etag='"1"')
    info, _ = result(store.put_object(bucket, "key", first, precondition=seen.append))
    result(store.put_object(bucket, "key", new_blob(etag='"2"'), precondition=seen.append))
    assert seen[0] is None
    assert isinstance(seen[1], ObjectInfo)
    assert seen[1] == info
    assert seen[1].blob_id == first.blob_id


class Refused(Exception):
    pass


def refuse(old):
    raise Refused(old)


def test_failed_precondition_on_new_key(store, bucket):
    """A precondition raising on a new key stores nothing: no object, no Blob row."""
    new = new_blob()
    with pytest.raises(Refused):
        result(store.put_object(bucket, "key", new, precondition=refuse))
    assert result(store.get_object(bucket, "key")) is None
    assert blob_rows() == {}
    assert garbage_rows() == set()


def test_failed_precondition_on_overwrite(store, bucket):
    """A precondition raising on an overwrite leaves the old object and its blob untouched."""
    old = new_blob()
    info, _ = result(store.put_object(bucket, "key", old))
    with pytest.raises(Refused):
        result(store.put_object(bucket, "key", new_blob(), precondition=refuse))
    assert result(store.get_object(bucket, "key")) == info
    assert blob_rows() == {old.blob_id: 1}
    assert garbage_rows() == set()


def test_put_into_deleted_bucket(store, bucket):
    """A PUT into a bucket deleted meanwhile raises BucketMissing and leaves no Blob row."""
    result(store.delete_bucket("bkt"))
    with pytest.raises(errors.BucketMissing):
        result(store.put_object(bucket, "key", new_blob()))
    assert blob_rows() == {}


def test_delete_object(store, bucket):
    """Deleting a key returns its blob as garbage; deleting a missing key returns []."""
    new = new_blob()
    result(store.put_object(bucket, "key", new))
    assert result(store.delete_object(bucket, "key")) == [new.blob_id]
    assert result(store.get_object(bucket, "key")) is None
    assert blob_rows() == {}
    assert garbage_rows() == {new.blob_id}
    assert result(store.delete_object(bucket, "key")) == []
    assert result(store.delete_object(bucket, "never")) == []


def test_blobs_exist(store, bucket):
    """blobs_exist() returns the ids committed metadata references, in batches of any size."""
    live, gone = new_blob(), new_blob()
    result(store.put_object(bucket, "live", live))
    result(store.put_object(bucket, "gone", gone))
    result(store.delete_object(bucket, "gone"))
    unknown = [uuid.uuid4().hex for _ in range(1200)]
    assert result(store.blobs_exist([])) == set()
    assert result(store.blobs_exist(unknown[:600] + [live.blob_id, gone.blob_id] + unknown[600:])) == {
        live.blob_id}


def test_garbage_and_forget(store, bucket):
    """garbage() lists unreferenced blobs (up to a limit) until forget_garbage() drops them."""
    ids = []
    for i in range(5):
        new = new_blob()
        result(store.put_object(bucket, f"k{i}", new))
        ids.extend(result(store.delete_object(bucket, f"k{i}")))
    assert sorted(result(store.garbage())) == sorted(ids)
    assert len(result(store.garbage(limit=2))) == 2
    result(store.forget_garbage(ids[:3]))
    assert sorted(result(store.garbage())) == sorted(ids[3:])
    result(store.forget_garbage([]))
    result(store.forget_garbage(ids))
    assert result(store.garbage()) == []


# keys that differ only in ways a careless comparison would fold
KEY_GROUPS = [
    ["a", "A", "a ", " a", "a\t"],
    [unicodedata.normalize("NFC", "é"), unicodedata.normalize("NFD", "é")],
    ["straße", "strasse", "STRASSE"],
    ["dir/", "dir", "dir//", "/dir"],
    ["%41", "A%41", "+", " ", "a+b", "a b"],
    ["\U0001f40d", "\U0001f40e", "日本語/キー", "ключ"],
    ["a_b", "a%b", "a\\b", "a.b"],  # LIKE wildcards and escapes
    ["a\x00b", "a", "a\x00c"],  # C strings would end at the NUL
]


@pytest.mark.parametrize("keys", KEY_GROUPS)
def test_keys_are_exact_strings(store, bucket, keys):
    """Keys are stored, found and deleted as exact strings: no case, space or Unicode folding."""
    blobs = {key: new_blob() for key in keys}
    for key, new in blobs.items():
        assert result(store.put_object(bucket, key, new))[1] == []
    for key, new in blobs.items():
        info = result(store.get_object(bucket, key))
        assert (info.key, info.blob_id) == (key, new.blob_id)
    victim = keys[0]
    assert result(store.delete_object(bucket, victim)) == [blobs[victim].blob_id]
    for key in keys[1:]:
        assert result(store.get_object(bucket, key)).blob_id == blobs[key].blob_id


def test_long_unicode_key_round_trip(store, bucket):
    """A 1024-byte key of mixed scripts comes back unchanged."""
    key = "é日\U0001f40d/" * 102 + "a b~"
    assert len(key.encode("utf-8")) == 1024
    info, _ = result(store.put_object(bucket, key, new_blob()))
    assert result(store.get_object(bucket, key)).key == key == info.key


def test_same_key_in_two_buckets(store, root, bucket):
    """The same key in two buckets names two objects."""
    other = result(store.create_bucket("other", root.id, "us-east-1"))
    a, b = new_blob(), new_blob()
    result(store.put_object(bucket, "key", a))
    result(store.put_object(other, "key", b))
    assert result(store.get_object(bucket, "key")).blob_id == a.blob_id
    assert result(store.get_object(other, "key")).blob_id == b.blob_id
    assert result(store.get_object(other, "key")).bucket == "other"


def test_stats(store, bucket):
    """stats() counts keys, buckets, objects and stored bytes from the usage counters."""
    now = datetime.now(timezone.utc)
    assert result(store.stats(now)) == Stats(1, 1, 0, 0, 0, 0)
    result(store.put_object(bucket, "a", new_blob(size=10)))
    result(store.put_object(bucket, "b", new_blob(size=5)))
    result(store.put_object(bucket, "b", new_blob(size=7)))
    assert result(store.stats(now)) == Stats(1, 1, 2, 17, 0, 0)
    result(store.delete_object(bucket, "a"))
    assert result(store.stats(now)) == Stats(1, 1, 1, 7, 0, 0)
