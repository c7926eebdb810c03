"""Python time of the worksheet functions on large columns (not a test: prints figures).

    python bench/bench_udf.py [rows]

OD_RISK over 100,000 rows must stay under 0.2 s of Python time (SPEC section 7 budget): the
arguments are built as Excel hands them over (tuples of 1-tuples, serial floats, None)."""
from __future__ import annotations

import datetime as dt
import random
import sys
import time


def main(rows: int = 100_000) -> None:
    from addin.excel import udfs
    rng = random.Random(7)
    base = (dt.date(2026, 11, 20) - dt.date(1899, 12, 30)).days
    due = tuple((float(base + rng.randint(-60, 60)),) for _ in range(rows))
    ship = tuple(((float(base + rng.randint(-60, 0)),) if rng.random() < 0.5 else (None,)) for _ in range(rows))
    words = ("open", "生产中", "已出货", "待排产", "closed", "已取消")
    status = tuple((rng.choice(words),) for _ in range(rows))
    notes = tuple((rng.choice(("缺料", "设备故障", None, "客户改单", "PCB来料延期")),) for _ in range(rows))
    udfs.OD_RISK(due[:10], ship[:10], status[:10], float(base))  # warm caches (vocabularies, calendar)
    for name, call in (("OD_RISK", lambda: udfs.OD_RISK(due, ship, status, float(base))),
                       ("OD_ROOTCAUSE", lambda: udfs.OD_ROOTCAUSE(notes))):
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            result = call()
            best = min(best, time.perf_counter() - start)
        assert len(result) == rows, result[:1]
        print(f"{name:13s} {rows:>9,} rows  {best * 1000:8.1f} ms (best of 5)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
