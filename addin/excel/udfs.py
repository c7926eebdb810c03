"""Worksheet functions (xlwings UDFs), array-first: each takes whole columns in one call and
returns a 2-D list that spills natively in Excel 365 (no ``expand=``: that is the legacy
resize-by-macro mechanism).

Excel hands values over as tuples of tuples; dates arrive as datetimes (from date-formatted
cells) or serial numbers (from number cells or array expressions); empty cells as None. Each
function turns those into the canonical frames, calls the job the command line runs, and
returns plain values (SPEC section 7):

* **whole columns** (``G:G``) are trimmed to the used rows: trailing empty rows are dropped from
  the arguments, the result has one row per used row;
* **blank rows** (every argument empty in that row) give an empty cell;
* **a bad cell** fails its own row only: that row's cell holds ``#ORDERDESK: due date 'abc' is
  not a date``, the other rows are computed. Open-source xlwings cannot return Excel error
  values (``#VALUE!``) from a UDF (xlwings/xlwings#776): the error is text starting with ``#``;
* a **header row** on top of column arguments (``G:G`` takes the header with it) is recognised
  (text that parses as nothing and names a ledger column) and gets the result's label;
* **dates** come back as datetimes, which xlwings hands to Excel as date values;
* **as_of**: every function that depends on today takes it (optional, default today);
* **settings**: the calling workbook's Config sheet (``addin.excel.settings``) and its Calendar
  sheet, as the buttons use them; the SPEC defaults when called without a workbook.

An error that concerns the whole call (ranges of unequal height, a bad Config sheet, a table
without its header) comes back as one text cell. Never a traceback.

Parameters carry no type hints on purpose: xlwings reads hints as conversion options. ``caller``
is xlwings' reserved argument: Excel does not see it, xlwings passes the calling cell's range
(its workbook is the one the function reads settings and sheets from — ``ActiveWorkbook``, which
the add-in's wrappers pass, may be another one). Argument names are legal VBA identifiers
(checked by the tests): the wrapper module that ``macros/generated`` holds is written from these
signatures by xlwings' own generator.
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

from addin.errors import InputError, OrderDeskError
from addin.excel.values import frame_rows

ERROR_PREFIX = "#ORDERDESK: "
EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
RANGE_NAME = "range"   # stands for the argument in messages: a UDF does not know its sheet
MAX_TEXT = 255         # Excel turns an array from a VBA function holding a longer text into #VALUE!
CATEGORY = "OrderDesk"
# OD_PROMISE reads the workbook's sheets unless given a plan range: volatile then only (the build
# writes ``Application.Volatile IsMissing(stock) And ...`` into its wrapper)
VOLATILE_UNLESS = {"OD_PROMISE": ("stock", "capacity", "routing", "purchases", "bom")}


def _cell_text(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return value[:MAX_TEXT - 1] + "…"
    return value


def _guard(func: Callable) -> Callable:
    """Turn an error of the whole call into one text cell (texts capped at 255 characters)."""
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
            return [[_error(str(exc))]]
        except Exception as exc:  # a UDF must never show Python's traceback in a cell
            return [[_error(f"{type(exc).__name__}: {exc}")]]
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


def used_height(*columns: list) -> int:
    """The number of rows up to the last one holding a value in any of ``columns`` (a whole-column
    argument's 1,048,576 rows -> the used rows)."""
    last = 0
    for column in columns:
        n = len(column)
        if n <= last:
            continue
        filled = np.flatnonzero(~pd.isna(np.asarray(column, dtype=object)))
        i = len(filled) - 1
        while i >= 0 and filled[i] >= last and _blank(column[filled[i]]):
            i -= 1   # text of spaces only counts as empty
        if i >= 0:
            last = max(last, int(filled[i]) + 1)
    return last


def used_rows(rows: list[list]) -> list[list]:
    """A table argument without its trailing empty rows."""
    n = len(rows)
    while n and all(_blank(v) for v in rows[n - 1]):
        n -= 1
    return rows[:n]


def blank_rows(*columns: list) -> np.ndarray:
    """True where every column is empty (each distinct value looked at once)."""
    n = len(columns[0]) if columns else 0
    out = np.ones(n, dtype=bool)
    for column in columns:
        codes, uniques = _distinct(column)
        empty = np.append(np.fromiter((_blank(u) for u in uniques), dtype=bool, count=len(uniques)), True)
        out &= empty[codes]   # code -1 (None) -> the True at the end
    return out


def _empty(values: pd.Series) -> np.ndarray:
    strings = values.map(lambda v: isinstance(v, str) and not v.strip())
    return (values.isna() | strings.astype(bool)).to_numpy()


def _distinct(values: list) -> tuple[np.ndarray, list]:
    """(codes, distinct values): parse each distinct value once; columns repeat a lot."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    return codes, list(uniques)


def _problem(what: str, value: Any, problem: str) -> str:
    return f"{what} {value!r} is {problem}"


def parse_dates(values: list, what: str) -> tuple[pd.Series, dict[int, str]]:
    """Dates of a column, vectorised, and the problem of each bad row (0-based row -> text):
    serial numbers (and empty cells) on a fast path, anything else parsed once per distinct
    value by the readers' date parser. A bad row's date is NaT."""
    first = next((v for v in values if v is not None), None)
    serial = None
    if first is None or isinstance(first, (int, float)):   # date cells come as datetimes: skip
        try:
            serial = np.asarray(values, dtype="float64")   # None -> NaN; text or datetimes raise
        except (TypeError, ValueError):
            serial = None
    if serial is not None and serial.ndim == 1:
        bad = ~np.isnan(serial) & ((serial < 1) | (serial > 2958465))
        errors = {int(i): _problem(what, values[i], "not a date") for i in np.flatnonzero(bad)}
        missing = np.isnan(serial) | bad
        days = np.where(missing, 0, np.floor(np.where(missing, 0, serial))).astype("int64")
        out = (EXCEL_EPOCH + days.astype("timedelta64[D]")).astype("datetime64[ns]")
        out[missing] = np.datetime64("NaT", "ns")
        return pd.Series(out, dtype="datetime64[ns]"), errors
    from addin.readers.values import date_column
    codes, uniques = _distinct(values)
    distinct = pd.Series(uniques, dtype=object)
    parsed, problems, _ = date_column(distinct)
    blank = pd.Series(_empty(distinct), index=distinct.index)
    bad_codes = np.flatnonzero((problems.notna() & ~blank).to_numpy())
    errors: dict[int, str] = {}
    if len(bad_codes):
        for row in np.flatnonzero(np.isin(codes, bad_codes)):
            errors[int(row)] = _problem(what, values[row], problems[codes[row]])
    table = np.append(parsed.to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT", "ns"))
    if len(bad_codes):
        table[bad_codes] = np.datetime64("NaT", "ns")
    return pd.Series(table[codes], dtype="datetime64[ns]"), errors   # code -1 (empty) -> the NaT at the end


def dates(values: list, what: str) -> pd.Series:
    """Dates of a column; InputError naming the first bad row (1-based)."""
    out, errors = parse_dates(values, what)
    if errors:
        row = min(errors)
        raise InputError(f"row {row + 1}: {errors[row]}", value=values[row])
    return out


def one_date(value: Any, what: str) -> _dt.date | None:
    if _blank(value):
        return None
    day = dates([value], what).iloc[0]
    return None if pd.isna(day) else day.date()


def parse_statuses(values: list) -> tuple[pd.Series, dict[int, str]]:
    """Canonical status per row, each distinct word parsed once by the readers' vocabulary, and
    the problem of each bad row."""
    from addin.readers.values import status_column
    codes, uniques = _distinct(values)
    out, problems = status_column(pd.Series(uniques, dtype=object))
    bad_codes = np.flatnonzero(problems.notna().to_numpy())
    errors: dict[int, str] = {}
    table = np.append(out.to_numpy(dtype=object), None)
    if len(bad_codes):
        for row in np.flatnonzero(np.isin(codes, bad_codes)):
            errors[int(row)] = _problem("status", values[row], problems[codes[row]])
        table[bad_codes] = None
    return pd.Series(table[codes], dtype=object), errors


def statuses(values: list) -> pd.Series:
    out, errors = parse_statuses(values)
    if errors:
        row = min(errors)
        raise InputError(f"row {row + 1}: {errors[row]}", value=values[row])
    return out


def parse_numbers(values: list, what: str) -> tuple[np.ndarray, dict[int, str]]:
    from addin.readers.values import number_column
    numbers, problems = number_column(pd.Series(values, dtype=object))
    errors = {int(i): _problem(what, values[i], problems.iloc[i]) for i in np.flatnonzero(problems.notna().to_numpy())}
    out = numbers.to_numpy(dtype="float64").copy()
    out[list(errors)] = np.nan
    return out, errors


def first_filled(skip: np.ndarray) -> int:
    """The first row that is not blank (0 when all are): where a header taken with whole columns
    sits below empty rows (the templates' button band above their header)."""
    filled = np.flatnonzero(~skip)
    return int(filled[0]) if len(filled) else 0


def header_row(first: list, parsers: list[Callable[[list], dict]]) -> bool:
    """The first row of column arguments is a header (``G:G`` takes it with it): every filled
    cell is text without a digit that its column's parser rejects, and one of them names a
    column of the order ledger (Chinese, English or both: ``承诺交期 Promised Date``)."""
    from addin.readers.table import aliases, header_key
    filled = [(v, parse) for v, parse in zip(first, parsers) if not _blank(v)]
    if not filled or not all(isinstance(v, str) and not any(c.isdigit() for c in v) for v, _ in filled):
        return False
    if not all(parse([v]) for v, parse in filled):
        return False
    known = aliases()["ledger"]
    return any(header_key(v) in known or any(header_key(part) in known for part in v.split()) for v, _ in filled)


def _error(text: str) -> str:
    return _cell_text(ERROR_PREFIX + text)


def table(values: Any, kind: str, what: str):
    """A range with a header row as the readers' ReadResult (header found as in files); a
    whole-column range is read up to its last used row."""
    from addin.readers.grid import Grid
    from addin.readers.table import read_grid
    rows = used_rows([[None if _blank(v) else v for v in r] for r in _rows(values)])
    if not rows:
        raise InputError(f"{what}: the range is empty — select the table with its header row")
    width = max(len(r) for r in rows)
    while width and all(len(r) < width or r[width - 1] is None for r in rows):
        width -= 1   # whole rows (1:1) or a selection wider than the table
    grid = Grid(Path(what), RANGE_NAME, [r[:width] for r in rows], [RANGE_NAME])
    if kind == "purchases":   # open purchase lines, or a purchase ledger's open lines
        from addin.readers.purchases import read_grid as read_purchases
        return read_purchases(grid)
    return read_grid(grid, kind)


def frame_to_rows(frame: pd.DataFrame, header: bool = True) -> list[list]:
    return frame_rows(frame, None if header else False)


def _today() -> _dt.date:
    return _dt.date.today()


def as_of_date(value: Any) -> _dt.date:
    """The ``as_of`` argument, default today."""
    return one_date(value, "as-of date") or _today()


def working_calendar(values: Any, base: str = "cn"):
    """The ``holidays`` argument as a working calendar: ``base`` (``cn``, the Chinese public
    calendar, or ``mon-fri``) with the given days forced. Either the Calendar sheet's table with
    its header row (Date and Working columns, 日期/是否上班, optional Name: make-up working days
    too), or one column of dates that are not worked (as Excel's WORKDAY takes them; a text
    header cell on top is allowed). Empty or omitted: ``base`` alone. Bad cells raise InputError
    naming the row."""
    from addin.compute.calendar import WorkingCalendar
    from addin.readers.calendar import load_calendar, overrides_from
    rows = used_rows(_rows(values))
    if not rows:
        return load_calendar(base)
    if max(len(r) for r in rows) >= 2:
        result = table(values, "calendar", "holidays")
        overrides = overrides_from(result, label="holidays", file="holidays",
                                   working_cell=lambda row: f"row {row}")
    else:
        column = [r[0] if r else None for r in rows]
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
        return WorkingCalendar.from_frame(overrides, base=base, name=f"{base}+holidays")
    except InputError as exc:   # two rows disagree on one date
        raise InputError(f"holidays: {exc}", value=exc.value, expected=exc.expected) from None


# ---------------------------------------------------------------- the calling workbook

def caller_book(caller: Any):
    """The workbook holding the formula (xlwings' ``caller`` range), None when there is none
    (called from VBA or Python)."""
    if caller is None:
        return None
    sheet = getattr(caller, "sheet", None)
    if sheet is None:
        return None
    from addin.excel.book import XlwingsBook
    return XlwingsBook(sheet.book)


def udf_settings(book: Any, holidays: Any = None, *, with_calendar: bool = True):
    """The settings of the calling workbook (its Config sheet, else the SPEC defaults) with the
    working calendar: the ``holidays`` argument over the Config sheet's base calendar when
    given, else the workbook's Calendar sheet."""
    from dataclasses import replace
    from addin.config import Settings
    from addin.excel.settings import book_settings, calendar as book_calendar
    given = bool(used_rows(_rows(holidays)))
    settings = Settings() if book is None else book_settings(book, with_calendar=False)
    if not with_calendar:
        return settings
    base = str(settings.calendar)
    if given:
        return replace(settings, calendar=working_calendar(holidays, base=base))
    return replace(settings, calendar=book_calendar(book, base=base))


def _lang(book: Any, settings) -> str:
    from addin.excel.settings import message_lang
    if book is None:
        from addin.i18n import system_lang
        return settings.lang or system_lang()
    return message_lang(book, settings)


def _place(n: int, values: dict[int, Any], width: int = 1, fill: Any = None) -> list[list]:
    rows = [[fill] * width for _ in range(n)]
    for i, v in values.items():
        rows[i] = list(v) if width > 1 else [v]
    return rows


# ---------------------------------------------------------------- the functions

HOLIDAYS_DOC = ("Factory calendar (optional): the Calendar sheet's table (Date, Working) or one "
                "column of days off; default: the workbook's Calendar sheet, else the Chinese public holidays")
AS_OF_DOC = "Measurement date (optional; default: today)"
RISK_LABEL = "risk"
_HOLIDAYS_ZH = "工厂日历（可选）：Calendar 工作表的表格（日期、是否上班）或一列放假日；默认：工作簿的 Calendar 工作表，否则中国法定节假日"
_AS_OF_ZH = "统计日期（可选；默认今天）"
# The function wizard's help in Chinese (the build registers it when Excel's interface is Chinese;
# the English help is each function's docstring and its arguments' doc)
HELP_ZH: dict[str, tuple[str, dict[str, str]]] = {
    "OD_RISK": ("每行在统计日期的风险：overdue 逾期、at_risk 有风险、on_track 正常、done 已完成、cancelled 已取消（每行一格，空行留空）",
                {"due": "交期（一列；整列如 G:G 只取到最后有数据的行）", "ship": "出货日期（同高的一列；空 = 未出货）",
                 "status": "状态（同高的一列；中文或英文）", "as_of": _AS_OF_ZH, "holidays": _HOLIDAYS_ZH}),
    "OD_OTD": ("按分组统计截至统计日期的准交率：带表头和合计行的表格",
               {"orders": "订单台账，含表头行（整列如 A:M 只取到最后有数据的行）",
                "by": "分组（可选）：customer, month, part_no, owner, priority（逗号分隔）",
                "basis": "交期基准（可选）：promised（默认）、requested 或 first_promised", "as_of": _AS_OF_ZH}),
    "OD_REVIEW": ("每个 PO 行的合同评审：结论及每项未通过检查的原因；读取时被拒的行列在最后并说明原因",
                  {"po_lines": "要评审的 PO 行，含表头行", "quotes": "报价单台账，含表头行", "holidays": _HOLIDAYS_ZH,
                   "as_of": "评审日期（可选；默认今天）：报价有效期和交期天数从此日算起"}),
    "OD_PROMISE": ("按库存和产能（本工作簿的工作表或给定的表格）每行工厂最早可出货的日期，另有一列说明",
                   {"part": "料号（一列；整列只取到最后有数据的行）", "qty": "数量（同高的一列）",
                    "need_date": "需求日期（可选；同高的一列）", "as_of": "计划日期（可选；默认今天）",
                    "stock": "库存表，含表头行（可选；默认本工作簿的 Stock 工作表）",
                    "capacity": "产能表，含表头行（可选；默认 Capacity 工作表）",
                    "routing": "工艺路线：每个料号的单位工时和产线（可选；默认 Routing 工作表）",
                    "purchases": "在途采购，含表头行（可选；默认 Purchases 工作表）",
                    "bom": "BOM，含表头行（可选；默认 BOM 工作表）",
                    "notes": "TRUE（默认）：第二列说明日期为何晚于需求或不确定；FALSE：只要日期"}),
    "OD_ROOTCAUSE": ("按异常类型和/或异常说明判断每行的根本原因（每行一格，空行留空）",
                     {"notes": "异常说明（一列），或异常类型和说明（两列）"}),
}


@xw.func(category=CATEGORY)
@xw.arg("due", ndim=1, doc="Due dates (a column; whole columns such as G:G are trimmed to the used rows)")
@xw.arg("ship", ndim=1, doc="Ship dates (a column of the same height; empty = not shipped)")
@xw.arg("status", ndim=1, doc="Status words (a column of the same height; Chinese or English)")
@xw.arg("as_of", doc=AS_OF_DOC)
@xw.arg("holidays", ndim=2, doc=HOLIDAYS_DOC)
@_guard
def OD_RISK(due, ship, status, as_of=None, holidays=None, caller=None):
    """Risk of each line at the as-of date: overdue, at_risk, on_track, done or cancelled (one cell per row; blank rows stay blank)."""
    from addin.excel import compute
    due, ship, status = _column(due), _column(ship), _column(status)
    if not (len(due) == len(ship) == len(status)):
        raise InputError(f"due ({len(due)} rows), ship ({len(ship)}) and status ({len(status)}) "
                         "must be ranges of the same height")
    n = used_height(due, ship, status)
    due, ship, status = due[:n], ship[:n], status[:n]
    if not n:
        return [[None]]
    day = as_of_date(as_of)
    book = caller_book(caller)
    settings = udf_settings(book, holidays)
    skip = blank_rows(due, ship, status)
    out = np.full(n, None, dtype=object)
    h = first_filled(skip)
    if header_row([due[h], ship[h], status[h]],
                  [lambda v: parse_dates(v, "")[1], lambda v: parse_dates(v, "")[1],
                   lambda v: parse_statuses(v)[1]]):
        skip[h] = True
        out[h] = RISK_LABEL
    due_dates, errors = parse_dates(due, "due date")
    ship_dates, ship_errors = parse_dates(ship, "ship date")
    words, word_errors = parse_statuses(status)
    for more in (ship_errors, word_errors):
        for i, text in more.items():
            errors.setdefault(i, text)
    for i, text in errors.items():
        if not skip[i]:
            out[i] = _error(text)
    good = ~skip
    good[list(errors)] = False
    out[good] = compute.risk_of(due_dates[good].reset_index(drop=True), ship_dates[good].reset_index(drop=True),
                                words[good].reset_index(drop=True), day, settings=settings)
    return [[v] for v in out.tolist()]


@xw.func(category=CATEGORY)
@xw.arg("orders", ndim=2, doc="The order ledger with its header row (whole columns such as A:M are trimmed)")
@xw.arg("by", doc="Group by (optional): customer, month, part_no, owner, priority (comma-separated)")
@xw.arg("basis", doc="Due-date basis (optional): promised (default), requested or first_promised")
@xw.arg("as_of", doc=AS_OF_DOC)
@_guard
def OD_OTD(orders, by=None, basis=None, as_of=None, caller=None):
    """On-time delivery by group at the as-of date: a table with a header row and a total row."""
    from addin.excel import compute
    ledger = table(orders, "ledger", "orders")
    settings = udf_settings(caller_book(caller))
    groups = [b.strip() for b in str(by or "").replace(";", ",").split(",") if b.strip()]
    chosen = str(basis).strip() if not _blank(basis) else settings.otd.basis
    frame = compute.otd_table(ledger.data, groups, chosen, as_of_date(as_of), settings)
    return [[_cell_text(v) for v in r] for r in frame_to_rows(frame)]


@xw.func(category=CATEGORY)
@xw.arg("po_lines", ndim=2, doc="PO lines to review, with their header row")
@xw.arg("quotes", ndim=2, doc="The quote book, with its header row")
@xw.arg("holidays", ndim=2, doc=HOLIDAYS_DOC)
@xw.arg("as_of", doc="Review date (optional; default: today): quotes valid and lead times counted from it")
@_guard
def OD_REVIEW(po_lines, quotes, holidays=None, as_of=None, caller=None):
    """Contract review of each PO line: verdict and the reason of each failed check; rows the reader rejected are listed last with the reason."""
    from addin.excel import compute
    orders = table(po_lines, "ledger", "po_lines")
    book_ = table(quotes, "quotes", "quotes")
    settings = udf_settings(caller_book(caller), holidays)
    reviewed = compute.review_table(orders.data, book_.data, as_of_date(as_of), settings=settings)
    rows = [[_cell_text(v) for v in r] for r in frame_to_rows(reviewed)]
    width = len(rows[0])
    verdict = rows[0].index("verdict")
    for issue in getattr(orders, "issues", []):
        if getattr(issue, "severity", "error") != "error":
            continue
        row = [None] * width
        row[verdict] = _error(f"po_lines {_issue_text(issue)}")
        rows.append(row)
    return rows


def _issue_text(issue) -> str:
    """A reader's issue about a row of a range argument: the row counted in the range (its
    header row is row 1), the field, the value and what was expected."""
    import re
    row = re.search(r"(\d+)$", str(issue.cell))
    where = f"row {row.group(1)}" if row else str(issue.cell)
    value = issue.value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    shown = "" if value in (None, "") else f" {value!r}"
    return f"{where}, {issue.field}{shown}: {issue.message}"


@xw.func(category=CATEGORY, volatile=True)
@xw.arg("part", ndim=1, doc="Part numbers (a column; whole columns are trimmed to the used rows)")
@xw.arg("qty", ndim=1, doc="Quantities (a column of the same height)")
@xw.arg("need_date", ndim=1, doc="Need dates (optional; a column of the same height)")
@xw.arg("as_of", doc="Planning date (optional; default: today)")
@xw.arg("stock", ndim=2, doc="Stock table with its header row (optional; default: the workbook's Stock sheet)")
@xw.arg("capacity", ndim=2, doc="Capacity table with its header row (optional; default: the Capacity sheet)")
@xw.arg("routing", ndim=2, doc="Routing table: hours per unit and line of each part (optional; default: the Routing sheet)")
@xw.arg("purchases", ndim=2, doc="Open purchase lines with their header row (optional; default: the Purchases sheet)")
@xw.arg("bom", ndim=2, doc="BOM with its header row (optional; default: the BOM sheet)")
@xw.arg("notes", doc="TRUE (default): a second column says why a date is late or uncertain; FALSE: dates only")
@_guard
def OD_PROMISE(part, qty, need_date=None, as_of=None, stock=None, capacity=None, routing=None, purchases=None,
               bom=None, notes=True, caller=None):
    """Earliest date the factory can ship each line, from stock and capacity (the workbook's sheets or the given tables), with a note column."""
    from addin.excel import compute
    parts, quantities = _column(part), _column(qty)
    needs = _column(need_date) if not _omitted(need_date) else [None] * len(parts)
    if not (len(parts) == len(quantities) == len(needs)):
        raise InputError(f"part ({len(parts)} rows), qty ({len(quantities)}) and need_date ({len(needs)}) "
                         "must be ranges of the same height")
    width = 2 if _truth(notes) else 1
    n = used_height(parts, quantities, needs)
    parts, quantities, needs = parts[:n], quantities[:n], needs[:n]
    if not n:
        return [[None] * width]
    day = as_of_date(as_of)
    book = caller_book(caller)
    settings = udf_settings(book)
    given = {k: v for k, v in (("stock", stock), ("capacity", capacity), ("routing", routing),
                               ("purchases", purchases), ("bom", bom)) if used_rows(_rows(v))}
    if given:
        results = {kind: table(values, kind, kind) for kind, values in given.items()}
    elif book is not None:
        results = compute.plan_results(book)
    else:
        from addin.i18n import t
        raise InputError(t("udf.promise_no_plan", _lang(book, settings)))
    skip = blank_rows(parts, quantities, needs)
    out: dict[int, Any] = {}
    h = first_filled(skip)
    if header_row([parts[h], quantities[h], needs[h]],
                  [lambda v: {0: "text"}, lambda v: parse_numbers(v, "")[1],
                   lambda v: parse_dates(v, "")[1]]):
        skip[h] = True
        out[h] = ["promise_date", "note"][:width] if width > 1 else "promise_date"
    need_dates, errors = parse_dates(needs, "need date")
    numbers, qty_errors = parse_numbers(quantities, "qty")
    for i, text in qty_errors.items():
        errors.setdefault(i, text)
    for i in np.flatnonzero(~skip):
        if _blank(parts[i]):
            errors.setdefault(int(i), "part is empty")
        elif np.isnan(numbers[i]) and i not in errors:
            errors[int(i)] = "qty is empty"
    for i, text in errors.items():
        if not skip[i]:
            out[i] = [_error(text), None][:width] if width > 1 else _error(text)
    good = ~skip
    good[list(errors)] = False
    index = np.flatnonzero(good)
    if len(index):
        promised = compute.promise_dates([parts[i] for i in index], numbers[good].tolist(),
                                         need_dates[good].reset_index(drop=True), day, results, settings)
        for i, (date, note) in zip(index.tolist(), promised):
            out[i] = [date, _cell_text(note)][:width] if width > 1 else date
    return _place(n, out, width)


def _omitted(value: Any) -> bool:
    return value is None or (isinstance(value, (list, tuple)) and not used_rows(_rows(value)))


def _truth(value: Any) -> bool:
    """An optional TRUE/FALSE argument (default TRUE): FALSE, 0, "false", "否", "no" turn it off."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "0", "no", "n", "否", "f")
    return bool(value)


@xw.func(category=CATEGORY)
@xw.arg("notes", ndim=2, doc="Exception notes (one column), or exception type and note (two columns)")
@_guard
def OD_ROOTCAUSE(notes, caller=None):
    """Root cause of each line from its exception type and/or note (one cell per row; blank rows stay blank)."""
    from addin.compute.rootcause import classify_causes
    rows = _rows(notes)
    if rows and len(rows[0]) >= 2:
        types = [r[0] for r in rows]
        texts = [r[1] for r in rows]
    else:
        types = [None] * len(rows)
        texts = [r[0] if r else None for r in rows]
    n = used_height(types, texts)
    types, texts = types[:n], texts[:n]
    if not n:
        return [[None]]
    settings = udf_settings(caller_book(caller), with_calendar=False)
    skip = blank_rows(types, texts)
    h = first_filled(skip)
    header = header_row([types[h], texts[h]], [lambda v: {0: "text"}] * 2)
    causes = classify_causes(pd.Series(types, dtype=object), pd.Series(texts, dtype=object),
                             settings.otd.cause_keywords or None).to_numpy(dtype=object).copy()
    causes[skip] = None
    if header:
        causes[h] = "root_cause"
    return [[c] for c in causes.tolist()]
