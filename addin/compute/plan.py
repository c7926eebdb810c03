"""The PMC plan (SPEC section 10): the open customer order lines netted through the BOM against
stock and open purchases — the same netting as the contract review and the promise date
(:mod:`addin.compute.promise`) — and loaded on the production lines.

What comes out, in a planner's words:

* **Shortages** — per bought component: the first need date it is short, how much existing stock
  and purchases do not cover by the need dates, the alternates used, the quantity to buy (one
  order, MOQ-rounded) and the latest order date (need date − purchase lead time − inspection, in
  working days), and the open purchase lines that cover it only late (to expedite).
* **Capacity load** — per production line and ISO week: the hours the open lines need in the week
  of their need date (a need date already past loads the as-of week) against the hours the line
  works that week from the as-of date; a week over its hours is overloaded, and so is one whose
  cumulative load is over the cumulative hours (earlier slack used up).
* **Blocked orders** — each open line that cannot ship by its due date and what blocks it: a
  component waiting for an open purchase line (its PO number and supplier: expedite), one that
  must still be bought (buy), or a production line that finishes its hours too late (capacity).
* **Late purchases** — each open purchase line overdue at the as-of date, or arriving after a
  customer line it serves needs it, with the customer lines it holds.

Pure: frames, the as-of date and the working calendar in; frames out.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from addin.compute.columns import date_column, match_key, number_column, text_column
from addin.compute.promise import (PLANNED, Plan, capacity_schedule, component_tree, demand_queue, line_hours,
                                   net_material)

if TYPE_CHECKING:  # pragma: no cover
    from addin.compute.calendar import WorkingCalendar

__all__ = ["PmcPlan", "plan_orders", "open_lines", "CLOSED_STATUSES"]

CLOSED_STATUSES = frozenset({"shipped", "closed", "cancelled"})
_EPS = 1e-9


@dataclass(frozen=True)
class PmcPlan:
    """The plan's four tables (see the module text) and what was planned.

    ``shortages``: part_no, need_date, short_qty, alternates_used (tuple), buy_qty, order_by,
    order_late (the order-by date has passed), lead_time_days (purchase + inspection), free_qty,
    expedite (the purchase lines that cover it late: (po_no, supplier, due) tuples), lines
    (customer lines short).
    ``capacity``: line, week (``YYYY-Www``), week_start, required_h, available_h, load,
    overloaded, cum_required_h, cum_available_h, cum_overloaded, in_capacity (the line is on the
    capacity sheet).
    ``blocked``: order_no, line_no, customer, priority, part_no, qty, due_date, need_date,
    material_ready, capacity_finish, promise_date, days_late, blocked_by (list of dicts: action
    ``expedite`` with part_no, po_no, supplier, date, qty; ``buy`` with part_no, date (arrival,
    None when no lead time is known), qty; ``capacity`` with line, date (finish)).
    ``late_purchases``: po_no, supplier, part_no, qty, due_date, status (``late`` overdue /
    ``at_risk`` arrives after a need), days_late, need_date (the earliest need it misses),
    blocks (list of (order_no, line_no)), waiting (customer lines it supplies)."""
    as_of: dt.date
    shortages: pd.DataFrame
    capacity: pd.DataFrame
    blocked: pd.DataFrame
    late_purchases: pd.DataFrame
    open_lines: int = 0
    undated_lines: int = 0
    ran_material: bool = False
    ran_capacity: bool = False
    notes: list[str] = field(default_factory=list)


def open_lines(orders: pd.DataFrame) -> pd.DataFrame:
    """The order lines still to ship: not shipped, closed or cancelled, with quantity left (``qty``
    becomes what is left: ordered − shipped). Keeps the original index."""
    status = text_column(orders, "status").astype(object)
    rest = (number_column(orders, "qty") - number_column(orders, "shipped_qty").fillna(0.0)).clip(lower=0.0)
    keep = (~status.isin(CLOSED_STATUSES) & (rest > _EPS)).to_numpy()
    out = orders[keep].copy()
    out["qty"] = rest[keep].to_numpy()
    return out


def plan_orders(orders: pd.DataFrame, factory: Plan, *, calendar: WorkingCalendar, as_of: dt.date) -> PmcPlan:
    """Net and load the open lines of the order ledger ``orders`` (see the module text).
    ``factory`` gives BOM, stock, open purchases, capacity and routing (any may be None: the
    parts of the plan they feed are then empty), outgoing inspection and transport days."""
    start = np.datetime64(pd.Timestamp(as_of).date(), "D")
    lines = open_lines(orders).reset_index(drop=True)
    lead_days = int(factory.inspection_days) + int(factory.transport_days)
    due = date_column(lines, "promised_date").fillna(date_column(lines, "requested_date"))
    need = calendar.workday_many(due, -lead_days).to_numpy().astype("datetime64[D]")
    # the day a line's material must be there: its need date, or today when that has passed
    threshold = np.where(np.isnat(need), np.datetime64("NaT", "D"), np.maximum(need, start))
    queue = demand_queue(lines, None, due="promised")
    tree = component_tree(Plan(bom=factory.bom, stock=factory.stock, bom_parent=factory.bom_parent),
                          queue["top"], lines)
    n = len(lines)
    nat = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    ready, finish = nat.copy(), nat.copy()
    shortages, late_purchases = _empty_shortages(), _empty_late()
    blockers: list[list[dict]] = [[] for _ in range(n)]
    ran_material = factory.stock is not None and n > 0
    ran_capacity = factory.capacity is not None and factory.routing is not None and n > 0
    capacity = _empty_capacity()

    if ran_material:
        netting = net_material(queue, tree, factory, calendar, start, need=need, detail=True)
        ready = netting.ready
        # parts as written: the stock list, then the BOM and the order lines (alternates are only in stock)
        names = dict(zip(match_key(text_column(factory.stock, "part_no")).tolist(),
                         text_column(factory.stock, "part_no").tolist()))
        names.update(zip(tree["part"].tolist(), tree["part_text"].tolist()))
        takes = _takes_frame(netting.takes, threshold, names)
        purchases = factory.purchases
        po_no = text_column(purchases, "po_no").tolist() if purchases is not None else []
        supplier = text_column(purchases, "supplier").tolist() if purchases is not None else []
        shortages = _shortages(takes, netting.book, names, calendar, start, po_no, supplier)
        _material_blockers(takes, blockers, netting.book, names, po_no, supplier)
        late_purchases = _late_purchases(purchases, takes, lines, start)
    if ran_capacity:
        schedule = capacity_schedule(queue, tree, factory, calendar, start)
        finish_of = schedule[schedule["_known"]].groupby("_line")["_finish"].max()
        finish[finish_of.index.to_numpy()] = finish_of.to_numpy().astype("datetime64[D]")
        capacity = _capacity_load(schedule, factory.capacity, threshold, calendar, start)
        # a production line holds a customer line when its hours end after the need date (today,
        # when that has passed); a line without a due date is held by nothing
        late = schedule[schedule["_known"].to_numpy()
                        & (schedule["_finish"].to_numpy().astype("datetime64[D]")
                           > threshold[schedule["_line"].to_numpy()])]
        for line, work_line, day in zip(late["_line"].tolist(), late["work_line"].tolist(),
                                        late["_finish"].to_numpy().astype("datetime64[D]")):
            blockers[line].append({"action": "capacity", "line": work_line, "date": pd.Timestamp(day)})

    blocked = _blocked(lines, due, need, ready, finish, blockers, calendar, lead_days)
    return PmcPlan(as_of=as_of, shortages=shortages, capacity=capacity, blocked=blocked,
                   late_purchases=late_purchases, open_lines=n, undated_lines=int(due.isna().sum()),
                   ran_material=ran_material, ran_capacity=ran_capacity)


# ---------------------------------------------------------------------- material


def _takes_frame(takes, threshold: np.ndarray, names: dict) -> pd.DataFrame:
    """One row per (line, component) of the netting, with the line's threshold day and what is
    short by it (what existing supply does not cover by the need date)."""
    limit = threshold.astype("int64")
    missing = np.isnat(threshold)
    rows = {
        "line": [t.line for t in takes], "part": [t.part for t in takes],
        "need_qty": [t.need_qty for t in takes],
        "by_need": [np.nan if t.by_need is None else t.by_need for t in takes],
        "ready": [np.nan if t.ready is None else t.ready for t in takes],
        "bought": [t.bought for t in takes], "sources": [t.sources for t in takes],
        "alternates": [t.alternates for t in takes],
    }
    frame = pd.DataFrame(rows)
    lines = frame["line"].to_numpy(dtype="int64")
    frame["day"] = np.where(missing[lines], np.nan, limit[lines].astype("float64"))
    # short: what stock and open purchases do not cover by the need date (a planned buy is not
    # there yet: the quantity it is bought for is short); without a need date, what is bought
    covered, planned = [], []
    for pieces, day in zip(frame["sources"].tolist(), frame["day"].tolist()):
        covered.append(sum(q for _, ref, q, arrive in pieces if ref != PLANNED and arrive <= day))
        planned.append(sum(q for _, ref, q, _ in pieces if ref == PLANNED))
    frame["short"] = np.where(frame["day"].isna(), frame["bought"] + np.array(planned, dtype="float64"),
                              (frame["need_qty"] - np.array(covered, dtype="float64")).clip(lower=0))
    frame["unknown"] = frame["ready"].isna()
    frame["late"] = frame["unknown"] | (frame["ready"] > frame["day"])
    frame["text"] = [names.get(p, p) for p in frame["part"].tolist()]
    return frame


def _shortages(takes: pd.DataFrame, book, names: dict, calendar: WorkingCalendar, start: np.datetime64,
               po_no: list, supplier: list) -> pd.DataFrame:
    short = takes[takes["short"] > _EPS]
    if not len(short):
        return _empty_shortages()
    text_of = names
    alternates: dict[str, dict] = {}
    for part, alts in zip(takes["part"].tolist(), takes["alternates"].tolist()):
        for alt, _ in alts:
            alternates.setdefault(part, {})[text_of.get(alt, alt)] = None
    expedite: dict[str, dict] = {}
    for part, pieces, day in zip(short["part"].tolist(), short["sources"].tolist(), short["day"].tolist()):
        for _, ref, _, arrive in pieces:
            if ref is not None and ref != PLANNED and (_missing(day) or arrive > day):
                expedite.setdefault(part, {})[(po_no[ref], supplier[ref], _day(arrive))] = None
    grouped = short.groupby("part", sort=False).agg(need_day=("day", "min"), short_qty=("short", "sum"),
                                                   lines=("line", "nunique"))
    bought = takes[(takes["bought"] > _EPS)]
    buy_need = bought.groupby("part", sort=False)["day"].min()
    unknown_rest = takes[takes["unknown"]].groupby("part", sort=False)["bought"].sum()
    parts = grouped.index.tolist()
    ordered, leads = [], []
    for part in parts:
        qty = book.ordered.get(part)
        if qty is None and part in unknown_rest.index:  # no lead time: still say how much to buy
            qty = max(float(unknown_rest[part]), book.minimum_order(part) or 0.0)
        ordered.append(float(qty or 0.0))
        leads.append(book.lead_total(part))
    # latest order date: the first need date of the lines the buy is for, less lead time + inspection
    buy_days = buy_need.reindex(parts).to_numpy(dtype="float64")
    first = np.where(np.isnan(buy_days), start.astype("int64"), np.nan_to_num(buy_days)).astype("int64")
    lead_days = np.array([np.nan if lead is None else -lead for lead in leads], dtype="float64")
    order_by = calendar.workday_many(pd.Series(first.astype("datetime64[D]").astype("datetime64[ns]")),
                                     lead_days).to_numpy().copy()
    order_by[np.isnan(buy_days)] = np.datetime64(start, "ns")     # bought only for lines without a date
    order_by[(np.array(ordered) <= 0) | np.isnan(lead_days)] = np.datetime64("NaT", "ns")
    need_days = grouped["need_day"].to_numpy(dtype="float64")
    today = np.datetime64(start, "ns")
    out = {
        "part_no": [text_of.get(part, part) for part in parts],
        "need_date": np.where(np.isnan(need_days), np.datetime64("NaT", "D"),
                              np.nan_to_num(need_days).astype("int64").astype("datetime64[D]")).astype("datetime64[ns]"),
        "short_qty": grouped["short_qty"].to_numpy(dtype="float64"),
        "alternates_used": [tuple(alternates.get(part, ())) for part in parts],
        "buy_qty": ordered,
        "order_by": order_by,
        "order_late": ~np.isnat(order_by) & (order_by < today),
        "lead_time_days": [np.nan if lead is None else float(lead) for lead in leads],
        "free_qty": [float(book.on_hand.get(part, 0.0)) for part in parts],
        "expedite": [tuple(expedite.get(part, ())) for part in parts],
        "lines": grouped["lines"].to_numpy(dtype="int64"),
    }
    frame = pd.DataFrame(out, columns=list(_empty_shortages().columns))
    frame["_first"] = frame["order_by"].fillna(frame["need_date"])
    frame = frame.sort_values(["_first", "need_date", "part_no"], na_position="last", kind="stable")
    return frame.drop(columns="_first").reset_index(drop=True)


def _material_blockers(takes: pd.DataFrame, blockers: list[list[dict]], book, names: dict,
                       po_no: list, supplier: list) -> None:
    """Per line, each component not there by the need date: the purchase lines it waits for
    (expedite), the planned buy it waits for (buy; no date when no lead time is known)."""
    late = takes[takes["late"]]
    for line, part, pieces, day, bought, unknown in zip(late["line"].tolist(), late["part"].tolist(),
                                                        late["sources"].tolist(), late["day"].tolist(),
                                                        late["bought"].tolist(), late["unknown"].tolist()):
        if _missing(day):
            continue  # no due date: nothing to be late for
        waits: dict[tuple, dict] = {}
        for key, ref, qty, arrive in pieces:
            if arrive <= day:
                continue
            if ref is None:
                continue  # stock on hand is there today
            if ref != PLANNED:
                entry = waits.setdefault(("expedite", ref), {
                    "action": "expedite", "part_no": names.get(key, key), "po_no": po_no[ref],
                    "supplier": supplier[ref], "date": _day(arrive), "qty": 0.0})
            else:  # the surplus of a planned buy made for an earlier line
                entry = waits.setdefault(("buy", key), {
                    "action": "buy", "part_no": names.get(key, key), "po_no": None, "supplier": None,
                    "date": _day(arrive), "qty": 0.0})
            entry["qty"] += qty
        if bought > _EPS:
            arrive = None if unknown else book.buy_date.get(part)
            entry = waits.setdefault(("buy", part), {
                "action": "buy", "part_no": names.get(part, part), "po_no": None, "supplier": None,
                "date": None if arrive is None else _day(arrive), "qty": 0.0})
            entry["qty"] += bought
        blockers[line].extend(waits.values())


def _late_purchases(purchases: pd.DataFrame | None, takes: pd.DataFrame, lines: pd.DataFrame,
                    start: np.datetime64) -> pd.DataFrame:
    if purchases is None or not len(purchases):
        return _empty_late()
    due = date_column(purchases, "due_date")
    qty = number_column(purchases, "qty")
    feeds: dict[int, list] = {}
    for line, pieces, day in zip(takes["line"].tolist(), takes["sources"].tolist(), takes["day"].tolist()):
        for _, ref, got, arrive in pieces:
            if ref is not None and ref != PLANNED:
                feeds.setdefault(ref, []).append((line, got, day))
    order_no = text_column(lines, "order_no").tolist()
    line_no = text_column(lines, "line_no").tolist()
    start_day = int(start.astype("int64"))
    due_days = due.to_numpy().astype("datetime64[D]")
    overdue = (due_days < start).tolist()
    arrive_days = np.maximum(due_days, start).astype("int64").tolist()
    dated = (~np.isnat(due_days) & (qty.to_numpy() > 0)).tolist()
    po_no, supplier = text_column(purchases, "po_no").tolist(), text_column(purchases, "supplier").tolist()
    part_no, quantity, due_list = text_column(purchases, "part_no").tolist(), qty.tolist(), due.tolist()
    out = []
    for ref in range(len(purchases)):
        if not dated[ref]:
            continue
        arrive = arrive_days[ref]
        fed = feeds.get(ref, [])
        missed = [(line, day) for line, _, day in fed if not _missing(day) and arrive > day]
        if not overdue[ref] and not missed:
            continue
        first_need = min((day for _, day in missed), default=None)
        out.append({
            "po_no": po_no[ref], "supplier": supplier[ref], "part_no": part_no[ref], "qty": float(quantity[ref]),
            "due_date": due_list[ref], "status": "late" if overdue[ref] else "at_risk",
            "days_late": start_day - int(due_days[ref].astype("int64")) if overdue[ref] else int(arrive - first_need),
            "need_date": pd.NaT if first_need is None else _day(first_need),
            "blocks": [(order_no[line], line_no[line]) for line in dict.fromkeys(line for line, _ in missed)],
            "waiting": [(order_no[line], line_no[line]) for line in dict.fromkeys(line for line, _, _ in fed)],
        })
    frame = pd.DataFrame(out, columns=list(_empty_late().columns))
    frame["_rank"] = frame["status"].map({"late": 0, "at_risk": 1})
    frame = frame.sort_values(["_rank", "days_late"], ascending=[True, False], kind="stable")
    return frame.drop(columns="_rank").reset_index(drop=True)


# ---------------------------------------------------------------------- capacity


def _capacity_load(schedule: pd.DataFrame, capacity: pd.DataFrame, threshold: np.ndarray,
                   calendar: WorkingCalendar, start: np.datetime64) -> pd.DataFrame:
    days = threshold[schedule["_line"].to_numpy()]
    dated = ~np.isnat(days)
    rows = schedule[dated]
    if not len(rows):
        return _empty_capacity()
    monday = _monday(days[dated])
    load = pd.DataFrame({"_wl": rows["_wl"].to_numpy(), "work_line": rows["work_line"].to_numpy(),
                         "monday": monday, "hours": rows["_hours"].to_numpy()})
    names = load.groupby("_wl", sort=False)["work_line"].first()
    per_week = load.groupby(["_wl", "monday"])["hours"].sum()
    hours = line_hours(capacity)
    first_monday = _monday(np.array([start]))[0]
    last_monday = monday.max()
    mondays = np.arange(first_monday, last_monday + np.timedelta64(1, "D"), 7)
    working = calendar.working_days(pd.Timestamp(start).date(), pd.Timestamp(last_monday + np.timedelta64(6, "D")).date())
    working_per_week = pd.Series(_monday(working)).value_counts()
    out = []
    for wl in sorted(names.index, key=lambda k: str(names[k])):
        per_day = hours.get(wl, np.nan)
        cum_req = cum_av = 0.0
        for week in mondays:
            required = float(per_week.get((wl, week), 0.0))
            available = float(per_day * working_per_week.get(week, 0)) if not _missing(per_day) else np.nan
            cum_req += required
            cum_av += available if not _missing(available) else 0.0
            iso = pd.Timestamp(week).isocalendar()
            out.append({"line": names[wl], "week": f"{iso.year}-W{iso.week:02d}", "week_start": pd.Timestamp(week),
                        "required_h": round(required, 4), "available_h": available,
                        "load": required / available if available and not _missing(available) else np.nan,
                        "overloaded": bool(not _missing(available) and required > available + _EPS),
                        "cum_required_h": round(cum_req, 4), "cum_available_h": cum_av if not _missing(per_day) else np.nan,
                        "cum_overloaded": bool(not _missing(per_day) and cum_req > cum_av + _EPS),
                        "in_capacity": bool(not _missing(per_day))})
    return pd.DataFrame(out, columns=list(_empty_capacity().columns))


def _monday(days: np.ndarray) -> np.ndarray:
    """The Monday of each day's ISO week (1970-01-01 was a Thursday)."""
    days = np.asarray(days, dtype="datetime64[D]")
    return days - ((days.astype("int64") + 3) % 7).astype("timedelta64[D]")


# ---------------------------------------------------------------------- blocked lines


def _blocked(lines: pd.DataFrame, due: pd.Series, need: np.ndarray, ready: np.ndarray, finish: np.ndarray,
             blockers: list[list[dict]], calendar: WorkingCalendar, lead_days: int) -> pd.DataFrame:
    hit = [i for i, found in enumerate(blockers) if found]
    if not hit:
        return _empty_blocked()
    latest = np.where(np.isnat(finish[hit]), ready[hit],
                      np.where(np.isnat(ready[hit]), finish[hit], np.maximum(ready[hit], finish[hit])))
    promise = calendar.workday_many(pd.Series(latest.astype("datetime64[ns]")), lead_days)
    frame = pd.DataFrame({
        "order_no": text_column(lines, "order_no").iloc[hit].tolist(),
        "line_no": text_column(lines, "line_no").iloc[hit].tolist(),
        "customer": text_column(lines, "customer").iloc[hit].tolist(),
        "priority": text_column(lines, "priority").iloc[hit].tolist(),
        "part_no": text_column(lines, "part_no").iloc[hit].tolist(),
        "qty": number_column(lines, "qty").iloc[hit].to_numpy(),
        "due_date": due.iloc[hit].to_numpy(),
        "need_date": need[hit].astype("datetime64[ns]"),
        "material_ready": ready[hit].astype("datetime64[ns]"),
        "capacity_finish": finish[hit].astype("datetime64[ns]"),
        "promise_date": promise.to_numpy(),
        "blocked_by": [blockers[i] for i in hit],
    })
    frame.insert(len(frame.columns) - 1, "days_late",
                 (frame["promise_date"] - frame["due_date"]).dt.days.astype("Float64"))
    return frame.sort_values(["due_date", "order_no", "line_no"], na_position="last", kind="stable").reset_index(drop=True)


def _missing(value: float | None) -> bool:
    return value is None or bool(np.isnan(value))


def _day(day: float) -> pd.Timestamp:
    return pd.Timestamp(np.datetime64(int(day), "D"))


def _empty_shortages() -> pd.DataFrame:
    return pd.DataFrame(columns=["part_no", "need_date", "short_qty", "alternates_used", "buy_qty", "order_by",
                                 "order_late", "lead_time_days", "free_qty", "expedite", "lines"])


def _empty_capacity() -> pd.DataFrame:
    return pd.DataFrame(columns=["line", "week", "week_start", "required_h", "available_h", "load", "overloaded",
                                 "cum_required_h", "cum_available_h", "cum_overloaded", "in_capacity"])


def _empty_blocked() -> pd.DataFrame:
    return pd.DataFrame(columns=["order_no", "line_no", "customer", "priority", "part_no", "qty", "due_date",
                                 "need_date", "material_ready", "capacity_finish", "promise_date", "days_late",
                                 "blocked_by"])


def _empty_late() -> pd.DataFrame:
    return pd.DataFrame(columns=["po_no", "supplier", "part_no", "qty", "due_date", "status", "days_late",
                                 "need_date", "blocks", "waiting"])
