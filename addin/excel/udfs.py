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
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import xlwings as xw

from addin.errors import InputError, OrderDeskError

ERROR_PREFIX = "#ORDERDESK: "
EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
RANGE_NAME = "range"   # stands for the argument in messages: a UDF does not know its sheet


def _guard(func: Callable) -> Callable:
    """Turn any error into one text cell; Excel shows it where the spill would start."""
    @functools.wraps(func)
    def wrapper(*args):
        try:
            return func(*args)
        except OrderDeskError as exc:
            return [[ERROR_PREFIX + str(exc)]]
        except Exception as exc:  # a UDF must never show Python's traceback in a cell
            return [[f"{ERROR_PREFIX}{type(exc).__name__}: {exc}"]]
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


def _empty(values: pd.Series) -> np.ndarray:
    strings = values.map(lambda v: isinstance(v, str) and not v.strip())
    return (values.isna() | strings.astype(bool)).to_numpy()


def dates(values: list, what: str) -> pd.Series:
    """Dates of a column, vectorised: serial numbers and datetimes on a fast path, text through
    the readers' date parser. Raises InputError naming the first bad row (1-based)."""
    n = len(values)
    array = np.asarray(values, dtype=object) if n else np.empty(0, dtype=object)
    kinds = np.fromiter((type(v) for v in array), dtype=object, count=n) if n else array
    out = np.full(n, np.datetime64("NaT", "ns"))
    is_float = (kinds == float) | (kinds == int)
    if is_float.any():
        serial = array[is_float].astype("float64")
        bad = (serial < 1) | (serial > 2958465) | ~np.isfinite(serial)
        if bad.any():
            row = int(np.flatnonzero(is_float)[np.argmax(bad)]) + 1
            raise InputError(f"row {row}: {what} {array[row - 1]!r} is not a date", value=array[row - 1])
        out[is_float] = (EXCEL_EPOCH + np.floor(serial).astype("timedelta64[D]")).astype("datetime64[ns]")
    rest = ~is_float & (kinds != type(None))
    if rest.any():
        from addin.readers.values import date_column
        idx = np.flatnonzero(rest)
        parsed, problems, _ = date_column(pd.Series(array[idx], index=idx, dtype=object))
        bad = problems.notna() & ~pd.Series(_empty(pd.Series(array[idx], index=idx, dtype=object)), index=idx)
        if bad.any():
            i = int(bad.idxmax())
            raise InputError(f"row {i + 1}: {what} {array[i]!r} is {problems[i]}", value=array[i])
        out[idx] = parsed.to_numpy(dtype="datetime64[ns]")
    return pd.Series(out, dtype="datetime64[ns]")


def one_date(value: Any, what: str) -> _dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    day = dates([value], what).iloc[0]
    return None if pd.isna(day) else day.date()


def statuses(values: list) -> pd.Series:
    from addin.readers.values import status_column
    s = pd.Series(values, dtype=object)
    out, problems = status_column(s)
    bad = problems.notna()
    if bad.any():
        i = int(bad.idxmax())
        raise InputError(f"row {i + 1}: status {values[i]!r} is {problems[i]}", value=values[i])
    return out


def table(values: Any, kind: str, what: str):
    """A range with a header row as the readers' ReadResult (header found as in files)."""
    from addin.readers.grid import Grid
    from addin.readers.table import read_grid
    rows = [[None if (isinstance(v, str) and not v.strip()) else v for v in r] for r in _rows(values)]
    if not any(v is not None for r in rows for v in r):
        raise InputError(f"{what}: the range is empty — select the table with its header row")
    return read_grid(Grid(Path(what), RANGE_NAME, rows, [RANGE_NAME]), kind)


def _cell(value: Any) -> Any:
    """A Python value as Excel takes it: NaN/NaT/None -> empty, Timestamp -> datetime."""
    if value is None:
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.to_pydatetime()
    if isinstance(value, (float, np.floating)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if value is pd.NaT or value is pd.NA:
        return None
    return value


def frame_to_rows(frame: pd.DataFrame, header: bool = True) -> list[list]:
    rows = [list(frame.columns)] if header else []
    rows += [[_cell(v) for v in r] for r in frame.itertuples(index=False, name=None)]
    return rows


def _today() -> _dt.date:
    return _dt.date.today()


# ---------------------------------------------------------------- the functions

@xw.func(category="OrderDesk")
@xw.arg("due", ndim=1, doc="Due dates (a column)")
@xw.arg("ship", ndim=1, doc="Ship dates (a column, empty = not shipped)")
@xw.arg("status", ndim=1, doc="Status words (a column; Chinese or English)")
@xw.arg("as_of", doc="Measurement date (default: today)")
@_guard
def OD_RISK(due, ship, status, as_of=None):
    """Risk of each line: overdue, at_risk, on_track, done or cancelled (one cell per row)."""
    from addin.excel import compute
    due, ship, status = _column(due), _column(ship), _column(status)
    if not (len(due) == len(ship) == len(status)):
        raise InputError(f"due ({len(due)} rows), ship ({len(ship)}) and status ({len(status)}) "
                         "must be ranges of the same height")
    day = one_date(as_of, "as-of date") or _today()
    risk = compute.risk_of(dates(due, "due date"), dates(ship, "ship date"), statuses(status), day)
    return [[r] for r in risk]


@xw.func(category="OrderDesk")
@xw.arg("orders", ndim=2, doc="The order ledger with its header row")
@xw.arg("by", doc="Group by: customer, month, part_no, owner, priority (comma-separated)")
@xw.arg("basis", doc="promised (default), requested or first_promised")
@_guard
def OD_OTD(orders, by=None, basis=None):
    """On-time delivery by group: a table with a header row and a total row."""
    from addin.excel import compute
    ledger = table(orders, "ledger", "orders")
    groups = [b.strip() for b in str(by or "").replace(";", ",").split(",") if b.strip()]
    frame = compute.otd_table(ledger.data, groups, (basis or "promised").strip(), _today())
    return frame_to_rows(frame)


@xw.func(category="OrderDesk")
@xw.arg("po_lines", ndim=2, doc="PO lines to review, with their header row")
@xw.arg("quotes", ndim=2, doc="The quote book, with its header row")
@_guard
def OD_REVIEW(po_lines, quotes):
    """Contract review of each PO line: verdict and the reason of each failed check."""
    from addin.excel import compute
    orders = table(po_lines, "ledger", "po_lines")
    book = table(quotes, "quotes", "quotes")
    return frame_to_rows(compute.review_table(orders.data, book.data, _today()))


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
    from addin.rootcause import classify_causes
    rows = _rows(notes)
    if rows and len(rows[0]) >= 2:
        types = [r[0] for r in rows]
        texts = [r[1] for r in rows]
    else:
        types = [None] * len(rows)
        texts = [r[0] if r else None for r in rows]
    causes = classify_causes(pd.Series(types, dtype=object), pd.Series(texts, dtype=object))
    return [[c] for c in causes]
