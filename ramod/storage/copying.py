"""Copying a byte range of an object into a new blob (UploadPartCopy of a range).

Whole-object copies never come here: they share the source's blobs.  A range runs in
one I/O job, a piece at a time, so memory stays at one piece however large it is.
"""

import hashlib

from ramod.protocol import checksums

PIECE = 4 * 1024 * 1024


def copy_range(blobs, segments: list, offset: int, length: int, algorithm: str | None) -> tuple:
    """(I/O thread) copy ``length`` bytes at ``offset`` of an object's segments into a new
    committed blob; return ``(staging, md5 digest, checksum b64 or None)``.

    The caller records the blob in the metadata, then releases (or on failure discards)
    the staging file.  FileNotFoundError: the source went away before it was pinned.
    """
    staging = blobs.new_staging()
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
        blobs.commit(staging)
    except BaseException:
        blobs.discard(staging)
        raise
    finally:
        reader.close()
    return staging, md5.digest(), checksum.b64digest() if checksum else None
