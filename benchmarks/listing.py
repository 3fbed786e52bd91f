"""Listing benchmark: one page of a bucket of a million keys costs what a page of a
thousand-key bucket costs.

A ramod on a temp data dir gets two buckets: ``small`` (1,000 keys) and ``big``
(``--keys``, default 1,000,000, spread over ``--folders`` folders).  The big bucket's
rows are written straight into the SQLite metadata while the server is stopped (all
pointing at one shared blob, as copies do), because a million PUTs would take an hour
and listing cost is a metadata cost.  Then it times ListObjectsV2 pages through boto3:
the first page, a page in the middle (start-after), the last page, a delimiter listing
at the root (only ``--folders`` common prefixes over all the keys) and one inside a
folder, and prints milliseconds per page and the big/small ratio.
Run: ``.venv/bin/python benchmarks/listing.py``.
"""

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))
from ramod_process import RamodProcess  # noqa: E402

from bench import boto3_client  # noqa: E402


def key_of(i: int, folders: int, per_folder: int) -> str:
    return f"folder-{i % folders:02d}/sub-{(i // folders) % 100:02d}/object-{i:09d}.dat"


def fill(db_path: Path, bucket: str, count: int, folders: int) -> None:
    """Insert ``count`` object rows sharing the bucket's seed object's blob."""
    con = sqlite3.connect(db_path)
    with con:
        bucket_id, = con.execute("SELECT id FROM bucket WHERE name = ?", (bucket,)).fetchone()
        row = con.execute("SELECT blob_id, size, etag, last_modified, headers, checksums "
                          "FROM object WHERE bucket_id = ? AND key = 'seed'", (bucket_id,)).fetchone()
        blob_id, size, etag, modified, headers, sums = row
        batch = []
        for i in range(count):
            batch.append((bucket_id, key_of(i, folders, count // folders), blob_id, size, etag,
                          modified, None, headers, sums, "STANDARD"))
            if len(batch) == 50_000:
                con.executemany(_INSERT, batch)
                batch.clear()
        con.executemany(_INSERT, batch)
        con.execute("UPDATE blob SET refcount = refcount + ? WHERE blob_id = ?", (count, blob_id))
    con.close()


_INSERT = ("INSERT INTO object (bucket_id, key, blob_id, size, etag, last_modified, "
           "content_type, headers, checksums, storage_class) VALUES (?,?,?,?,?,?,?,?,?,?)")


def _entries(response) -> int:
    return len(response.get("Contents", [])) + len(response.get("CommonPrefixes", []))


def timed(call, repeat: int) -> float:
    """Median milliseconds of ``call()`` over ``repeat`` runs (after one warm-up)."""
    call()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--folders", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ramo-list-") as tmp:
        server = RamodProcess(Path(tmp))
        server.start()
        s3 = boto3_client(server.endpoint)
        for name in ("small", "big"):
            s3.create_bucket(Bucket=name)
            s3.put_object(Bucket=name, Key="seed", Body=b"x")
        for i in range(1000):
            s3.copy_object(Bucket="small", Key=key_of(i, args.folders, 1000),
                           CopySource={"Bucket": "small", "Key": "seed"})
        server.stop()
        started = time.perf_counter()
        fill(server.data_dir / "ramo.sqlite3", "big", args.keys, args.folders)
        print(f"inserted {args.keys:,} rows in {time.perf_counter() - started:.1f} s")
        server.start()
        s3 = boto3_client(server.endpoint)
        middle = key_of(args.keys // 2, args.folders, 0)
        cases = {
            "first page (1000 keys)": {},
            "page after a key in the middle": {"StartAfter": middle},
            "last page": {"StartAfter": "folder-%02d/sub-99/" % (args.folders - 1)},
            "delimiter '/' at the root": {"Delimiter": "/"},
            "delimiter '/' inside a folder": {"Delimiter": "/", "Prefix": "folder-00/"},
            "prefix of one sub-folder": {"Prefix": "folder-01/sub-42/"},
        }
        print(f"{'ListObjectsV2 page':32} {'bucket of 1,000':>22} {f'bucket of {args.keys:,}':>24}"
              f" {'ms/entry ratio':>15}")
        for label, params in cases.items():
            cells = []
            for name in ("small", "big"):
                entries = _entries(s3.list_objects_v2(Bucket=name, **params))
                ms = timed(lambda: s3.list_objects_v2(Bucket=name, **params), args.repeat)
                cells.append((entries, ms))
            (n1, t1), (n2, t2) = cells
            ratio = (t2 / max(n2, 1)) / (t1 / max(n1, 1))
            print(f"{label:32} {n1:6} entries {t1:7.1f}ms {n2:8} entries {t2:7.1f}ms {ratio:10.2f}x")
        r = s3.list_objects_v2(Bucket="big", Delimiter="/")
        print("root delimiter listing returned",
              [p["Prefix"] for p in r.get("CommonPrefixes", [])], "and", r["KeyCount"], "entries")
        server.stop()


if __name__ == "__main__":
    main()
