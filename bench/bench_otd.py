"""Speed of the OTD engine: classify, summarise, risk, root causes (not a test; CONVENTIONS 12).

A canonical ledger of N lines (object text columns, as the reader returns them), ~30 % late
with 2,000 distinct notes, per-customer tolerances and an early window, value weighting.
Prints the median seconds of compute (no file reading).

    python bench/bench_otd.py [--lines 1000000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time

import numpy as np
import pandas as pd

from addin.compute.calendar import WorkingCalendar
from addin.compute.otd import OtdSettings, classify, summarise
from addin.compute.risk import assess_risk
from addin.compute.rootcause import pareto

AS_OF = dt.date(2026, 6, 1)


def ledger(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    due = np.datetime64("2025-01-01") + rng.integers(0, 560, n).astype("timedelta64[D]")
    ship = due + rng.integers(-10, 15, n).astype("timedelta64[D]")
    ship = np.where(rng.random(n) < 0.2, np.datetime64("NaT"), ship)

    def text(values, size=n):
        return pd.Series(rng.choice(values, size), dtype=object)

    return pd.DataFrame({
        "order_no": pd.Series([f"PO{i}" for i in range(n)], dtype=object),
        "customer": text(["ACME", "Beta", "Gamma", "华为", None]),
        "part_no": text([f"P{i}" for i in range(5000)]),
        "owner": text(["张三", "李四", "王五"]),
        "qty": rng.integers(1, 100, n).astype(float), "unit_price": rng.random(n),
        "shipped_qty": rng.integers(1, 100, n).astype(float),
        "requested_date": pd.to_datetime(due - 3), "first_promised_date": pd.to_datetime(due - 1),
        "promised_date": pd.to_datetime(due), "ship_date": pd.to_datetime(ship),
        "status": text(["open", "in_progress", "shipped", "cancelled", None]),
        "exception_type": text(["缺料", None, "quality", "其他"]),
        "exception_note": text([f"第{i}批 设备故障" for i in range(2000)] + [None]),
        "planned_qc_date": pd.to_datetime(due - 5),
        "source_row": np.arange(n) + 2,
    })


def timed(label: str, repeat: int, fn) -> object:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    print(f"{label:<34} {statistics.median(times):7.3f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    frame = ledger(args.lines)
    settings = OtdSettings(customer_tolerances={"ACME": (2, None)}, early_tolerance=3, weight="value")
    calendar = WorkingCalendar.cn()
    print(f"{args.lines:,} lines, median of {args.repeat}")
    classified = timed("classify", args.repeat, lambda: classify(frame, AS_OF, settings))
    timed("summarise by customer, month", args.repeat, lambda: summarise(classified, ["customer", "month"], settings))
    timed("pareto", args.repeat, lambda: pareto(classified))
    timed("assess_risk", args.repeat, lambda: assess_risk(frame, AS_OF, calendar, 3))


if __name__ == "__main__":
    main()
