"""Order-level OTD/OTIF (SPEC section 13, SCOR's "perfect order" rung): an order counts once, on
time (and in full) only when every line of it in the cohort is.

Decisions where SPEC is silent:

* An order is the customer's order number: (customer, order_no), so two customers' PO numbers
  that happen to be equal stay two orders.
* The outcome of an order from its cohort lines: ``late`` when any line is late; else ``early``
  when any is early; else ``pending`` when any is still pending (not all of it is measured yet);
  else ``on_time``. Lines outside the cohort (cancelled, not yet due, no due date) do not count.
* ``in_full``: every line in full; unknown when no line is short but one is unknown.
* ``days_late`` of a late order: its latest line's days late.
* Grouped (``--by``), an order counts once per group it has lines in (by month: the lines due
  that month; by part: the lines of that part); the total counts each order once.
* Weights: an order's quantity is its lines' quantity, its value their value.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from addin.compute.columns import number_column

ORDER_KEY = ("customer", "order_no")
_CODES = {"on_time": 0, "late": 1, "early": 2, "pending": 3}
_RANK = np.array([0, 3, 2, 1])          # worst wins: late > early > pending > on_time
_BY_RANK = np.array(["on_time", "pending", "early", "late"], dtype=object)


def orders_of(classified: pd.DataFrame, by: Sequence[str] = ()) -> pd.DataFrame:
    """One row per order (per group of ``by``) of the cohort lines of ``classified`` (the output
    of ``addin.compute.otd.classify``), with the columns ``summarise`` reads: the ``by`` fields,
    customer, order_no, outcome, in_full, days_late, qty, unit_price, shipped_qty, source_row,
    and ``order_lines`` (its cohort lines)."""
    keys = _keys(by)
    return _finish(_order_rows(classified, keys), keys)


def _keys(by: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(list(by) + list(ORDER_KEY)))


_SUMS = {"_rank": "max", "_short": "any", "_unknown": "any", "days_late": "max", "qty": "sum", "_qty_na": "any",
         "_value": "sum", "_value_na": "any", "shipped_qty": "sum", "_shipped_n": "sum", "source_row": "min",
         "order_lines": "sum"}


def _order_rows(classified: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The cohort lines aggregated per ``keys``, with the parts :func:`_finish` and
    :func:`_regroup` need (sums before their unknowns are applied, counts of unknowns)."""
    outcome = classified["outcome"].to_numpy(dtype=object)
    codes = pd.Index(list(_CODES)).get_indexer(outcome)      # -1: not in the cohort
    cohort_rows = np.flatnonzero(codes >= 0)
    needed = [c for c in dict.fromkeys(keys + ["in_full", "days_late", "qty", "unit_price", "shipped_qty",
                                               "source_row"]) if c in classified.columns]
    cohort = classified[needed].iloc[cohort_rows]          # only the columns read here are copied
    frame = pd.DataFrame({k: cohort[k].astype(object) if k in cohort.columns else None for k in keys},
                         index=cohort.index)
    frame["_rank"] = _RANK[codes[cohort_rows]]
    in_full = cohort["in_full"].astype("boolean") if "in_full" in cohort.columns else \
        pd.Series(pd.NA, index=cohort.index, dtype="boolean")
    frame["_short"] = (in_full == False).fillna(False).astype(bool)   # noqa: E712 (nullable compare)
    frame["_unknown"] = in_full.isna().to_numpy(dtype=bool)
    frame["days_late"] = cohort["days_late"].astype("float64")
    qty = number_column(cohort, "qty")
    frame["qty"] = qty
    frame["_value"] = qty * number_column(cohort, "unit_price")
    frame["shipped_qty"] = number_column(cohort, "shipped_qty")
    frame["source_row"] = cohort["source_row"] if "source_row" in cohort.columns else np.arange(len(cohort)) + 1
    frame["_qty_na"] = frame["qty"].isna()
    frame["_value_na"] = frame["_value"].isna()
    frame["_shipped_n"] = frame["shipped_qty"].notna().astype("int64")
    frame["order_lines"] = 1
    return _aggregate(frame, keys)


def _aggregate(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``frame`` (lines, or order rows per more keys) summed per ``keys`` by :data:`_SUMS`:
    built-in aggregations only (a Python function per group cost 146 s at 1M lines). An order's
    quantity and value are unknown when one of its lines' is, its shipped quantity when all are
    (applied by :func:`_finish`)."""
    return frame.groupby(keys, dropna=False, sort=False).agg(**{c: (c, how) for c, how in _SUMS.items()}) \
        .reset_index()


def _regroup(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """:func:`_order_rows` per fewer ``keys`` from its rows per more (an order in several groups
    once): the same as aggregating the lines again, without going over them."""
    return _aggregate(rows, keys)


def _finish(out: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    out = out.copy()
    out["qty"] = out["qty"].astype("float64").mask(out["_qty_na"].to_numpy(dtype=bool))
    out["_value"] = out["_value"].astype("float64").mask(out["_value_na"].to_numpy(dtype=bool))
    out["shipped_qty"] = out["shipped_qty"].astype("float64").mask(out["_shipped_n"].to_numpy() == 0)
    out["outcome"] = _BY_RANK[out["_rank"].to_numpy(dtype="int64")] if len(out) else pd.Series([], dtype=object)
    out["in_full"] = pd.arrays.BooleanArray(~out["_short"].to_numpy(dtype=bool),
                                            (~out["_short"] & out["_unknown"]).to_numpy(dtype=bool))
    out.loc[out["outcome"] != "late", "days_late"] = np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        out["unit_price"] = out["_value"] / out["qty"]
    for k in keys:   # groupby turns None keys into NaN: back to None, as classify gives them
        out[k] = out[k].astype(object).where(out[k].notna(), None)
    return out.drop(columns=["_rank", "_short", "_unknown", "_value", "_qty_na", "_value_na", "_shipped_n"])


def order_summary(classified: pd.DataFrame, by: Sequence[str] = (), settings=None, *,
                  completion: bool | None = None) -> pd.DataFrame:
    """``addin.compute.otd.summarise`` at order level: the groups count each order once per group,
    the total row each order once; ``lines`` counts orders."""
    from addin.compute.otd import summarise
    if completion is None:
        completion = bool(classified.attrs.get("completion", True))
    by = list(by)
    if not by:
        return summarise(orders_of(classified, ()), (), settings, completion=completion)
    keys, total_keys = _keys(by), list(ORDER_KEY)
    rows = _order_rows(classified, keys)          # the lines gone over once, for the groups and the total
    groups = summarise(_finish(rows, keys), by, settings, completion=completion)
    total = summarise(_finish(_regroup(rows, total_keys), total_keys), (), settings, completion=completion)
    total_row = total.iloc[[-1]].copy()
    for b in by:
        total_row[b] = None
    out = pd.concat([groups.loc[~groups["is_total"]], total_row[groups.columns]], ignore_index=True)
    out.attrs.update(groups.attrs)
    return out


def _number(value, digits: int):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return round(float(value), digits)


def _json_row(row, by: Sequence[str]) -> dict:
    out = {b: row[b] for b in by}
    for c in ("lines", "on_time", "late", "early", "pending"):
        out[c] = int(row[c])
    out["otd"] = _number(row["otd"], 4)
    out["otif"] = _number(row["otif"], 4)
    out["avg_days_late"] = _number(row["avg_days_late"], 2)
    return out


def order_report(ledger: pd.DataFrame, as_of, settings=None, by: Sequence[str] = (), start=None, end=None, *,
                 completion: bool | None = None):
    """``addin.compute.otd.otd_report`` at order level: (classified lines of the period, order
    summary, excluded line counts)."""
    from addin.compute.otd import OtdSettings, classify, excluded_counts, has_completion_column, in_period
    settings = settings or OtdSettings()
    if completion is None:
        completion = has_completion_column(ledger)
    classified = classify(ledger, as_of, settings, completion=completion)
    period = classified.loc[in_period(classified, start, end)]
    return period, order_summary(period, by, settings, completion=completion), excluded_counts(period)


def order_json(ledger_result, as_of, settings=None, by: Sequence[str] = (), start=None, end=None) -> dict:
    """``orderdesk otd --level order --format json``: SPEC section 6's object with ``"level":
    "order"``; ``lines`` (and on_time, late, …) count orders; ``excluded`` counts lines."""
    from addin.compute.columns import as_timestamp
    from addin.compute.otd import OtdSettings, has_completion_column, otd_json, unknown_reasons
    settings = settings or OtdSettings()
    base = otd_json(ledger_result, as_of, settings, (), start, end)   # rows, excluded, settings: as per line
    data = getattr(ledger_result, "data", ledger_result)
    completion = has_completion_column(ledger_result)
    _, summary, excluded = order_report(data, as_of, settings, by, start, end, completion=completion)
    groups = summary.loc[~summary["is_total"]]
    total = summary.loc[summary["is_total"]].iloc[0]
    unknown = unknown_reasons(total.to_dict(), excluded, completion=completion,
                              has_shipped_qty=bool(number_column(data, "shipped_qty").notna().any()))
    out = {"as_of": as_timestamp(as_of).date().isoformat(), "level": "order",
           **{k: base[k] for k in ("basis", "late_tolerance", "early_tolerance")},
           "by": list(by), "groups": [_json_row(r, by) for r in groups.to_dict("records")],
           "total": _json_row(total.to_dict(), ()), "excluded": excluded, "rows": base["rows"]}
    if unknown:
        out["unknown"] = unknown
    return out
