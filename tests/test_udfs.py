"""Worksheet functions called the way Excel calls them: arguments as tuples of tuples, dates as
serial floats or datetimes, empty cells None, missing optional arguments as DISP_E_PARAMNOTFOUND,
converted by xlwings' own conversion layer with each function's options (read from the
metadata xlwings' Windows decorators attach), results converted back for Excel."""
from __future__ import annotations

import datetime as dt

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


def call(udfs, name, *args):
    """As xlwings.udfs.call_udf does it, minus COM."""
    func = getattr(udfs, name)
    info = func.__xlfunc__
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


def test_od_risk_bad_date_names_the_row(udfs):
    due = ((serial(AS_OF),),) * 6 + (("abc",),)
    result = call(udfs, "OD_RISK", due, ((None,),) * 7, (("open",),) * 7, serial(AS_OF))
    assert result == [["#ORDERDESK: row 7: due date 'abc' is not a date"]]


def test_od_risk_text_dates_are_parsed(udfs):
    result = call(udfs, "OD_RISK", (("2026-11-01",), ("2026年12月30日",)), ((None,), (None,)),
                  (("open",), ("open",)), serial(AS_OF))
    assert result == [["overdue"], ["on_track"]]


def test_od_risk_unequal_heights(udfs):
    result = call(udfs, "OD_RISK", ((1.0,), (2.0,)), ((None,),), (("open",), ("open",)), MISSING)
    assert result == [["#ORDERDESK: due (2 rows), ship (1) and status (2) must be ranges of the same height"]]


def test_od_risk_bad_status(udfs):
    result = call(udfs, "OD_RISK", ((serial(AS_OF),),), ((None,),), (("maybe",),), serial(AS_OF))
    assert result[0][0].startswith("#ORDERDESK: row 1: status 'maybe' is not a known status")


def test_od_rootcause_one_and_two_columns(udfs):
    notes = (("PCB来料延期",), ("设备故障",), (None,), ("客户改单",), ("whatever",))
    assert call(udfs, "OD_ROOTCAUSE", notes) == [["material"], ["equipment"], ["unclassified"], ["customer"],
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
    assert call(udfs, "OD_OTD", LEDGER, "colour", MISSING) == [
        ["#ORDERDESK: cannot group by 'colour': use customer, month, part_no, owner, priority, supplier"]]


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


def test_od_promise_outside_excel_says_why(udfs):
    result = call(udfs, "OD_PROMISE", (("A-100",),), ((10.0,),), MISSING)
    assert result == [["#ORDERDESK: OD_PROMISE plans against the workbook's Stock and Capacity sheets: "
                       "it runs only inside Excel"]]


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
