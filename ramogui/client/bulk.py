"""Deleting many objects at once: selected keys and whole folders (every key under a prefix)."""

from dataclasses import dataclass, field

from ramoclient.admin import MAX_DELETE_KEYS, AdminClient


MAX_ERRORS_KEPT = 50


@dataclass
class DeleteReport:
    """How many objects went, how many could not, and why (the first few)."""

    deleted: int = 0
    failed: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)      # (key, message)


def delete_entries(admin: AdminClient, bucket: str, keys: list[str],
                   prefixes: list[str]) -> DeleteReport:
    """Delete ``keys`` and every object under each of ``prefixes``, a thousand per request.

    Folders are walked page by page, so a folder of millions of keys is never held in
    memory at once.
    """
    report = DeleteReport()
    batch: list[str] = []

    def flush():
        if batch:
            answer = admin.delete_objects(bucket, batch)
            report.deleted += len(answer.get("deleted", []))
            errors = answer.get("errors", [])
            report.failed += len(errors)
            room = MAX_ERRORS_KEPT - len(report.errors)
            report.errors.extend((error["key"], error["message"]) for error in errors[:room])
            batch.clear()

    def add(key):
        batch.append(key)
        if len(batch) == MAX_DELETE_KEYS:
            flush()

    for key in keys:
        add(key)
    flush()       # so the walks below don't meet keys already queued
    for prefix in prefixes:
        for item in admin.iter_objects(bucket, prefix=prefix, page_size=MAX_DELETE_KEYS):
            add(item["key"])
        flush()
    return report
