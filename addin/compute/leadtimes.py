"""Lead times (SPEC section 13): order date to completion, median and 90th percentile, by
customer and part, against the quoted lead time where a quote book is given.

Decisions where SPEC is silent:

* A line's **completion** is its ship date on or before the as-of date — for a line measured by
  its deliveries, the day they reached its quantity (``compute.deliveries``). A line shipped
  short (shipped quantity below its quantity) is not complete unless its status says shipped
  or closed (closed short: completed by that ship date). Cancelled lines do not count.
* **Lead time** = completion − order date in calendar days. Lines without an order date are
  counted under ``excluded.no_order_date``; a completion before the order date is a data error,
  counted under ``excluded.before_order_date``; neither enters the figures.
* Median and 90th percentile as ``numpy.percentile`` computes them (linear interpolation
  between the closest ranks), in days, one decimal kept.
* ``period``: lines completed in ``[start, end]`` (both optional).
* **Quoted** lead time of a line: the ``lead_time_days`` (working days, SPEC 2) of the quote for
  its part — the customer's own quote, else one without a customer — at the price break the
  line's quantity reaches (the lowest break when it reaches none). ``quoted_days`` of a group is
  the median over its quoted lines; ``within_quote`` the share of its quoted lines completed by
  the order date plus the quoted working days (the working calendar given; calendar days
  without one); None when no line of the group has a quote.
"""
from __future__ import annotations

import datetime as _dt
from typing import Any, Sequence

import numpy as np
import pandas as pd

from addin.compute.columns import as_timestamp, date_column, match_key, number_column, text_column

LEAD_BY: tuple[str, ...] = ("customer", "part_no")
LEAD_FIELDS: tuple[str, ...] = ("customer", "part_no", "owner", "supplier", "priority")
COLUMNS: tuple[str, ...] = ("lines", "median_days", "p90_days", "quoted_days", "quoted_lines", "within_quote")


def completed(ledger: pd.DataFrame, as_of: _dt.date) -> pd.DataFrame:
    """The ledger's lines with ``completion`` (date or NaT) and ``lead_days`` (float, NaN when
    not complete or without an order date) added; ``lead_state`` says why a line has no lead
    time: None (it has one), ``open``, ``cancelled``, ``no_order_date``, ``before_order_date``."""
    from addin.compute.deliveries import measure
    from addin.schema import STATUS_WORDS
    day = as_timestamp(as_of)
    status = pd.Index(list(STATUS_WORDS), dtype=object).get_indexer(text_column(ledger, "status").astype(object))
    cancelled = status == STATUS_WORDS.index("cancelled")
    closed = (status == STATUS_WORDS.index("shipped")) | (status == STATUS_WORDS.index("closed"))
    ship = date_column(ledger, "ship_date")
    qty = number_column(ledger, "qty").to_numpy(dtype="float64")
    shipped_qty = number_column(ledger, "shipped_qty").to_numpy(dtype="float64")
    short = shipped_qty < qty                                   # NaN compares False
    done = (ship <= day).to_numpy() & (~short | closed)
    completion = ship.where(done)
    delivered = measure(ledger, None, as_of)
    if delivered is not None:        # a line measured by its deliveries: the day they completed it
        completion = pd.Series(np.where(delivered.has, delivered.completion.to_numpy(dtype="datetime64[ns]"),
                                        completion.to_numpy(dtype="datetime64[ns]")), index=ledger.index)
    order = date_column(ledger, "order_date")
    days = (completion - order).dt.days.to_numpy(dtype="float64")
    state = np.select([cancelled, completion.isna().to_numpy(), order.isna().to_numpy(), days < 0],
                      ["cancelled", "open", "no_order_date", "before_order_date"], default="")
    out = ledger.copy(deep=False)      # copy-on-write: the new columns never reach the caller's frame
    out["completion"] = completion.to_numpy()
    out["lead_days"] = np.where(state == "", days, np.nan)
    out["lead_state"] = pd.Series(np.where(state == "", None, state), index=ledger.index, dtype=object)
    return out


def quoted_lead(lines: pd.DataFrame, quotes: pd.DataFrame | None) -> np.ndarray:
    """The quoted lead time (working days) of each line, NaN where no quote gives one."""
    n = len(lines)
    out = np.full(n, np.nan)
    if quotes is None or not len(quotes) or not len(lines):
        return out
    book = pd.DataFrame({"part": match_key(text_column(quotes, "part_no")).to_numpy(dtype=object),
                         "customer": match_key(text_column(quotes, "customer")).to_numpy(dtype=object),
                         "min_qty": number_column(quotes, "min_qty").fillna(0.0).to_numpy(dtype="float64"),
                         "lead": number_column(quotes, "lead_time_days").to_numpy(dtype="float64")})
    book = book.loc[book["part"].notna() & ~np.isnan(book["lead"].to_numpy())].sort_values("min_qty", kind="stable")
    table: dict[tuple, tuple[np.ndarray, np.ndarray]] = {
        key: (g["min_qty"].to_numpy(), g["lead"].to_numpy())
        for key, g in book.groupby([book["part"], book["customer"].fillna("\x00")], sort=False)}
    parts = match_key(text_column(lines, "part_no")).tolist()
    customers = match_key(text_column(lines, "customer")).tolist()
    qty = number_column(lines, "qty").fillna(0.0).to_numpy(dtype="float64")
    for i, (p, c) in enumerate(zip(parts, customers)):
        if p is None:
            continue
        found = table.get((p, c if c is not None else "\x00")) or table.get((p, "\x00"))
        if found is None:
            continue
        breaks, leads = found
        reached = np.flatnonzero(breaks <= qty[i] + 1e-9)
        out[i] = leads[reached[-1]] if len(reached) else leads[0]
    return out


def _stats(days: np.ndarray, quoted: np.ndarray, within: np.ndarray) -> dict[str, Any]:
    has_quote = ~np.isnan(quoted)
    return {"lines": int(len(days)),
            "median_days": float(np.median(days)) if len(days) else None,
            "p90_days": float(np.percentile(days, 90)) if len(days) else None,
            "quoted_days": float(np.median(quoted[has_quote])) if has_quote.any() else None,
            "quoted_lines": int(has_quote.sum()),
            "within_quote": float(within[has_quote].mean()) if has_quote.any() else None}


def lead_times(ledger: pd.DataFrame, as_of: _dt.date, by: Sequence[str] = LEAD_BY, *, quotes: pd.DataFrame | None = None,
               calendar: Any = None, start: _dt.date | None = None, end: _dt.date | None = None) -> pd.DataFrame:
    """Lead time per group of ``by`` (the keys sorted, a missing key last), then a total row
    (``is_total``): the ``by`` fields and :data:`COLUMNS`. ``attrs["excluded"]`` counts the
    completed lines left out (no order date, completed before the order date)."""
    from addin.errors import InputError
    by = list(by)
    for b in by:
        if b not in LEAD_FIELDS:
            raise InputError(f"cannot group lead times by '{b}': use {', '.join(LEAD_FIELDS)}", value=b)
    lines = completed(ledger, as_of)
    comp = lines["completion"]
    keep = pd.Series(True, index=lines.index)
    if start is not None:
        keep &= comp >= as_timestamp(start)
    if end is not None:
        keep &= comp <= as_timestamp(end)
    lines = lines.loc[keep]
    states = lines["lead_state"].value_counts()
    excluded = {k: int(states.get(k, 0)) for k in ("no_order_date", "before_order_date")}
    measured = lines.loc[lines["lead_days"].notna()]
    quoted = quoted_lead(measured, quotes)
    order = date_column(measured, "order_date")
    if calendar is not None and len(measured):
        has = ~np.isnan(quoted)
        limit = pd.Series(pd.NaT, index=measured.index, dtype="datetime64[ns]")
        if has.any():
            limit[has] = pd.to_datetime(calendar.workday_many(order[has], quoted[has])).to_numpy()
    else:
        limit = order + pd.to_timedelta(quoted, unit="D")
    within = (pd.to_datetime(measured["completion"]) <= limit).to_numpy(dtype=float)
    days = measured["lead_days"].to_numpy(dtype="float64")
    rows = []
    if by and len(measured):
        keys = pd.DataFrame({b: (text_column(measured, b) if b in measured.columns else
                                 pd.Series(None, index=measured.index, dtype=object)).astype(object)
                             for b in by})
        filled = keys.fillna("\uffff")          # a missing key sorts last
        for key, idx in sorted(filled.groupby(by, sort=False).indices.items(),
                               key=lambda kv: kv[0] if isinstance(kv[0], tuple) else (kv[0],)):
            key = key if isinstance(key, tuple) else (key,)
            rows.append({**{b: (None if k == "\uffff" else k) for b, k in zip(by, key)},
                         **_stats(days[idx], quoted[idx], within[idx]), "is_total": False})
    rows.append({**{b: None for b in by}, **_stats(days, quoted, within), "is_total": True})
    table = pd.DataFrame(rows, columns=by + list(COLUMNS) + ["is_total"])
    table.attrs["excluded"] = excluded
    return table


def lead_time_json(table: pd.DataFrame, by: Sequence[str]) -> dict:
    """``"lead_times"`` of ``orderdesk otd --lead-times --format json``."""
    def row(r: dict, keys: Sequence[str]) -> dict:
        out = {k: r[k] for k in keys}
        for c in COLUMNS:
            v = r[c]
            if v is None or (isinstance(v, float) and np.isnan(v)):
                out[c] = None
            elif c in ("lines", "quoted_lines"):
                out[c] = int(v)
            else:
                out[c] = round(float(v), 4 if c == "within_quote" else 2)
        return out
    records = table.to_dict("records")
    return {"by": list(by), "groups": [row(r, by) for r in records if not r["is_total"]],
            "total": row(records[-1], ()), "excluded": dict(table.attrs.get("excluded", {}))}
