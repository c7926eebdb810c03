"""What the buttons and worksheet functions show, as tables of plain values and texts.

Thin on purpose: every job lives in ``addin.jobs`` (the same the command line runs), every
definition in ``addin.compute``; this module only gathers a workbook's sheets into a job's
inputs, picks columns and words the notes for a sheet.
"""
from __future__ import annotations

import datetime as _dt
from typing import Sequence

import numpy as np
import pandas as pd

from addin.config import Settings
from addin.errors import InputError
from addin.excel.book import Book, read_table, sheet_named
from addin.excel.settings import CALENDAR_SHEETS, calendar
from addin.jobs.review import ReviewInputs, calendar_years, review_columns

__all__ = ["RISK_FILL", "VERDICT_FILL", "CALENDAR_SHEETS", "PLAN_SHEETS", "HISTORY_SHEETS", "calendar",
           "calendar_hint", "risk_calendar_note", "review_calendar_note", "risk_of", "otd_table", "review_table",
           "review_columns", "review_inputs", "plan_sheets", "plan_results", "promise_text", "promise_dates"]

RISK_FILL = {"overdue": "F8CBAD", "at_risk": "FFE699", "done": "D9D9D9"}   # red, amber, grey
VERDICT_FILL = {"fail": "F8CBAD", "warn": "FFE699", "pass": "C6EFCE"}

PLAN_SHEETS = {  # ReviewInputs field -> sheet names tried (the reader kind is the field)
    "bom": ("BOM", "物料清单"),
    "stock": ("Stock", "库存"),
    "purchases": ("Purchases", "Open POs", "采购", "在途"),
    "capacity": ("Capacity", "产能"),
    "routing": ("Routing", "工艺", "工时"),
}
# earlier POs: tooling paid on them counts, their open lines claim stock and capacity first
HISTORY_SHEETS = ("History", "Ledger", "Order ledger", "历史订单", "订单台账", "订单跟踪")


def calendar_hint(years: Sequence[int], lang: str = "en") -> str:
    """What an Excel user does about a year without holiday data (``excel.calendar_hint``)."""
    from addin.compute.coverage import year_list
    from addin.i18n import t
    return t("excel.calendar_hint", lang, years=year_list(list(years)))


def risk_calendar_note(settings: Settings, as_of: _dt.date, lang: str = "en") -> str | None:
    """The horizon's calendar note and what to do in Excel, None when the settings' horizon has
    no year without holiday data."""
    from addin.jobs.risk import horizon_gap
    gap = horizon_gap(settings, as_of)
    return None if gap is None else f"{gap.note(lang)}\n{calendar_hint(gap.years, lang)}"


def review_calendar_note(reviewed: pd.DataFrame, lang: str = "en") -> str | None:
    """The review's calendar note line (as on the review workbook) and what to do in Excel, None
    when no line's dates ran through a year without holiday data."""
    from addin.writers.reviewbook import calendar_note
    note = calendar_note(reviewed, lang)
    return None if not note else f"{note}\n{calendar_hint(calendar_years(reviewed), lang)}"


# ---------------------------------------------------------------- worksheet functions

def risk_of(due: pd.Series, ship: pd.Series, status: pd.Series, as_of: _dt.date, cal=None,
            settings: Settings | None = None) -> list[str]:
    """Risk codes for bare columns (OD_RISK): the due date stands as the promised date; ``cal``
    defaults to ``cn``."""
    from dataclasses import replace
    from addin.jobs.risk import line_risk
    n = len(due)
    ledger = pd.DataFrame({
        "promised_date": due.to_numpy(), "requested_date": np.full(n, np.datetime64("NaT", "ns")),
        "first_promised_date": np.full(n, np.datetime64("NaT", "ns")),
        "ship_date": ship.to_numpy(), "status": status.to_numpy(dtype=object),
        "qty": np.full(n, np.nan), "shipped_qty": np.full(n, np.nan),
    })
    settings = settings or Settings()
    settings = replace(settings, otd=replace(settings.otd, basis="promised"),
                       calendar=cal if cal is not None else settings.calendar)
    return line_risk(ledger, settings, as_of)["risk"].tolist()


def otd_table(ledger: pd.DataFrame, by: Sequence[str], basis: str, as_of: _dt.date,
              settings: Settings | None = None) -> pd.DataFrame:
    """OTD/OTIF per group and a total row (``addin.jobs.otd.otd_table``) on ``basis``."""
    from dataclasses import replace
    from addin.jobs.otd import otd_table as table
    settings = settings or Settings()
    return table(ledger, by, replace(settings, otd=replace(settings.otd, basis=basis)), as_of)


def review_table(orders: pd.DataFrame, quotes: pd.DataFrame, as_of: _dt.date, lang: str = "en",
                 cal=None, settings: Settings | None = None) -> pd.DataFrame:
    """One row per PO line (OD_REVIEW): key, verdict, each check that ran (result and reason), the
    earliest date the quoted lead time allows. ``settings`` (the workbook's) else the SPEC
    defaults; ``cal`` over the settings' calendar."""
    from dataclasses import replace
    from addin.jobs.review import contract_review
    settings = settings or Settings(calendar=calendar())
    if cal is not None:
        settings = replace(settings, calendar=cal)
    return review_columns(contract_review(ReviewInputs(orders=orders, quotes=quotes), settings, as_of, lang))


# ---------------------------------------------------------------- a workbook's sheets as inputs

def plan_sheets(book: Book) -> dict[str, str]:
    """ReviewInputs field -> the workbook's sheet holding it, for the plan sheets it has."""
    found = {}
    for field, names in PLAN_SHEETS.items():
        sheet = sheet_named(book, names)
        if sheet is not None:
            found[field] = sheet
    return found


def review_inputs(book: Book, orders, quotes=None, *, history: bool = True,
                  orders_sheet: str | None = None) -> ReviewInputs:
    """The review's inputs from the workbook: ``orders`` and ``quotes`` (ReadResults or frames),
    the plan from its BOM / Stock / Purchases / Capacity / Routing sheets, and its History sheet
    (earlier POs) when ``history`` and it is not the orders' own sheet (``orders_sheet``, else
    the ReadResult's)."""
    frames = {field: read_table(book, sheet, field) for field, sheet in plan_sheets(book).items()}
    past = sheet_named(book, HISTORY_SHEETS) if history else None
    if past is not None and past != (orders_sheet or getattr(orders, "sheet", None)):
        frames["history"] = read_table(book, past, "ledger")
    return ReviewInputs(orders=orders, quotes=quotes, **frames)


def promise_text(promise, lang: str, content: str) -> str:
    """How the promise date was found, for the message: capable to promise (with the plan's
    reasons) or the quoted lead time (with its calendar note), and what to do in Excel about a
    year without holiday data. ``content``: the language the reasons and notes are in."""
    from addin.i18n import t
    if promise.method == "plan":
        how = t("excel.promise_plan", lang) + (f" ({'; '.join(promise.reasons)})" if promise.reasons else "")
        if promise.years:   # the reasons above carry the calendar note; say what to do in Excel
            how += f". {calendar_hint(promise.years, content)}".rstrip(".")
        return how
    how = t("excel.promise_quote", lang)
    if promise.note:
        how += f"; {promise.note}. {calendar_hint(promise.years, content)}".rstrip(".")
    return how


def plan_results(book: Book) -> dict:
    """The plan tables of the workbook (its Stock, Purchases, Capacity, Routing, BOM sheets) as
    ReadResults by ReviewInputs field; empty when it has none."""
    return {field: read_table(book, sheet, field) for field, sheet in plan_sheets(book).items()}


def promise_dates(parts: list, qty: list, need: pd.Series, as_of: _dt.date, plan: dict,
                  settings: Settings) -> list[tuple]:
    """(promise date, note) per line for bare columns (OD_PROMISE), planned against ``plan`` (plan
    tables by ReviewInputs field: the workbook's sheets or the function's range arguments) with
    ``settings``, as ``orderdesk review`` plans a PO line against the same tables. The note says
    why the date misses the need date or is uncertain (the plan's reasons, the calendar note of a
    year without holiday data), in the language of the settings or of the tables' headers."""
    from addin.excel.settings import content_lang
    from addin.jobs.promise import promise_column
    inputs = ReviewInputs(orders=None, quotes=None, **plan) if plan else None
    return promise_column(parts, qty, need, inputs, settings, as_of, lang=content_lang(settings, *plan.values()))


def require_sheet(book: Book, names: Sequence[str], what: str, lang: str = "en") -> str:
    """The sheet named one of ``names``; InputError naming the two first names when there is none."""
    from addin.i18n import t
    sheet = sheet_named(book, names)
    if sheet is None:
        raise InputError(t("excel.no_sheet", lang, book=book.name, what=t(f"excel.what.{what}", lang),
                           names=t("excel.or", lang).join(names[:2])))
    return sheet
