"""Order lines measured from their deliveries (SPEC section 13): a delivery or receipt export
(one row per delivery against an order line) joined to the ledger's lines, or a ledger that
holds one row per delivery of the same line, folded into its lines.

A line is **completed** on the date its cumulative delivered quantity reaches its quantity; it is
on time when completed by due + tolerance (early rules as section 3, in ``compute.otd``); **in
full** when the quantity due was delivered by the due date; its days late run from the
completion date (or the as-of date while incomplete). Deliveries beyond the quantity, and
deliveries that match no line, are data issues naming their cells — never merged silently.

Decisions where SPEC is silent:

* A delivery matches a line by order number and line number (trimmed, case-folded; ``01``,
  ``1.0`` and ``1`` are the same line). A delivery without a line number, or against a ledger
  without line numbers, matches its order's only line (its only line of the delivery's part
  number when the export has one); an order with several such lines is ambiguous: a data issue.
* Deliveries dated after the as-of date are not delivered yet (the measurement is as it stood on
  the as-of date, as for a ledger's ship date).
* A line whose status says shipped or closed while its deliveries fall short of its quantity
  was **closed short**: completed by its last delivery, not in full.
* A line of the ledger without any delivery in the export keeps its own ship date and shipped
  quantity (the export may cover a period only).
* A ledger is read as **one row per delivery** when some order line appears on several rows
  that agree on the order, line number, part, quantity and due dates and each carry a shipped
  quantity: those rows are one line (its first row's fields, the last row's status) with one
  delivery per row, and every line of that ledger with a shipped quantity is measured by its
  deliveries. Rows of the same line with different quantities or due dates are schedule lines
  (SPEC section 2), measured each on its own.
* Over-delivery: the line is measured (it was completed when its quantity was reached); the
  delivery that went beyond the quantity, and every later one, are named in one warning.
* ``partial``: a line with more than one delivery by the as-of date.

Pure: frames and plain values in and out; the job (``addin.jobs.deliveries``) reads the files.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from addin.compute.columns import as_timestamp, date_column, number_column, text_column

# per-line columns a joined or folded ledger carries (tuples, None for a line without deliveries)
DELIVERY_COLUMNS: tuple[str, ...] = ("delivery_dates", "delivery_qtys", "delivery_rows")
_DUE_FIELDS = ("requested_date", "first_promised_date", "promised_date", "agreed_date")
_EPS = 1e-9


@dataclass(frozen=True)
class DeliveryIssue:
    """A delivery row that is a data issue: its cell (``[file]Sheet!D5`` as the caller names it),
    field, value and what is wrong. ``severity`` error: the delivery is not used; warning: used."""
    cell: str
    field: str
    value: Any
    message: str
    severity: str = "error"
    source_row: int | None = None


@dataclass
class Joined:
    """A ledger with its lines' deliveries (:data:`DELIVERY_COLUMNS`), the issues, and counts:
    delivery rows read, rows matched to a line, lines with deliveries."""
    ledger: pd.DataFrame
    issues: list[DeliveryIssue] = field(default_factory=list)
    rows: int = 0
    matched: int = 0
    lines: int = 0
    folded: int = 0            # (a ledger per delivery) rows folded into the lines they deliver


@dataclass(frozen=True)
class LineDeliveries:
    """What the deliveries say of each line at the as-of date (arrays in the ledger's order):
    ``has`` the line has deliveries; ``completion`` the date it was completed (NaT while
    incomplete); ``in_full`` delivered in full by the due date (NA unknown or no deliveries);
    ``delivered`` quantity delivered by the as-of date; ``count`` deliveries by the as-of date."""
    has: np.ndarray
    completion: pd.Series
    in_full: pd.arrays.BooleanArray
    delivered: np.ndarray
    count: np.ndarray

    @property
    def partial(self) -> np.ndarray:
        return self.has & (self.count > 1)


Where = Callable[[int, str], str]     # (source row, field) -> the cell's name


def _default_where(row: int, fld: str) -> str:
    return f"row {row}"


def _qty_text(v: float) -> str:
    return f"{v:g}"


def has_deliveries(ledger: pd.DataFrame) -> bool:
    return "delivery_dates" in getattr(ledger, "columns", ()) and bool(ledger["delivery_dates"].notna().any())


# --------------------------------------------------------------------------- joining

def _line_keys(frame: pd.DataFrame) -> tuple[list, list]:
    from addin.compute.changes import line_key
    from addin.compute.columns import match_key
    orders = match_key(text_column(frame, "order_no")).tolist()
    lines = [line_key(v) for v in (frame["line_no"].tolist() if "line_no" in frame.columns else [None] * len(frame))]
    return orders, lines


def join_deliveries(ledger: pd.DataFrame, deliveries: pd.DataFrame, *, where: Where | None = None) -> Joined:
    """``ledger`` with the deliveries of ``deliveries`` (a frame of the ``deliveries`` kind:
    order_no, line_no, ship_date, shipped_qty, optional part_no, source_row) attached to their
    lines. ``where`` names a delivery's cell for the issues."""
    from addin.compute.columns import match_key
    where = where or _default_where
    issues: list[DeliveryIssue] = []
    l_orders, l_lines = _line_keys(ledger)
    l_parts = match_key(text_column(ledger, "part_no")).tolist()
    by_line: dict[tuple, list[int]] = {}
    by_order: dict[Any, list[int]] = {}
    for pos, (o, ln) in enumerate(zip(l_orders, l_lines)):
        if o is None:
            continue
        by_order.setdefault(o, []).append(pos)
        if ln is not None:
            by_line.setdefault((o, ln), []).append(pos)

    d_orders, d_lines = _line_keys(deliveries)
    d_parts = match_key(text_column(deliveries, "part_no")).tolist()
    d_dates = date_column(deliveries, "ship_date").to_numpy(dtype="datetime64[ns]")
    d_qtys = number_column(deliveries, "shipped_qty").to_numpy(dtype="float64")
    d_rows = (deliveries["source_row"].to_numpy(dtype="int64") if "source_row" in deliveries.columns
              else np.arange(2, len(deliveries) + 2, dtype="int64"))
    d_order_text = text_column(deliveries, "order_no").tolist()
    d_line_text = (deliveries["line_no"].tolist() if "line_no" in deliveries.columns else [None] * len(deliveries))

    # the common case at once: an order and line number that names exactly one ledger line
    unique = {k: v[0] for k, v in by_line.items() if len(v) == 1}
    target = np.fromiter((unique.get((o, ln), -1) if ln is not None else -1 for o, ln in zip(d_orders, d_lines)),
                         dtype="int64", count=len(d_orders))
    usable = np.array([o is not None for o in d_orders], dtype=bool) & ~np.isnat(d_dates) & ~np.isnan(d_qtys)
    for i in np.flatnonzero(usable & (target < 0)):      # the rest, one by one
        o, ln, row = d_orders[i], d_lines[i], int(d_rows[i])
        shown = d_order_text[i] if ln is None else f"{d_order_text[i]} line {d_line_text[i]}"
        candidates = list(by_order.get(o, ()))
        if ln is not None:     # a line number the ledger's order lines do not carry
            candidates = [p for p in candidates if l_lines[p] is None]
            if (o, ln) in by_line:      # the same order and line on several ledger rows
                candidates = by_line[(o, ln)]
        if d_parts[i] is not None and len(candidates) > 1:
            candidates = [p for p in candidates if l_parts[p] == d_parts[i]]
        if len(candidates) == 1:
            target[i] = candidates[0]
            continue
        if not candidates:
            what = (f"delivery of order {shown}: no such order line in the ledger"
                    if o in by_order or ln is None else f"delivery of order {shown}: no such order in the ledger")
        else:
            what = (f"delivery of order {shown}: matches {len(candidates)} ledger lines — "
                    f"give the line number (or the part number) of the line delivered")
        issues.append(DeliveryIssue(where(row, "order_no"), "order_no", d_order_text[i],
                                    what + " — not counted", "error", row))
    # rows without their order, date or quantity: the reader has reported them already
    take = usable & (target >= 0)
    out = _attach(ledger, target[take], d_dates[take], d_qtys[take], d_rows[take])
    issues += over_deliveries(out, where)
    issues.sort(key=lambda it: (it.source_row or 0, it.cell))
    return Joined(out, issues, rows=len(deliveries), matched=int(take.sum()), lines=int(len(np.unique(target[take]))))


def _attach(ledger: pd.DataFrame, pos: np.ndarray, dates: np.ndarray, qtys: np.ndarray, rows: np.ndarray
            ) -> pd.DataFrame:
    """The ledger with each line's deliveries (line position, date, quantity, source row per
    delivery) as tuples, sorted by date, then row."""
    n = len(ledger)
    cols = {c: np.full(n, None, dtype=object) for c in DELIVERY_COLUMNS}
    if len(pos):
        order = np.lexsort((rows, dates, pos))
        pos, dates, qtys, rows = pos[order], dates[order], qtys[order], rows[order]
        cuts = np.flatnonzero(np.diff(pos)) + 1
        bounds = list(zip(np.r_[0, cuts].tolist(), np.r_[cuts, len(pos)].tolist()))
        lines = pos[np.r_[0, cuts]]
        for name, values in (("delivery_dates", list(dates)), ("delivery_qtys", qtys.tolist()),
                             ("delivery_rows", rows.tolist())):
            parts = np.empty(len(bounds), dtype=object)
            parts[:] = [tuple(values[a:b]) for a, b in bounds]
            cols[name][lines] = parts
    out = ledger.copy()
    for c, values in cols.items():
        out[c] = pd.Series(values, index=ledger.index, dtype=object)
    return out


def over_deliveries(ledger: pd.DataFrame, where: Where | None = None) -> list[DeliveryIssue]:
    """One warning per line delivered beyond its quantity, at the delivery that went beyond it,
    naming every delivery row past the quantity."""
    where = where or _default_where
    if not has_deliveries(ledger):
        return []
    qty = number_column(ledger, "qty").to_numpy(dtype="float64")
    pos, _, how_much = _long(ledger)
    running = _running(pos, how_much)
    beyond_at = running > qty[pos] + _EPS               # NaN quantity: never
    if not beyond_at.any():
        return []
    orders = text_column(ledger, "order_no").tolist()
    lines = ledger["line_no"].tolist() if "line_no" in ledger.columns else [None] * len(ledger)
    all_qtys, all_rows = ledger["delivery_qtys"].tolist(), ledger["delivery_rows"].tolist()
    out = []
    for p in np.unique(pos[beyond_at]).tolist():
        qs, rows = all_qtys[p], all_rows[p]
        cum = np.cumsum(qs)
        beyond = np.flatnonzero(cum > qty[p] + _EPS)
        first = int(beyond[0])
        line = "" if lines[p] is None else f" line {lines[p]}"
        listed = ", ".join(str(rows[j]) for j in beyond)
        out.append(DeliveryIssue(
            where(rows[first], "shipped_qty"), "shipped_qty", qs[first],
            f"order {orders[p]}{line}: delivered {_qty_text(cum[-1])} against its quantity "
            f"{_qty_text(qty[p])} ({_qty_text(cum[-1] - qty[p])} more; {len(qs)} deliveries, beyond the "
            f"quantity from row{'s' if len(beyond) > 1 else ''} {listed}) — the line is measured by the "
            f"delivery that completed it", "warning", int(rows[first])))
    return out


def _running(pos: np.ndarray, qty: np.ndarray) -> np.ndarray:
    """The cumulative quantity within each line (rows sorted by line, then date)."""
    if not len(pos):
        return np.empty(0)
    cum = np.cumsum(qty)
    starts = np.r_[0, np.flatnonzero(np.diff(pos)) + 1]
    offsets = np.r_[0.0, cum[starts[1:] - 1]]
    return cum - np.repeat(offsets, np.diff(np.r_[starts, len(pos)]))


def fold_repeated(ledger: pd.DataFrame, *, where: Where | None = None) -> Joined | None:
    """A ledger with one row per delivery of the same line folded into its lines (see the
    module's decisions); None when no line repeats so (the ledger is measured as it is)."""
    if len(ledger) < 2 or "shipped_qty" not in ledger.columns:
        return None
    shipped = number_column(ledger, "shipped_qty")
    has_qty = shipped.notna().to_numpy()
    if has_qty.sum() < 2:
        return None
    # quick refusal (a million lines): no order and line number repeats among the shipped rows
    o_codes = pd.factorize(text_column(ledger, "order_no").to_numpy(dtype=object)[has_qty])[0].astype("int64")
    l_codes = pd.factorize((ledger["line_no"].to_numpy(dtype=object) if "line_no" in ledger.columns
                            else np.full(len(ledger), None, dtype=object))[has_qty])[0].astype("int64")
    pair = o_codes * (int(l_codes.max(initial=0)) + 2) + (l_codes + 1)
    if not pd.Series(pair[o_codes >= 0]).duplicated().any():
        return None
    orders, lines = _line_keys(ledger)
    from addin.compute.columns import match_key
    keys = pd.DataFrame({"o": pd.Series(orders, dtype=object), "l": pd.Series(lines, dtype=object),
                         "p": match_key(text_column(ledger, "part_no")).reset_index(drop=True),
                         "q": number_column(ledger, "qty").reset_index(drop=True)})
    for f in _DUE_FIELDS:
        keys[f] = date_column(ledger, f).reset_index(drop=True)
    keys = keys.astype(object).where(keys.notna(), "\x00")
    group = keys.groupby(list(keys.columns), sort=False, dropna=False).ngroup().to_numpy()
    sizes = np.bincount(group)
    repeated = (sizes[group] > 1) & (keys["o"] != "\x00").to_numpy()
    # a repeated line is deliveries only when each of its rows carries a shipped quantity
    all_qty = np.bincount(group, weights=(~has_qty).astype(float)) == 0
    repeated &= all_qty[group]
    if not repeated.any():
        return None
    ship = date_column(ledger, "ship_date").tolist()
    qtys = shipped.to_numpy(dtype="float64")
    rows = (ledger["source_row"].tolist() if "source_row" in ledger.columns else list(range(2, len(ledger) + 2)))
    status = text_column(ledger, "status").tolist()
    first_of: dict[int, int] = {}
    last_status: dict[int, Any] = {}
    items: dict[int, list[tuple]] = {}
    for pos in range(len(ledger)):
        g = int(group[pos]) if repeated[pos] else -1 - pos
        first_of.setdefault(g, pos)
        if status[pos] is not None:
            last_status[g] = status[pos]
        if has_qty[pos] and not pd.isna(ship[pos]):
            items.setdefault(g, []).append((ship[pos], float(qtys[pos]), int(rows[pos])))
    keep = sorted(first_of.values())
    folded = ledger.iloc[keep].copy()
    key_of_pos = {p: g for g, p in first_of.items()}
    found = {i: items[key_of_pos[p]] for i, p in enumerate(keep) if key_of_pos[p] in items}
    if "status" in folded.columns:
        folded["status"] = [last_status.get(key_of_pos[p], status[p]) for p in keep]
    flat = [(i, d, q, r) for i, its in found.items() for d, q, r in its]
    out = _attach(folded, np.array([f[0] for f in flat], dtype="int64"),
                  np.array([f[1] for f in flat], dtype="datetime64[ns]"),
                  np.array([f[2] for f in flat], dtype="float64"), np.array([f[3] for f in flat], dtype="int64"))
    issues = over_deliveries(out, where)
    return Joined(out, issues, rows=len(ledger), matched=len(flat), lines=len(found), folded=len(ledger) - len(keep))


# --------------------------------------------------------------------------- measuring

def _long(ledger: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every delivery as (line position, date, quantity), sorted by line then date."""
    dates = ledger["delivery_dates"].to_numpy(dtype=object)
    qtys = ledger["delivery_qtys"].to_numpy(dtype=object)
    idx = np.flatnonzero(pd.notna(dates))
    if not len(idx):
        return np.empty(0, dtype="int64"), np.empty(0, dtype="datetime64[ns]"), np.empty(0)
    lengths = np.fromiter((len(dates[i]) for i in idx), dtype="int64", count=len(idx))
    pos = np.repeat(idx, lengths)
    when = np.array([d for i in idx for d in dates[i]], dtype="datetime64[ns]")
    how_much = np.fromiter((q for i in idx for q in qtys[i]), dtype="float64", count=int(lengths.sum()))
    return pos, when, how_much


def measure(ledger: pd.DataFrame, due: pd.Series | None, as_of: _dt.date | pd.Timestamp) -> LineDeliveries | None:
    """The lines' completion and in-full from their deliveries at ``as_of`` (``due``: each
    line's due date), or None for a ledger without deliveries (measured by its own ship date
    and shipped quantity). The one rule of SPEC 13 that ``compute.otd.classify`` applies.
    ``due`` None: in full is not asked (NA)."""
    if not has_deliveries(ledger):
        return None
    from addin.schema import STATUS_WORDS
    n = len(ledger)
    day = np.datetime64(as_timestamp(as_of), "ns")
    pos, when, how_much = _long(ledger)
    has = np.zeros(n, dtype=bool)
    has[pos] = True
    qty = number_column(ledger, "qty").to_numpy(dtype="float64")
    by_day = when <= day
    p, w, q = pos[by_day], when[by_day], how_much[by_day]
    delivered = np.bincount(p, weights=q, minlength=n)
    count = np.bincount(p, minlength=n)
    running = _running(p, q)
    starts = np.r_[0, np.flatnonzero(np.diff(p)) + 1] if len(p) else np.empty(0, dtype="int64")
    reached = running >= qty[p] - _EPS               # NaN quantity: never
    completion = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    hit = np.flatnonzero(reached)
    if len(hit):
        first = hit[np.r_[True, p[hit][1:] != p[hit][:-1]]]
        completion[p[first]] = w[first]
    last = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    if len(p):
        ends = np.r_[starts[1:] - 1, len(p) - 1]
        last[p[ends]] = w[ends]
    status = pd.Index(list(STATUS_WORDS), dtype=object).get_indexer(text_column(ledger, "status").astype(object))
    closed = (status == STATUS_WORDS.index("shipped")) | (status == STATUS_WORDS.index("closed"))
    unknown_qty = np.isnan(qty)
    # closed short (or no quantity to reach): completed by the last delivery
    use_last = has & np.isnat(completion) & (closed | unknown_qty)
    completion = np.where(use_last, last, completion)
    # in full: delivered by the due date reaches the quantity
    due_ns = (np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]") if due is None
              else pd.to_datetime(due).to_numpy(dtype="datetime64[ns]"))
    by_due = when <= due_ns[pos]            # NaT due compares False
    delivered_by_due = np.bincount(pos[by_due], weights=how_much[by_due], minlength=n)
    full = delivered_by_due >= qty - _EPS
    in_full = pd.arrays.BooleanArray(full & has, ~has | unknown_qty | np.isnat(due_ns))
    return LineDeliveries(has=has, completion=pd.Series(completion, index=ledger.index), in_full=in_full,
                          delivered=delivered, count=count)


def at_as_of(ledger: pd.DataFrame, as_of: _dt.date) -> pd.DataFrame:
    """``ledger`` with each delivered line's ``ship_date`` (its completion date at ``as_of``,
    blank while incomplete) and ``shipped_qty`` (delivered by ``as_of``) and ``deliveries`` (how
    many): what every other measure (open order book, risk, the Data sheet) reads."""
    lines = measure(ledger, None, as_of)
    if lines is None:
        return ledger
    out = ledger.copy()
    has = lines.has
    ship = date_column(out, "ship_date").to_numpy(dtype="datetime64[ns]")
    out["ship_date"] = pd.Series(np.where(has, lines.completion.to_numpy(), ship), index=out.index)
    shipped = number_column(out, "shipped_qty").to_numpy(dtype="float64")
    out["shipped_qty"] = np.where(has, lines.delivered, shipped)
    out["deliveries"] = pd.array(np.where(has, lines.count, 0), dtype="Int64")
    return out


def delivery_counts(ledger: pd.DataFrame, as_of: _dt.date) -> dict[str, int]:
    """Lines with deliveries, lines delivered in parts (more than one delivery by ``as_of``), and
    lines not complete at ``as_of`` (neither their quantity reached nor closed short)."""
    lines = measure(ledger, None, as_of)
    if lines is None:
        return {"lines": 0, "partial": 0, "incomplete": 0}
    incomplete = lines.has & lines.completion.isna().to_numpy()
    return {"lines": int(lines.has.sum()), "partial": int(lines.partial.sum()), "incomplete": int(incomplete.sum())}
