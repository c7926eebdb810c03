"""The C allocator of a short-lived process that works on large arrays (glibc only).

pandas and numpy make and drop many arrays of a column's size (8 MB per million lines); glibc
serves blocks above its mmap threshold with a fresh mapping and gives them back on free, and
gives the top of its heap back beyond its trim threshold, so each new array faults in zeroed
pages again. A cached ``orderdesk otd`` on a million lines spent 1.1 s of its 2.4 s in the
kernel for that; with freed memory kept for reuse, 0.45 s (bench/README.md, issue 19).

Only for processes that end when their work is done (the command line, the forked parser):
never for the Excel add-in's long-lived Python, which would keep its peak for its lifetime.
"""
from __future__ import annotations

_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_THRESHOLD = -3

_done = False


def keep_freed_memory() -> bool:
    """Blocks up to 256 MB from the heap, up to 1 GB of freed memory kept, the heap grown in
    steps of 64 MB. Returns whether the allocator took the settings (False: not glibc)."""
    global _done
    if _done:
        return True
    import ctypes
    import sys
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    ok = all(mallopt(option, value) == 1 for option, value in (
        (_M_MMAP_THRESHOLD, 256 << 20), (_M_TRIM_THRESHOLD, 1 << 30), (_M_TOP_PAD, 64 << 20)))
    _done = ok
    return ok
