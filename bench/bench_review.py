"""Speed of contract review + capable-to-promise (not a test; CONVENTIONS 12).

1,000 PO lines, 20,000 quote rows, a 3-level BOM of 500 lines (10 products), 10,000 open orders.
Prints the median seconds of compute (reading files is not timed).

    python bench/bench_review.py [--repeat 5]
"""
from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time

import numpy as np
import pandas as pd

from addin.calendar import WorkingCalendar
from addin.promise import Plan
from addin.review import review_lines
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
    stock = canonical("stock", {"part_no": leaves, "on_hand": rng.integers(0, 20000, 300).astype(float),
                                "safety_stock": np.full(300, 100.0), "allocated": np.zeros(300),
                                "purchase_lead_time_days": rng.integers(5, 30, 300).astype(float),
                                "inspection_days": np.full(300, 2.0), "moq": np.full(300, 500.0)})
    purchases = canonical("purchases", {"po_no": [f"PUR-{i}" for i in range(600)],
                                        "part_no": [leaves[i % 300] for i in range(600)],
                                        "qty": rng.integers(100, 5000, 600).astype(float),
                                        "due_date": pd.to_datetime("2026-03-02") + pd.to_timedelta(rng.integers(0, 60, 600), "D")})
    capacity = canonical("capacity", {"line": ["ASSY", "SMT", "TEST"], "hours_per_day": [80.0, 160.0, 40.0]})
    routing = canonical("routing", {"part_no": products + [f"{p}-S{s}" for p in products for s in range(5)],
                                    "line": ["ASSY"] * 10 + ["SMT"] * 50,
                                    "hours_per_unit": [0.2] * 10 + [0.05] * 50})

    def ledger(n: int, prefix: str, open_: bool):
        # most lines are quoted pairs (customer i % 50, part i % 1000); a third are BOM products
        picks = rng.integers(0, 2000, n)
        parts = [products[i % 10] if i % 3 == 0 else sellable[k % 1000] for i, k in enumerate(picks)]
        custs = [customers[k % 50] for k in picks]
        due = pd.to_datetime("2026-03-02") + pd.to_timedelta(rng.integers(5, 120, n), "D")
        cols = {"order_no": [f"{prefix}-{i // 5}" for i in range(n)], "line_no": [str(i % 5 + 1) for i in range(n)],
                "customer": custs, "part_no": parts, "revision": ["A"] * n,
                "qty": rng.integers(10, 2000, n).astype(float), "unit_price": np.full(n, 8.0),
                "currency": ["CNY"] * n, "order_date": [pd.Timestamp("2026-03-01")] * n,
                ("promised_date" if open_ else "requested_date"): due}
        if open_:
            cols["status"] = ["open"] * n
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
    contract, full = [], []
    for _ in range(args.repeat):
        start = time.perf_counter()
        review_lines(orders, quotes, calendar=calendar, history=history, as_of=as_of)
        contract.append(time.perf_counter() - start)
        start = time.perf_counter()
        result = review_lines(orders, quotes, calendar=calendar, history=history, as_of=as_of, plan=plan)
        full.append(time.perf_counter() - start)
    print(f"lines {len(orders)}, quote rows {len(quotes)}, BOM lines {len(plan.bom)}, open orders {len(history)}")
    print(f"verdicts: {result['verdict'].value_counts().to_dict()}")
    print(f"contract review (6 checks): median {statistics.median(contract):.3f} s")
    print(f"with capable-to-promise:    median {statistics.median(full):.3f} s")


if __name__ == "__main__":
    main()
