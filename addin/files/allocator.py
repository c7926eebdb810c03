"""The C allocator of a short-lived process that works on large arrays (glibc only).

pandas and numpy make and drop many arrays of a column's size (8 MB per million lines); glibc
serves blocks above its mmap threshold with a fresh mapping and gives them back on free, and
gives the top of its heap back beyond its trim threshold, so each new array faults in zeroed
pages again. A cached ``orderdesk otd`` on a million lines spent 1.1 s of its 2.4 s in the
kernel for that; with freed memory kept for reuse, 0.45 s (bench/README.md, issue 19).

Arrow's own allocations (the parsed cells, their encoding) go to jemalloc, which gives freed
memory back sooner than Arrow's default mimalloc: ``orderdesk risk`` on a million lines peaked
at 559 MiB against 615 MiB, ``otd`` at 580 against 710, in the same time (bench/README.md).

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
    _arrow_on_jemalloc()
    return ok


def give_back_freed_memory() -> None:
    """The memory freed so far given back to the system: what :func:`keep_freed_memory` keeps for
    reuse (glibc's ``malloc_trim``) and Arrow's pool's unused pages. For the point where a command
    drops most of what it held and goes on with little (the risk copy once the risks are known):
    its peak stays the read's, not the read's plus what comes after. Does nothing elsewhere."""
    import ctypes
    import sys
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None).malloc_trim(0)
        except (OSError, AttributeError):
            pass
    pa = sys.modules.get("pyarrow")
    if pa is not None:
        try:
            pa.default_memory_pool().release_unused()
        except AttributeError:
            pass


def _arrow_on_jemalloc() -> None:
    """Arrow's default memory pool set to jemalloc where pyarrow was built with it (its Linux
    wheels; the build's ``arrow/util/config.h`` says so), unless the user chose one
    (``ARROW_DEFAULT_MEMORY_POOL``). pyarrow is not imported for it (``--help`` stays fast): the
    variable is read when Arrow first allocates; if pyarrow is already in use, its pool is set."""
    import os
    import sys
    if "ARROW_DEFAULT_MEMORY_POOL" in os.environ or not _arrow_has_jemalloc():
        return
    if "pyarrow" in sys.modules:
        pa = sys.modules["pyarrow"]
        try:
            pa.set_memory_pool(pa.jemalloc_memory_pool())
        except (NotImplementedError, AttributeError):
            pass
        return
    os.environ["ARROW_DEFAULT_MEMORY_POOL"] = "jemalloc"


def _arrow_has_jemalloc() -> bool:
    import importlib.util
    from pathlib import Path
    try:
        spec = importlib.util.find_spec("pyarrow")
        places = list(spec.submodule_search_locations or []) if spec is not None else []
    except (ImportError, ValueError):
        return False
    for place in places:
        try:
            config = (Path(place) / "include" / "arrow" / "util" / "config.h").read_text(encoding="utf-8",
                                                                                     errors="replace")
        except OSError:
            continue
        return "#define ARROW_JEMALLOC\n" in config
    return False
