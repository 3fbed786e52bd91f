"""Moving whole files: planning what a drop or a selection means, uploading one file (one PUT
or a multipart upload with parts in parallel) and downloading one object to disk.

No Qt: ``workers/transfer_queue.py`` runs these on its threads.  Each transfer reports the
bytes moved through ``on_progress(n)`` (from several threads for a multipart upload, one at a
time) and stops at ``cancel.set()`` with ``Cancelled``.

Planning never raises for one bad entry: an item whose ``problem`` is set could not be planned
(unreadable folder, pipe, link to a folder, a key that would land outside the destination)
and the queue shows it as a failed transfer with that reason.

Local names are never overwritten: a download to a name that is taken (on disk, or by another
item of the same plan) is saved as ``name (1).ext``, ``name (2).ext``, ...; a downloaded
folder whose name is taken becomes ``folder (1)``.
"""

import logging
import mimetypes
import os
import stat
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Callable, Iterable

from ramoclient.admin import AdminClient
from ramogui.client.errors import Cancelled, ClientError, describe
from ramogui.client.s3 import S3Client

log = logging.getLogger(__name__)

MiB = 1024 * 1024
PART_SIZE = 8 * MiB
MULTIPART_THRESHOLD = 16 * MiB
MIN_PART_SIZE = 5 * MiB          # S3's (and ramod's) smallest part but the last
MAX_PARTS = 10_000
PARALLEL_PARTS = 4

Progress = Callable[[int], None]


class TransferError(ClientError):
    """A transfer that cannot go on: the file changed, the download came up short, a key that
    cannot be saved safely."""


@dataclass(frozen=True)
class UploadItem:
    """A local file to upload as ``key``; ``problem`` says why it cannot be."""

    path: str
    key: str
    size: int
    problem: str = ""


@dataclass(frozen=True)
class DownloadItem:
    """An object to save as ``path``; ``problem`` says why it cannot be."""

    bucket: str
    key: str
    path: str
    size: int
    problem: str = ""


# -- uploads ---------------------------------------------------------------------------------

def plan_uploads(paths: Iterable[str], prefix: str = "",
                 cancel: threading.Event | None = None) -> list[UploadItem]:
    """The files a drop of ``paths`` on the folder ``prefix`` uploads.

    A file becomes ``prefix + name``; a folder is walked and keeps its own name
    (``/home/u/photos`` on ``a/`` gives ``a/photos/x.jpg``).  Links to files are followed,
    links to folders inside a walked folder are not (no loops); empty folders give nothing.
    """
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    items: list[UploadItem] = []
    for path in paths:
        path = os.path.abspath(path)
        name = os.path.basename(path.rstrip(os.sep)) or path
        if os.path.isdir(path):
            _walk(path, prefix + name + "/", items, cancel)
        else:
            items.append(_file_item(path, prefix + name))
    return items


def _walk(root: str, key_base: str, items: list[UploadItem],
          cancel: threading.Event | None) -> None:
    """Depth first, names sorted: a folder's files, then its sub-folders."""
    stack = [(root, key_base)]
    while stack:
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        folder, base = stack.pop()
        try:
            with os.scandir(folder) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError as exc:
            items.append(UploadItem(folder, base, 0, describe(exc)))
            continue
        folders = []
        for entry in entries:
            key = base + entry.name
            try:
                if entry.is_dir(follow_symlinks=False):
                    folders.append((entry.path, key + "/"))
                elif entry.is_symlink() and entry.is_dir():
                    items.append(UploadItem(entry.path, key, 0,
                                            f"{entry.path} is a link to a folder; links to "
                                            f"folders are not followed."))
                else:
                    items.append(_file_item(entry.path, key))
            except OSError as exc:
                items.append(UploadItem(entry.path, key, 0, describe(exc)))
        stack.extend(reversed(folders))


def _file_item(path: str, key: str) -> UploadItem:
    try:
        info = os.stat(path)
    except OSError as exc:
        return UploadItem(path, key, 0, describe(exc))
    problem = _not_a_file(path, info) or _unnamable(key)
    if not problem and not os.access(path, os.R_OK):
        problem = f"Permission denied: {path}"
    return UploadItem(path, key, info.st_size, problem)


def _not_a_file(path: str, info: os.stat_result) -> str:
    if stat.S_ISREG(info.st_mode):
        return ""
    what = "a folder" if stat.S_ISDIR(info.st_mode) else "a pipe, socket or device"
    return f"{path} is {what}, not a file."


def _unnamable(key: str) -> str:
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        return f"The name {key!r} is not valid UTF-8, which S3 keys must be."
    return ""


def upload_file(s3: S3Client, path: str, bucket: str, key: str, *,
                on_progress: Progress | None = None, cancel: threading.Event | None = None,
                part_size: int = PART_SIZE, multipart_threshold: int = MULTIPART_THRESHOLD,
                parallel: int = PARALLEL_PARTS, content_type: str | None = None) -> str:
    """Upload the file ``path`` as ``bucket/key``; the object's ETag.

    Below ``multipart_threshold`` bytes: one PUT.  Above: a multipart upload of
    ``part_size`` parts (at least 5 MiB, grown so there are at most 10,000), ``parallel`` of
    them in flight, so about ``parallel * part_size`` bytes are in memory at a time.  On any
    failure or cancel the multipart upload is aborted and the exception propagates.

    :param content_type: default: guessed from the file name.
    :raises TransferError: the file changed size or time while it was read.
    :raises Cancelled: ``cancel`` was set.
    """
    if cancel is not None and cancel.is_set():
        raise Cancelled()
    info = os.stat(path)
    problem = _not_a_file(path, info)
    if problem:
        raise TransferError(problem)
    if content_type is None:
        content_type = mimetypes.guess_type(path)[0]
    with open(path, "rb") as file:
        info = os.fstat(file.fileno())
        if info.st_size < multipart_threshold:
            data = file.read(info.st_size + 1)
            _check_unchanged(path, file, info, len(data))
            return s3.put_object(bucket, key, data, content_type=content_type,
                                 on_progress=on_progress, cancel=cancel)
        return _multipart(s3, path, file, info, bucket, key, content_type,
                          choose_part_size(info.st_size, part_size), max(1, parallel),
                          _serialized(on_progress), cancel)


def choose_part_size(size: int, part_size: int = PART_SIZE) -> int:
    """``part_size``, raised to S3's 5 MiB minimum and, in whole MiB, to what keeps a file of
    ``size`` bytes within 10,000 parts."""
    needed = _ceil_div(_ceil_div(size, MAX_PARTS), MiB) * MiB
    return max(part_size, MIN_PART_SIZE, needed)


def _multipart(s3, path, file, info, bucket, key, content_type, part_size, parallel,
               on_progress, cancel) -> str:
    size = info.st_size
    count = _ceil_div(size, part_size)
    # Parts stop on ``stop``: set by the user's cancel (seen at the next slice sent) or by
    # the failure of another part, so one failure does not wait for the other uploads.
    stop, read_lock = threading.Event(), threading.Lock()

    def progress(moved: int) -> None:
        if cancel is not None and cancel.is_set():
            stop.set()
        if on_progress is not None:
            on_progress(moved)

    def send(number: int) -> tuple[int, str]:
        if stop.is_set() or (cancel is not None and cancel.is_set()):
            raise Cancelled()
        offset = (number - 1) * part_size
        length = min(part_size, size - offset)
        with read_lock:
            file.seek(offset)
            data = file.read(length)
        if len(data) != length:
            raise TransferError(f"{path} became shorter while it was being uploaded.")
        return number, s3.upload_part(bucket, key, upload_id, number, data,
                                      on_progress=progress, cancel=stop)

    upload_id = s3.create_multipart_upload(bucket, key, content_type)
    try:
        # Parts are read by the pool's threads when they start one, never ahead.
        with ThreadPoolExecutor(parallel, thread_name_prefix="ramogui-part") as pool:
            futures = [pool.submit(send, number) for number in range(1, count + 1)]
            try:
                etags = dict(future.result() for future in as_completed(futures))
            except BaseException:
                stop.set()
                for future in futures:
                    future.cancel()
                raise
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        file.seek(size)
        _check_unchanged(path, file, info, size + len(file.read(1)))
        return s3.complete_multipart_upload(bucket, key, upload_id, sorted(etags.items()))
    except BaseException:
        # The first failure to complete is raised: parts stopped because of it raise
        # Cancelled only later.
        try:
            s3.abort_multipart_upload(bucket, key, upload_id)
        except ClientError as abort_exc:
            log.warning("could not abort the upload %s of %s/%s: %s", upload_id, bucket, key,
                        abort_exc)
        raise


def _check_unchanged(path: str, file, before: os.stat_result, bytes_read: int) -> None:
    after = os.fstat(file.fileno())
    if (bytes_read != before.st_size or after.st_size != before.st_size
            or after.st_mtime_ns != before.st_mtime_ns):
        raise TransferError(f"{path} changed while it was being uploaded "
                            f"({before.st_size} bytes before, {after.st_size} after).")


def _serialized(on_progress: Progress | None) -> Progress | None:
    """``on_progress`` called one thread at a time."""
    if on_progress is None:
        return None
    lock = threading.Lock()

    def report(moved: int) -> None:
        with lock:
            on_progress(moved)
    return report


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


# -- downloads -------------------------------------------------------------------------------

def plan_downloads(admin: AdminClient, bucket: str, keys: Iterable[str],
                   prefixes: Iterable[str], dest_dir: str,
                   cancel: threading.Event | None = None) -> list[DownloadItem]:
    """The objects a download of ``keys`` and "folders" ``prefixes`` into ``dest_dir`` saves.

    A key is saved under its last name; a prefix ``a/photos/`` as the folder ``photos`` with
    every object below it at its relative path.  Folder markers (keys ending in ``/``) are
    skipped.  A key that would be saved outside ``dest_dir`` (``..``, an absolute path, NUL)
    is refused with a reason.
    """
    dest_dir = os.path.abspath(dest_dir)
    prefixes = [p if not p or p.endswith("/") else p + "/" for p in prefixes]
    claimed: set[str] = set()
    items: list[DownloadItem] = []
    for key in keys:
        _check_cancel(cancel)
        try:
            found = next(iter(admin.list_objects(bucket, prefix=key, limit=1)["items"]), None)
        except Exception as exc:  # noqa: BLE001 - any failure is this item's reason
            items.append(DownloadItem(bucket, key, "", 0, describe(exc)))
            continue
        if found is None or found["key"] != key:
            items.append(DownloadItem(bucket, key, "", 0,
                                      f"The object {key} is no longer in the bucket {bucket}."))
            continue
        items.append(_download_item(bucket, key, found["size"], dest_dir,
                                    key.rsplit("/", 1)[-1], claimed))
    for prefix in prefixes:
        folder = prefix.rstrip("/").rsplit("/", 1)[-1] or bucket
        top = _free_name(os.path.join(dest_dir, folder), claimed) if _safe_name(folder) else ""
        base = os.path.basename(top)
        try:
            for entry in admin.iter_objects(bucket, prefix=prefix):
                _check_cancel(cancel)
                if entry["key"].endswith("/"):
                    continue
                items.append(_download_item(bucket, entry["key"], entry["size"], dest_dir,
                                            base + "/" + entry["key"][len(prefix):], claimed))
        except Cancelled:
            raise
        except Exception as exc:  # noqa: BLE001
            items.append(DownloadItem(bucket, prefix, "", 0, describe(exc)))
    return items


def _download_item(bucket: str, key: str, size: int, dest_dir: str, relative: str,
                   claimed: set[str]) -> DownloadItem:
    problem = key_problem(key) or key_problem(relative)
    if problem:
        return DownloadItem(bucket, key, "", size, problem)
    path = os.path.join(dest_dir, *relative.split("/"))
    if os.path.commonpath([dest_dir, os.path.abspath(path)]) != dest_dir:   # belt and braces
        return DownloadItem(bucket, key, "", size, _outside(key))
    return DownloadItem(bucket, key, _free_name(path, claimed), size)


def key_problem(key: str) -> str:
    """Why ``key`` (or a path made from it) cannot be saved as a local file; ``""`` if it can."""
    if "\0" in key:
        return f"Refused: the key {key!r} contains a NUL character."
    parts = key.split("/")
    if key.startswith("/") or any(not _safe_name(part) for part in parts[:-1] if part) \
            or not _safe_name(parts[-1]):
        return _outside(key)
    return ""


def _safe_name(name: str) -> bool:
    """A name that stays one entry of its folder on this system."""
    if name in ("", ".", "..") or "/" in name or "\0" in name:
        return False
    for sep in (os.sep, os.altsep):
        if sep and sep in name:
            return False
    return not (os.name == "nt" and ":" in name)


def _outside(key: str) -> str:
    return (f"Refused: the key {key!r} cannot be saved safely: it would be written outside "
            f"the destination folder or has no file name.")


def _free_name(path: str, claimed: set[str] | None = None) -> str:
    """``path``, or ``stem (n).ext`` with the smallest n that is neither on disk nor claimed;
    the name returned is added to ``claimed``."""
    claimed = set() if claimed is None else claimed
    stem, ext = os.path.splitext(path)
    candidate, n = path, 0
    while os.path.lexists(candidate) or candidate in claimed:
        n += 1
        candidate = f"{stem} ({n}){ext}"
    claimed.add(candidate)
    return candidate


def _place(part_path: str, dest_path: str, overwrite: bool) -> str:
    """Move the finished ``.part`` file to ``dest_path``, or (not ``overwrite``) to the first
    free ``name (n).ext``: hard-linked, so that a file appearing at that name meanwhile is
    never replaced; where the file system has no hard links, renamed after a check."""
    if overwrite:
        os.replace(part_path, dest_path)
        return dest_path
    claimed: set[str] = set()
    while True:
        final = _free_name(dest_path, claimed)
        try:
            os.link(part_path, final)
        except FileExistsError:
            continue                         # taken since the check: the next name
        except OSError:                      # no hard links here (FAT, some network shares)
            os.replace(part_path, final)
            return final
        os.unlink(part_path)
        return final


def _check_cancel(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled()


def download_object(s3: S3Client, bucket: str, key: str, dest_path: str, *,
                    on_progress: Progress | None = None, cancel: threading.Event | None = None,
                    overwrite: bool = False) -> str:
    """Save ``bucket/key`` as ``dest_path``; the path written.

    The body goes to ``dest_path + ".part"`` in the same folder, is synced, checked against
    the object's size and renamed into place; on failure or cancel the ``.part`` file is
    removed.  Unless ``overwrite``, a name taken meanwhile gives ``name (1).ext``.
    """
    _check_cancel(cancel)
    folder = os.path.dirname(os.path.abspath(dest_path))
    os.makedirs(folder, exist_ok=True)
    with s3.open_object(bucket, key) as reader:
        part_path, out = _open_part(dest_path)
        try:
            with out:
                written = 0
                for data in reader.slices():
                    _check_cancel(cancel)
                    out.write(data)
                    written += len(data)
                    if on_progress is not None:
                        on_progress(len(data))
                out.flush()
                os.fsync(out.fileno())
            if written != reader.head.size:
                raise TransferError(f"The download of {key} ended after {written} of "
                                    f"{reader.head.size} bytes.")
            final = _place(part_path, dest_path, overwrite)
        except BaseException:
            try:
                os.unlink(part_path)
            except OSError:
                pass
            raise
    return final


def _open_part(dest_path: str):
    """A new ``.part`` file next to ``dest_path`` (``.1.part``, ... if one exists already),
    made with the usual permissions."""
    n = 0
    while True:
        path = f"{dest_path}.part" if n == 0 else f"{dest_path}.{n}.part"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                         0o666)
        except FileExistsError:
            n += 1
            continue
        return path, os.fdopen(fd, "wb")
