"""Worksheet functions (xlwings UDFs), array-first: each takes whole columns in one call and
returns a 2-D list that spills natively in Excel 365 (no ``expand=``: that is the legacy
resize-by-macro mechanism).

Excel hands values over as tuples of tuples; dates arrive as datetimes (from date-formatted
cells) or serial numbers (from number cells or array expressions); empty cells as None. Each
function turns those into the canonical frames, calls the computation the command line uses,
and returns plain values. Errors come back as one short text cell
(``#ORDERDESK: row 7: due date 'abc' is not a date``), never a traceback.

Parameters carry no type hints on purpose: xlwings reads hints as conversion options.
Argument names are legal VBA identifiers (checked by the tests): the wrapper module that
``macros/generated`` holds is written from these signatures by xlwings' own generator.
"""
from __future__ import annotations

import datetime as _dt
import functools
import gc
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import xlwings as xw

from addin.defaults import BASES, BASIS
from addin.errors import InputError, OrderDeskError
from addin.excel.values import frame_rows

ERROR_PREFIX = "#ORDERDESK: "
EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
RANGE_NAME = "range"   # stands for the argument in messages: a UDF does not know its sheet


def _guard(func: Callable) -> Callable:
    """Turn any error into one text cell; Excel shows it where the spill would start."""
    @functools.wraps(func)
    def wrapper(*args):
        # Whole columns are 100,000s of small tuples and lists: the cyclic garbage collector
        # would rescan them many times during one call (a third of the time), and they hold no
        # cycles, so it pauses for the call.
        collecting = gc.isenabled()
        gc.disable()
        try:
            return func(*args)
        except OrderDeskError as exc:
            return [[ERROR_PREFIX + str(exc)]]
        except Exception as exc:  # a UDF must never show Python's traceback in a cell
            return [[f"{ERROR_PREFIX}{type(exc).__name__}: {exc}"]]
        finally:
            if collecting:
                gc.enable()
    return wrapper


# ---------------------------------------------------------------- Excel values -> canonical

def _column(values: Any) -> list:
    """A column argument as a flat list (one cell -> one item; 2-D -> first column)."""
    if values is None:
        return []
    if not isinstance(values, (list, tuple)):
        return [values]
    if values and isinstance(values[0], (list, tuple)):
        return [row[0] if row else None for row in values]
    return list(values)


def _rows(values: Any) -> list[list]:
    if values is None:
        return []
    if not isinstance(values, (list, tuple)):
        return [[values]]
    if values and not isinstance(values[0], (list, tuple)):
        return [list(values)]
    return [list(r) for r in values]


def _blank(value: Any) -> bool:
    """An empty cell: None, or text of spaces only."""
    return value is None or (isinstance(value, str) and not value.strip())


def _empty(values: pd.Series) -> np.ndarray:
    strings = values.map(lambda v: isinstance(v, str) and not v.strip())
    return (values.isna() | strings.astype(bool)).to_numpy()


def _distinct(values: list) -> tuple[np.ndarray, list]:
    """(codes, distinct values): parse each distinct value once; columns repeat a lot."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    return codes, list(uniques)


def dates(values: list, what: str) -> pd.Series:
    """Dates of a column, vectorised: serial numbers (and empty cells) on a fast path, anything
    else parsed once per distinct value by the readers' date parser. Raises InputError naming
    the first bad row (1-based)."""
    first = next((v for v in values if v is not None), None)
    serial = None
    if first is None or isinstance(first, (int, float)):   # date cells come as datetimes: skip
        try:
            serial = np.asarray(values, dtype="float64")   # None -> NaN; text or datetimes raise
        except (TypeError, ValueError):
            serial = None
    if serial is not None and serial.ndim == 1:
        bad = ~np.isnan(serial) & ((serial < 1) | (serial > 2958465))
        if bad.any():
            row = int(np.argmax(bad)) + 1
            raise InputError(f"row {row}: {what} {values[row - 1]!r} is not a date", value=values[row - 1])
        days = np.where(np.isnan(serial), 0, np.floor(serial)).astype("int64")
        out = (EXCEL_EPOCH + days.astype("timedelta64[D]")).astype("datetime64[ns]")
        out[np.isnan(serial)] = np.datetime64("NaT", "ns")
        return pd.Series(out, dtype="datetime64[ns]")
    from addin.readers.values import date_column
    codes, uniques = _distinct(values)
    distinct = pd.Series(uniques, dtype=object)
    parsed, problems, _ = date_column(distinct)
    blank = pd.Series(_empty(distinct), index=distinct.index)
    bad_codes = np.flatnonzero((problems.notna() & ~blank).to_numpy())
    if len(bad_codes):
        row = int(np.flatnonzero(np.isin(codes, bad_codes))[0])
        code = codes[row]
        raise InputError(f"row {row + 1}: {what} {values[row]!r} is {problems[code]}", value=values[row])
    table = np.append(parsed.to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT", "ns"))
    return pd.Series(table[codes], dtype="datetime64[ns]")   # code -1 (empty) -> the NaT at the end


def one_date(value: Any, what: str) -> _dt.date | None:
    if _blank(value):
        return None
    day = dates([value], what).iloc[0]
    return None if pd.isna(day) else day.date()


def statuses(values: list) -> pd.Series:
    """Canonical status per row, each distinct word parsed once by the readers' vocabulary."""
    from addin.readers.values import status_column
    codes, uniques = _distinct(values)
    out, problems = status_column(pd.Series(uniques, dtype=object))
    bad_codes = np.flatnonzero(problems.notna().to_numpy())
    if len(bad_codes):
        row = int(np.flatnonzero(np.isin(codes, bad_codes))[0])
        raise InputError(f"row {row + 1}: status {values[row]!r} is {problems[codes[row]]}", value=values[row])
    table = np.append(out.to_numpy(dtype=object), None)
    return pd.Series(table[codes], dtype=object)


def table(values: Any, kind: str, what: str):
    """A range with a header row as the readers' ReadResult (header found as in files)."""
    from addin.readers.grid import Grid
    from addin.readers.table import read_grid
    rows = [[None if _blank(v) else v for v in r] for r in _rows(values)]
    if not any(v is not None for r in rows for v in r):
        raise InputError(f"{what}: the range is empty — select the table with its header row")
    return read_grid(Grid(Path(what), RANGE_NAME, rows, [RANGE_NAME]), kind)


def frame_to_rows(frame: pd.DataFrame, header: bool = True) -> list[list]:
    return frame_rows(frame, None if header else False)


def _today() -> _dt.date:
    return _dt.date.today()


def working_calendar(values: Any):
    """The ``holidays`` argument as a working calendar: ``cn`` (the Chinese public calendar)
    with the given days forced. Either the Calendar sheet's table with its header row (Date and
    Working columns, 日期/是否上班, optional Name: make-up working days too), or one column of
    dates that are not worked (as Excel's WORKDAY takes them; a text header cell on top is
    allowed). Empty or omitted: ``cn`` alone. Bad cells raise InputError naming the row."""
    from addin.compute.calendar import WorkingCalendar
    from addin.readers.calendar import overrides_from
    rows = _rows(values)
    filled = [r for r in rows if any(not _blank(v) for v in r)]
    if not filled:
        return WorkingCalendar.cn()
    if max(len(r) for r in rows) >= 2:
        result = table(values, "calendar", "holidays")
        overrides = overrides_from(result, label="holidays", file="holidays",
                                   working_cell=lambda row: f"row {row}")
    else:
        column = _column(values)
        if isinstance(column[0], str) and not _blank(column[0]):
            try:
                one_date(column[0], "holiday")
            except InputError:
                column = [None] + column[1:]   # a header such as 假日 / Holiday
        try:
            days = dates(column, "holiday")
        except InputError as exc:
            raise InputError(f"holidays, {exc}", value=exc.value, expected="a date") from None
        keep = days.notna().to_numpy()
        overrides = pd.DataFrame({"date": days[keep].to_numpy(), "working": False,
                                  "source_row": np.flatnonzero(keep) + 1})
    try:
        return WorkingCalendar.from_frame(overrides, base="cn", name="cn+holidays")
    except InputError as exc:   # two rows disagree on one date
        raise InputError(f"holidays: {exc}", value=exc.value, expected=exc.expected) from None


# ---------------------------------------------------------------- the functions

HOLIDAYS_DOC = ("Factory calendar (optional): the Calendar sheet's table (Date, Working) or one "
                "column of days off; default: the Chinese public holidays")

@xw.func(category="OrderDesk")
@xw.arg("due", ndim=1, doc="Due dates (a column)")
@xw.arg("ship", ndim=1, doc="Ship dates (a column, empty = not shipped)")
@xw.arg("status", ndim=1, doc="Status words (a column; Chinese or English)")
@xw.arg("as_of", doc="Measurement date (default: today)")
@xw.arg("holidays", ndim=2, doc=HOLIDAYS_DOC)
@_guard
def OD_RISK(due, ship, status, as_of=None, holidays=None):
    """Risk of each line: overdue, at_risk, on_track, done or cancelled (one cell per row)."""
    from addin.excel import compute
    due, ship, status = _column(due), _column(ship), _column(status)
    if not (len(due) == len(ship) == len(status)):
        raise InputError(f"due ({len(due)} rows), ship ({len(ship)}) and status ({len(status)}) "
                         "must be ranges of the same height")
    day = one_date(as_of, "as-of date") or _today()
    risk = compute.risk_of(dates(due, "due date"), dates(ship, "ship date"), statuses(status), day,
                           working_calendar(holidays))
    return [[r] for r in risk]


@xw.func(category="OrderDesk")
@xw.arg("orders", ndim=2, doc="The order ledger with its header row")
@xw.arg("by", doc="Group by: customer, month, part_no, owner, priority (comma-separated)")
@xw.arg("basis", doc=f"{BASIS} (default), or any of {', '.join(b for b in BASES if b != BASIS)}")
@_guard
def OD_OTD(orders, by=None, basis=None):
    """On-time delivery by group: a table with a header row and a total row."""
    from addin.excel import compute
    ledger = table(orders, "ledger", "orders")
    groups = [b.strip() for b in str(by or "").replace(";", ",").split(",") if b.strip()]
    frame = compute.otd_table(ledger.data, groups, (basis or BASIS).strip(), _today())
    return frame_to_rows(frame)


@xw.func(category="OrderDesk")
@xw.arg("po_lines", ndim=2, doc="PO lines to review, with their header row")
@xw.arg("quotes", ndim=2, doc="The quote book, with its header row")
@xw.arg("holidays", ndim=2, doc=HOLIDAYS_DOC)
@_guard
def OD_REVIEW(po_lines, quotes, holidays=None):
    """Contract review of each PO line: verdict and the reason of each failed check."""
    from addin.excel import compute
    orders = table(po_lines, "ledger", "po_lines")
    book = table(quotes, "quotes", "quotes")
    cal = working_calendar(holidays)
    return frame_to_rows(compute.review_table(orders.data, book.data, _today(), cal=cal))


@xw.func(category="OrderDesk")
@xw.arg("part", ndim=1, doc="Part numbers (a column)")
@xw.arg("qty", ndim=1, doc="Quantities (a column)")
@xw.arg("need_date", ndim=1, doc="Need dates (a column; optional)")
@_guard
def OD_PROMISE(part, qty, need_date=None):
    """Earliest date the factory can ship each line (one cell per row)."""
    from addin.excel import compute
    parts = _column(part)
    quantities = _column(qty)
    needs = _column(need_date) if need_date is not None else [None] * len(parts)
    if not (len(parts) == len(quantities) == len(needs)):
        raise InputError("part, qty and need_date must be ranges of the same height")
    from addin.excel.book import XlwingsBook
    try:
        book = XlwingsBook.caller()   # inside Excel: the workbook holding the formula
    except Exception as exc:
        raise InputError("OD_PROMISE plans against the workbook's Stock and Capacity sheets: "
                         "it runs only inside Excel") from exc
    return [[d] for d in compute.promise_dates(parts, quantities, dates(needs, "need date"), _today(), book)]


@xw.func(category="OrderDesk")
@xw.arg("notes", ndim=2, doc="Exception notes (one column), or exception type and note (two columns)")
@_guard
def OD_ROOTCAUSE(notes):
    """Root cause of each line from its exception type and/or note (one cell per row)."""
    from addin.compute.rootcause import classify_causes
    rows = _rows(notes)
    if rows and len(rows[0]) >= 2:
        types = [r[0] for r in rows]
        texts = [r[1] for r in rows]
    else:
        types = [None] * len(rows)
        texts = [r[0] if r else None for r in rows]
    causes = classify_causes(pd.Series(types, dtype=object), pd.Series(texts, dtype=object))
    return [[c] for c in causes]
