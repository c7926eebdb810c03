"""The computations the buttons and worksheet functions show, as tables of plain values.

Thin on purpose: every definition lives in the engines (``addin.compute.otd``, ``addin.compute.risk``,
``addin.compute.rootcause``, ``addin.compute.review``, ``addin.compute.promise``); this module only picks their
columns and labels them for a sheet.
"""
from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from addin.defaults import RISK_HORIZON
from addin.errors import InputError

RISK_FILL = {"overdue": "F8CBAD", "at_risk": "FFE699", "done": "D9D9D9"}   # red, amber, grey
VERDICT_FILL = {"fail": "F8CBAD", "warn": "FFE699", "pass": "C6EFCE"}


CALENDAR_SHEETS = ("Calendar", "日历")


def calendar(book=None):
    """The working calendar of the buttons: ``cn`` with the rows of the workbook's Calendar (日历)
    sheet when ``book`` has one (how an Excel user adds holidays chinesecalendar does not publish
    yet), else ``cn``. The sheet is the calendar workbook of ``--calendar FILE``: columns Date and
    Working (日期, 是否上班), optional Name; each row forces its date to working or not. A bad row
    raises InputError naming the cell, as a calendar file does."""
    from addin.compute.calendar import WorkingCalendar
    if book is None:
        return WorkingCalendar.cn()
    lower = {s.lower(): s for s in book.sheet_names()}
    sheet = next((lower[n.lower()] for n in CALENDAR_SHEETS if n.lower() in lower), None)
    if sheet is None:
        return WorkingCalendar.cn()
    return _sheet_calendar(book, sheet)


def _sheet_calendar(book, sheet: str):
    # addin.readers.calendar.load_calendar reads a file; here the rows come through the Book, with the
    # same checks and the same messages (file name, then the cell)
    from addin.compute.calendar import WorkingCalendar
    from addin.readers.calendar import overrides_from
    from addin.excel.book import read_table
    from addin.readers.grid import Grid
    from addin.readers.table import Mapping, cell_name, find_header

    def working_cell(row: int) -> str:   # error path only: find the header again for the column
        match = find_header(Grid(Path(book.name), sheet, book.read_rows(sheet), book.sheet_names()),
                            "calendar", Mapping())
        return cell_name(sheet, match.columns["working"], row) if match is not None else f"{sheet} row {row}"

    result = read_table(book, sheet, "calendar")
    overrides = overrides_from(result, label=book.name, file=book.name, working_cell=working_cell)
    try:
        return WorkingCalendar.from_frame(overrides, base="cn", name=f"cn+{sheet}")
    except InputError as exc:   # rows that disagree: from_frame knows rows, not the workbook
        raise InputError(f"{book.name}, {sheet} sheet: {exc}", file=book.name, sheet=sheet, value=exc.value,
                         expected=exc.expected) from None


def calendar_hint(years: Sequence[int], lang: str = "en") -> str:
    """What an Excel user does about a year without holiday data (``excel.calendar_hint``)."""
    from addin.i18n import t
    from addin.compute.coverage import year_list
    return t("excel.calendar_hint", lang, years=year_list(list(years)))




def risk_frame(ledger: pd.DataFrame, as_of: _dt.date, lang: str = "en", basis: str = "promised",
               cal=None) -> pd.DataFrame:
    """``risk`` and ``risk_reason`` per ledger line (addin.compute.risk); ``cal`` defaults to ``cn``."""
    from addin.compute.risk import assess_risk
    return assess_risk(ledger, as_of, cal or calendar(), RISK_HORIZON, basis=basis, lang=lang)


def risk_calendar_note(as_of: _dt.date, cal, lang: str = "en") -> str | None:
    """The horizon's calendar note (addin.compute.risk.horizon_gap) and what to do in Excel, None when the
    horizon of :func:`risk_frame` has no year without holiday data."""
    from addin.compute.risk import horizon_gap
    gap = horizon_gap(as_of, cal, RISK_HORIZON)
    return None if gap is None else f"{gap.note(lang)}\n{calendar_hint(gap.years, lang)}"


def review_calendar_note(reviewed: pd.DataFrame, lang: str = "en") -> str | None:
    """The review's calendar note line (as on the review workbook) and what to do in Excel, None
    when no line's dates ran through a year without holiday data."""
    from addin.writers.reviewbook import calendar_note
    note = calendar_note(reviewed, lang)
    return None if not note else f"{note}\n{calendar_hint(_years(reviewed), lang)}"


def _years(frame: pd.DataFrame) -> list[int]:
    if "calendar_years" not in frame.columns:
        return []
    return sorted({int(y) for years in frame["calendar_years"].tolist() if isinstance(years, tuple) for y in years})


def risk_of(due: pd.Series, ship: pd.Series, status: pd.Series, as_of: _dt.date, cal=None) -> list[str]:
    """Risk codes for bare columns (OD_RISK): the due date stands as the promised date; ``cal``
    defaults to ``cn``."""
    n = len(due)
    ledger = pd.DataFrame({
        "promised_date": due.to_numpy(), "requested_date": np.full(n, np.datetime64("NaT", "ns")),
        "first_promised_date": np.full(n, np.datetime64("NaT", "ns")),
        "ship_date": ship.to_numpy(), "status": status.to_numpy(dtype=object),
        "qty": np.full(n, np.nan), "shipped_qty": np.full(n, np.nan),
    })
    return risk_frame(ledger, as_of, cal=cal)["risk"].tolist()


def classified(ledger: pd.DataFrame, as_of: _dt.date, basis: str = "promised") -> pd.DataFrame:
    from addin.compute.otd import OtdSettings, classify
    return classify(ledger, as_of, OtdSettings(basis=basis))


OTD_COLUMNS = ("lines", "on_time", "late", "early", "pending", "otd", "otif", "avg_days_late")
BY_FIELDS = ("customer", "month", "part_no", "owner", "priority")


def otd_table(ledger: pd.DataFrame, by: Sequence[str], basis: str, as_of: _dt.date) -> pd.DataFrame:
    """OTD/OTIF per group and a total row (addin.compute.otd.summarise), rates as fractions."""
    from addin.compute.otd import OtdSettings, summarise
    for field in by:
        if field not in BY_FIELDS:
            raise InputError(f"cannot group by '{field}': use {', '.join(BY_FIELDS)}", value=field)
    settings = OtdSettings(basis=basis)
    table = summarise(classified(ledger, as_of, basis), by=list(by), settings=settings)
    out = table[list(by) + list(OTD_COLUMNS)].copy()
    for field in by:
        out[field] = out[field].astype(object)
    if by:
        out.loc[table["is_total"].to_numpy(), by[0]] = "Total"
    else:
        out.insert(0, "group", ["Total"] * len(out))
    return out


def otd_pivot(ledger: pd.DataFrame, as_of: _dt.date, basis: str = "promised") -> pd.DataFrame:
    """OTD % by customer (rows) and month (columns), with each customer's and the month's total."""
    by_month = otd_table(ledger, ["customer", "month"], basis, as_of)
    detail = by_month[by_month["customer"] != "Total"]
    if detail.empty:
        return pd.DataFrame({"customer": ["Total"], "lines": [0]})
    pivot = detail.pivot_table(index="customer", columns="month", values="otd", aggfunc="first", dropna=False)
    pivot = pivot.reindex(sorted(pivot.columns), axis=1)
    per_customer = otd_table(ledger, ["customer"], basis, as_of).set_index("customer")
    per_month = otd_table(ledger, ["month"], basis, as_of).set_index("month")
    pivot["Total"] = per_customer["otd"].reindex(pivot.index)
    total_row = [per_month["otd"].get(m, np.nan) for m in pivot.columns[:-1]] + [per_customer.loc["Total", "otd"]]
    pivot.loc["Total"] = total_row
    pivot.columns = [str(c) for c in pivot.columns]
    return pivot.reset_index().rename(columns={"index": "customer"})


def pareto_table(ledger: pd.DataFrame, as_of: _dt.date, lang: str = "en") -> pd.DataFrame:
    from addin.compute.rootcause import pareto
    return pareto(classified(ledger, as_of), lang)


def review_frame(orders: pd.DataFrame, quotes: pd.DataFrame, as_of: _dt.date, lang: str = "en",
                 cal=None) -> pd.DataFrame:
    from addin.compute.review import review_lines
    return review_lines(orders, quotes, calendar=cal or calendar(), lang=lang, as_of=as_of)


def review_table(orders: pd.DataFrame, quotes: pd.DataFrame, as_of: _dt.date, lang: str = "en",
                 cal=None) -> pd.DataFrame:
    """One row per PO line: key, verdict, each check that ran (result and reason), the earliest
    date the quoted lead time allows."""
    return review_columns(review_frame(orders, quotes, as_of, lang, cal))


def review_columns(reviewed: pd.DataFrame) -> pd.DataFrame:
    """The columns of :func:`review_table` from a :func:`review_frame`."""
    from addin.compute.review import CHECKS
    columns = ["order_no", "line_no", "part_no", "verdict"]
    for check in CHECKS:
        result = f"{check}_result"
        if result in reviewed and reviewed[result].notna().any():
            columns += [result, f"{check}_reason"]
    for extra in ("earliest_date", "promise_date"):
        if extra in reviewed:
            columns.append(extra)
    return reviewed[[c for c in columns if c in reviewed]].reset_index(drop=True)


# ---------------------------------------------------------------- promise dates

PLAN_SHEETS = {  # Plan field -> (reader kind, sheet names tried)
    "stock": ("stock", ("Stock", "库存")),
    "bom": ("bom", ("BOM", "物料清单")),
    "purchases": ("purchases", ("Purchases", "Open POs", "采购", "在途")),
    "capacity": ("capacity", ("Capacity", "产能")),
    "routing": ("routing", ("Routing", "工艺", "工时")),
}


def plan_from_book(book) -> object | None:
    """An ``addin.compute.promise.Plan`` from the workbook's Stock/BOM/Purchases/Capacity/Routing
    sheets (any may be absent); None when there is none of them."""
    from addin.excel.book import read_table
    from addin.compute.promise import Plan
    lower = {s.lower(): s for s in book.sheet_names()}
    frames = {}
    for field, (kind, names) in PLAN_SHEETS.items():
        for name in names:
            if name.lower() in lower:
                frames[field] = read_table(book, lower[name.lower()], kind).data
                break
    return Plan(**frames) if frames else None


def _plan_promise(orders: pd.DataFrame, plan, as_of: _dt.date, lang: str = "en", cal=None) -> pd.DataFrame:
    from addin.compute.promise import promise_lines
    return promise_lines(orders, plan, calendar=cal or calendar(), as_of=as_of, lang=lang)


def promise_for_line(line: pd.DataFrame, quotes: pd.DataFrame | None, as_of: _dt.date, book) -> tuple[_dt.date | None, str]:
    """(date, how it was found) for one order line: capable-to-promise from the workbook's stock
    and capacity sheets when there are any, else the earliest date the quoted lead time allows."""
    plan = plan_from_book(book)
    cal = calendar(book)
    if plan is not None and (plan.has_material or plan.has_capacity):
        out = _plan_promise(line, plan, as_of, cal=cal)
        day = out["promise_date"].iloc[0]
        reasons = "; ".join(str(out[c].iloc[0]) for c in ("material_reason", "capacity_reason")
                            if c in out and out[c].iloc[0] is not None and not pd.isna(out[c].iloc[0]))
        how = "capable to promise from stock and capacity" + (f" ({reasons})" if reasons else "")
        years = _years(out)
        if years:   # the reasons above carry the calendar note; say what to do in Excel
            how += f". {calendar_hint(years)}".rstrip(".")
        return (None if pd.isna(day) else pd.Timestamp(day).date()), how
    if quotes is not None:
        reviewed = review_frame(line, quotes, as_of, cal=cal)
        day = reviewed["earliest_date"].iloc[0] if "earliest_date" in reviewed else pd.NaT
        how = "earliest date the quoted lead time allows (add Stock and Capacity sheets for a capable-to-promise date)"
        note = reviewed["calendar_note"].iloc[0] if "calendar_note" in reviewed else None
        if isinstance(note, str) and note:
            how += f"; {note}. {calendar_hint(_years(reviewed))}".rstrip(".")
        return (None if pd.isna(day) else pd.Timestamp(day).date()), how
    raise InputError(f"{book.name}: no Quotes, Stock or Capacity sheet to promise from — add one")


def promise_dates(parts: list, qty: list, need: pd.Series, as_of: _dt.date, book) -> list:
    """Promise dates for bare columns (OD_PROMISE), planned against the workbook's sheets."""
    from addin.readers.values import number_column
    plan = plan_from_book(book)
    if plan is None or not (plan.has_material or plan.has_capacity):
        raise InputError("OD_PROMISE needs a Stock sheet (and Capacity + Routing sheets) in this workbook")
    quantities, problems = number_column(pd.Series(qty, dtype=object))
    bad = problems.notna()
    if bad.any():
        i = int(bad.idxmax())
        raise InputError(f"row {i + 1}: qty {qty[i]!r} is {problems[i]}", value=qty[i])
    orders = pd.DataFrame({
        "order_no": [f"row {i + 1}" for i in range(len(parts))],
        "line_no": None, "customer": None,
        "part_no": [None if p is None else str(p).strip() for p in parts],
        "qty": quantities.to_numpy(dtype="float64"),
        "requested_date": need.to_numpy(),
        "order_date": np.full(len(parts), np.datetime64("NaT", "ns")),
        "status": "open",
    })
    out = _plan_promise(orders, plan, as_of, cal=calendar(book))
    return [None if pd.isna(d) else pd.Timestamp(d).to_pydatetime() for d in out["promise_date"]]
