"""Capable-to-promise (SPEC section 4): material netting over a multi-level BOM and line
capacity, pure pandas.

Model, in the words a PMC planner would use:

* **Queue.** The PO lines under review and the open ledger lines (not shipped, closed or
  cancelled; the quantity still to ship) stand in one queue by due date (promised, else
  requested; an open order before a new line on the same day). A line only sees what the lines
  before it have not claimed, so nothing is promised twice.
* **Explosion.** The BOM is exploded level by level; each level multiplies
  ``qty_per × (1 + scrap_pct/100)``; DNP lines (and what hangs under them) are left out.
  Components that are not themselves parents are bought and netted; sub-assemblies are made
  (their routing loads capacity). A part without BOM is netted itself (a traded part).
* **Netting** per component: on hand − safety stock − allocated − claims of earlier lines, plus
  open purchase lines (an overdue one counts from the as-of date). The earlier lines' claims
  take the earliest supply (cumulative, first come first served).
* **Shortage.** Supply that arrives only after a new purchase would (purchase lead time +
  inspection, working days from the as-of date) does not count; the primary component is used
  first, then its alternates in order, then the rest is bought, rounded up to the MOQ (the
  surplus serves later lines).
* **Capacity.** Each part's routing puts hours per unit on a line; the line works its hours per
  working day from the as-of date, in queue order.
* **Promise** = later of material-ready and capacity finish, plus inspection and transport days.
  When the stock on hand already covers part of the quantity and that part could ship
  earlier, the promise is split in two.

The sequential part (who gets which stock) runs once per PO line under review, over that line's
components only; the explosion, the claims of open orders and the capacity queue are computed
with merges and cumulative sums over whole tables.
"""
from __future__ import annotations

import bisect
import datetime as dt
import math
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from addin.i18n import table
from addin.errors import InputError
from addin.compute.columns import date_column, match_key, number_column, qty_text, text_column
from addin.compute.coverage import calendar_gaps, flag_gaps, gap_notes, year_tuples

if TYPE_CHECKING:  # pragma: no cover
    from addin.compute.calendar import WorkingCalendar

__all__ = ["Plan", "promise_lines", "explode_bom", "component_tree", "demand_queue", "priority_rank", "claims",
           "Supply", "SupplyBook", "purchase_receipts", "Take", "Netting", "net_material", "capacity_schedule",
           "line_hours", "PLANNED", "MAX_BOM_LEVELS"]

MAX_BOM_LEVELS = 30
_CLOSED = {"shipped", "closed", "cancelled"}
_FAR = np.datetime64("2199-12-31", "D")


@dataclass(frozen=True)
class Plan:
    """What the factory has: canonical frames (see docs/ARCHITECTURE.md), any may be None.

    ``open_orders`` is the order ledger (its open lines claim material and capacity ahead of
    later lines). ``inspection_days`` (outgoing QC) and ``transport_days`` are working days
    added after production. ``bom_parent`` names the product of a BOM without a parent column
    (a KiCad/Altium export of one board)."""
    bom: pd.DataFrame | None = None
    stock: pd.DataFrame | None = None
    purchases: pd.DataFrame | None = None
    capacity: pd.DataFrame | None = None
    routing: pd.DataFrame | None = None
    open_orders: pd.DataFrame | None = None
    inspection_days: int = 0
    transport_days: int = 0
    bom_parent: str | None = None

    @property
    def has_material(self) -> bool:
        return self.stock is not None

    @property
    def has_capacity(self) -> bool:
        return self.capacity is not None and self.routing is not None


TEXT: dict[str, dict[str, str]] = table("promise")


# ---------------------------------------------------------------------- BOM explosion


def explode_bom(bom: pd.DataFrame, tops: list[str] | pd.Series, *, bom_parent: str | None = None) -> pd.DataFrame:
    """Every node under each top part, per one top unit: columns ``top``, ``part`` (matching
    keys: trimmed, case-folded), ``per`` (cumulated qty_per with scrap), ``level`` (0 = the top
    itself), ``leaf`` (bought: not itself a parent), ``alternates`` (tuple of keys), ``part_text``
    (as written), ``lead_time_days``, ``moq`` (from the BOM line).

    Leaves are summed per (top, part) when a component appears under several parents.
    Raises :class:`InputError` on a BOM cycle."""
    edges = _bom_edges(bom, bom_parent)
    tops = pd.Series(pd.unique(match_key(pd.Series(list(tops), dtype=object)).dropna()), dtype=object)
    frontier = pd.DataFrame({"top": tops, "part": tops, "per": 1.0, "level": 0,
                             "alternates": [()] * len(tops), "part_text": None,
                             "lead_time_days": np.nan, "moq": np.nan})
    nodes = [frontier]
    level = 0
    while len(frontier):
        level += 1
        child = frontier[["top", "part", "per"]].merge(edges, left_on="part", right_on="parent")
        if not len(child):
            break
        if level > MAX_BOM_LEVELS:
            loop = child["parent_text"].iloc[0]
            raise InputError(f"BOM: part '{loop}' is its own component (a loop more than "
                             f"{MAX_BOM_LEVELS} levels deep) — correct the parent/component columns",
                             value=loop, expected="a BOM without loops")
        frontier = pd.DataFrame({"top": child["top"].to_numpy(), "part": child["component"].to_numpy(),
                                 "per": (child["per"] * child["eff"]).to_numpy(), "level": level,
                                 "alternates": child["alternates"].to_numpy(),
                                 "part_text": child["component_text"].to_numpy(),
                                 "lead_time_days": child["lead_time_days"].to_numpy(),
                                 "moq": child["moq"].to_numpy()})
        nodes.append(frontier)
    tree = pd.concat(nodes, ignore_index=True)
    parents = set(edges["parent"].dropna().tolist())
    tree["leaf"] = ~tree["part"].isin(parents)
    leaves = tree[tree["leaf"]]
    made = tree[~tree["leaf"]]
    return pd.concat([_collapse(made), _collapse(leaves)], ignore_index=True)


def _collapse(nodes: pd.DataFrame) -> pd.DataFrame:
    """One row per (top, part), groups in order of first appearance; the alternates are united
    in one pass over the rows (a Python aggregate per group is slow with a thousand tops)."""
    groups = nodes.groupby(["top", "part"], sort=False)
    if not len(nodes):  # keep the dtypes an empty aggregate has always had
        return nodes.groupby(["top", "part"], sort=False, as_index=False).agg(
            per=("per", "sum"), level=("level", "min"), alternates=("alternates", _union),
            part_text=("part_text", "first"), lead_time_days=("lead_time_days", "first"),
            moq=("moq", "first"), leaf=("leaf", "first"))
    out = groups.agg(per=("per", "sum"), level=("level", "min"), part_text=("part_text", "first"),
                     lead_time_days=("lead_time_days", "first"), moq=("moq", "first"),
                     leaf=("leaf", "first")).reset_index()
    unions: list[dict] = [{} for _ in range(len(out))]
    for group, alts in zip(groups.ngroup().tolist(), nodes["alternates"].tolist()):
        for alt in alts or ():
            unions[group].setdefault(alt, None)
    out.insert(out.columns.get_loc("level") + 1, "alternates",
               pd.Series([tuple(u) for u in unions], index=out.index, dtype=object))
    return out


def _union(values: pd.Series) -> tuple:
    seen: dict[str, None] = {}
    for alts in values:
        for alt in alts or ():
            seen.setdefault(alt, None)
    return tuple(seen)


def _bom_edges(bom: pd.DataFrame, bom_parent: str | None) -> pd.DataFrame:
    dnp = text_column(bom, "dnp").fillna(False).astype(bool).to_numpy()
    bom = bom[~dnp]
    parent = match_key(text_column(bom, "parent"))
    if parent.isna().any():
        if bom_parent is None:
            if parent.notna().any():
                row = text_column(bom, "source_row")[parent.isna()].iloc[0]
                raise InputError(f"BOM row {row}: no parent part number — fill the parent column",
                                 value=None, expected="a parent part number")
            raise InputError("BOM has no parent column: name the product it builds (--bom-parent)",
                             expected="a parent column or --bom-parent")
        parent = parent.fillna(match_key(pd.Series([bom_parent])).iloc[0])
    qty_per = number_column(bom, "qty_per")
    designators = text_column(bom, "designators")
    counted = pd.Series([len([d for d in str(v).replace(";", ",").split(",") if d.strip()])
                         if isinstance(v, str) else np.nan for v in designators.tolist()], index=bom.index)
    qty_per = qty_per.fillna(counted).fillna(1.0)
    scrap = number_column(bom, "scrap_pct").fillna(0.0)
    raw_alts = [tuple(a) if isinstance(a, (tuple, list)) else () for a in text_column(bom, "alternates").tolist()]
    flat = match_key(pd.Series([x for a in raw_alts for x in a], dtype=object)).tolist()
    alternates, at = [], 0
    for a in raw_alts:  # keyed in one pass, then regrouped per BOM line
        alternates.append(tuple(k for k in flat[at:at + len(a)] if k))
        at += len(a)
    edges = pd.DataFrame({
        "parent": parent.to_numpy(), "parent_text": text_column(bom, "parent").to_numpy(dtype=object),
        "component": match_key(text_column(bom, "component")).to_numpy(),
        "component_text": text_column(bom, "component").to_numpy(dtype=object),
        "eff": (qty_per * (1.0 + scrap / 100.0)).to_numpy(),
        "alternates": pd.Series(alternates, dtype=object).to_numpy() if alternates else np.array([], object),
        "lead_time_days": number_column(bom, "lead_time_days").to_numpy(),
        "moq": number_column(bom, "moq").to_numpy(),
    })
    return edges[edges["component"].notna()]


def component_tree(plan: Plan, tops: pd.Series | list[str], lines: pd.DataFrame) -> pd.DataFrame:
    """:func:`explode_bom` of the plan's BOM under ``tops`` (a part without BOM is its own leaf:
    a traded part), each part named as the BOM, the order lines or the stock list write it."""
    tops = pd.Series(list(tops), dtype=object).dropna().unique().tolist()
    tree = (explode_bom(plan.bom, tops, bom_parent=plan.bom_parent) if plan.bom is not None
            else pd.DataFrame({"top": tops, "part": tops, "per": 1.0, "level": 0, "leaf": True,
                               "alternates": [()] * len(tops), "part_text": None,
                               "lead_time_days": np.nan, "moq": np.nan}))
    names = {}
    if plan.stock is not None:
        names = dict(zip(match_key(text_column(plan.stock, "part_no")).tolist(), text_column(plan.stock, "part_no").tolist()))
    names.update(zip(match_key(text_column(lines, "part_no")).tolist(), text_column(lines, "part_no").tolist()))
    tree["part_text"] = [text if isinstance(text, str) else names.get(part, part)
                         for text, part in zip(tree["part_text"], tree["part"])]
    return tree


# ---------------------------------------------------------------------- the queue

# 客户等级 words a planner writes, best first (letters and numbers rank by themselves)
_PRIORITY_WORDS = {
    "vip": 0, "top": 0, "urgent": 0, "紧急": 0, "特急": 0, "重要": 1, "战略": 1, "high": 1, "高": 1,
    "medium": 2, "normal": 2, "中": 2, "一般": 2, "普通": 2, "low": 3, "低": 3, "次要": 3,
}
_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def priority_rank(values: pd.Series) -> np.ndarray:
    """Customer priority (客户等级) as a sort key, smaller first: a number ranks by itself (1 before
    2), a letter grade by the alphabet with S above A (``S``, ``A级``, ``B类``), Chinese grades by
    their numeral (一级 before 二级), and the words planners use (VIP, 重要, 高/中/低, high/normal/low).
    A blank or unrecognised priority ranks after every recognised one."""
    codes, uniques = pd.factorize(pd.Series(values.to_numpy(dtype=object), dtype=object), use_na_sentinel=True)
    ranks = [_priority_value(value) for value in uniques.tolist()]
    table = np.array(ranks + [np.inf], dtype="float64")
    return table[codes]


def _priority_value(value: Any) -> float:
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return float(value) if np.isfinite(value) else np.inf
    text = unicodedata.normalize("NFKC", str(value)).strip().casefold()
    for tail in ("级客户", "类客户", "客户", "级", "类", "等", "档", "tier", "class", "grade", "level", "priority"):
        if text.endswith(tail) and len(text) > len(tail):
            text = text[: -len(tail)].strip()
    for head in ("tier", "class", "grade", "level", "priority", "p", "第"):
        if text.startswith(head) and len(text) > len(head) and not text[len(head)].isalpha():
            text = text[len(head):].strip(" -_:")
    try:
        return float(text)
    except ValueError:
        pass
    if text in _PRIORITY_WORDS:
        return float(_PRIORITY_WORDS[text]) - 10.0  # words before letters never collide: own band
    if len(text) == 1 and "a" <= text <= "z":
        return 0.0 if text == "s" else float(ord(text) - ord("a") + 1)
    if text in _CN_DIGITS:
        return float(_CN_DIGITS[text])
    return np.inf


def demand_queue(lines: pd.DataFrame, open_orders: pd.DataFrame | None = None, *,
                 due: str = "requested") -> pd.DataFrame:
    """``lines`` (each netted in turn: ``_batch``) and the open ledger lines (their claims come
    first, computed at once) in the order scarce stock goes: due date, then (an open order before
    a new line on the same day) customer priority (:func:`priority_rank`), then file order.
    ``due`` picks the date of ``lines``: ``requested`` (a PO under review: requested, else
    promised) or ``promised`` (accepted order lines: promised, else requested); open ledger lines
    are always due on their promise. Columns: _seq, _line (position in ``lines``, -1 for open
    lines), _batch, top, _qty, _due."""
    first, second = ("requested_date", "promised_date") if due == "requested" else ("promised_date", "requested_date")
    due_date = date_column(lines, first).fillna(date_column(lines, second))
    batch = pd.DataFrame({"_line": np.arange(len(lines)), "_batch": True,
                          "top": match_key(text_column(lines, "part_no")).to_numpy(),
                          "_qty": number_column(lines, "qty").fillna(0.0).to_numpy(), "_due": due_date.to_numpy(),
                          "_rank": priority_rank(text_column(lines, "priority")),
                          "_id": (match_key(text_column(lines, "order_no")).fillna("") + "\x1f"
                                  + match_key(text_column(lines, "line_no")).fillna("")).to_numpy()})
    frames = [batch]
    if open_orders is not None and len(open_orders):
        status = text_column(open_orders, "status").astype(object)
        keep = ~status.isin(_CLOSED).to_numpy()
        ledger = open_orders[keep]
        rest = (number_column(ledger, "qty") - number_column(ledger, "shipped_qty").fillna(0.0)).clip(lower=0.0)
        due_open = date_column(ledger, "promised_date").fillna(date_column(ledger, "requested_date"))
        ids = (match_key(text_column(ledger, "order_no")).fillna("") + "\x1f"
               + match_key(text_column(ledger, "line_no")).fillna(""))
        opened = pd.DataFrame({"_line": -1, "_batch": False, "top": match_key(text_column(ledger, "part_no")).to_numpy(),
                               "_qty": rest.fillna(0.0).to_numpy(), "_due": due_open.to_numpy(),
                               "_rank": priority_rank(text_column(ledger, "priority")),
                               "_id": ids.to_numpy()})
        # a PO under review may already be typed into the ledger: do not count it twice
        opened = opened[~opened["_id"].isin(set(batch["_id"])) & (opened["_qty"] > 0)]
        frames.append(opened)
    queue = pd.concat(frames, ignore_index=True)
    queue["_order"] = np.arange(len(queue))
    queue = queue.sort_values(["_due", "_batch", "_rank", "_order"], na_position="last", kind="stable")
    queue["_seq"] = np.arange(len(queue))
    return queue.drop(columns=["_order", "_id", "_rank"]).reset_index(drop=True)


# ---------------------------------------------------------------------- promise


def promise_lines(orders: pd.DataFrame, plan: Plan, *, calendar: WorkingCalendar, as_of: dt.date,
                  lang: str = "en") -> pd.DataFrame:
    """Per PO line (index of ``orders``): ``material_result``/``material_reason`` (when stock is
    given), ``capacity_result``/``capacity_reason`` (when capacity and routing are given),
    ``material_ready``, ``capacity_finish``, ``promise_date`` (NaT when neither ran or the plan
    cannot be made), ``split`` (list of ``{"qty", "date"}`` or None) and ``short_components``
    (tuple of part numbers short by the need date)."""
    if lang not in TEXT:
        raise ValueError(f"lang must be one of {sorted(TEXT)}, not {lang!r}")
    t = TEXT[lang]
    start = np.datetime64(pd.Timestamp(as_of).date(), "D")
    n = len(orders)
    lead_days = int(plan.inspection_days) + int(plan.transport_days)
    out = pd.DataFrame(index=orders.index)
    queue = demand_queue(orders, plan.open_orders)
    batch = queue[queue["_batch"]].sort_values("_line")
    qty = batch["_qty"].to_numpy()
    request = date_column(orders, "requested_date").to_numpy()
    need = calendar.workday_many(pd.Series(request), -lead_days).to_numpy().astype("datetime64[D]")

    tree = component_tree(plan, queue["top"], orders)
    shown = dict(zip(match_key(text_column(orders, "part_no")).tolist(), text_column(orders, "part_no").tolist()))

    ready = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    finish = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    early_qty = np.zeros(n)
    ran_material = ran_capacity = False
    short_names: list[tuple] = [()] * n

    if plan.has_material:
        ran_material = True
        netting = net_material(queue, tree, plan, calendar, start, need=need)
        ready, early_qty, short_rows, unknown = netting.ready, netting.early, netting.rows, netting.unknown
        results, reasons, short_names = [], [], []
        start_day = _int_day(start)
        need_days = [None if np.isnat(d) else day for d, day in zip(need, need.astype("int64").tolist())]
        for i in range(n):
            rows = short_rows[i]
            need_day = need_days[i]
            late = [r for r in rows if r[1] is None or need_day is None or r[1] > need_day]
            # the latest component is the one that sets the date: name it first
            late.sort(key=lambda r: -(r[1] - start_day) if r[1] is not None else -10**9)
            names = tuple(r[0] for r in late)
            if unknown[i]:
                results.append("fail")
                reasons.append(t["mat_unknown"].format(parts=_join(
                    [t["mat_part_none"].format(part=r[0], qty=qty_text(r[2])) for r in rows if r[1] is None], t)))
            elif pd.isna(need[i]):
                results.append("warn")
                reasons.append(t["mat_no_date"].format(ready=_iso(ready[i])))
            elif ready[i] <= need[i]:
                results.append("pass")
                count = len(rows)
                reasons.append(t["mat_ok"].format(count=count, ready=_iso(ready[i])) if count != 1 else
                               t["mat_ok_one"].format(part=rows[0][0], ready=_iso(ready[i])))
            else:
                results.append("fail")
                parts = [t["mat_part_buy"].format(part=r[0], ready=_iso_day(r[1]), qty=qty_text(r[2])) if r[2] > 0
                         else t["mat_part"].format(part=r[0], ready=_iso_day(r[1])) for r in late]
                reasons.append(t["mat_short"].format(need=_iso(need[i]), parts=_join(parts, t)))
            short_names.append(names)
        out["material_result"] = pd.Series(results, index=out.index, dtype=object)
        out["material_reason"] = pd.Series(reasons, index=out.index, dtype=object)

    cap_hours_before = np.full(n, np.nan)
    if plan.has_capacity:
        ran_capacity = True
        finish, results, reasons, early_finish = _capacity(queue, tree, plan, calendar, start, need,
                                                           early_qty if ran_material else None, shown, t)
        out["capacity_result"] = pd.Series(results, index=out.index, dtype=object)
        out["capacity_reason"] = pd.Series(reasons, index=out.index, dtype=object)
    else:
        early_finish = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")

    # promise = later of material ready and capacity finish, + inspection and transport
    nat = np.datetime64("NaT", "D")
    latest = np.full(n, nat, dtype="datetime64[D]")
    if ran_material:
        latest = ready.copy()
    if ran_capacity:
        known = ~np.isnat(finish)
        if ran_material:
            latest = np.where(known & ~np.isnat(latest), np.maximum(latest, finish), latest)
        else:
            latest = finish.copy()
    promise = calendar.workday_many(pd.Series(latest.astype("datetime64[ns]")), lead_days) \
        .to_numpy().astype("datetime64[D]")

    splits: list[Any] = [None] * n
    if ran_material:
        first = np.full(n, start)
        if ran_capacity:
            first = np.where(np.isnat(early_finish), start, np.maximum(start, early_finish))
        early_date = calendar.workday_many(pd.Series(first.astype("datetime64[ns]")), lead_days) \
            .to_numpy().astype("datetime64[D]")
        for i in range(n):
            x = early_qty[i]
            if 0 < x < qty[i] and not np.isnat(promise[i]) and early_date[i] < promise[i]:
                splits[i] = [{"qty": float(x), "date": pd.Timestamp(early_date[i])},
                             {"qty": float(qty[i] - x), "date": pd.Timestamp(promise[i])}]

    if ran_material or ran_capacity:
        _flag_calendar_gaps(out, calendar, lang, start=start, request=request, need=need, lead_days=lead_days,
                            ready=ready if ran_material else None, finish=finish if ran_capacity else None,
                            latest=latest, promise=promise, split_from=first if ran_material else None,
                            split_date=early_date if ran_material else None,
                            has_split=np.array([s is not None for s in splits], dtype=bool))

    out["material_ready"] = pd.Series(ready.astype("datetime64[ns]"), index=out.index)
    out["capacity_finish"] = pd.Series(finish.astype("datetime64[ns]"), index=out.index)
    out["promise_date"] = pd.Series(promise.astype("datetime64[ns]"), index=out.index)
    out["split"] = pd.Series(splits, index=out.index, dtype=object)
    out["short_components"] = pd.Series(short_names if ran_material else [()] * n, index=out.index, dtype=object)
    return out


def _flag_calendar_gaps(out: pd.DataFrame, calendar: WorkingCalendar, lang: str, *, start: np.datetime64,
                        request: np.ndarray, need: np.ndarray, lead_days: int, ready: np.ndarray | None,
                        finish: np.ndarray | None, latest: np.ndarray, promise: np.ndarray,
                        split_from: np.ndarray | None, split_date: np.ndarray | None, has_split: np.ndarray) -> None:
    """Material and capacity checks whose dates were counted through a year the calendar has no
    holiday data for become at least ``warn`` with the calendar note (in place), and
    ``calendar_years`` names those years per line. A check owns the dates it computed: its own
    ready / finish date from the as-of date, the need date (requested date minus inspection and
    transport), the promise date when its date set it, and the early part of a split."""
    n = len(out)
    nat = np.full(n, np.datetime64("NaT", "D"))
    starts = np.full(n, start)
    # WORKDAY(requested, -0) is the requested date itself: no calendar counted
    need_span = (need if lead_days else nat, request)
    spans: dict[str, list] = {}
    if ready is not None:
        # material sets the promise unless capacity finishes later
        sets = np.isnat(finish) | (ready >= finish) if finish is not None else np.ones(n, dtype=bool)
        spans["material"] = [(starts, ready), need_span, (np.where(sets & ~np.isnat(ready), latest, nat), promise)]
    if finish is not None:
        sets = (~np.isnat(finish) & ~np.isnat(ready) & (finish >= ready)) if ready is not None else np.ones(n, dtype=bool)
        spans["capacity"] = [(starts, finish), need_span, (np.where(sets, latest, nat), promise)]
    if split_date is not None:
        owner = "capacity" if finish is not None else "material"
        spans[owner].append((np.where(has_split, split_from, nat), split_date))
    for check, check_spans in spans.items():
        years, hit = calendar_gaps(calendar, check_spans)
        results, reasons = flag_gaps(out[f"{check}_result"].to_numpy(dtype=object),
                                     out[f"{check}_reason"].to_numpy(dtype=object),
                                     gap_notes(calendar, years, hit, lang), lang)
        out[f"{check}_result"] = pd.Series(results, index=out.index, dtype=object)
        out[f"{check}_reason"] = pd.Series(reasons, index=out.index, dtype=object)
    years, hit = calendar_gaps(calendar, [span for check_spans in spans.values() for span in check_spans])
    out["calendar_years"] = pd.Series(year_tuples(years, hit), index=out.index, dtype=object)


def _join(parts: list[str], t: dict[str, str], limit: int = 5) -> str:
    if len(parts) <= limit:
        return "; ".join(parts)
    return "; ".join(parts[:limit]) + " " + t["more"].format(n=len(parts) - limit)


def _iso_day(day: int) -> str:
    """A day counted since 1970 as ISO text."""
    return str(np.datetime64(day, "D"))


def _iso(day: Any) -> str:
    return "" if day is None or pd.isna(day) else str(np.datetime64(day, "D"))


PLANNED = -1   # the ref of a planned buy's point on a supply curve


class Supply:
    """The supply curve of one component: days (sorted, days since 1970), cumulative quantity by
    then, and where each point comes from (``refs``: the purchase line's row in the purchases
    frame, None for stock on hand, :data:`PLANNED` for a planned buy). Plain lists and bisect: a curve has a
    handful of points and is asked thousands of times."""
    __slots__ = ("dates", "cum", "refs")

    def __init__(self, start: int, on_hand: float, receipts: list[tuple[int, float, int]]):
        self.dates: list[int] = [start]
        self.cum: list[float] = [on_hand]
        self.refs: list[int | None] = [None]
        for day, qty, ref in sorted(receipts):
            self.dates.append(day)
            self.cum.append(self.cum[-1] + qty)
            self.refs.append(ref)

    def by(self, day: int) -> float:
        """Cumulative supply on ``day``."""
        i = bisect.bisect_right(self.dates, day) - 1
        return self.cum[i] if i >= 0 else 0.0

    def when(self, level: float) -> int | None:
        """First date the cumulative supply reaches ``level``."""
        i = bisect.bisect_left(self.cum, level - 1e-9)
        return self.dates[i] if i < len(self.dates) else None

    def add(self, day: int, qty: float) -> None:
        """A planned buy of ``qty`` arriving on ``day`` (added to the planned order there, if any)."""
        i = bisect.bisect_right(self.dates, day)
        if i and self.dates[i - 1] == day and self.refs[i - 1] == PLANNED:
            i -= 1
        else:
            self.dates.insert(i, day)
            self.cum.insert(i, self.cum[i - 1] if i else 0.0)
            self.refs.insert(i, PLANNED)
        for j in range(i, len(self.cum)):
            self.cum[j] += qty

    def sources(self, low: float, high: float) -> list[tuple[int | None, float, int]]:
        """What the slice (low, high] of the cumulative supply is made of: (ref, qty, day) per point."""
        out = []
        cum, i = self.cum, bisect.bisect_right(self.cum, low + 1e-9)
        while i < len(cum) and (cum[i - 1] if i else 0.0) < high - 1e-9:
            qty = min(cum[i], high) - max(cum[i - 1] if i else 0.0, low)
            if qty > 1e-9:
                out.append((self.refs[i], qty, self.dates[i]))
            i += 1
        return out


class SupplyBook:
    """What can be had of each component from ``start``: free stock now (on hand − safety stock
    − allocated), open purchase receipts, and buying (purchase lead time + inspection in working
    days, else the BOM's lead time). One per netting run: a part short is bought in one planned
    order (``ordered``), MOQ-rounded once, whose surplus serves the lines after."""

    def __init__(self, plan: Plan, leaves: pd.DataFrame, calendar: WorkingCalendar, start: np.datetime64):
        stock = plan.stock
        keys = match_key(text_column(stock, "part_no")).tolist()
        free = (number_column(stock, "on_hand").fillna(0.0) - number_column(stock, "safety_stock").fillna(0.0)
                - number_column(stock, "allocated").fillna(0.0))
        # a part on several rows (one per warehouse or lot) is their sum
        self.on_hand: dict[str, float] = {}
        for key, qty in zip(keys, free.tolist()):
            self.on_hand[key] = self.on_hand.get(key, 0.0) + qty
        self.purchase_lead = dict(zip(keys, number_column(stock, "purchase_lead_time_days").tolist()))
        self.inspection = dict(zip(keys, number_column(stock, "inspection_days").fillna(0.0).tolist()))
        self.stock_moq = dict(zip(keys, number_column(stock, "moq").tolist()))
        leaf_parts = leaves["part"].tolist()
        self.bom_lead = dict(zip(leaf_parts, leaves["lead_time_days"].tolist()))
        self.bom_moq = dict(zip(leaf_parts, leaves["moq"].tolist()))
        self.calendar, self.start = calendar, start
        self.start_day = _int_day(start)
        self.receipts = purchase_receipts(plan.purchases, start)
        self.supplies: dict[str, Supply] = {}
        self.minimums: dict[str, float | None] = {}
        self.ordered: dict[str, float] = {}     # the planned order per part bought (MOQ-rounded)
        self.buy_date = self._buy_dates(dict.fromkeys(leaf_parts))

    def supply(self, part: str) -> Supply:
        if part not in self.supplies:
            self.supplies[part] = Supply(self.start_day, float(self.on_hand.get(part, 0.0)),
                                         self.receipts.get(part, []))
        return self.supplies[part]

    def lead_total(self, part: str) -> int | None:
        """Working days to buy and inspect ``part``: purchase lead time, else the BOM's; None if neither."""
        days = self.purchase_lead.get(part, np.nan)
        if days is None or np.isnan(days):
            days = self.bom_lead.get(part, np.nan)
        if days is None or np.isnan(days):
            return None
        return int(days) + int(self.inspection.get(part, 0.0) or 0)

    def _buy_dates(self, parts) -> dict[str, int | None]:
        """The day each part bought today would arrive, all at once; a date outside the calendar
        is left to :meth:`arrival`, which raises the calendar's error only if it is really bought."""
        buy_date: dict[str, int | None] = {}
        lead_parts, lead_totals = [], []
        for part in parts:
            total = self.lead_total(part)
            if total is None:
                buy_date[part] = None
            else:
                lead_parts.append(part)
                lead_totals.append(total)
        if lead_parts:
            starts = pd.Series(np.full(len(lead_parts), self.start).astype("datetime64[ns]"))
            bought_on = self.calendar.workday_many(starts, np.array(lead_totals, dtype="float64")).to_numpy()
            for part, day in zip(lead_parts, bought_on.astype("datetime64[D]")):
                if not np.isnat(day):
                    buy_date[part] = int(day.astype("int64"))
        return buy_date

    def arrival(self, part: str) -> int | None:
        if part not in self.buy_date:
            total = self.lead_total(part)
            self.buy_date[part] = None if total is None else \
                _int_day(np.datetime64(self.calendar.workday(self.start.item(), total), "D"))
        return self.buy_date[part]

    def minimum_order(self, part: str) -> float | None:
        if part not in self.minimums:
            minimum = self.stock_moq.get(part, np.nan)
            if minimum is None or np.isnan(minimum):
                minimum = self.bom_moq.get(part, np.nan)
            self.minimums[part] = None if minimum is None or np.isnan(minimum) else float(minimum)
        return self.minimums[part]

    def buy(self, part: str, short: float, day: int) -> float:
        """Add ``short`` to the part's planned order (arriving ``day``); the order is at least the
        MOQ, so a first buy may bring a surplus later lines use. Returns what was added to supply."""
        before = self.ordered.get(part, 0.0)
        after = before + short
        minimum = self.minimum_order(part)
        if minimum is not None:
            after = max(after, minimum)
        self.ordered[part] = after
        added = after - before
        self.supply(part).add(day, added)
        return added


def purchase_receipts(purchases: pd.DataFrame | None, start: np.datetime64) -> dict[str, list]:
    """Open purchase lines as (day, qty, row) receipts per part (row: position in ``purchases``);
    one due before ``start`` (overdue, not yet received) is counted as arriving on ``start``."""
    receipts: dict[str, list] = {}
    if purchases is None or not len(purchases):
        return receipts
    pur = pd.DataFrame({"part": match_key(text_column(purchases, "part_no")).to_numpy(),
                        "qty": number_column(purchases, "qty").to_numpy(),
                        "due": date_column(purchases, "due_date").to_numpy().astype("datetime64[D]"),
                        "row": np.arange(len(purchases))})
    pur = pur[pur["part"].notna() & (pur["qty"] > 0) & pur["due"].notna()]
    due = np.maximum(pur["due"].to_numpy().astype("datetime64[D]"), start).astype("int64")
    for part, day, q, row in zip(pur["part"].tolist(), due.tolist(), pur["qty"].tolist(), pur["row"].tolist()):
        receipts.setdefault(part, []).append((day, float(q), row))
    return receipts


def claims(queue: pd.DataFrame, leaves: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """The batch's component rows with what open orders ahead in the queue claim of each
    (``_cb``), and the same claims on the alternates, keyed (alternate, queue position)."""
    # components as integer codes: the open orders explode to one row per component, and
    # sorting/looking up integers is much cheaper than text
    codes, uniques = pd.factorize(leaves["part"])
    code_of = {part: code for code, part in enumerate(uniques.tolist())}
    leaves = leaves.assign(_pc=codes)
    in_batch = queue["_batch"].to_numpy(dtype=bool)
    columns = ["_seq", "_line", "_batch", "top", "_qty"]
    batch_rows = queue.loc[in_batch, columns].merge(leaves, on="top")
    batch_rows["_need"] = batch_rows["_qty"] * batch_rows["per"]
    if in_batch.all():  # nothing ahead of the batch but itself (the PMC plan nets every line)
        batch_rows["_cb"] = 0.0
        return batch_rows, {}
    open_rows = queue.loc[~in_batch, columns].merge(leaves[["top", "_pc", "per"]], on="top")
    # claims of open orders: cumulative need per component in queue order
    open_need = pd.DataFrame({"_pc": open_rows["_pc"].to_numpy(), "_seq": open_rows["_seq"].to_numpy(),
                              "_need": (open_rows["_qty"] * open_rows["per"]).to_numpy()})
    open_need = open_need.sort_values(["_pc", "_seq"])
    open_need["_cum"] = open_need.groupby("_pc")["_need"].cumsum()
    batch_rows["_cb"] = _claims_before(batch_rows["_pc"].to_numpy(), batch_rows["_seq"].to_numpy(), open_need)
    alt_rows = batch_rows[["_seq", "alternates"]].explode("alternates").dropna()
    alt_rows = alt_rows.rename(columns={"alternates": "part"}).drop_duplicates()
    alt_parts = alt_rows["part"].tolist()
    alt_codes = np.array([code_of.get(part, -1) for part in alt_parts], dtype="int64")
    alt_claims = dict(zip(zip(alt_parts, alt_rows["_seq"].tolist()),
                          _claims_before(alt_codes, alt_rows["_seq"].to_numpy(), open_need).tolist()))
    return batch_rows, alt_claims


@dataclass(slots=True)
class Take:
    """One component of one batch line, as the netting allocated it (kept when asked for detail).
    Days are counted since 1970. ``by_need``: what existing supply covers by the line's need date
    (the as-of date when that has passed), None without a need date; ``sources``: (part, ref,
    qty, day) of each piece taken, ref the purchase row, None for stock, PLANNED for a planned buy;
    ``alternates``: the alternates used, with their quantities."""
    line: int
    part: str
    need_qty: float
    by_need: float | None
    ready: int | None
    bought: float
    sources: list
    alternates: list


@dataclass
class Netting:
    """What :func:`net_material` found, per batch line (position = ``_line``): the material-ready
    date (NaT when some shortage cannot be planned), the quantity buildable from stock on hand
    now, the (part text, ready day or None, bought) rows, whether some shortage cannot be planned;
    with ``detail``, the :class:`Take` of every component a line takes (except the parts whose
    stock on hand covers every line: nothing short, nothing to report); and the supply book
    (planned orders, curves)."""
    ready: np.ndarray
    early: np.ndarray
    rows: list[list]
    unknown: np.ndarray
    takes: list[Take] | None
    book: SupplyBook


def net_material(queue: pd.DataFrame, tree: pd.DataFrame, plan: Plan, calendar: WorkingCalendar,
                 start: np.datetime64, *, need: np.ndarray | None = None, detail: bool = False) -> Netting:
    """Allocate supply to the batch lines in queue order: the one netting the contract review, the
    promise date and the PMC plan share (SPEC sections 4 and 10).

    Per component of a line: supply that arrives by the line's ``need`` date (per ``_line``,
    datetime64[D]; the as-of date when it has passed) is taken first — the primary component,
    then its alternates in order — then supply arriving before a new purchase would; the rest is
    bought (one planned order per part, MOQ-rounded, arriving after purchase lead time +
    inspection). Supply that arrives only after a new purchase would does not count."""
    n = int(queue["_batch"].sum())
    leaves = tree[tree["leaf"]]
    book = SupplyBook(plan, leaves, calendar, start)
    # the hot loop below reads these as locals (one pass per component row of the batch)
    supplies, supply, buy_date, arrival, buy = book.supplies, book.supply, book.buy_date, book.arrival, book.buy
    start_day, far_day = book.start_day, _int_day(_FAR)
    text_of = dict(zip(leaves["part"].tolist(), leaves["part_text"].tolist()))
    need_days: list[int | None] = [None] * n
    if need is not None:
        days = np.asarray(need, dtype="datetime64[D]")
        need_days = [None if nat else max(day, start_day)
                     for nat, day in zip(np.isnat(days).tolist(), days.astype("int64").tolist())]

    used: dict[str, float] = {}
    ready = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    early = np.zeros(n)
    rows_of: list[list] = [[] for _ in range(n)]
    unknown = np.zeros(n, dtype=bool)
    takes: list[Take] | None = [] if detail else None

    lines_qty = dict(zip(queue.loc[queue["_batch"], "_line"].tolist(), queue.loc[queue["_batch"], "_qty"].tolist()))
    # parts on hand for every line need no allocation (nothing ahead claims them): their rows are
    # ready today, set apart before the lines are exploded into component rows
    ample = _ample(queue, leaves, book) if queue["_batch"].all() else frozenset()
    ample_lines: set[int] = set()
    if ample:
        is_ample = leaves["part"].isin(ample).to_numpy()
        on_hand = queue[["_line", "top", "_qty"]].merge(leaves.loc[is_ample, ["top", "part", "part_text", "per"]],
                                                         on="top")
        on_hand = on_hand[(on_hand["_qty"] * on_hand["per"]).to_numpy() > 0]
        texts = on_hand["part_text"].fillna(on_hand["part"]).tolist()
        for line, text in zip(on_hand["_line"].tolist(), texts):
            rows_of[line].append((text, start_day, 0.0))
        ample_lines = set(on_hand["_line"].tolist())
        leaves = leaves[~is_ample]
    batch_rows, alt_claims = claims(queue, leaves)
    batch_rows = batch_rows.sort_values(["_seq", "level"], kind="stable")
    columns = [batch_rows[c].tolist() for c in ("_line", "part", "_need", "_cb", "alternates", "_seq", "per")]
    rows_by_line: dict[int, list] = {}
    for row in zip(*columns):
        rows_by_line.setdefault(row[0], []).append(row[1:])
    right, left = bisect.bisect_right, bisect.bisect_left
    for line, group in rows_by_line.items():
        line_ready = start_day
        line_qty = lines_qty[line]
        units_now = line_qty if line in ample_lines else math.inf
        need_day = need_days[line]
        for part, need_qty, claimed, alts, seq, per in group:
            if need_qty <= 0:
                continue
            horizon = buy_date[part] if part in buy_date else arrival(part)
            limit = horizon if horizon is not None else far_day
            first = need_day if need_day is not None and need_day < limit else limit
            primary = supplies.get(part) or supply(part)
            consumed = claimed + used.get(part, 0.0)
            p_dates, p_cum = primary.dates, primary.cum
            at = right(p_dates, first) - 1
            have = (p_cum[at] if at >= 0 else 0.0) - consumed
            if have >= need_qty - 1e-9:
                # the common case: the primary alone covers the line by the first date
                at = right(p_dates, start_day) - 1
                now = min(max((p_cum[at] if at >= 0 else 0.0) - consumed, 0.0), need_qty)
                part_ready = primary.when(consumed + need_qty)
                used[part] = used.get(part, 0.0) + need_qty
                rows_of[line].append((text_of.get(part) or part, part_ready, 0.0))
                if part_ready > line_ready:
                    line_ready = part_ready
                units_now = min(units_now, now / per if per else math.inf)
                if detail:
                    if need_day is None:
                        by_need = None
                    else:
                        at = right(p_dates, need_day) - 1
                        by_need = min(max((p_cum[at] if at >= 0 else 0.0) - consumed, 0.0), need_qty)
                    first_point = left(p_cum, consumed + 1e-9)
                    if first_point == left(p_cum, consumed + need_qty - 1e-9):  # one receipt (or the stock)
                        pieces = [(part, primary.refs[first_point], need_qty, p_dates[first_point])]
                    else:
                        pieces = [(part, ref, qty, day) for ref, qty, day in
                                  primary.sources(consumed, consumed + need_qty)]
                    takes.append(Take(line, part, need_qty, by_need, part_ready, 0.0, pieces, []))
                continue
            # sources in order of preference: (key, curve, consumed before this line, taken)
            sources = [[part, primary, consumed, 0.0]]
            if not alts and horizon is not None and p_cum[-1] - consumed <= 1e-9:
                # nothing left of the part at all: all of it is bought (the common shortage)
                buy(part, need_qty, horizon)
                used[part] = used.get(part, 0.0) + need_qty
                rows_of[line].append((text_of.get(part) or part, horizon, need_qty))
                line_ready = max(line_ready, horizon)
                units_now = 0.0
                if detail:
                    takes.append(Take(line, part, need_qty, None if need_day is None else 0.0, horizon, need_qty,
                                      [], []))
                continue
            for alt in alts or ():
                sources.append([alt, supplies.get(alt) or supply(alt),
                                alt_claims.get((alt, seq), 0.0) + used.get(alt, 0.0), 0.0])
            rest = need_qty
            for day in ((first, limit) if first < limit else (limit,)):
                for source in sources:
                    if rest <= 1e-9:
                        break
                    dates, cum = source[1].dates, source[1].cum
                    at = right(dates, day) - 1
                    got = min(max((cum[at] if at >= 0 else 0.0) - source[2] - source[3], 0.0), rest)
                    if got > 0:
                        source[3] += got
                        rest -= got
            now = 0.0
            part_ready = None
            by_need = 0.0 if need_day is not None else None
            for key, curve, before, taken in sources:
                if taken <= 0:
                    continue
                used[key] = used.get(key, 0.0) + taken
                now += min(max(curve.by(start_day) - before, 0.0), taken)
                if by_need is not None:
                    by_need += min(max(curve.by(need_day) - before, 0.0), taken)
                day = curve.when(before + taken)
                part_ready = day if part_ready is None or day > part_ready else part_ready
            bought = 0.0
            if rest > 1e-9:
                if horizon is None:
                    unknown[line] = True
                    rows_of[line].append((text_of.get(part) or part, None, rest))
                    units_now = min(units_now, now / per if per else math.inf)
                    if detail:
                        takes.append(Take(line, part, need_qty, by_need, None, rest, _pieces(sources), _alts(sources)))
                    continue
                buy(part, rest, horizon)
                used[part] = used.get(part, 0.0) + rest
                part_ready = horizon if part_ready is None or horizon > part_ready else part_ready
                bought = rest
            if part_ready is None:
                part_ready = start_day
            rows_of[line].append((text_of.get(part) or part, part_ready, bought))
            line_ready = max(line_ready, part_ready)
            units_now = min(units_now, now / per if per else math.inf)
            if detail:
                takes.append(Take(line, part, need_qty, by_need, part_ready, bought, _pieces(sources), _alts(sources)))
        ready[line] = np.datetime64("NaT") if unknown[line] else np.datetime64(line_ready, "D")
        early[line] = 0.0 if units_now is math.inf else min(math.floor(units_now + 1e-9), line_qty)
    # a line without any component to net (qty 0), or with only parts on hand, is ready at once
    for line in range(n):
        if line not in rows_by_line and not unknown[line] and (not rows_of[line] or line in ample_lines):
            ready[line] = start
            early[line] = lines_qty.get(line, 0.0)
    return Netting(ready, early, rows_of, unknown, takes, book)


def _ample(queue: pd.DataFrame, leaves: pd.DataFrame, book: SupplyBook) -> frozenset:
    """Parts whose free stock on hand covers what every batch line could take of them, as the
    component and as an alternate: their allocation cannot run short, whatever the order.
    Counted per (top, part) of the BOM, not per line: a few thousand rows, not a million."""
    batch = queue[queue["_batch"].to_numpy(dtype=bool)]
    per_top = batch.groupby("top")["_qty"].sum()
    rows = leaves[["top", "part", "per", "alternates"]].assign(
        _need=leaves["top"].map(per_top).to_numpy(dtype="float64") * leaves["per"].to_numpy(dtype="float64"))
    rows = rows[rows["_need"] > 0]
    need = rows.groupby("part")["_need"].sum()
    alts = rows[["alternates", "_need"]].explode("alternates").dropna()
    if len(alts):
        need = need.add(alts.groupby("alternates")["_need"].sum(), fill_value=0.0)
    on_hand = book.on_hand
    free = np.array([on_hand.get(part, 0.0) for part in need.index.tolist()], dtype="float64")
    return frozenset(need.index[need.to_numpy() <= free - 1e-9].tolist())


def _pieces(sources: list) -> list[tuple]:
    """(part, purchase row / None for stock / PLANNED, qty, day) of what each source gave the line."""
    return [(key, ref, qty, day) for key, curve, before, taken in sources if taken > 0
            for ref, qty, day in curve.sources(before, before + taken)]


def _alts(sources: list) -> list[tuple[str, float]]:
    return [(key, taken) for key, _, _, taken in sources[1:] if taken > 0]


def _int_day(day: np.datetime64) -> int:
    return int(np.datetime64(day, "D").astype("int64"))


def _claims_before(part_codes: np.ndarray, seqs: np.ndarray, open_need: pd.DataFrame) -> np.ndarray:
    """Cumulative open-order need (``open_need``: _pc, _seq, _cum) of each component code strictly
    before its queue position; 0 where none (code -1: a part no open order needs)."""
    if not len(part_codes):
        return np.zeros(0)
    if not len(open_need):
        return np.zeros(len(part_codes))
    # an as-of lookup with one sorted int64 key: component code, then queue position
    open_code = open_need["_pc"].to_numpy(dtype="int64")
    open_seq = open_need["_seq"].to_numpy(dtype="int64")
    row_code = np.asarray(part_codes, dtype="int64")
    row_seq = np.asarray(seqs, dtype="int64")
    big = int(max(open_seq.max(), row_seq.max())) + 1
    open_key = open_code * big + open_seq
    order = np.argsort(open_key, kind="stable")
    open_key = open_key[order]
    cum = open_need["_cum"].to_numpy(dtype="float64")[order]
    at = np.searchsorted(open_key, row_code * big + row_seq, side="left") - 1
    safe = np.clip(at, 0, None)
    hit = (at >= 0) & (row_code >= 0) & (open_key[safe] // big == row_code)
    found = np.where(hit, cum[safe], 0.0)
    return np.where(np.isnan(found), 0.0, found)


# ---------------------------------------------------------------------- capacity


def capacity_schedule(queue: pd.DataFrame, tree: pd.DataFrame, plan: Plan, calendar: WorkingCalendar,
                      start: np.datetime64) -> pd.DataFrame:
    """Each batch line's hours on each production line, scheduled forward from ``start`` in queue
    order (the open orders ahead load the line first): one row per (batch line, work line) with
    ``_line``, ``_seq``, ``work_line`` (as written), ``_wl`` (key), ``hpt`` (hours per unit of the
    top), ``_hours``, ``_cum`` (the line's cumulative hours up to and with this one), ``_hpd``
    (hours per working day, NaN when the capacity sheet lacks the line), ``_known`` and
    ``_finish`` (the working day the hours are done). Shared by the promise and the PMC plan."""
    routing = pd.DataFrame({"part": match_key(text_column(plan.routing, "part_no")).to_numpy(),
                            "work_line": text_column(plan.routing, "line").to_numpy(dtype=object),
                            "hpu": number_column(plan.routing, "hours_per_unit").fillna(0.0).to_numpy()})
    routing["_wl"] = match_key(routing["work_line"])
    loads = tree[["top", "part", "per"]].merge(routing, on="part")
    loads["hpt"] = loads["per"] * loads["hpu"]
    loads = loads.groupby(["top", "_wl"], as_index=False).agg(hpt=("hpt", "sum"), work_line=("work_line", "first"))
    rows = queue[["_seq", "_line", "_batch", "top", "_qty"]].merge(loads, on="top")
    rows["_hours"] = rows["_qty"] * rows["hpt"]
    rows = rows.sort_values(["_wl", "_seq"])
    rows["_cum"] = rows.groupby("_wl")["_hours"].cumsum()
    rows["_hpd"] = rows["_wl"].map(line_hours(plan.capacity))
    rows = rows[rows["_batch"]].copy()
    known = rows["_hpd"] > 0
    day_index = np.ceil((rows["_cum"] / rows["_hpd"]).where(known) - 1e-9).clip(lower=1)
    base = pd.Series(np.full(len(rows), np.datetime64(start - 1, "ns")))
    rows["_finish"] = calendar.workday_many(base, pd.Series(day_index.to_numpy())).to_numpy()
    rows["_known"] = known.to_numpy()
    return rows


def line_hours(capacity: pd.DataFrame) -> pd.Series:
    """Hours per working day of each production line (key → hours): the hours per day, else
    shifts × hours per shift; a line on several rows adds up."""
    hours = number_column(capacity, "hours_per_day")
    hours = hours.fillna(number_column(capacity, "shifts").fillna(1.0) * number_column(capacity, "hours_per_shift"))
    per_day = pd.Series(hours.to_numpy(), index=match_key(text_column(capacity, "line")).to_numpy())
    return per_day[per_day.index.notna()].groupby(level=0).sum()


def _capacity(queue, tree, plan, calendar, start, need, early_qty, shown, t):
    n = int(queue["_batch"].sum())
    rows = capacity_schedule(queue, tree, plan, calendar, start)
    known = rows["_known"]
    cum_before = rows["_cum"] - rows["_hours"]
    base = pd.Series(np.full(len(rows), np.datetime64(start - 1, "ns")))
    if early_qty is not None:
        part_hours = cum_before + early_qty[rows["_line"].to_numpy()] * rows["hpt"]
        early_index = np.ceil((part_hours / rows["_hpd"]).where(known) - 1e-9).clip(lower=1)
        rows["_early"] = calendar.workday_many(base, pd.Series(early_index.to_numpy())).to_numpy()
    else:
        rows["_early"] = pd.NaT
    # free hours up to the need date, to say how much is over
    need_rows = pd.Series(need[rows["_line"].to_numpy()].astype("datetime64[ns]"))
    days_to_need = calendar.networkdays_many(pd.Series(np.full(len(rows), np.datetime64(start, "ns"))),
                                             need_rows).astype("float64").fillna(0.0).clip(lower=0).to_numpy()
    rows["_over"] = rows["_cum"].to_numpy() - days_to_need * rows["_hpd"].to_numpy()
    rows["_known"] = known.to_numpy()

    finish = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    early = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    results: list[str] = ["warn"] * n
    reasons: list[str] = [""] * n
    part_text = queue.loc[queue["_batch"]].sort_values("_line")["top"].tolist()
    for i in range(n):
        reasons[i] = t["cap_no_routing"].format(part=shown.get(part_text[i], part_text[i]))
    rows["_finish_d"] = rows["_finish"].to_numpy().astype("datetime64[D]")
    rows["_early_d"] = pd.to_datetime(rows["_early"]).to_numpy().astype("datetime64[D]")
    ok = rows[rows["_known"]]
    missing = rows.loc[~rows["_known"], ["_line", "work_line"]]
    missing_names: dict[int, list] = {}
    for line, name in zip(missing["_line"].tolist(), missing["work_line"].tolist()):
        missing_names.setdefault(line, []).append(str(name))
    per_line = ok.groupby("_line").agg(finish=("_finish_d", "max"), early=("_early_d", "max"),
                                       hours=("_hours", "sum"))
    # the work lines of each PO line in row order, joined without a Python aggregate per group
    line_names: dict[int, list] = {}
    for line, name in zip(ok["_line"].tolist(), ok["work_line"].tolist()):
        line_names.setdefault(line, []).append(str(name))
    for line, last, first_part, hours in zip(per_line.index.tolist(), per_line["finish"].to_numpy(),
                                             per_line["early"].to_numpy(), per_line["hours"].tolist()):
        names = ", ".join(line_names[line])
        last = np.datetime64(last, "D")
        finish[line] = last
        early[line] = np.datetime64(first_part, "D")
        if line in missing_names:
            continue
        if np.isnat(need[line]):
            results[line] = "warn"
            reasons[line] = t["cap_no_date"].format(finish=_iso(last))
        elif last <= need[line]:
            results[line] = "pass"
            reasons[line] = t["cap_ok"].format(lines=names, finish=_iso(last), hours=qty_text(round(hours, 2)))
        else:
            results[line] = "fail"
    for line, names in missing_names.items():
        results[line] = "warn"
        reasons[line] = t["cap_no_line"].format(lines=", ".join(names))
    late = ok[ok["_finish_d"].to_numpy() > need[ok["_line"].to_numpy()]]
    late_parts: dict[int, list] = {}
    for line, wl, fin, over in zip(late["_line"].tolist(), late["work_line"].tolist(),
                                   late["_finish_d"].to_numpy(), late["_over"].tolist()):
        if results[line] != "fail":
            continue
        first = np.datetime64(calendar.workday(need[line].item(), 1), "D")
        days = _iso(first) if _iso(first) == _iso(fin) else f"{_iso(first)}..{_iso(fin)}"
        late_parts.setdefault(line, []).append(
            t["cap_late"].format(lines=wl, finish=_iso(fin), need=_iso(need[line]),
                                 over=qty_text(round(float(over), 1)), days=days))
    for line, parts in late_parts.items():
        reasons[line] = "; ".join(parts)
    return finish, results, reasons, early
