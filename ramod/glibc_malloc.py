"""Keep glibc from hoarding the 1 MiB buffers that bodies stream through.

By default glibc serves a 1 MiB allocation with mmap until the first such buffer is
freed, then raises its mmap threshold and serves them from per-thread heaps (one per
thread that allocates: a dozen I/O threads read and write object data).  Each heap
keeps what was freed, and RSS creeps up by tens of MiB during big transfers.  Serving
every buffer with mmap instead is flat but slow (each fresh page faults and is zeroed:
GETs lost 40 %).  The middle way used here: one heap, buffers reused from it (a fixed
mmap threshold above the buffer size) and free memory at its top handed back past
2 MiB.  Measured on a 4 GiB PUT + GET: peak RSS 145 -> 112 MiB (idle: 75 MiB), with
PUT and GET throughput unchanged.  Elsewhere (not glibc) this does nothing.
"""

import ctypes
import ctypes.util

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8

SETTINGS = (
    (M_ARENA_MAX, 1),
    (M_MMAP_THRESHOLD, 4 * 1024 * 1024),
    (M_TRIM_THRESHOLD, 2 * 1024 * 1024),
)


def tune_allocator() -> bool:
    """Apply the settings; True if glibc accepted them all."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return all([bool(mallopt(param, value)) for param, value in SETTINGS])
