"""The supplier scorecard (SPEC section 10): purchase lines measured as order lines.

A purchase ledger is read like a customer ledger (its counterparty is the supplier, its
completion date the receipt date, in full = received ≥ ordered) and classified by
``addin.compute.otd.classify`` with the same rules and settings (``[otd.suppliers]`` tolerances
included). This module only groups the classified lines by supplier. Pure: no file, no clock.

Decisions where SPEC is silent (also said on the Suppliers sheet):

* The month's figures are the cohort of lines due in the report month; the 12-month figures the
  cohort of the twelve months ending with it (both as ``summarise`` counts them).
* **Open overdue** lines are the supplier's lines not received and already late at the as-of date,
  whatever month they were due in (what a buyer must chase today).
* **Quoted lead time** of a line = its due date (promised, else requested) − its order date;
  **actual lead time** = receipt date − order date; both in calendar days, averaged over the
  lines received in the 12-month window that have an order date. Unknown (None) without one.
* A line without a supplier counts under ``None`` (shown as "(none)"): never dropped.
"""
from __future__ import annotations

import datetime as _dt
from typing import Any

import numpy as np
import pandas as pd

from addin.compute.columns import as_timestamp, date_column, text_column

__all__ = ["SCORECARD_COLUMNS", "supplier_scorecard"]

SCORECARD_COLUMNS = ("supplier", "lines", "on_time", "late", "otd", "otif", "avg_days_late", "lines_12m",
                     "otd_12m", "open_overdue", "quoted_lead_days", "actual_lead_days", "lead_gap_days")


def _month_bounds(month: _dt.date) -> tuple[pd.Timestamp, pd.Timestamp]:
    start = pd.Timestamp(month.year, month.month, 1)
    return start, start + pd.offsets.MonthEnd(0)


def _mean(values: pd.Series) -> float | None:
    values = values.dropna()
    return None if values.empty else float(values.mean())


def supplier_scorecard(classified: pd.DataFrame, month: _dt.date, as_of: _dt.date,
                       settings: Any = None) -> pd.DataFrame:
    """One row per supplier (sorted by name, then a total row with ``supplier`` None and
    ``is_total`` True) of :data:`SCORECARD_COLUMNS`. ``classified``: a purchase ledger after
    ``addin.compute.otd.classify``. Rates are fractions; unknown figures None."""
    from addin.compute.otd import summarise
    frame = classified.copy()
    frame["supplier"] = text_column(frame, "supplier").astype(object)
    frame["supplier"] = frame["supplier"].where(frame["supplier"].notna(), None)
    start, end = _month_bounds(month)
    year_start = (start - pd.DateOffset(months=11)).normalize()
    due = pd.to_datetime(frame["due_date"])
    this_month = frame.loc[(due >= start) & (due <= end)]
    window = frame.loc[(due >= year_start) & (due <= end)]
    month_table = summarise(this_month, ["supplier"], settings)
    year_table = summarise(window, ["supplier"], settings)

    day = as_timestamp(as_of)
    ship = date_column(frame, "ship_date")
    received = (ship <= day).to_numpy()
    open_overdue = (frame["outcome"] == "late").to_numpy() & ~received
    ordered = date_column(frame, "order_date")
    quoted = (due - ordered).dt.days.astype("float64")
    actual = (ship - ordered).dt.days.astype("float64").where(received)
    in_window = ((due >= year_start) & (due <= end)).to_numpy()
    quoted = quoted.where(in_window & received)
    actual = actual.where(in_window)

    suppliers = sorted({s for s in frame["supplier"].tolist() if s is not None}, key=lambda s: str(s).casefold())
    if frame["supplier"].isna().any():
        suppliers.append(None)

    def row_of(table: pd.DataFrame, supplier: Any) -> dict | None:
        rows = table.loc[~table["is_total"]]
        hit = rows.loc[rows["supplier"].isna()] if supplier is None else rows.loc[rows["supplier"] == supplier]
        return None if hit.empty else hit.iloc[0].to_dict()

    def number(value: Any) -> float | None:
        return None if value is None or (isinstance(value, float) and np.isnan(value)) else float(value)

    records = []
    for supplier in suppliers + ["__total__"]:
        total = supplier == "__total__"
        if total:
            m = month_table.loc[month_table["is_total"]].iloc[0].to_dict()
            y = year_table.loc[year_table["is_total"]].iloc[0].to_dict()
            mask = np.ones(len(frame), dtype=bool)
        else:
            m, y = row_of(month_table, supplier), row_of(year_table, supplier)
            mask = (frame["supplier"].isna() if supplier is None else frame["supplier"] == supplier).to_numpy()
        q, a = _mean(quoted[mask]), _mean(actual[mask])
        records.append({
            "supplier": None if total else supplier,
            "lines": int(m["lines"]) if m else 0, "on_time": int(m["on_time"]) if m else 0,
            "late": int(m["late"]) if m else 0, "otd": number(m["otd"]) if m else None,
            "otif": number(m["otif"]) if m else None, "avg_days_late": number(m["avg_days_late"]) if m else None,
            "lines_12m": int(y["lines"]) if y else 0, "otd_12m": number(y["otd"]) if y else None,
            "open_overdue": int(open_overdue[mask].sum()),
            "quoted_lead_days": q, "actual_lead_days": a,
            "lead_gap_days": None if q is None or a is None else a - q,
            "is_total": total,
        })
    return pd.DataFrame(records, columns=list(SCORECARD_COLUMNS) + ["is_total"])
