"""Copying a byte range of an object into a new blob (UploadPartCopy of a range).

Whole-object copies never come here: they share the source's blobs.  A range runs in
one I/O job, a piece at a time, so memory stays at one piece however large it is.
"""

import hashlib

from ramod.protocol import checksums

PIECE = 4 * 1024 * 1024


def copy_range(staging, blobs, segments: list, offset: int, length: int,
               algorithm: str | None) -> tuple:
    """(I/O thread) write ``length`` bytes at ``offset`` of an object's segments into
    ``staging``; return ``(md5 digest, checksum b64 or None)``.

    A ``fill`` for ``Ingest.commit``, which commits the staging file in the same job and
    discards it on failure.  FileNotFoundError: the source went away before it was pinned.
    """
    md5 = hashlib.md5()
    checksum = checksums.new_checksum(algorithm) if algorithm else None
    reader, _ = blobs.open_segments(segments, offset, 0)
    try:
        done = 0
        while done < length:
            data = reader.read(offset + done, min(PIECE, length - done))
            if not data:
                raise OSError(f"the source object ended {length - done} bytes early")
            md5.update(data)
            if checksum is not None:
                checksum.update(data)
            staging.write_at([data], done)
            done += len(data)
        if length == 0:
            staging.write_at([], 0)
    finally:
        reader.close()
    return md5.digest(), checksum.b64digest() if checksum else None
