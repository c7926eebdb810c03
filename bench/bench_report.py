"""How long the monthly workbook takes to write, and LibreOffice (as a proxy for Excel) to
recalculate its live formulas, at a given ledger size. Prints figures; asserts nothing.

    python bench/bench_report.py 10000 100000 [--customers 40 --parts 300 --owners 8] [--no-lo]

The output sets ``LIVE_FORMULA_LIMIT`` in addin/writers/monthly.py: the formula cost
(COUNTIFS passes x data lines) above which the pivots are written as values.
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def ledger_frame(n: int, customers: int, parts: int, owners: int, seed: int = 1):
    import numpy as np
    import pandas as pd
    from addin.schema import LEDGER
    rnd = np.random.default_rng(seed)
    as_of = pd.Timestamp("2026-04-05")
    requested = as_of - pd.to_timedelta(rnd.integers(-60, 420, n), unit="D")
    promised = requested + pd.to_timedelta(rnd.choice([0, 0, 0, 3, 7], n), unit="D")
    late = rnd.random(n) < 0.12
    ship = promised + pd.to_timedelta(np.where(late, rnd.choice([2, 5, 9], n), rnd.choice([-2, 0, 0], n)), unit="D")
    ship = pd.Series(ship).where(pd.Series(ship) <= as_of - pd.Timedelta(days=5))
    frame = pd.DataFrame({f: pd.Series([None] * n, dtype=object) for f in LEDGER})
    frame["order_no"] = [f"PO-{i:06d}" for i in range(n)]
    frame["customer"] = [f"Customer {i}" for i in rnd.integers(0, customers, n)]
    frame["part_no"] = [f"P-{i:05d}" for i in rnd.integers(0, parts, n)]
    frame["owner"] = [f"Owner {i}" for i in rnd.integers(0, owners, n)]
    frame["qty"] = rnd.choice([100.0, 500.0], n)
    frame["shipped_qty"] = np.where(pd.Series(ship).notna(), frame["qty"], np.nan)
    frame["requested_date"] = pd.Series(requested).dt.normalize()
    frame["promised_date"] = pd.Series(promised).dt.normalize()
    frame["ship_date"] = pd.Series(ship, dtype="datetime64[ns]")
    for f, kind in LEDGER.items():
        if kind == "date" and f not in ("requested_date", "promised_date", "ship_date"):
            frame[f] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
        elif kind == "number" and f not in ("qty", "shipped_qty"):
            frame[f] = np.nan
    frame["status"] = np.where(pd.Series(ship).notna(), "shipped", "in_progress").astype(object)
    frame["source_row"] = np.arange(2, n + 2)
    return frame


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sizes", nargs="+", type=int)
    parser.add_argument("--customers", type=int, default=40)
    parser.add_argument("--parts", type=int, default=300)
    parser.add_argument("--owners", type=int, default=8)
    parser.add_argument("--no-lo", action="store_true", help="do not time LibreOffice")
    parser.add_argument("--values", action="store_true", help="write values instead of live formulas")
    parser.add_argument("--lo-timeout", type=float, default=1800)
    args = parser.parse_args()
    from addin.writers.monthly import LIVE_FORMULA_LIMIT, write_report
    import lo
    print(f"LIVE_FORMULA_LIMIT = {LIVE_FORMULA_LIMIT:.2e}")
    for n in args.sizes:
        frame = ledger_frame(n, args.customers, args.parts, args.owners)
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "otd.xlsx"
            t0 = time.perf_counter()
            summary = write_report(frame, month=dt.date(2026, 3, 1), out=out, as_of=dt.date(2026, 4, 5),
                                   live=not args.values)
            t1 = time.perf_counter()
            from addin.writers.monthly import build_model
            cost = build_model(frame, month=dt.date(2026, 3, 1), as_of=dt.date(2026, 4, 5)).cost
            line = (f"{n:>8} lines  cost {cost:.2e}  write {t1 - t0:6.1f} s  size {out.stat().st_size / 1e6:6.1f} MB"
                    f"  OTD {summary.otd:.3f}")
            print(line + ("  (values)" if args.values else "  (live)"), flush=True)
            if not args.no_lo:
                t2 = time.perf_counter()
                try:
                    lo.convert(out, Path(tmp) / "lo", "xlsx", timeout=args.lo_timeout)
                    print(f"{'':>8}   LibreOffice recalculation {time.perf_counter() - t2:6.1f} s", flush=True)
                except Exception as exc:   # a timeout is a result too
                    print(f"{'':>8}   LibreOffice did not finish: {type(exc).__name__} after "
                          f"{time.perf_counter() - t2:6.1f} s", flush=True)


if __name__ == "__main__":
    main()
