"""Which keys of a planned upload already exist, so the person can choose before anything is
replaced.  Asked cheaply: a folder of the plan that holds nothing yet costs one listing,
whatever the number of files going into it; only keys in folders that already hold something
are looked up one by one (in parallel)."""

import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

from ramogui.client.errors import Cancelled

LOOKUPS_IN_PARALLEL = 8


def existing_keys(admin, bucket: str, keys: list[str],
                  cancel: threading.Event | None = None) -> list[str]:
    """The keys of ``keys`` that are objects in ``bucket`` now, sorted.

    :param admin: an ``AdminClient`` (thread-safe: the lookups share it).
    """
    by_folder: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        by_folder[key[:key.rfind("/") + 1]].append(key)
    lookups: list[str] = []
    for folder, folder_keys in by_folder.items():
        _check(cancel)
        if folder and len(folder_keys) > 1 and _is_empty(admin, bucket, folder):
            continue
        lookups.extend(folder_keys)
    if not lookups:
        return []
    with ThreadPoolExecutor(min(LOOKUPS_IN_PARALLEL, len(lookups))) as pool:
        found = pool.map(lambda key: _exists(admin, bucket, key, cancel), lookups)
        return sorted(key for key, exists in zip(lookups, found) if exists)


def _is_empty(admin, bucket: str, folder: str) -> bool:
    """Whether no key at all starts with ``folder``."""
    return not admin.list_objects(bucket, prefix=folder, limit=1)["items"]


def _exists(admin, bucket: str, key: str, cancel: threading.Event | None) -> bool:
    _check(cancel)
    items = admin.list_objects(bucket, prefix=key, limit=1)["items"]
    return bool(items) and items[0]["key"] == key        # ``key`` sorts before ``key…``


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled()
