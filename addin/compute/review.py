"""Contract review of PO lines against the quote book (SPEC section 4), pure pandas.

``review_lines`` answers, for every PO line, the six contract checks (quote, revision, price,
lead_time, moq, tooling) and — when a :class:`addin.compute.promise.Plan` is given — the material and
capacity checks with the capable-to-promise date. Everything is done with merges over whole
columns; only the one-line reasons are formatted line by line.

Charges: a PO line whose part number the quote book names as a charge (``charge_type`` such as
``tooling``/``模具费`` or ``moq``/``MOQ费``) is a *charge line*. It is reviewed for quote and
price only, and it pays that charge for the product lines of the same PO that are quoted on the
same quote number (every product line of the PO when the charge row has no quote number).
"""
from __future__ import annotations

import datetime as dt
import unicodedata
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from addin.i18n import table
from addin.defaults import PRICE_TOLERANCE
from addin.compute.columns import date_column, match_key, number_column, text_column
from addin.compute.checks import CONTRACT
from addin.compute.checks.base import Outcome, ReviewContext
from addin.compute.coverage import calendar_gaps, flag_gaps, gap_notes, year_list, year_tuples

if TYPE_CHECKING:  # pragma: no cover
    from addin.compute.calendar import WorkingCalendar
    from addin.compute.promise import Plan

__all__ = ["review_lines", "CHECKS", "CONTRACT_CHECKS", "PLAN_CHECKS", "RESULTS", "PRICE_TOLERANCE",
           "worst", "charge_kind", "calendar_gaps", "gap_notes", "flag_gaps", "year_list", "year_tuples"]

CONTRACT_CHECKS = ("quote", "revision", "price", "lead_time", "moq", "tooling")
PLAN_CHECKS = ("material", "capacity")
CHECKS = CONTRACT_CHECKS + PLAN_CHECKS
RESULTS = ("pass", "warn", "fail")
_RANK = {"pass": 0, "warn": 1, "fail": 2}

# One-line reasons. Placeholders are filled from already formatted strings.
TEXT: dict[str, dict[str, str]] = table("reason")

_TOOLING_WORDS = ("tool", "nre", "mold", "mould", "模具", "治具", "工装", "开模")
_MOQ_WORDS = ("moq", "起订", "小单", "min order", "minimum")


def charge_kind(values: pd.Series) -> pd.Series:
    """``charge_type`` text as ``tooling``, ``moq`` or None (not a charge)."""
    def one(value: Any) -> str | None:
        if not isinstance(value, str) or not value.strip():
            return None
        text = unicodedata.normalize("NFKC", value).strip().casefold()
        if any(word in text for word in _TOOLING_WORDS):
            return "tooling"
        if any(word in text for word in _MOQ_WORDS):
            return "moq"
        return "tooling" if text in ("charge", "费用") else None
    # each distinct text is classified once (a quote book repeats a few charge types, or none)
    codes, uniques = pd.factorize(pd.Series(values.to_numpy(dtype=object), dtype=object), use_na_sentinel=True)
    table = np.array([one(v) for v in uniques] + [None], dtype=object)  # code -1 (empty): last slot
    return pd.Series(table[codes], index=values.index, dtype=object)


def worst(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """The worst result per row over ``columns`` (None where every one is None)."""
    ranks = pd.DataFrame({c: frame[c].map(_RANK) for c in columns}, index=frame.index)
    top = ranks.max(axis=1)
    names = {v: k for k, v in _RANK.items()}
    return pd.Series([names.get(v) if pd.notna(v) else None for v in top.tolist()],
                     index=frame.index, dtype=object)


# ---------------------------------------------------------------------- the review


def review_lines(orders: pd.DataFrame, quotes: pd.DataFrame, *, calendar: WorkingCalendar,
                 lang: str = "en", history: pd.DataFrame | None = None,
                 as_of: dt.date | None = None, plan: Plan | None = None,
                 price_tolerance: float = PRICE_TOLERANCE) -> pd.DataFrame:
    """One row per PO line (same order and index as ``orders``) with the PO's own columns plus

    * ``charge_kind`` (``tooling``/``moq`` for a charge line, else None), ``quote_no``,
      ``quote_revision``, ``quote_price``, ``quote_currency``, ``break_qty``, ``earliest_date``;
    * ``<check>_result`` (``pass``/``warn``/``fail``, None when the check could not run) and
      ``<check>_reason`` for each check of :data:`CONTRACT_CHECKS` (and :data:`PLAN_CHECKS` when
      ``plan`` is given, with ``material_ready``, ``capacity_finish``, ``promise_date``, ``split``);
    * ``calendar_years`` (tuple of years, empty for none) and ``calendar_note`` (one line in ``lang``,
      None for none): the years without holiday data in ``calendar`` that a check of the line
      counted working days through. Such a check (lead_time, material, capacity) is at least
      ``warn`` and its reason ends with the same note;
    * ``verdict``: the worst result of the line.

    ``history`` is a ledger of earlier POs (tooling paid there counts); ``as_of`` stands in for a
    missing order date and is the start of the promise plan (required with ``plan``).
    """
    if lang not in TEXT:
        raise ValueError(f"lang must be one of {sorted(TEXT)}, not {lang!r}")
    out = orders.copy()
    index = out.index
    book = _quote_book(quotes)
    lines, charge_of = _prepare_lines(out, book, as_of)
    ctx = _context(lines, out, book, charge_of, history, calendar=calendar, lang=lang,
                   price_tolerance=price_tolerance)
    outcomes = {name: module.run(ctx) for name, module in CONTRACT.items()}
    _assemble(out, lines, outcomes, ctx.product)
    checks = list(CONTRACT_CHECKS)
    if plan is not None:
        checks += _plan_checks(out, orders, plan, ctx.is_charge, calendar=calendar, as_of=as_of, lang=lang)
    # per line, every year without holiday data that one of its checks ran through, and the note
    lead = outcomes["lead_time"].extra
    line_years = year_tuples(lead["years"], lead["hit"])
    if "calendar_years" in out.columns:
        line_years = _union_years(line_years, out["calendar_years"].to_numpy(dtype=object))
    years, hit = _year_matrix(line_years)
    out["calendar_years"] = pd.Series(line_years, index=index, dtype=object)
    out["calendar_note"] = pd.Series(gap_notes(calendar, years, hit, lang), index=index, dtype=object)
    out["verdict"] = worst(out, [f"{c}_result" for c in checks])
    return out


def _prepare_lines(out: pd.DataFrame, book: pd.DataFrame, as_of: dt.date | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The PO lines as matching keys, joined to their charge kind, chosen quote and price break
    (one row per PO line, in order); and the charge parts of the quote book."""
    lines = pd.DataFrame({
        "_line": np.arange(len(out)),
        "_order_shown": text_column(out, "order_no").to_numpy(dtype=object),
        "_order": match_key(text_column(out, "order_no")).to_numpy(),
        "_cust": match_key(text_column(out, "customer")).to_numpy(),
        "_part": match_key(text_column(out, "part_no")).to_numpy(),
        "_qty": number_column(out, "qty").to_numpy(),
        "_price": number_column(out, "unit_price").to_numpy(),
        "_cur": match_key(text_column(out, "currency")).to_numpy(),
        "_cur_shown": text_column(out, "currency").to_numpy(dtype=object),
        "_od": date_column(out, "order_date").to_numpy(),
        "_req": date_column(out, "requested_date").to_numpy(),
        "_rev": text_column(out, "revision").to_numpy(dtype=object),
        "_tool_col": number_column(out, "tooling_charge").to_numpy(),
        "_moq_col": number_column(out, "moq_charge").to_numpy(),
    })
    lines["_od_eff"] = lines["_od"]
    if as_of is not None:
        lines["_od_eff"] = lines["_od"].fillna(pd.Timestamp(as_of))
    charges = book[book["_kind"].notna()]
    # charge lines: the PO line's part is a charge in the quote book of that customer
    charge_of = (charges[["_cust", "_part", "_kind", "_qno"]]
                 .drop_duplicates(["_cust", "_part"])
                 .rename(columns={"_kind": "charge_kind", "_qno": "_charge_qno"}))
    lines = lines.merge(charge_of, on=["_cust", "_part"], how="left")
    lines = lines.merge(_choose_quote(lines, book), on="_line", how="left")
    lines = lines.merge(_price_break(lines, book), on="_line", how="left")
    lines = lines.sort_values("_line").reset_index(drop=True)
    # the break row's currency wins over the quote's first row
    lines["_q_cur"] = lines["_b_cur"].where(lines["_b_cur"].notna(), lines["_q_cur"])
    lines["_q_cur_key"] = lines["_b_cur_key"].where(lines["_b_cur_key"].notna(), lines["_q_cur_key"])
    return lines, charge_of


def _context(lines: pd.DataFrame, out: pd.DataFrame, book: pd.DataFrame, charge_of: pd.DataFrame,
             history: pd.DataFrame | None, *, calendar: WorkingCalendar, lang: str,
             price_tolerance: float) -> ReviewContext:
    """The masks every check shares and the charges paid on this PO and on earlier ones."""
    is_charge = lines["charge_kind"].notna().to_numpy()
    has_quote = lines["_has_quote"].fillna(False).to_numpy(dtype=bool)
    products = book[book["_kind"].isna()]
    quote_parts = products[["_cust", "_qno", "_part"]].drop_duplicates()
    batch_pay = {kind: _payments(lines, kind, quote_parts, batch=True) for kind in ("tooling", "moq")}
    earlier = _paid_earlier(lines, batch_pay["tooling"],
                            None if history is None else _history_payments(history, quote_parts, charge_of))
    return ReviewContext(
        lines=lines, orders=out, text=TEXT[lang], lang=lang, calendar=calendar, price_tolerance=price_tolerance,
        is_charge=is_charge, has_quote=has_quote, product=has_quote & ~is_charge,
        od_known=lines["_od_eff"].notna().to_numpy(),
        paid_on_po={kind: _paid_on_po(lines, batch_pay[kind]) for kind in ("tooling", "moq")},
        paid_earlier=earlier)


def _assemble(out: pd.DataFrame, lines: pd.DataFrame, outcomes: dict[str, Outcome], product: np.ndarray) -> None:
    """The quote columns and each check's result and reason, onto the PO's own columns."""
    index = out.index
    out["charge_kind"] = _objects(lines["charge_kind"], index)
    out["quote_no"] = _objects(lines["_qno_shown"], index)
    out["quote_revision"] = _objects(lines["_q_rev"], index)
    out["quote_price"] = lines["_break_price"].to_numpy()
    out["quote_currency"] = _objects(lines["_q_cur"], index)
    out["break_qty"] = lines["_break_qty"].to_numpy(dtype="float64")
    earliest = np.where(product, outcomes["lead_time"].extra["earliest"], np.datetime64("NaT"))
    out["earliest_date"] = pd.to_datetime(earliest).to_numpy()
    for check in CONTRACT_CHECKS:
        out[f"{check}_result"] = pd.Series(outcomes[check].result, index=index, dtype=object)
        out[f"{check}_reason"] = pd.Series(outcomes[check].reason, index=index, dtype=object)


def _plan_checks(out: pd.DataFrame, orders: pd.DataFrame, plan: Plan, is_charge: np.ndarray, *,
                 calendar: WorkingCalendar, as_of: dt.date | None, lang: str) -> list[str]:
    """The material and capacity checks and the capable-to-promise date of the product lines
    (``addin.compute.promise``), onto ``out``; returns the checks that could run."""
    from addin.compute.promise import promise_lines
    if as_of is None:
        raise ValueError("as_of is needed to plan a promise date")
    planned = promise_lines(orders.iloc[np.flatnonzero(~is_charge)], plan, calendar=calendar,
                            as_of=as_of, lang=lang).reindex(out.index)
    for column in planned.columns:
        out[column] = planned[column]
    return [c for c in PLAN_CHECKS if f"{c}_result" in planned.columns]


def _union_years(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise union of two columns of year tuples (None/NaN counts as none)."""
    out = a.copy()
    for row in np.flatnonzero([isinstance(v, tuple) and len(v) > 0 for v in b]).tolist():
        out[row] = tuple(sorted(set(a[row]) | set(b[row])))
    return out


def _year_matrix(tuples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Year tuples back into (years, hit) as :func:`calendar_gaps` gives them."""
    codes, uniques = pd.factorize(pd.Series(tuples, dtype=object))
    years = np.array(sorted({y for u in uniques for y in u}), dtype="int64")
    if not len(years):
        return years, np.zeros((len(tuples), 0), dtype=bool)
    rows = np.array([[y in u for y in years.tolist()] for u in uniques], dtype=bool).reshape(-1, len(years))
    return years, rows[codes]


def _objects(values: pd.Series, index: pd.Index) -> pd.Series:
    """Text column with None (not NaN) where empty, as the canonical frames hold text."""
    return pd.Series([None if not isinstance(v, str) else v for v in values.tolist()], index=index, dtype=object)


def _quote_book(quotes: pd.DataFrame) -> pd.DataFrame:
    book = pd.DataFrame({
        "_qno_shown": text_column(quotes, "quote_no").to_numpy(dtype=object),
        "_cust": match_key(text_column(quotes, "customer")).to_numpy(),
        "_part": match_key(text_column(quotes, "part_no")).to_numpy(),
        "_kind": charge_kind(text_column(quotes, "charge_type")).to_numpy(),
        "_min_qty": number_column(quotes, "min_qty").to_numpy(),
        "_unit_price": number_column(quotes, "unit_price").to_numpy(),
        "_q_cur": text_column(quotes, "currency").to_numpy(dtype=object),
        "_q_cur_key": match_key(text_column(quotes, "currency")).to_numpy(),
        "_q_rev": text_column(quotes, "revision").to_numpy(dtype=object),
        "_q_lt": number_column(quotes, "lead_time_days").to_numpy(),
        "_q_moq": number_column(quotes, "moq").to_numpy(),
        "_q_moq_charge": number_column(quotes, "moq_charge").to_numpy(),
        "_q_tool": number_column(quotes, "tooling_charge").to_numpy(),
        "_vf": date_column(quotes, "valid_from").to_numpy(),
        "_vu": date_column(quotes, "valid_until").to_numpy(),
    })
    book["_qno"] = match_key(book["_qno_shown"]).fillna("")
    # a charge row may give its amount as the price or in the charge column
    charge_amount = np.where(book["_kind"] == "moq", book["_q_moq_charge"], book["_q_tool"])
    book["_unit_price"] = np.where(book["_kind"].notna() & np.isnan(book["_unit_price"]),
                                   charge_amount, book["_unit_price"])
    return book[book["_cust"].notna() & book["_part"].notna()]


_HEADER = ["_qno_shown", "_q_rev", "_q_cur", "_q_cur_key", "_q_lt", "_q_moq", "_q_moq_charge", "_q_tool"]


def _choose_quote(lines: pd.DataFrame, book: pd.DataFrame) -> pd.DataFrame:
    """Per line the quote to review against: the latest valid one; else the nearest invalid one
    (so the reason can name its expiry and the other checks still compare)."""
    agg = {c: "first" for c in _HEADER}
    agg.update(_vf="min", _vu="max")
    header = book.groupby(["_cust", "_part", "_qno"], sort=False, dropna=False).agg(agg).reset_index()
    cand = lines[["_line", "_cust", "_part", "_od_eff"]].merge(header, on=["_cust", "_part"])
    od = cand["_od_eff"]
    valid = ((cand["_vf"].isna() | (cand["_vf"] <= od)) & (cand["_vu"].isna() | (od <= cand["_vu"])))
    cand["_valid"] = valid | od.isna()
    low, high = pd.Timestamp.min, pd.Timestamp.max
    cand["_s_vf"] = cand["_vf"].fillna(low)
    cand["_s_vu"] = cand["_vu"].fillna(high)
    cand = cand.sort_values(["_line", "_valid", "_s_vf", "_s_vu", "_qno"], kind="stable")
    best = cand.drop_duplicates("_line", keep="last")
    best = best.assign(_has_quote=True)
    return best[["_line", "_qno", "_valid", "_vf", "_vu", "_has_quote"] + _HEADER]


def _price_break(lines: pd.DataFrame, book: pd.DataFrame) -> pd.DataFrame:
    """The price break for each line's quantity: the largest min_qty ≤ qty; below every break,
    the smallest one (flagged)."""
    rows = lines.loc[lines["_qno"].notna(), ["_line", "_cust", "_part", "_qno", "_qty"]].merge(
        book[["_cust", "_part", "_qno", "_min_qty", "_unit_price", "_q_cur", "_q_cur_key"]]
        .rename(columns={"_q_cur": "_b_cur", "_q_cur_key": "_b_cur_key"}),
        on=["_cust", "_part", "_qno"])
    rows = rows[rows["_unit_price"].notna()]
    min_qty = rows["_min_qty"].fillna(0.0)
    eligible = (min_qty <= rows["_qty"]) | rows["_qty"].isna()
    rows = rows.assign(_score=np.where(eligible, min_qty, -min_qty - 1e18), _elig=eligible)
    rows = rows.sort_values(["_line", "_score"], kind="stable").drop_duplicates("_line", keep="last")
    result = pd.DataFrame({
        "_line": rows["_line"].to_numpy(),
        "_break_price": rows["_unit_price"].to_numpy(),
        "_break_qty": rows["_min_qty"].to_numpy(),
        "_below_breaks": ~rows["_elig"].to_numpy(dtype=bool),
        "_b_cur": rows["_b_cur"].to_numpy(dtype=object),
        "_b_cur_key": rows["_b_cur_key"].to_numpy(dtype=object),
    })
    return result


def _payments(frame: pd.DataFrame, kind: str, quote_parts: pd.DataFrame, *, batch: bool) -> pd.DataFrame:
    """Charges of ``kind`` found on the lines of ``frame`` (a prepared line frame), one row per
    (order, customer, product part) they pay for: columns _order, _cust, _part, _amount, _od, _pos."""
    column = "_tool_col" if kind == "tooling" else "_moq_col"
    own = frame.loc[frame[column] > 0, ["_order", "_cust", "_part", column, "_od_eff", "_line"]]
    own = own.rename(columns={column: "_amount"})
    charge = frame[frame["charge_kind"] == kind]
    amount = np.where(charge["_price"].notna(),
                      charge["_price"] * charge["_qty"].where(charge["_qty"].notna(), 1.0), np.nan)
    if not len(charge):  # the common case: no charge lines, nothing to spread over products
        return own.reset_index(drop=True).rename(columns={"_od_eff": "_pay_od", "_line": "_pay_line"})
    charge = charge.assign(_amount=amount)[["_order", "_cust", "_charge_qno", "_amount", "_od_eff", "_line"]]
    by_quote = charge[charge["_charge_qno"].fillna("") != ""].merge(
        quote_parts.rename(columns={"_qno": "_charge_qno"}), on=["_cust", "_charge_qno"])
    # a charge row without a quote number pays for every product line of the same PO
    loose = charge[charge["_charge_qno"].fillna("") == ""].merge(
        frame.loc[frame["charge_kind"].isna(), ["_order", "_cust", "_part"]], on=["_order", "_cust"])
    parts = pd.concat([own, by_quote.drop(columns="_charge_qno"), loose.drop(columns="_charge_qno")],
                      ignore_index=True)
    return parts.rename(columns={"_od_eff": "_pay_od", "_line": "_pay_line"})


def _paid_on_po(lines: pd.DataFrame, pay: pd.DataFrame) -> np.ndarray:
    """Sum of charges on the same PO for each line's part; NaN where none (inf-safe: an amount
    that is unknown counts as paid in full)."""
    hit = lines[["_line", "_order", "_cust", "_part"]].merge(pay, on=["_order", "_cust", "_part"])
    amount = hit["_amount"].fillna(np.inf)
    total = amount.groupby(hit["_line"]).sum()
    return total.reindex(lines["_line"]).to_numpy(dtype="float64")


def _history_payments(history: pd.DataFrame, quote_parts: pd.DataFrame,
                      charge_of: pd.DataFrame) -> pd.DataFrame:
    status = text_column(history, "status")
    history = history[status.fillna("").astype(str) != "cancelled"]
    frame = pd.DataFrame({
        "_line": -1 - np.arange(len(history)),
        "_order_shown": text_column(history, "order_no").to_numpy(dtype=object),
        "_order": match_key(text_column(history, "order_no")).to_numpy(),
        "_cust": match_key(text_column(history, "customer")).to_numpy(),
        "_part": match_key(text_column(history, "part_no")).to_numpy(),
        "_qty": number_column(history, "qty").to_numpy(),
        "_price": number_column(history, "unit_price").to_numpy(),
        "_od_eff": date_column(history, "order_date").to_numpy(),
        "_tool_col": number_column(history, "tooling_charge").to_numpy(),
        "_moq_col": number_column(history, "moq_charge").to_numpy(),
    })
    frame = frame.merge(charge_of, on=["_cust", "_part"], how="left")
    pay = _payments(frame, "tooling", quote_parts, batch=False)
    shown = frame.set_index("_line")["_order_shown"]
    pay["_po"] = shown.reindex(pay["_pay_line"]).to_numpy()
    return pay


def _paid_earlier(lines: pd.DataFrame, batch_pay: pd.DataFrame, history_pay: pd.DataFrame | None) -> list:
    """Per line the PO number on which the tooling for its customer + part was paid earlier
    (another PO: earlier in the history, or earlier in this batch by order date then position)."""
    shown = pd.Series(lines["_order_shown"].to_numpy(dtype=object) if "_order_shown" in lines else
                      [None] * len(lines), index=lines["_line"])
    frames = []
    if len(batch_pay):
        pay = batch_pay.assign(_po=shown.reindex(batch_pay["_pay_line"]).to_numpy(), _hist=False)
        frames.append(pay)
    if history_pay is not None and len(history_pay):
        frames.append(history_pay.assign(_hist=True))
    found: list = [None] * len(lines)
    if not frames:
        return found
    pay = pd.concat(frames, ignore_index=True)
    hit = lines[["_line", "_order", "_cust", "_part", "_od_eff"]].merge(pay, on=["_cust", "_part"],
                                                                       suffixes=("", "_p"))
    other_po = hit["_order"].fillna("") != hit["_order_p"].fillna("")
    pay_od = hit["_pay_od"].fillna(pd.Timestamp.min)
    line_od = hit["_od_eff"].fillna(pd.Timestamp.max)
    before = (pay_od < line_od) | ((pay_od == line_od) & (hit["_pay_line"] < hit["_line"]))
    hit = hit[other_po & (hit["_hist"] | before)]
    first = hit.sort_values(["_line", "_hist"], ascending=[True, False]).drop_duplicates("_line")
    for line, po in zip(first["_line"].tolist(), first["_po"].tolist()):
        found[line] = po if po is not None else ""
    return found
