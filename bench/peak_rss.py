"""Peak memory of one `orderdesk` command, split between the process itself and its children
(the forked sheet parser, the cache writer): what ``os.wait4`` reports as one figure (the largest
of the two) in bench/bench.py and bench/bench_riskcopy.py. Prints nothing else; asserts nothing.

    python bench/peak_rss.py risk bench/.cache/ledger_200k_v1.xlsx --out /tmp/r.xlsx --as-of 2026-11-20 -q --no-cache
    ORDERDESK_READ_PARTS=0 python bench/peak_rss.py risk ...     # the sheet parsed whole, one thread
"""
import atexit
import os
import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _report() -> None:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    os.write(2, (f"peak RSS: process {me.ru_maxrss / 1024:.0f} MiB, largest child {kids.ru_maxrss / 1024:.0f} MiB;"
                 f" CPU process {me.ru_utime + me.ru_stime:.2f} s, children {kids.ru_utime + kids.ru_stime:.2f} s\n")
             .encode())


atexit.register(_report)
sys.argv = ["orderdesk"] + sys.argv[1:]
from addin.cli import main  # noqa: E402

main()
