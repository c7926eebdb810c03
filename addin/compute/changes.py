"""Order changes (SPEC section 11): every change between two read copies of the same ledger,
and the re-promise of what the changes move.

**Matching.** Lines are keyed by order number and line number (trimmed, case and width folded;
a numeric line number ``01``/``1.0`` is ``1``). The row order and the sheet name play no part.
A key met more than once in a file (a duplicated line) and lines without a line number are not
merged: within their order they are paired with the other copy's lines first where every
compared field is equal, then by part number, then in file order; what is left over is added or
removed. Each such case is reported (:class:`DiffIssue`) with the rows it concerns.

**Kinds** of change: ``added``, ``removed``, ``cancelled`` (the status became cancelled),
``qty``, ``requested_date`` (the customer moved the date), ``promised_date`` (we re-committed),
``part_no``, ``revision``, ``status`` (any other status change). A field that one copy has no
column for is not compared (the issue says so) rather than reported as changed on every line.

**Re-promise.** With a plan (BOM, stock, purchases, capacity, routing) the open lines of both
copies are promised the same way (:func:`addin.compute.promise.promise_lines`, from the same
as-of date, so only the ledger differs): each line whose capable-to-promise date moves is listed
with the old and the new date and why it was looked at — it changed, it shares a bought
component or a production line with a changed line, or (rarely) it moved through a longer chain.

Pure: frames in, frames and dataclasses out.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable

import numpy as np
import pandas as pd

from addin.compute.columns import date_column, match_key, number_column, text_column

if TYPE_CHECKING:  # pragma: no cover
    from addin.compute.calendar import WorkingCalendar
    from addin.compute.promise import Plan

__all__ = ["KINDS", "NOTICE_KINDS", "DiffIssue", "LedgerDiff", "diff_ledgers", "line_key", "Repromise",
           "repromise", "json_value"]

KINDS: tuple[str, ...] = ("added", "removed", "cancelled", "qty", "requested_date", "promised_date",
                          "part_no", "revision", "status")
# the kinds a customer and production are told about (a status moving on is progress, not a change)
NOTICE_KINDS: frozenset[str] = frozenset(KINDS) - {"status"}
_COMPARED = ("part_no", "revision", "qty", "requested_date", "promised_date", "status")
_DATES = ("requested_date", "promised_date")
_CLOSED = frozenset({"shipped", "closed", "cancelled"})


@dataclass(frozen=True)
class DiffIssue:
    """A case the comparison resolved by a rule the user should know: ``duplicate_key`` (a key
    met more than once in ``side``), ``no_line_no`` (lines of an order without a line number),
    ``no_column`` (a field one copy has no column for: not compared)."""
    kind: str
    side: str                      # old | new | both
    order_no: str | None = None
    line_no: str | None = None
    rows: tuple[int, ...] = ()     # the file's row numbers
    count: int = 0
    field: str | None = None


@dataclass(frozen=True)
class LedgerDiff:
    """``changes``: one row per change — order_no, line_no, customer, part_no, description, kind,
    old, new (plain values), old_row, new_row (file rows), old_index, new_index (frame index,
    NaN for none). ``pairs``: the matched lines (old_index, new_index, key columns).
    ``issues``: :class:`DiffIssue` list."""
    changes: pd.DataFrame
    pairs: pd.DataFrame
    issues: list[DiffIssue] = field(default_factory=list)
    old_lines: int = 0
    new_lines: int = 0

    @property
    def changed_orders(self) -> list[str]:
        """Orders with a change the notices are written for (not a status moving on), in order."""
        notice = self.changes[self.changes["kind"].isin(NOTICE_KINDS)]
        return list(dict.fromkeys(notice["order_no"].tolist()))

    def counts(self) -> dict[str, int]:
        found = self.changes["kind"].value_counts()
        return {k: int(found.get(k, 0)) for k in KINDS}


_INT = re.compile(r"^0*(\d+)(?:\.0+)?$")


def line_key(value: Any) -> str | None:
    """A line number as a matching key: ``01``, ``1.0`` and ``1`` are the same line."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (int, np.integer)) or (isinstance(value, float) and value.is_integer()):
        return str(int(value))
    return _text_key(str(value))


@functools.lru_cache(maxsize=65536)
def _text_key(text: str) -> str | None:
    # the same folding as columns.match_key (NFKC, trimmed, case-folded), one value at a time
    key = unicodedata.normalize("NFKC", text).strip().casefold()
    if not key:
        return None
    m = _INT.match(key)
    return str(int(m.group(1))) if m else key


def _keys(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    orders = match_key(text_column(frame, "order_no")).fillna("")
    lines = pd.Series([line_key(v) for v in text_column(frame, "line_no").tolist()], index=frame.index, dtype=object)
    return orders, lines


def _rows(frame: pd.DataFrame) -> pd.Series:
    if "source_row" in frame.columns:
        return pd.to_numeric(frame["source_row"], errors="coerce")
    return pd.Series(np.arange(len(frame), dtype="float64") + 2, index=frame.index)


def _present(frame: pd.DataFrame, fields: Iterable[str] | None) -> set[str]:
    """The compared fields a copy has a column for (``fields`` as the reader found them, else any
    value present)."""
    if fields is not None:
        return {f for f in _COMPARED if f in set(fields)}
    return {f for f in _COMPARED if f in frame.columns and frame[f].notna().any()}


def _values(frame: pd.DataFrame) -> dict[str, list]:
    """The compared fields as plain comparable values per line."""
    out: dict[str, list] = {}
    for name in ("part_no", "revision"):
        out[name] = text_column(frame, name).tolist()
        out[f"{name}_key"] = match_key(text_column(frame, name)).tolist()
    out["qty"] = number_column(frame, "qty").tolist()
    for name in _DATES:
        out[name] = [None if pd.isna(d) else d.date() for d in date_column(frame, name)]
    out["status"] = [None if s is None or (isinstance(s, float) and math.isnan(s)) else str(s)
                     for s in text_column(frame, "status").tolist()]
    return out


def _same_qty(a: float, b: float) -> bool:
    if a is None or b is None or (isinstance(a, float) and math.isnan(a)) or (isinstance(b, float) and math.isnan(b)):
        return (a is None or a != a) and (b is None or b != b)
    return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(a)))


def _field_changes(o: dict[str, Any], n: dict[str, Any], fields: set[str]) -> list[tuple[str, Any, Any]]:
    out: list[tuple[str, Any, Any]] = []
    if "status" in fields and n["status"] == "cancelled" and o["status"] != "cancelled":
        out.append(("cancelled", o["status"], n["status"]))
    for name in ("qty", "requested_date", "promised_date", "part_no", "revision"):
        if name not in fields:
            continue
        if name == "qty":
            if not _same_qty(o["qty"], n["qty"]):
                out.append(("qty", o["qty"], n["qty"]))
        elif name in _DATES:
            if o[name] != n[name]:
                out.append((name, o[name], n[name]))
        elif o[f"{name}_key"] != n[f"{name}_key"]:
            out.append((name, o[name], n[name]))
    if "status" in fields and o["status"] != n["status"] and not (n["status"] == "cancelled"):
        out.append(("status", o["status"], n["status"]))
    return out


def _line(values: dict[str, list], i: int) -> dict[str, Any]:
    return {k: v[i] for k, v in values.items()}


def _identical(o: dict[str, Any], n: dict[str, Any], fields: set[str]) -> bool:
    return not _field_changes(o, n, fields)


def diff_ledgers(old: pd.DataFrame, new: pd.DataFrame, *, old_fields: Iterable[str] | None = None,
                 new_fields: Iterable[str] | None = None) -> LedgerDiff:
    """Every change from ``old`` to ``new`` (canonical ledger frames; see the module text).
    ``old_fields``/``new_fields``: the fields each reader found a column for."""
    old_orders, old_lines = _keys(old)
    new_orders, new_lines = _keys(new)
    old_rows, new_rows = _rows(old).tolist(), _rows(new).tolist()
    old_present, new_present = _present(old, old_fields), _present(new, new_fields)
    fields = old_present & new_present
    issues: list[DiffIssue] = [DiffIssue("no_column", "old" if f in new_present else "new", field=f)
                               for f in sorted((old_present | new_present) - fields, key=_COMPARED.index)]
    ov, nv = _values(old), _values(new)

    # positions grouped by (order, line key); line key None groups the order's unnumbered lines
    def groups(orders: pd.Series, lines: pd.Series) -> dict[tuple, list[int]]:
        out: dict[tuple, list[int]] = {}
        for pos, key in enumerate(zip(orders.tolist(), lines.tolist())):
            out.setdefault(key, []).append(pos)
        return out

    og, ng = groups(old_orders, old_lines), groups(new_orders, new_lines)
    for side, grouped, frame, rows in (("old", og, old, old_rows), ("new", ng, new, new_rows)):
        shown = text_column(frame, "order_no").tolist()
        line_shown = text_column(frame, "line_no").tolist()
        for (order, line), positions in grouped.items():
            if line is None:
                issues.append(DiffIssue("no_line_no", side, shown[positions[0]], None,
                                        tuple(int(rows[p]) for p in positions), len(positions)))
            elif len(positions) > 1:
                issues.append(DiffIssue("duplicate_key", side, shown[positions[0]], _text(line_shown[positions[0]]),
                                        tuple(int(rows[p]) for p in positions), len(positions)))

    pairs: list[tuple[int | None, int | None]] = []
    for key in list(dict.fromkeys(list(og) + list(ng))):
        olds, news = list(og.get(key, [])), list(ng.get(key, []))
        if len(olds) == 1 and len(news) == 1:
            pairs.append((olds[0], news[0]))
            continue
        # several lines under one key: identical first, then the same part, then file order
        for rule in ("identical", "part", "order"):
            for o in list(olds):
                for n in news:
                    a, b = _line(ov, o), _line(nv, n)
                    if rule == "identical" and not _identical(a, b, fields):
                        continue
                    if rule == "part" and a["part_no_key"] != b["part_no_key"]:
                        continue
                    pairs.append((o, n))
                    olds.remove(o)
                    news.remove(n)
                    break
        pairs += [(o, None) for o in olds] + [(None, n) for n in news]

    records: list[dict[str, Any]] = []
    old_index, new_index = old.index.to_list(), new.index.to_list()
    old_text = {c: text_column(old, c).tolist() for c in ("order_no", "line_no", "customer", "part_no", "description")}
    new_text = {c: text_column(new, c).tolist() for c in ("order_no", "line_no", "customer", "part_no", "description")}
    pair_rows = []
    for o, n in pairs:
        base = new_text if n is not None else old_text
        at = n if n is not None else o
        head = {c: _text(base[c][at]) for c in ("order_no", "line_no", "customer", "part_no", "description")}
        head.update(old_row=None if o is None else int(old_rows[o]), new_row=None if n is None else int(new_rows[n]),
                    old_index=None if o is None else old_index[o], new_index=None if n is None else new_index[n])
        pair_rows.append({**head, "_sort": _sort_key(head["order_no"], head["line_no"], at if n is not None else o)})
        if o is None:
            records.append({**head, "kind": "added", "old": None, "new": _summary(nv, n)})
        elif n is None:
            records.append({**head, "kind": "removed", "old": _summary(ov, o), "new": None})
        else:
            for kind, before, after in _field_changes(_line(ov, o), _line(nv, n), fields):
                records.append({**head, "kind": kind, "old": _plain(before), "new": _plain(after)})
    columns = ["order_no", "line_no", "customer", "part_no", "description", "kind", "old", "new", "old_row",
               "new_row", "old_index", "new_index"]
    changes = _frame(records, columns)
    if len(changes):
        order = [(_sort_key(r["order_no"], r["line_no"], 0), KINDS.index(r["kind"])) for r in records]
        changes = changes.iloc[sorted(range(len(records)), key=lambda i: order[i])].reset_index(drop=True)
    pair_frame = _frame(pair_rows, columns[:5] + columns[8:] + ["_sort"])
    if len(pair_frame):
        pair_frame = pair_frame.iloc[sorted(range(len(pair_frame)), key=lambda i: pair_rows[i]["_sort"])]
    pair_frame = pair_frame.drop(columns="_sort").reset_index(drop=True)
    return LedgerDiff(changes, pair_frame, issues, old_lines=len(old), new_lines=len(new))


def _frame(records: list[dict], columns: list[str]) -> pd.DataFrame:
    """Records as a frame whose columns stay Python objects (a row index is never a float)."""
    return pd.DataFrame({c: pd.Series([r.get(c) for r in records], dtype=object) for c in columns})


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _sort_key(order: str | None, line: str | None, position: int) -> tuple:
    key = line_key(line)
    number = int(key) if key is not None and key.isdigit() else None
    return (order or "", number is None, number or 0, key or "", position)


def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return int(value) if float(value).is_integer() else float(value)
    return value


def _summary(values: dict[str, list], i: int) -> dict[str, Any]:
    """An added or removed line, as the notices show it."""
    return {"part_no": values["part_no"][i], "revision": values["revision"][i], "qty": _plain(values["qty"][i]),
            "requested_date": values["requested_date"][i], "promised_date": values["promised_date"][i],
            "status": values["status"][i]}


def json_value(value: Any) -> Any:
    """A change's old/new value for JSON: dates ISO, numbers plain, a line summary as an object."""
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    if isinstance(value, (dt.date, pd.Timestamp)):
        return pd.Timestamp(value).date().isoformat()
    return _plain(value)


# ---------------------------------------------------------------------- re-promise


@dataclass(frozen=True)
class Repromise:
    """``lines``: each open line of the new copy that was re-promised — order_no, line_no,
    customer, part_no, qty, promised_date (as the ledger says), why (``changed``, ``component``,
    ``line``, ``chain``), shared (the components or production lines it shares with a changed
    line), old_promise, new_promise, moved (bool), days (new − old, calendar days), after_promise
    (the new date is after the ledger's promised date), reason (the material and capacity
    reasons of the new promise). ``moved``: the rows of ``lines`` whose date moved."""
    lines: pd.DataFrame
    ran_material: bool
    ran_capacity: bool

    @property
    def moved(self) -> pd.DataFrame:
        return self.lines[self.lines["moved"]].reset_index(drop=True)


def _open(frame: pd.DataFrame) -> pd.DataFrame:
    from addin.compute.plan import open_lines
    return open_lines(frame)


def _resources(plan: Plan, lines: pd.DataFrame) -> dict[str, tuple[set[str], set[str]]]:
    """Per part number key: the bought components (and their alternates) and the production lines
    making it or its sub-assemblies."""
    from addin.compute.promise import component_tree
    tops = match_key(text_column(lines, "part_no")).dropna().unique().tolist()
    out: dict[str, tuple[set[str], set[str]]] = {top: (set(), set()) for top in tops}
    if not tops:
        return out
    names = dict(zip(match_key(text_column(lines, "part_no")).tolist(), text_column(lines, "part_no").tolist()))
    if plan.has_material:
        tree = component_tree(plan, pd.Series(tops, dtype=object), lines)
        for top, part, leaf, alts, text in zip(tree["top"], tree["part"], tree["leaf"], tree["alternates"],
                                               tree["part_text"]):
            names.setdefault(part, text)
            if leaf:
                out.setdefault(top, (set(), set()))[0].update({part, *(alts or ())})
            if plan.has_capacity:
                out.setdefault(top, (set(), set()))[1].add(part)  # a made part: its routing lines below
    if plan.has_capacity:
        routing = plan.routing
        by_part: dict[str, set[str]] = {}
        for part, line in zip(match_key(text_column(routing, "part_no")).tolist(), text_column(routing, "line").tolist()):
            if part is not None and line is not None and not (isinstance(line, float) and math.isnan(line)):
                by_part.setdefault(part, set()).add(str(line).strip())
        for top, (parts, made) in out.items():
            nodes = (made if plan.has_material else set()) | {top}
            out[top] = (parts, {ln for node in nodes for ln in by_part.get(node, ())})
    return out


def repromise(old: pd.DataFrame, new: pd.DataFrame, diff: LedgerDiff, plan: Plan, *, calendar: WorkingCalendar,
              as_of: dt.date, lang: str = "en") -> Repromise:
    """The open lines of both copies promised against ``plan`` from ``as_of``; the lines changed,
    those sharing a bought component or a production line with a changed line, and any other
    whose date moved (see the module text)."""
    from addin.compute.promise import promise_lines
    plan = dataclasses.replace(plan, open_orders=None)  # each copy's own open lines are the queue
    old_open, new_open = _open(old), _open(new)
    before = promise_lines(old_open, plan, calendar=calendar, as_of=as_of, lang=lang) if len(old_open) else None
    after = promise_lines(new_open, plan, calendar=calendar, as_of=as_of, lang=lang) if len(new_open) else None
    old_promise = {} if before is None else dict(zip(old_open.index, before["promise_date"]))
    new_promise = {} if after is None else dict(zip(new_open.index, after["promise_date"]))
    reasons = {}
    if after is not None:
        parts = [after[c] for c in ("material_reason", "capacity_reason") if c in after.columns]
        for i, idx in enumerate(new_open.index):
            reasons[idx] = "; ".join(str(p.iloc[i]) for p in parts if isinstance(p.iloc[i], str) and p.iloc[i])

    both = pd.concat([old[["part_no"]], new[["part_no"]]], ignore_index=True) if len(old) + len(new) else new
    resources = _resources(plan, both)
    old_keys = match_key(text_column(old, "part_no"))
    new_keys = match_key(text_column(new, "part_no"))
    changed_old = set(diff.changes["old_index"].dropna().tolist())
    changed_new = set(diff.changes["new_index"].dropna().tolist())
    changed_parts: dict[str, list[str]] = {}
    changed_lines: dict[str, list[str]] = {}

    def label(row) -> str:
        return f"{row['order_no'] or ''}/{row['line_no'] or ''}".rstrip("/")

    for _, change in diff.pairs.iterrows():
        if change["old_index"] not in changed_old and change["new_index"] not in changed_new:
            continue
        tops = set()
        if change["old_index"] is not None and not pd.isna(change["old_index"]):
            tops.add(old_keys.get(change["old_index"]))
        if change["new_index"] is not None and not pd.isna(change["new_index"]):
            tops.add(new_keys.get(change["new_index"]))
        for top in tops - {None}:
            parts, lines = resources.get(top, (set(), set()))
            for p in parts:
                changed_parts.setdefault(p, []).append(label(change))
            for ln in lines:
                changed_lines.setdefault(ln, []).append(label(change))

    part_names = dict(zip(match_key(text_column(both, "part_no")).tolist(), text_column(both, "part_no").tolist()))
    if plan.stock is not None:
        part_names.update(zip(match_key(text_column(plan.stock, "part_no")).tolist(),
                              text_column(plan.stock, "part_no").tolist()))
    if plan.bom is not None:
        part_names.update(zip(match_key(text_column(plan.bom, "component")).tolist(),
                              text_column(plan.bom, "component").tolist()))
    records = []
    old_of_new = {r["new_index"]: r["old_index"] for _, r in diff.pairs.iterrows() if r["new_index"] is not None
                  and not pd.isna(r["new_index"])}
    info = {r["new_index"]: r for _, r in diff.pairs.iterrows() if r["new_index"] is not None
            and not pd.isna(r["new_index"])}
    promised = date_column(new, "promised_date")
    for idx in new_open.index:
        row = info.get(idx)
        if row is None:
            continue
        old_idx = old_of_new.get(idx)
        was = old_promise.get(old_idx) if old_idx is not None and not pd.isna(old_idx) else None
        now = new_promise.get(idx)
        was = None if was is None or pd.isna(was) else pd.Timestamp(was)
        now = None if now is None or pd.isna(now) else pd.Timestamp(now)
        own = label(row)
        parts, lines = resources.get(new_keys.get(idx), (set(), set()))
        shared_parts = sorted(p for p in parts if any(x != own for x in changed_parts.get(p, ())))
        shared_lines = sorted(ln for ln in lines if any(x != own for x in changed_lines.get(ln, ())))
        open_before = old_idx is not None and not pd.isna(old_idx) and old_idx in old_promise
        moved = open_before and was != now
        if idx in changed_new or (old_idx is not None and old_idx in changed_old):
            why = "changed"
        elif shared_parts:
            why = "component"
        elif shared_lines:
            why = "line"
        elif moved:
            why = "chain"
        else:
            continue
        shared = [part_names.get(p) or p for p in shared_parts] + shared_lines
        due = promised.get(idx)
        records.append({
            "order_no": row["order_no"], "line_no": row["line_no"], "customer": row["customer"],
            "part_no": row["part_no"], "qty": float(new_open.at[idx, "qty"]),
            "promised_date": None if pd.isna(due) else due, "why": why, "shared": ", ".join(shared),
            "old_promise": was, "new_promise": now, "moved": bool(moved),
            "days": (now - was).days if moved and was is not None and now is not None else None,
            "after_promise": bool(now is not None and not pd.isna(due) and now > due),
            "reason": reasons.get(idx, ""), "new_index": idx})
    columns = ["order_no", "line_no", "customer", "part_no", "qty", "promised_date", "why", "shared", "old_promise",
               "new_promise", "moved", "days", "after_promise", "reason", "new_index"]
    records.sort(key=lambda r: _sort_key(r["order_no"], r["line_no"], 0))
    lines = _frame(records, columns)
    lines["moved"] = lines["moved"].astype(bool)
    lines["qty"] = lines["qty"].astype("float64")
    return Repromise(lines, ran_material=plan.has_material, ran_capacity=plan.has_capacity)
