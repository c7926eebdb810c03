"""Worksheet functions called the way Excel calls them: arguments as tuples of tuples, dates as
serial floats or datetimes, empty cells None, missing optional arguments as DISP_E_PARAMNOTFOUND,
converted by xlwings' own conversion layer with each function's options (read from the
metadata xlwings' Windows decorators attach), results converted back for Excel."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
import xlwings
from xlwings import conversion

from addin.xlam import build

MISSING = -2147352572  # what Excel passes for an omitted optional argument (call_udf checks it)


class _ExcelValues:
    """The value conversions of xlwings' Windows engine (``xlwings._xlwindows.Engine``), which
    cannot be imported off Windows: COM dates -> datetime, empty -> ``empty_as``, and back."""
    name = "excel"
    type = "desktop"

    @staticmethod
    def clean_value_data(data, datetime_builder, empty_as, number_builder, err_to_str):
        def clean(v):
            if v in ("", None):
                return empty_as
            if isinstance(v, dt.datetime):
                return datetime_builder(v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond)
            if number_builder is not None and isinstance(v, float):
                return number_builder(v)
            return v
        return [[clean(c) for c in row] for row in data]

    @staticmethod
    def prepare_xl_data_element(x, date_format):
        import numpy as np
        import pandas as pd
        if isinstance(x, (dt.date, dt.datetime)):
            return x  # Windows hands it to pywin32 as a COM date
        if x is None or (not isinstance(x, str) and pd.isna(x)):
            return ""
        if isinstance(x, np.number):
            return float(x)
        return x


@pytest.fixture(scope="module")
def udfs():
    from xlwings.main import Engine, engines
    engine = Engine(impl=_ExcelValues())
    engines.add(engine)
    try:
        yield build.load_udf_module()
    finally:
        engines.engines.remove(engine)
        del engines.engines_by_name["excel"]


def call(udfs, name, *args, caller=None):
    """As xlwings.udfs.call_udf does it, minus COM: omitted arguments take their default, the
    reserved ``caller`` argument gets the calling cell's range (here a fake of xlwings' objects),
    every argument goes through xlwings' conversion with the function's options, the result back."""
    func = getattr(udfs, name)
    info = func.__xlfunc__
    args = list(args) + [MISSING] * (len(info["args"]) - len(args))
    for arg_info in info["args"]:
        if arg_info["name"] == "caller":
            args[arg_info["pos"]] = caller if caller is not None else MISSING
    values = []
    for i, arg in enumerate(args):
        arg_info = info["args"][min(i, len(info["args"]) - 1)]
        if isinstance(arg, int) and arg == MISSING:
            values.append(arg_info.get("optional", None))
        else:
            values.append(conversion.read(None, arg, arg_info["options"]))
    return conversion.write(func(*values), None, info["ret"]["options"])


def serial(day: dt.date) -> float:
    return float((day - dt.date(1899, 12, 30)).days)


AS_OF = dt.date(2026, 11, 20)


def test_engine_is_registered_only_for_the_tests(udfs):
    assert xlwings.engines["excel"].name == "excel"


def test_od_risk_over_a_column(udfs):
    due = ((serial(dt.date(2026, 11, 10)),), (dt.datetime(2026, 11, 23),), (serial(dt.date(2027, 3, 1)),),
           (serial(dt.date(2026, 11, 1)),), (None,), (serial(dt.date(2026, 12, 1)),))
    ship = ((None,), (None,), (None,), (serial(dt.date(2026, 11, 2)),), (None,), (None,))
    status = (("生产中",), ("open",), ("待排产",), ("已出货",), ("open",), ("已取消",))
    result = call(udfs, "OD_RISK", due, ship, status, serial(AS_OF))
    assert result == [["overdue"], ["at_risk"], ["on_track"], ["done"], ["at_risk"], ["cancelled"]]


def test_od_risk_as_of_missing_means_today(udfs):
    far = serial(dt.date.today() + dt.timedelta(days=400))
    assert call(udfs, "OD_RISK", ((far,),), ((None,),), (("open",),), MISSING) == [["on_track"]]


def test_od_risk_single_cells(udfs):
    assert call(udfs, "OD_RISK", serial(dt.date(2026, 11, 1)), None, "open", serial(AS_OF)) == [["overdue"]]


def test_od_risk_bad_date_fails_only_its_row(udfs):
    due = ((serial(AS_OF),),) * 6 + (("abc",),)
    result = call(udfs, "OD_RISK", due, ((None,),) * 7, (("open",),) * 7, serial(AS_OF))
    assert result == [["at_risk"]] * 6 + [["#ORDERDESK: due date 'abc' is not a date"]]


def test_od_risk_text_dates_are_parsed(udfs):
    result = call(udfs, "OD_RISK", (("2026-11-01",), ("2026年12月30日",)), ((None,), (None,)),
                  (("open",), ("open",)), serial(AS_OF))
    assert result == [["overdue"], ["on_track"]]


def test_od_risk_unequal_heights(udfs):
    result = call(udfs, "OD_RISK", ((1.0,), (2.0,)), ((None,),), (("open",), ("open",)), MISSING)
    assert result == [["#ORDERDESK: due (2 rows), ship (1) and status (2) must be ranges of the same height"]]


def test_od_risk_bad_status(udfs):
    result = call(udfs, "OD_RISK", ((serial(AS_OF),),), ((None,),), (("maybe",),), serial(AS_OF))
    assert result[0][0].startswith("#ORDERDESK: status 'maybe' is not a known status")


def test_od_rootcause_one_and_two_columns(udfs):
    notes = (("PCB来料延期",), ("设备故障",), (None,), ("客户改单",), ("whatever",))
    assert call(udfs, "OD_ROOTCAUSE", notes) == [["material"], ["equipment"], [""], ["customer"],
                                                 ["unclassified"]]
    pairs = (("品质", "cracked housing"), (None, "停电两天"))
    assert call(udfs, "OD_ROOTCAUSE", pairs) == [["quality"], ["force_majeure"]]


LEDGER = (
    ("订单号", "客户", "料号", "订单数量", "承诺交期", "出货日期", "出货数量", "状态"),
    ("PO-1", "ACME", "A-100", 100.0, serial(dt.date(2026, 10, 10)), serial(dt.date(2026, 10, 10)), 100.0, "已出货"),
    ("PO-2", "ACME", "A-100", 100.0, serial(dt.date(2026, 10, 12)), serial(dt.date(2026, 10, 15)), 100.0, "已出货"),
    ("PO-3", "Globex", "B-200", 50.0, dt.datetime(2026, 10, 20), None, None, "生产中"),
    ("PO-4", "Globex", "B-200", 50.0, serial(dt.date(2026, 10, 21)), serial(dt.date(2026, 10, 20)), 50.0, "已出货"),
)


def test_od_otd_by_customer(udfs):
    result = call(udfs, "OD_OTD", LEDGER, "customer", MISSING)
    assert result[0] == ["customer", "lines", "on_time", "late", "early", "pending", "otd", "otif", "avg_days_late"]
    rows = {r[0]: r[1:] for r in result[1:]}
    assert rows["ACME"][:5] == [2, 1, 1, 0, 0] and rows["ACME"][5] == 0.5
    assert rows["Globex"][:5] == [2, 1, 1, 0, 0]
    assert rows["Total"][:5] == [4, 2, 2, 0, 0] and rows["Total"][5] == 0.5


def test_od_otd_without_groups_and_bad_group(udfs):
    total = call(udfs, "OD_OTD", LEDGER, MISSING, "requested")
    assert total[0][0] == "group" and total[1][:2] == ["Total", 0] or total[1][0] == "Total"
    bad = call(udfs, "OD_OTD", LEDGER, "colour", MISSING)
    assert len(bad) == 1 and bad[0][0].startswith(
        "#ORDERDESK: cannot group by 'colour': use customer, month, part_no, owner, priority")


def test_od_otd_missing_required_column_names_it(udfs):
    result = call(udfs, "OD_OTD", tuple(r[:2] for r in LEDGER), "customer", MISSING)
    assert result[0][0].startswith("#ORDERDESK: ")
    assert "part_no" in result[0][0] or "料号" in result[0][0]


def test_od_review(udfs):
    po = (("订单号", "行号", "客户", "料号", "版本", "订单数量", "单价", "币种", "订单日期", "客户交期"),
          ("PO-1", "1", "ACME", "A-100", "B", 500.0, 1.10, "USD", serial(dt.date(2026, 11, 2)), serial(dt.date(2026, 12, 4))),
          ("PO-1", "2", "ACME", "A-100", "C", 500.0, 1.30, "USD", serial(dt.date(2026, 11, 2)), serial(dt.date(2026, 12, 4))))
    quotes = (("报价单号", "客户", "料号", "版本", "起订量", "单价", "币种", "交期天数", "有效期至"),
              ("Q-1", "ACME", "A-100", "B", 100.0, 1.20, "USD", 15.0, serial(dt.date(2026, 12, 31))),
              ("Q-1", "ACME", "A-100", "B", 500.0, 1.10, "USD", 15.0, serial(dt.date(2026, 12, 31))))
    result = call(udfs, "OD_REVIEW", po, quotes)
    header = result[0]
    assert header[:4] == ["order_no", "line_no", "part_no", "verdict"]
    verdict = header.index("verdict")
    assert [r[verdict] for r in result[1:]] == ["pass", "fail"]
    assert result[2][header.index("revision_result")] == "fail"
    assert result[2][header.index("price_result")] != "pass"   # 1.30 vs quoted 1.10


FRIDAY = dt.date(2026, 11, 20)
DUE_NEXT_FRIDAY = ((serial(dt.date(2026, 11, 27)),),)   # 5 working days on: on track (horizon 3)


@pytest.mark.parametrize("holidays", [
    ((serial(dt.date(2026, 11, 23)),), (dt.datetime(2026, 11, 24),)),                      # a column of days off
    (("假日",), (serial(dt.date(2026, 11, 23)),), ("2026-11-24",), (None,)),                  # with a header cell
    (("日期", "是否上班", "说明"), (serial(dt.date(2026, 11, 23)), "休息", "停电"),            # the Calendar sheet's table
     (dt.datetime(2026, 11, 24), "0", None), (None, None, None)),
], ids=["column", "column-with-header", "calendar-table"])
def test_od_risk_counts_the_factory_days_off(udfs, holidays):
    assert call(udfs, "OD_RISK", DUE_NEXT_FRIDAY, ((None,),), (("open",),), serial(FRIDAY), MISSING) == [["on_track"]]
    # two days off on Monday and Tuesday leave 3 working days to the due date: inside the horizon
    assert call(udfs, "OD_RISK", DUE_NEXT_FRIDAY, ((None,),), (("open",),), serial(FRIDAY), holidays) == [["at_risk"]]


def test_od_risk_make_up_working_day_moves_the_horizon(udfs):
    # due Monday 30 Nov, as of Tuesday 24: Wed, Thu, Fri, Mon = 4 working days (on track);
    # Wednesday off leaves 3 (at risk); Saturday 28 a make-up working day (调休上班) gives 4 again
    due, as_of = ((serial(dt.date(2026, 11, 30)),),), serial(dt.date(2026, 11, 24))
    args = (due, ((None,),), (("open",),), as_of)
    assert call(udfs, "OD_RISK", *args, MISSING) == [["on_track"]]
    wednesday_off = (("Date", "Working"), ("2026-11-25", "休息"))
    assert call(udfs, "OD_RISK", *args, wednesday_off) == [["at_risk"]]
    assert call(udfs, "OD_RISK", *args, wednesday_off + (("2026-11-28", "上班"),)) == [["on_track"]]


@pytest.mark.parametrize("holidays, message", [
    ((("假日",), ("abc",)), "holidays, row 2: holiday 'abc' is not a date"),
    ((("Date", "Working"), ("2026-11-23", "maybe")),
     "holidays, row 2: working day value 'maybe' is not understood — write 上班 or 休息"),
    ((("Date", "Working"), ("2026-11-23", "休息"), ("2026-11-23", "上班")),
     "holidays: calendar rows 2 and 3 disagree on 2026-11-23: one says working, the other not"),
    (((1.0, 2.0), (3.0, 4.0)), "holidays: sheet 'range': no column for required fields 'date'"),
], ids=["bad-date", "bad-working", "disagree", "no-header"])
def test_od_risk_bad_holidays_are_a_reason(udfs, holidays, message):
    result = call(udfs, "OD_RISK", DUE_NEXT_FRIDAY, ((None,),), (("open",),), serial(FRIDAY), holidays)
    assert len(result) == 1 and result[0][0].startswith("#ORDERDESK: " + message), result


def test_od_review_lead_time_in_the_factory_calendar(udfs):
    po = (("订单号", "行号", "客户", "料号", "版本", "订单数量", "单价", "币种", "订单日期", "客户交期"),
          ("PO-1", "1", "ACME", "A-100", "B", 500.0, 1.10, "USD", serial(dt.date(2026, 11, 2)), serial(dt.date(2026, 11, 23))))
    quotes = (("报价单号", "客户", "料号", "版本", "起订量", "单价", "币种", "交期天数", "有效期至"),
              ("Q-1", "ACME", "A-100", "B", 100.0, 1.10, "USD", 15.0, serial(dt.date(2026, 12, 31))))
    plain = call(udfs, "OD_REVIEW", po, quotes, MISSING)
    assert dict(zip(plain[0], plain[1]))["lead_time_result"] == "pass"   # 15 working days from Mon 2 Nov: Mon 23
    off = call(udfs, "OD_REVIEW", po, quotes, ((serial(dt.date(2026, 11, 10)),),))
    row = dict(zip(off[0], off[1]))
    assert row["lead_time_result"] == "fail" and row["verdict"] == "fail"
    assert "earliest 2026-11-24" in row["lead_time_reason"]


def test_od_promise_without_workbook_or_tables_says_what_it_needs(udfs):
    result = call(udfs, "OD_PROMISE", (("A-100",),), ((10.0,),), MISSING)
    assert result == [["#ORDERDESK: OD_PROMISE needs stock or capacity: add a Stock sheet (and Capacity + "
                       "Routing sheets) to this workbook, or pass the stock and capacity tables as arguments"]]


def test_empty_range_is_a_reason_not_a_traceback(udfs):
    assert call(udfs, "OD_OTD", None, MISSING, MISSING) == [
        ["#ORDERDESK: orders: the range is empty — select the table with its header row"]]


def test_results_are_plain_2d_lists(udfs):
    result = call(udfs, "OD_ROOTCAUSE", (("缺料",),))
    assert isinstance(result, list) and all(isinstance(r, list) for r in result)


def test_udfs_are_plain_functions_without_excel():
    # on Linux xw.func is a no-op: the package's own module imports and runs without metadata
    from addin.excel import udfs
    assert not hasattr(udfs.OD_RISK, "__xlfunc__")
    assert udfs.OD_ROOTCAUSE([["缺料"]]) == [["material"]]


# ---------------------------------------------------------------- SPEC 7: rows, columns, dates, as_of

WHOLE_COLUMN = 1_048_576


def whole_column(values: list) -> tuple:
    """A whole-column argument (G:G) as Excel hands it over: every row of the sheet."""
    return tuple((v,) for v in values) + ((None,),) * (WHOLE_COLUMN - len(values))


def test_blank_rows_give_blank_results(udfs):
    due = ((serial(dt.date(2026, 11, 10)),), (None,), ("  ",), (serial(dt.date(2027, 3, 1)),))
    ship = ((None,),) * 4
    status = (("open",), (None,), (None,), ("open",))
    assert call(udfs, "OD_RISK", due, ship, status, serial(AS_OF)) == [["overdue"], [""], [""], ["on_track"]]


def test_a_bad_row_fails_only_its_own_row(udfs):
    due = ((serial(dt.date(2026, 11, 10)),), ("31/02/2026",), (serial(dt.date(2027, 3, 1)),),
           (serial(dt.date(2026, 11, 1)),), (-5.0,))
    ship = ((None,), (None,), ("soon",), (None,), (None,))
    status = (("open",), ("open",), ("open",), ("maybe",), ("open",))
    result = call(udfs, "OD_RISK", due, ship, status, serial(AS_OF))
    assert result[0] == ["overdue"]
    assert result[1] == ["#ORDERDESK: due date '31/02/2026' is not a date"]
    assert result[2] == ["#ORDERDESK: ship date 'soon' is not a date"]
    assert result[3][0].startswith("#ORDERDESK: status 'maybe' is not a known status (expected open")
    assert result[4] == ["#ORDERDESK: due date -5.0 is not a date"]


def test_a_whole_column_argument_is_trimmed_to_the_used_rows(udfs):
    # G:G with its header on top, a blank row inside and the sheet's empty rows below
    due = whole_column(["承诺交期 Promised Date", serial(dt.date(2026, 11, 10)), None, dt.datetime(2027, 3, 1),
                        "abc"])
    ship = whole_column(["出货日期 Ship Date", None, None, None, None])
    status = whole_column(["状态 Status", "生产中", None, "open", "open"])
    result = call(udfs, "OD_RISK", due, ship, status, serial(AS_OF))
    assert result == [["risk"], ["overdue"], [""], ["on_track"], ["#ORDERDESK: due date 'abc' is not a date"]]


def test_a_bad_first_row_is_not_taken_for_a_header(udfs):
    # text that names no ledger column is a bad value, not a header
    result = call(udfs, "OD_RISK", (("abc",), (serial(AS_OF),)), ((None,), (None,)), (("maybe",), ("open",)),
                  serial(AS_OF))
    assert result[0][0] == "#ORDERDESK: due date 'abc' is not a date"
    assert result[1] == ["at_risk"]


def test_whole_column_table_arguments_are_trimmed(udfs):
    rows = LEDGER + ((None,) * len(LEDGER[0]),) * 5000
    assert call(udfs, "OD_OTD", rows, "customer", MISSING, serial(dt.date(2026, 11, 20))) == \
        call(udfs, "OD_OTD", LEDGER, "customer", MISSING, serial(dt.date(2026, 11, 20)))


def test_od_otd_takes_as_of(udfs):
    # Globex's lines are due 10-20 and 10-21: outside the cohort on 10-15, one late (open) on 11-20
    before = call(udfs, "OD_OTD", LEDGER, "customer", MISSING, serial(dt.date(2026, 10, 15)))
    after = call(udfs, "OD_OTD", LEDGER, "customer", MISSING, "2026-11-20")
    assert [r[0] for r in before[1:]] == ["ACME", "Total"] and before[-1][1:4] == [2, 1, 1]
    assert {r[0]: r[1:4] for r in after[1:]}["Globex"] == [2, 1, 1]


def test_od_review_takes_as_of_and_lists_rejected_rows(udfs):
    po = (("订单号", "行号", "客户", "料号", "版本", "订单数量", "单价", "币种", "订单日期", "客户交期"),
          ("PO-1", "1", "ACME", "A-100", "B", 500.0, 1.10, "USD", serial(dt.date(2026, 11, 2)), serial(dt.date(2026, 12, 4))),
          ("PO-1", "2", "ACME", "A-100", "B", "many", 1.10, "USD", serial(dt.date(2026, 11, 2)), serial(dt.date(2026, 12, 4))))
    quotes = (("报价单号", "客户", "料号", "版本", "起订量", "单价", "币种", "交期天数", "有效期至"),
              ("Q-1", "ACME", "A-100", "B", 100.0, 1.10, "USD", 15.0, serial(dt.date(2026, 12, 31))))
    result = call(udfs, "OD_REVIEW", po, quotes, MISSING, serial(dt.date(2026, 11, 20)))
    header = result[0]
    assert [r[header.index("verdict")] for r in result[1:]][0] == "pass"
    assert result[-1][header.index("verdict")] == "#ORDERDESK: po_lines row 3, qty 'many': not a number"
    assert result[-1][0] == ""


def test_texts_longer_than_excel_takes_are_cut(udfs):
    long = "x" * 400
    result = call(udfs, "OD_RISK", ((long,),), ((None,),), (("open",),), serial(AS_OF))
    assert len(result[0][0]) == 255 and result[0][0].endswith("…")


# ---------------------------------------------------------------- the calling workbook

class _Count:
    def __init__(self, n: int):
        self.count = n


class FakeRange:
    """What XlwingsBook reads of a sheet's used range (``options(ndim=2).value``, ``row``,
    ``column``, ``columns.count``), values as xlwings gives them: numbers as floats, date cells
    as datetimes, empty cells None."""

    def __init__(self, values: list[list], row: int, column: int):
        self._values, self.row, self.column = values, row, column
        self.columns = _Count(len(values[0]) if values else 1)

    def options(self, ndim: int = 2):
        assert ndim == 2
        return self

    @property
    def value(self):
        return self._values


class FakeSheet:
    def __init__(self, book, ws):
        self.book, self.name = book, ws.title
        rows = [[float(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in r]
                for r in ws.iter_rows(min_row=ws.min_row, min_col=ws.min_column, max_row=ws.max_row,
                                      max_col=ws.max_column, values_only=True)]
        self.used_range = FakeRange(rows, ws.min_row, ws.min_column)


class FakeSheets(list):
    def __getitem__(self, key):
        if isinstance(key, str):
            return next(s for s in self if s.name == key)
        return list.__getitem__(self, key)

    @property
    def active(self):
        return self[0]


class _NoCom:
    @property
    def api(self):
        raise AttributeError("no COM here")


class FakeBook:
    """An ``xw.Book`` as far as OrderDesk reads one: name, sheets by name and in order."""

    def __init__(self, path: Path):
        wb = openpyxl.load_workbook(path)
        self.name = path.name
        self.sheets = FakeSheets(FakeSheet(self, ws) for ws in wb.worksheets)
        self.app = _NoCom()


class FakeCaller:
    """xlwings' ``caller`` argument: the range holding the formula (its sheet and book)."""

    def __init__(self, book: FakeBook, sheet: str, address: str = "$N$2"):
        self.sheet = book.sheets[sheet]
        self.address = address


def write_book(path: Path, sheets: dict[str, list[list]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(list(row))
    wb.save(path)
    return path


def test_od_risk_uses_the_calling_workbooks_config_and_calendar(udfs, tmp_path):
    args = (DUE_NEXT_FRIDAY, ((None,),), (("open",),), serial(FRIDAY))
    plain = FakeBook(write_book(tmp_path / "plain.xlsx", {"Orders": [["x"]]}))
    assert call(udfs, "OD_RISK", *args, caller=FakeCaller(plain, "Orders")) == [["on_track"]]
    # a horizon of 5 working days in the Config sheet: due in 5 is at risk
    wider = FakeBook(write_book(tmp_path / "config.xlsx", {"Orders": [["x"]], "Config": [
        ["Key", "Value"], ["otd.risk_horizon", 5]]}))
    assert call(udfs, "OD_RISK", *args, caller=FakeCaller(wider, "Orders")) == [["at_risk"]]
    # two days off in the Calendar sheet leave 3 working days: at risk with the default horizon
    days_off = FakeBook(write_book(tmp_path / "calendar.xlsx", {"Orders": [["x"]], "Calendar": [
        ["日期", "是否上班"], [dt.datetime(2026, 11, 23), "休息"], [dt.datetime(2026, 11, 24), "休息"]]}))
    assert call(udfs, "OD_RISK", *args, caller=FakeCaller(days_off, "Orders")) == [["at_risk"]]
    # the holidays argument replaces the Calendar sheet
    assert call(udfs, "OD_RISK", *args, ((serial(dt.date(2027, 1, 4)),),),
                caller=FakeCaller(days_off, "Orders")) == [["on_track"]]


def test_a_bad_config_sheet_is_one_error_naming_its_cell(udfs, tmp_path):
    book = FakeBook(write_book(tmp_path / "bad.xlsx", {"Orders": [["x"]], "Config": [
        ["Key", "Value"], ["otd.risk_horizon", "soon"]]}))
    result = call(udfs, "OD_RISK", DUE_NEXT_FRIDAY, ((None,),), (("open",),), serial(FRIDAY),
                  caller=FakeCaller(book, "Orders"))
    assert len(result) == 1 and result[0][0].startswith("#ORDERDESK: bad.xlsx, Config!B2: ")


def test_od_otd_uses_the_config_sheets_tolerance_and_basis(udfs, tmp_path):
    book = FakeBook(write_book(tmp_path / "config.xlsx", {"Orders": [["x"]], "Config": [
        ["Key", "Value"], ["otd.late_tolerance", 3]]}))
    result = call(udfs, "OD_OTD", LEDGER, "customer", MISSING, serial(AS_OF), caller=FakeCaller(book, "Orders"))
    # PO-2 shipped 3 days after its promise: on time with a tolerance of 3
    assert {r[0]: r[1:4] for r in result[1:]}["ACME"] == [2, 2, 0]


def test_od_rootcause_uses_the_config_sheets_keywords(udfs, tmp_path):
    notes = (("等钢网",), (None,), ("设备故障",))
    assert call(udfs, "OD_ROOTCAUSE", notes) == [["unclassified"], [""], ["equipment"]]
    book = FakeBook(write_book(tmp_path / "config.xlsx", {"Orders": [["x"]], "Config": [
        ["Key", "Value"], ["rootcause.keywords.engineering", "钢网"]]}))
    assert call(udfs, "OD_ROOTCAUSE", notes, caller=FakeCaller(book, "Orders")) == [
        ["engineering"], [""], ["equipment"]]


def test_od_rootcause_header_row_and_whole_column(udfs):
    notes = whole_column(["异常说明 Notes", "PCB来料延期", None, "停电"])
    assert call(udfs, "OD_ROOTCAUSE", notes) == [["root_cause"], ["material"], [""], ["force_majeure"]]


# ---------------------------------------------------------------- OD_PROMISE = orderdesk review

SAMPLES = Path(__file__).resolve().parents[1] / "workbook_templates"
PLAN_AS_OF = dt.date(2026, 11, 20)
# the sample stock workbook's sheets as the workbook's Stock / Purchases / Capacity / Routing sheets
SAMPLE_SHEETS = {"库存 Stock": "Stock", "在途采购 Open POs": "Purchases", "产能 Capacity": "Capacity",
                 "工艺路线 Routing": "Routing"}


def sheet_rows(path: Path, sheet: str | None = None) -> list[list]:
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet] if sheet else wb.worksheets[0]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def as_excel(rows: list[list]) -> tuple:
    """Cell values as Excel hands a range over: numbers as floats."""
    return tuple(tuple(float(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in r) for r in rows)


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    """The sample PO lines, the command line's review of them against the sample stock and BOM
    (in Chinese: OD_PROMISE writes its notes in the language of the tables' headers), and the
    same plan tables as a workbook (for the caller) and as ranges."""
    import contextlib
    import io
    import json
    from addin.cli import main
    folder = tmp_path_factory.mktemp("promise")
    stock = SAMPLES / "sample_stock.xlsx"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = main([
            "review", str(SAMPLES / "sample_new_pos.xlsx"), "--quotes", str(SAMPLES / "sample_quotes.xlsx"),
            "--bom", str(SAMPLES / "sample_bom.xlsx"), "--stock", str(stock), "--capacity", str(stock),
            "--as-of", PLAN_AS_OF.isoformat(), "--lang", "zh", "--format", "json", "--out", str(folder / "review.xlsx")])
    assert status == 0, printed.getvalue()
    command = json.loads(printed.getvalue())["lines"]
    tables = {name: sheet_rows(stock, sheet) for sheet, name in SAMPLE_SHEETS.items()}
    tables["BOM"] = sheet_rows(SAMPLES / "sample_bom.xlsx")
    orders = sheet_rows(SAMPLES / "sample_new_pos.xlsx")
    header = orders[0]
    columns = {name: [r[header.index(name)] for r in orders] for name in ("料号", "订单数量", "客户交期")}
    book_path = write_book(folder / "book.xlsx", {"Orders": orders, **tables})
    return {"command": command, "tables": tables, "columns": columns, "book": FakeBook(book_path),
            "folder": folder}


def promise_args(plan, rows: slice = slice(None)):
    cols = plan["columns"]
    return tuple(as_excel([[v] for v in cols[name][rows]]) for name in ("料号", "订单数量", "客户交期"))


def test_od_promise_from_the_calling_workbook_equals_the_command_line(udfs, plan):
    result = call(udfs, "OD_PROMISE", *promise_args(plan), serial(PLAN_AS_OF),
                  caller=FakeCaller(plan["book"], "Orders"))
    assert result[0] == ["promise_date", "note"]   # the header row of the whole columns
    lines = result[1:]
    assert len(lines) == len(plan["command"]) == 11
    for line, (day, note) in zip(plan["command"], lines):
        expected = line["promise_date"]
        assert (day.date().isoformat() if isinstance(day, dt.datetime) else day) == (expected or ""), line
        failed = [c["reason"] for k, c in line["checks"].items() if k in ("material", "capacity")
                  and c["result"] != "pass"]
        assert note == "; ".join(failed), line


def test_od_promise_from_range_arguments_equals_the_workbook(udfs, plan):
    t = plan["tables"]
    from_caller = call(udfs, "OD_PROMISE", *promise_args(plan), serial(PLAN_AS_OF),
                       caller=FakeCaller(plan["book"], "Orders"))
    # ranges given: the sheets are not read (a workbook without them gives the same)
    empty = FakeBook(write_book(plan["folder"] / "empty.xlsx", {"Orders": [["x"]]}))
    from_ranges = call(udfs, "OD_PROMISE", *promise_args(plan), serial(PLAN_AS_OF), as_excel(t["Stock"]),
                       as_excel(t["Capacity"]), as_excel(t["Routing"]), as_excel(t["Purchases"]), as_excel(t["BOM"]),
                       caller=FakeCaller(empty, "Orders"))
    assert from_ranges == from_caller
    # and without any workbook (called from VBA)
    assert call(udfs, "OD_PROMISE", *promise_args(plan), serial(PLAN_AS_OF), as_excel(t["Stock"]),
                as_excel(t["Capacity"]), as_excel(t["Routing"]), as_excel(t["Purchases"]),
                as_excel(t["BOM"])) == from_caller


def test_od_promise_dates_are_dates_and_carry_the_calendar_warning(udfs, plan):
    result = call(udfs, "OD_PROMISE", *promise_args(plan), serial(PLAN_AS_OF),
                  caller=FakeCaller(plan["book"], "Orders"))
    days = [r[0] for r in result[1:] if r[0] != ""]
    assert days and all(type(d) is dt.datetime for d in days)
    # PO-N2611006 (BOX-3001, requested 2027-01-29): its dates run into 2027, which the calendar has
    # no holiday data for — said in its note, as orderdesk review says it
    line = next(i for i, c in enumerate(plan["command"]) if c["order_no"] == "PO-N2611006")
    assert "日历 cn 没有 2027 年的节假日数据" in result[1 + line][1]
    # the Config sheet's report.lang says the language of the notes
    rows = {name: sheet_rows(plan["folder"] / "book.xlsx", name) for name in ("Orders", *SAMPLE_SHEETS.values(), "BOM")}
    english = FakeBook(write_book(plan["folder"] / "english.xlsx", {**rows, "Config": [["Key", "Value"],
                                                                                      ["report.lang", "en"]]}))
    result = call(udfs, "OD_PROMISE", *promise_args(plan), serial(PLAN_AS_OF), caller=FakeCaller(english, "Orders"))
    assert "calendar cn has no holiday data for 2027" in result[1 + line][1]


def test_od_promise_uses_one_inspection_day_as_the_command_line_and_the_config_sheet(udfs, plan):
    args = promise_args(plan)   # the first line: PCBA-1001 x 1000
    default = call(udfs, "OD_PROMISE", *args, serial(PLAN_AS_OF), caller=FakeCaller(plan["book"], "Orders"))
    assert default[1][0].date().isoformat() == plan["command"][0]["promise_date"] == "2026-11-26"
    rows = {name: sheet_rows(plan["folder"] / "book.xlsx", name) for name in ("Orders", *SAMPLE_SHEETS.values(), "BOM")}
    three = FakeBook(write_book(plan["folder"] / "three.xlsx", {**rows, "Config": [
        ["Key", "Value"], ["review.inspection_days", 3]]}))
    later = call(udfs, "OD_PROMISE", *args, serial(PLAN_AS_OF), caller=FakeCaller(three, "Orders"))
    assert later[1][0] == dt.datetime(2026, 11, 30)   # two more working days (Fri 27, Mon 30)


def test_od_promise_bad_and_blank_rows(udfs, plan):
    part = (("PCBA-1001",), (None,), ("PCBA-1001",), ("PCBA-1002",), (None,))
    qty = ((1000.0,), (None,), ("lots",), (2000.0,), (50.0,))
    need = ((dt.datetime(2026, 12, 31),), (None,), (dt.datetime(2026, 12, 31),), ("someday",), (None,))
    result = call(udfs, "OD_PROMISE", part, qty, need, serial(PLAN_AS_OF), caller=FakeCaller(plan["book"], "Orders"))
    assert result[0] == [dt.datetime(2026, 11, 23), ""]   # alone, it has the SMT line to itself
    assert result[1] == ["", ""]
    assert result[2] == ["#ORDERDESK: qty 'lots' is not a number", ""]
    assert result[3] == ["#ORDERDESK: need date 'someday' is not a date", ""]
    assert result[4] == ["#ORDERDESK: part is empty", ""]
    dates_only = call(udfs, "OD_PROMISE", part[:1], qty[:1], need[:1], serial(PLAN_AS_OF), MISSING, MISSING,
                      MISSING, MISSING, MISSING, False, caller=FakeCaller(plan["book"], "Orders"))
    assert dates_only == [[dt.datetime(2026, 11, 23)]]


def test_od_promise_recalculates_when_the_stock_changes(udfs, plan):
    # volatile when it reads the workbook's sheets; with the tables as arguments Excel tracks them
    info = udfs.OD_PROMISE.__xlfunc__
    assert info["volatile"] is True
    wrapper = build.generate_udf_wrappers(for_addin=True)
    body = wrapper[wrapper.index("Function OD_PROMISE("):wrapper.index("End Function", wrapper.index("Function OD_PROMISE("))]
    assert "Application.Volatile IsMissing(stock) And IsMissing(capacity) And IsMissing(routing) And " \
           "IsMissing(purchases) And IsMissing(bom)\n" in body
    # less stock, later date: the same call on a workbook whose Stock sheet changed
    rows = {name: sheet_rows(plan["folder"] / "book.xlsx", name) for name in ("Orders", *SAMPLE_SHEETS.values(), "BOM")}
    before = call(udfs, "OD_PROMISE", *promise_args(plan, slice(1, 2)), serial(PLAN_AS_OF),
                  caller=FakeCaller(plan["book"], "Orders"))
    header = rows["Stock"][0]
    rows["Stock"] = [header] + [[0 if header[c] == "库存数量" else v for c, v in enumerate(r)] for r in rows["Stock"][1:]]
    emptied = FakeBook(write_book(plan["folder"] / "emptied.xlsx", rows))
    after = call(udfs, "OD_PROMISE", *promise_args(plan, slice(1, 2)), serial(PLAN_AS_OF),
                 caller=FakeCaller(emptied, "Orders"))
    assert after[0][0] > before[0][0]


# ---------------------------------------------------------------- help in the function wizard

def _vba_calls(block: str) -> list[tuple[str, str, list[str]]]:
    """(function, description, argument help) of each MacroOptions call, the VBA texts decoded as
    the module's OdText decodes them."""
    import re

    def text(expression: str) -> str:
        m = re.fullmatch(r'(?:OdText\()?"((?:[^"]|"")*)"\)?', expression.strip())
        value = m.group(1).replace('""', '"')
        if expression.strip().startswith("OdText("):
            value = re.sub(r"\\u([0-9A-F]{4})", lambda u: chr(int(u.group(1), 16)), value)
        return value

    string = r'(?:OdText\()?"(?:[^"]|"")*"\)?'
    calls = re.findall(r'Application\.MacroOptions Macro:="\'" & ThisWorkbook\.Name & "\'!(\w+)", _\n'
                       rf'\s+Description:=({string}), _\n\s+Category:="OrderDesk", _\n'
                       rf'\s+ArgumentDescriptions:=Array\(((?:{string}(?:, _\n\s+)?)*)\)\n', block)
    return [(name, text(description), [text(a) for a in re.findall(string, arguments)])
            for name, description, arguments in calls]


def test_function_wizard_help_is_registered_at_load(udfs):
    import re
    names = ["OD_OTD", "OD_PROMISE", "OD_REVIEW", "OD_RISK", "OD_ROOTCAUSE"]
    for for_addin in (True, False):
        text = build.generate_udf_wrappers(for_addin=for_addin)
        text.encode("cp1252")   # the VBA project's code page
        register = text[text.index("Public Sub RegisterOrderDeskFunctions()"):]
        assert "\nPrivate Sub Auto_Open()\n    RegisterOrderDeskFunctions\nEnd Sub\n" in register
        chinese = _vba_calls(register[register.index("    If zh Then\n"):register.index("    Else\n")])
        english = _vba_calls(register[register.index("    Else\n"):register.index("    End If\n")])
        assert [c[0] for c in english] == names and [c[0] for c in chinese] == names
        for (name, description, docs), (_, zh_description, zh_docs) in zip(english, chinese):
            info = getattr(udfs, name).__xlfunc__
            visible = [a for a in info["args"] if a["name"] != "caller"]
            assert description == info["ret"]["doc"] and len(description) <= 255
            assert docs == [a["doc"] for a in visible]
            assert all(len(d) <= 255 and not d.startswith("Positional argument") for d in docs)
            # Chinese help: the module's HELP_ZH, one line per visible argument
            assert (zh_description, zh_docs) == (udfs.HELP_ZH[name][0], [udfs.HELP_ZH[name][1][a["name"]] for a in visible])
            assert all(len(d) <= 255 for d in [zh_description, *zh_docs])
            # the wizard lists the arguments the wrapper declares, in its order
            signature = re.search(rf"Function {name}\((.*)\)", text).group(1)
            assert [a.replace("Optional ", "") for a in signature.split(", ")] == [a["name"] for a in visible]
