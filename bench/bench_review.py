"""Speed of contract review + capable-to-promise (not a test; CONVENTIONS 12).

1,000 PO lines, 20,000 quote rows, a 3-level BOM of 500 lines (10 products), 10,000 open orders.
Prints the median seconds of compute, wall and CPU (reading files is not timed).

    python bench/bench_review.py [--repeat 5]
"""
from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time

import numpy as np
import pandas as pd

from addin.compute.calendar import WorkingCalendar
from addin.compute.promise import Plan
from addin.compute.review import review_lines
from addin.schema import BOOL, DATE, KINDS, LIST, NUMBER


def canonical(kind: str, columns: dict) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    data = {}
    for field, ftype in KINDS[kind].items():
        if field in columns:
            values = columns[field]
            data[field] = (pd.Series(pd.to_datetime(values), dtype="datetime64[ns]") if ftype == DATE
                           else pd.Series(values, dtype="float64") if ftype == NUMBER
                           else pd.Series(values, dtype=object))
        else:
            data[field] = (pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]") if ftype == DATE
                           else pd.Series(np.nan, index=range(n)) if ftype == NUMBER
                           else pd.Series(False, index=range(n)) if ftype == BOOL
                           else pd.Series([()] * n, dtype=object) if ftype == LIST
                           else pd.Series(None, index=range(n), dtype=object))
    frame = pd.DataFrame(data)
    frame["source_row"] = np.arange(2, n + 2)
    return frame


def build(seed: int = 1):
    rng = np.random.default_rng(seed)
    as_of = dt.date(2026, 3, 2)
    customers = [f"CUST-{i}" for i in range(50)]
    products = [f"P-{i}" for i in range(10)]
    sellable = products + [f"T-{i}" for i in range(990)]
    # quotes: 2,000 (customer, part) pairs x 2 quote numbers x 5 breaks = 20,000 rows
    pairs = [(customers[i % 50], sellable[i % 1000]) for i in range(2000)]
    rows = {k: [] for k in ("quote_no", "customer", "part_no", "revision", "min_qty", "unit_price", "currency",
                            "lead_time_days", "moq", "tooling_charge", "valid_from", "valid_until")}
    for n, (cust, part) in enumerate(pairs):
        for version in range(2):
            for brk, qty in enumerate((1, 100, 500, 1000, 5000)):
                rows["quote_no"].append(f"Q-{n}-{version}")
                rows["customer"].append(cust)
                rows["part_no"].append(part)
                rows["revision"].append("A")
                rows["min_qty"].append(qty)
                rows["unit_price"].append(10.0 - brk)
                rows["currency"].append("CNY")
                rows["lead_time_days"].append(15)
                rows["moq"].append(100)
                rows["tooling_charge"].append(5000.0 if n % 7 == 0 else np.nan)
                rows["valid_from"].append("2025-01-01" if version == 0 else "2026-01-01")
                rows["valid_until"].append("2026-12-31")
    quotes = canonical("quotes", rows)
    # BOM: each product = 5 sub-assemblies, each = 3 modules, each module = 2 leaves (+ leaves under
    # the sub-assembly): 10 x (5 + 5 x (3 + 3 x 2) ... ) trimmed to 500 lines
    bom = {"parent": [], "component": [], "qty_per": [], "scrap_pct": [], "alternates": []}
    leaves = [f"C-{i}" for i in range(300)]
    for p, product in enumerate(products):
        for s in range(5):
            sub = f"{product}-S{s}"
            bom["parent"].append(product); bom["component"].append(sub)
            bom["qty_per"].append(1 + s % 2); bom["scrap_pct"].append(0.0); bom["alternates"].append(())
            for m in range(3):
                module = f"{sub}-M{m}"
                bom["parent"].append(sub); bom["component"].append(module)
                bom["qty_per"].append(1); bom["scrap_pct"].append(1.0); bom["alternates"].append(())
                for k in range(2):
                    leaf = leaves[(p * 30 + s * 6 + m * 2 + k) % 300]
                    bom["parent"].append(module); bom["component"].append(leaf)
                    bom["qty_per"].append(2.0); bom["scrap_pct"].append(2.0)
                    bom["alternates"].append((leaves[(p * 30 + s * 6 + m * 2 + k + 150) % 300],))
    bom = canonical("bom", {k: v[:500] for k, v in bom.items()} | {"dnp": [False] * min(500, len(bom["parent"]))})
    # stock of the BOM leaves and of the traded parts (sold as bought), so lines can be planned
    stocked = leaves + sellable[10:]
    stock = canonical("stock", {"part_no": stocked,
                                "on_hand": rng.integers(0, 20000, len(stocked)).astype(float),
                                "safety_stock": np.full(len(stocked), 100.0), "allocated": np.zeros(len(stocked)),
                                "purchase_lead_time_days": rng.integers(5, 30, len(stocked)).astype(float),
                                "inspection_days": np.full(len(stocked), 2.0), "moq": np.full(len(stocked), 500.0)})
    purchases = canonical("purchases", {"po_no": [f"PUR-{i}" for i in range(600)],
                                        "part_no": [leaves[i % 300] for i in range(600)],
                                        "qty": rng.integers(100, 5000, 600).astype(float),
                                        "due_date": pd.to_datetime("2026-03-02") + pd.to_timedelta(rng.integers(0, 60, 600), "D")})
    # a factory with 10,000 open lines has the hours for them: most lines finish in time
    capacity = canonical("capacity", {"line": ["ASSY", "SMT", "TEST", "PACK"],
                                      "hours_per_day": [3000.0, 6000.0, 40.0, 400.0]})
    routing = canonical("routing", {"part_no": products + [f"{p}-S{s}" for p in products for s in range(5)]
                                    + sellable[10:],
                                    "line": ["ASSY"] * 10 + ["SMT"] * 50 + ["PACK"] * 990,
                                    "hours_per_unit": [0.2] * 10 + [0.05] * 50 + [0.002] * 990})

    def ledger(n: int, prefix: str, open_: bool):
        # every line is a quoted pair (customer k % 50, part k % 1000); a third are BOM products
        # (quoted for customers 0-9). Realistic data, so the common path (pass) is what is timed:
        # the quoted break price, qty at or above the MOQ, requested dates beyond the quoted and
        # the purchase lead times, tooling paid on earlier POs, open orders of smaller quantities.
        picks = rng.integers(0, 2000, n)
        picks = np.where(np.arange(n) % 3 == 0, picks % 10 + 1000 * (picks % 2), picks)
        parts = [sellable[k % 1000] for k in picks]
        custs = [customers[k % 50] for k in picks]
        qty = (rng.integers(10, 200, n) if open_ else rng.integers(100, 2000, n)).astype(float)
        price = 10.0 - np.searchsorted([1, 100, 500, 1000, 5000], qty, side="right") + 1
        due = pd.to_datetime("2026-03-02") + pd.to_timedelta(rng.integers(5 if open_ else 60, 120, n), "D")
        cols = {"order_no": [f"{prefix}-{i // 5}" for i in range(n)], "line_no": [str(i % 5 + 1) for i in range(n)],
                "customer": custs, "part_no": parts, "revision": ["A"] * n,
                "qty": qty, "unit_price": price,
                "currency": ["CNY"] * n, "order_date": [pd.Timestamp("2026-03-01")] * n,
                ("promised_date" if open_ else "requested_date"): due}
        if open_:
            cols["status"] = ["open"] * n
            cols["tooling_charge"] = np.where(np.arange(n) % 5 == 0, 5000.0, np.nan)
        return canonical("ledger", cols)

    orders = ledger(1000, "PO", False)
    open_orders = ledger(10000, "SO", True)
    plan = Plan(bom=bom, stock=stock, purchases=purchases, capacity=capacity, routing=routing,
                open_orders=open_orders, inspection_days=1, transport_days=2)
    return orders, quotes, open_orders, plan, as_of


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    orders, quotes, history, plan, as_of = build()
    calendar = WorkingCalendar.cn()
    contract, full, contract_cpu, full_cpu = [], [], [], []
    for _ in range(args.repeat):
        start, cpu = time.perf_counter(), time.process_time()
        review_lines(orders, quotes, calendar=calendar, history=history, as_of=as_of)
        contract.append(time.perf_counter() - start)
        contract_cpu.append(time.process_time() - cpu)
        start, cpu = time.perf_counter(), time.process_time()
        result = review_lines(orders, quotes, calendar=calendar, history=history, as_of=as_of, plan=plan)
        full.append(time.perf_counter() - start)
        full_cpu.append(time.process_time() - cpu)
    print(f"lines {len(orders)}, quote rows {len(quotes)}, BOM lines {len(plan.bom)}, open orders {len(history)}")
    print(f"verdicts: {result['verdict'].value_counts().to_dict()}")
    # CPU seconds too: the machine is shared, so wall time varies with others' load
    print(f"contract review (6 checks): median {statistics.median(contract):.3f} s"
          f" (CPU {statistics.median(contract_cpu):.3f} s)")
    print(f"with capable-to-promise:    median {statistics.median(full):.3f} s"
          f" (CPU {statistics.median(full_cpu):.3f} s)")


if __name__ == "__main__":
    main()
