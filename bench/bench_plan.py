"""Speed of the PMC plan (issue 16; not a test, CONVENTIONS 12).

10,000 open order lines of 1,000 products; a 3-level BOM (product -> 3 sub-assemblies -> 2 modules
+ 3 parts; module -> 4 parts) over 20,000 part numbers (1,000 products, 2,000 sub-assemblies,
2,000 modules, 15,000 bought parts, an eighth of the module parts with an alternate); stock of every bought part,
5,000 open purchase lines, 10 production lines with routings. Prints the median seconds of
compute, wall and CPU (reading files is not timed), and what the plan found.

    python bench/bench_plan.py [--repeat 3]
"""
from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time

import numpy as np
import pandas as pd

from addin.compute.calendar import WorkingCalendar
from addin.compute.plan import plan_orders
from addin.compute.promise import Plan
from bench_review import canonical


def build(seed: int = 7):
    rng = np.random.default_rng(seed)
    as_of = dt.date(2026, 3, 2)
    products = [f"P-{i}" for i in range(1000)]
    subs = [f"S-{i}" for i in range(2000)]
    modules = [f"M-{i}" for i in range(2000)]
    parts = [f"C-{i}" for i in range(15000)]
    bom = {"parent": [], "component": [], "qty_per": [], "scrap_pct": [], "alternates": []}

    def line(parent: str, component: str, qty: float, scrap: float = 0.0, alternates: tuple = ()) -> None:
        bom["parent"].append(parent)
        bom["component"].append(component)
        bom["qty_per"].append(qty)
        bom["scrap_pct"].append(scrap)
        bom["alternates"].append(alternates)

    for i, product in enumerate(products):
        for k in range(3):
            line(product, subs[(i * 2 + k) % 2000], 1 + k % 2)
    for i, sub in enumerate(subs):
        for k in range(2):
            line(sub, modules[(i + k * 1000) % 2000], 1)
        for k in range(3):
            line(sub, parts[i * 3 + k], 2, 1.0)                     # parts 0..5,999
    for i, module in enumerate(modules):
        for k in range(4):
            part = 6000 + i * 4 + k                                  # parts 6,000..13,999
            alt = (parts[14000 + (part - 6000) // 8],) if part % 8 == 0 else ()  # alternates 14,000..14,999
            line(module, parts[part], 1 + k, 2.0, alt)
    n_bom = len(bom["parent"])
    bom = canonical("bom", bom | {"dnp": [False] * n_bom})
    # most parts stocked for the demand (about 3,000 each over the 10,000 lines), a fifth short
    on_hand = np.where(rng.random(15000) < 0.2, rng.integers(0, 2000, 15000), rng.integers(3000, 20000, 15000))
    stock = canonical("stock", {"part_no": parts, "on_hand": on_hand.astype(float),
                                "safety_stock": np.full(15000, 50.0), "allocated": np.zeros(15000),
                                "purchase_lead_time_days": rng.integers(5, 40, 15000).astype(float),
                                "inspection_days": np.full(15000, 2.0),
                                "moq": rng.choice([100.0, 500.0, 1000.0, np.nan], 15000)})
    purchases = canonical("purchases", {"po_no": [f"PUR-{i}" for i in range(5000)],
                                        "part_no": [parts[int(k)] for k in rng.integers(0, 15000, 5000)],
                                        "qty": rng.integers(100, 5000, 5000).astype(float),
                                        "due_date": pd.Timestamp("2026-02-20")
                                        + pd.to_timedelta(rng.integers(0, 80, 5000), "D")})
    purchases["supplier"] = pd.Series([f"Supplier {i % 300}" for i in range(5000)], dtype=object)
    # assembly lines L0-L4, sub-assembly lines L5-L9: loaded about 70-90 % over the 120 days
    capacity = canonical("capacity", {"line": [f"L{i}" for i in range(10)],
                                      "hours_per_day": [500.0] * 5 + [800.0] * 5})
    routing = canonical("routing", {"part_no": products + subs,
                                    "line": [f"L{i % 5}" for i in range(1000)] + [f"L{5 + i % 5}" for i in range(2000)],
                                    "hours_per_unit": [0.5] * 1000 + [0.2] * 2000})
    n = 10000
    orders = canonical("ledger", {
        "order_no": [f"SO-{i // 4}" for i in range(n)], "line_no": [str(i % 4 + 1) for i in range(n)],
        "customer": [f"CUST-{i % 80}" for i in range(n)], "part_no": [products[int(k)] for k in rng.integers(0, 1000, n)],
        "qty": rng.integers(5, 60, n).astype(float), "priority": [("A", "B", "C")[i % 3] for i in range(n)],
        "promised_date": pd.Timestamp("2026-02-25") + pd.to_timedelta(rng.integers(0, 120, n), "D"),
        "status": ["open"] * n})
    factory = Plan(bom=bom, stock=stock, purchases=purchases, capacity=capacity, routing=routing,
                   inspection_days=1, transport_days=2)
    return orders, factory, as_of


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    orders, factory, as_of = build()
    calendar = WorkingCalendar.cn()
    walls, cpus = [], []
    for _ in range(args.repeat):
        start, cpu = time.perf_counter(), time.process_time()
        plan = plan_orders(orders, factory, calendar=calendar, as_of=as_of)
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    alternates = pd.Series([a for alts in factory.bom["alternates"] for a in alts], dtype=object)
    parts = pd.concat([factory.bom["parent"], factory.bom["component"], alternates]).nunique()
    print(f"open lines {len(orders)}, BOM lines {len(factory.bom)}, part numbers {parts}, "
          f"stock rows {len(factory.stock)}, open purchase lines {len(factory.purchases)}")
    print(f"found: {len(plan.shortages)} parts short ({int(plan.shortages['order_late'].sum())} to order today), "
          f"{len(plan.blocked)} lines blocked, {len(plan.late_purchases)} purchase lines late or at risk, "
          f"{int(plan.capacity['overloaded'].sum())} overloaded line-weeks of {len(plan.capacity)}")
    # CPU seconds too: the machine is shared, so wall time varies with others' load
    print(f"plan compute: median {statistics.median(walls):.3f} s (CPU {statistics.median(cpus):.3f} s), "
          f"min {min(walls):.3f} s, of {args.repeat}")


if __name__ == "__main__":
    main()
