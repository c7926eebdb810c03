"""The reader's column parsing gives exactly these results on ledgers with the odd cells real
ledgers hold (text numbers, '4月30', serials, full-width digits, mixed date forms, zh/en
status words, blanks, totals), on both engines (fastexcel Arrow text columns, parsed once per
distinct text; python-calamine cells, parsed per cell). Written before the reader's column
parsing was reworked for speed (issue 7): the expectations below are what the reader gave then.

Cells repeat on purpose: a text such as '1月15' takes its year from its own row's order date,
so one distinct text must give different dates on different rows."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xlsxwriter

from addin.readers import grid, read, values
from addin.readers.table import Mapping

D = dt.datetime
HEAD = ["订单号", "行号", "客户名称", "料号", "订单数量", "单价", "币种", "订单日期", "客户交期", "承诺交期",
        "实际出货日期", "出货数量", "订单状态", "异常说明", "跟单员", "仓位"]
LONG = "长" * 300 + "\x02"


class Time:
    """A time-of-day cell (a number formatted hh:mm)."""

    def __init__(self, v: float) -> None:
        self.v = v


ROWS = [
    # worksheet row 3 on
    ("PO-1", 1, "ACME", "P-1", 100, 1.5, "CNY", D(2025, 12, 10), "1月15", D(2026, 1, 20), D(2026, 1, 14), 100,
     "已出货", "正常", "张敏", None),
    ("PO-2", 1, "  星河智能 ", "P-2", "1,200", "¥3.5", "usd", D(2026, 6, 1), "1月15", "2026/07/06", "2026年7月8日",
     "1,200", "Shipped", None, "Li Na", None),
    ("PO-3", 2, "Beta", "P-3", "１２００", 2, "CNY", "2026-01-06", 46077, "46080", None, None, "生产中", "缺料",
     "张敏", None),
    ("PO-4", 1, "Beta", "P-3", "4.000", "2", "CNY", "06-Jan-26", "15-Feb-26", "Feb 20, 2026", "2026.03.01", None,
     "open", None, "张敏", None),
    ("PO-5", 1, "Gamma", "P-4", 300, 1, "CNY", D(2026, 1, 7), "31/02/2026", None, None, None, "待排产", None,
     "张敏", None),
    ("PO-6", 1, "Gamma", "P-4", -5, 1, "CNY", D(2026, 1, 7), D(2026, 2, 20), None, None, None, "已取消", None,
     "张敏", None),
    ("PO-7", 1, "Gamma", "P-4", "一千", 1, "CNY", D(2026, 1, 7), D(2026, 2, 20), None, None, None, "bogus", None,
     "张敏", None),
    ("PO-8", 1, None, "P-4", 10, 1, "CNY", D(2026, 1, 7), D(2026, 2, 20), None, None, None, "关闭", None,
     "张敏", None),
    ("PO-9", 1, "Delta", "P-5", 0, 1, "CNY", D(2026, 1, 7), D(2026, 2, 20), None, None, None, "ＣＬＯＳＥＤ", None,
     "张敏", None),
    (None,) * 16,                                                   # row 12: blank
    (None,) * 15 + ("x",),                                          # row 13: only an unmapped cell
    ("PO-10", 1, "Delta", "P-5", 20, 1, "CNY", None, "4月30", "5/6", "13/04/2026", None, "in progress", "a\x01b",
     "张敏", None),
    ("PO-11", 1, "Delta", "P-5", 20, 1, "CNY", D(2026, 3, 1, 10, 30), D(2026, 3, 20), "04/05/2026", "04/05/2026",
     None, "in progress", None, "张敏", None),
    ("PO-12", 1, "Delta", "P-5", 12, 1, "CNY", D(2026, 3, 2), 12, Time(0.5), None, None, "  Shipped ", LONG,
     "张敏", None),
    ("PO-13", 1, "Delta", "P-5", 12, 1, "CNY", "N/A", "-", D(2026, 4, 1), "２０２６年５月６日", "12", "Closed", None,
     "张敏", None),
    ("PO-14", 1, "Delta", "P-5", "1200 pcs", "$2.50", "CNY", D(2026, 3, 2), D(2026, 1, 5), None, None, "n/a",
     "已完成", None, "张敏", None),
    ("合计", None, None, None, 1234, None, None, None, None, None, None, None, None, None, None, None),
    (None, None, None, None, 1234, None, None, None, None, None, None, None, None, "小计", None, None),
    ("Total:", None, None, None, 1234, None, None, None, None, None, None, None, None, None, None, None),
    ("PO-15", 1, "ACME", "P-1", 100, 1.5, "CNY", D(2026, 11, 20), "1月15", D(2027, 1, 20), None, None, "Open",
     None, "张敏", None),
    ("PO-16", 1, "ACME", "P-1", 100, 1.5, "CNY", "2026-07-01", "12月5", None, None, None, "open", None, "张敏", None),
    ("PO-17", 1, "ACME", "P-1", 100, 1.5, "CNY", D(2025, 12, 10), "1月15", None, None, None, "open", "正常",
     "张敏", None),
]


def write_ledger(path: Path, rows=ROWS, head=HEAD) -> Path:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    ws = wb.add_worksheet("订单 Orders")
    d = wb.add_format({"num_format": "yyyy-mm-dd"})
    dt_fmt = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    t = wb.add_format({"num_format": "hh:mm"})
    ws.write_string(0, 0, "订单跟踪表")
    for c, h in enumerate(head):
        ws.write_string(1, c, h)
    for r, row in enumerate(rows, start=2):
        for c, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, dt.datetime):
                ws.write_datetime(r, c, v, dt_fmt if v.hour else d)
            elif isinstance(v, Time):
                ws.write_number(r, c, v.v, t)
            elif isinstance(v, str):
                ws.write_string(r, c, v)
            else:
                ws.write_number(r, c, v)
    wb.close()
    return path


@pytest.fixture(params=["fastexcel", "calamine"])
def engine(request, monkeypatch):
    if request.param == "fastexcel":
        pytest.importorskip("fastexcel")
        pytest.importorskip("pyarrow")
    monkeypatch.setattr(grid, "_has_fastexcel", lambda: request.param == "fastexcel")
    return request.param


def T(*ymd):
    return pd.Timestamp(*ymd)


NaT = pd.NaT
nan = np.nan
NUMBERS = {"qty", "unit_price", "shipped_qty", "tooling_charge", "moq_charge", "open_qty", "amount"}

STATUS_MSG = ("not a known status (expected open, in progress, shipped, closed or cancelled — "
              "or 待排产, 生产中, 已出货, 已完成, 已取消)")
DTYPES = {f: ("float64" if f in NUMBERS else "datetime64[ns]" if f.endswith(("_date", "_deadline")) else "object")
          for f in ["order_no", "line_no", "customer", "part_no", "revision", "description", "qty", "unit_price",
                    "currency", "order_date", "requested_date", "first_promised_date", "promised_date", "agreed_date",
                    "ship_date", "shipped_qty", "status", "owner", "priority", "exception_type",
                    "exception_note", "action", "action_deadline",
                    *[f"{k}_{m}_date" for m in ("scheduled", "material", "first_article", "qc", "warehouse")
                      for k in ("planned", "actual")], "tooling_charge", "moq_charge",
                    "supplier", "work_order_no", "line", "warehouse", "open_qty", "amount"]}

PLAIN = {
    'order_no': ['PO-1', 'PO-2', 'PO-3', 'PO-4', 'PO-10', 'PO-11', 'PO-13', 'PO-14', 'PO-15', 'PO-16', 'PO-17'],
    'line_no': ['1', '1', '2', '1', '1', '1', '1', '1', '1', '1', '1'],
    'customer': ['ACME', '星河智能', 'Beta', 'Beta', 'Delta', 'Delta', 'Delta', 'Delta', 'ACME', 'ACME', 'ACME'],
    'part_no': ['P-1', 'P-2', 'P-3', 'P-3', 'P-5', 'P-5', 'P-5', 'P-5', 'P-1', 'P-1', 'P-1'],
    'qty': [100.0, 1200.0, 1200.0, 4.0, 20.0, 20.0, 12.0, 1200.0, 100.0, 100.0, 100.0],
    'unit_price': [1.5, 3.5, 2.0, 2.0, 1.0, 1.0, 1.0, 2.5, 1.5, 1.5, 1.5],
    'currency': ['CNY', 'usd', 'CNY', 'CNY', 'CNY', 'CNY', 'CNY', 'CNY', 'CNY', 'CNY', 'CNY'],
    'order_date': [T("2025-12-10"), T("2026-06-01"), T("2026-01-06"), T("2026-01-06"), NaT, T("2026-03-01"),
        NaT, T("2026-03-02"), T("2026-11-20"), T("2026-07-01"), T("2025-12-10")],
    'requested_date': [T("2026-01-15"), T("2026-01-15"), T("2026-02-24"), T("2026-02-15"), T("2026-04-30"),
        T("2026-03-20"), NaT, T("2026-01-05"), T("2027-01-15"), T("2026-12-05"), T("2026-01-15")],
    'promised_date': [T("2026-01-20"), T("2026-07-06"), T("2026-02-27"), T("2026-02-20"), T("2026-05-06"),
        T("2026-04-05"), T("2026-04-01"), NaT, T("2027-01-20"), NaT, NaT],
    'ship_date': [T("2026-01-14"), T("2026-07-08"), NaT, T("2026-03-01"), T("2026-04-13"), T("2026-05-04"),
        T("2026-05-06"), NaT, NaT, NaT, NaT],
    'shipped_qty': [100.0, 1200.0, nan, nan, nan, nan, 12.0, nan, nan, nan, nan],
    'status': ['shipped', 'shipped', 'in_progress', 'open', 'in_progress', 'in_progress', 'closed', 'closed',
        'open', 'open', 'open'],
    'owner': ['张敏', 'Li Na', '张敏', '张敏', '张敏', '张敏', '张敏', '张敏', '张敏', '张敏', '张敏'],
    'exception_note': ['正常', None, '缺料', None, 'ab', None, None, None, None, None, '正常'],
    'source_row': [3, 4, 5, 6, 14, 15, 17, 18, 22, 23, 24],
}
PLAIN_ISSUES = [
    "'订单 Orders'!I7: requested_date '31/02/2026': not a date",
    "'订单 Orders'!E8: qty '-5': must not be negative",
    "'订单 Orders'!E9: qty '一千': not a number",
    f"'订单 Orders'!M9: status 'bogus': {STATUS_MSG}",
    "'订单 Orders'!C10: customer: is empty (a value is required)",
    "'订单 Orders'!E11: qty '0': must be more than 0",
    "'订单 Orders'!A13: order_no: is empty (a value is required)",
    "'订单 Orders'!C13: customer: is empty (a value is required)",
    "'订单 Orders'!D13: part_no: is empty (a value is required)",
    "'订单 Orders'!E13: qty: is empty (a value is required)",
    "'订单 Orders'!I16: requested_date '12': not a date",
    "'订单 Orders'!J16: promised_date '12:00:00': not a date",
]
# placeholders in date columns are read as empty, kept, and counted in a note (SPEC section 9)
PLACEHOLDER_NOTES = ["订单日期: 1 cell holds no date ('N/A' ×1; first at '订单 Orders'!H17) — read as empty, "
                     "the lines kept",
                     "客户交期: 1 cell holds no date ('-' ×1; first at '订单 Orders'!I17) — read as empty, "
                     "the lines kept"]
PLAIN_NOTES = ["承诺交期: dates such as '04/05/2026' are ambiguous; read as month/day — set date_order = "
               "\"dmy\" or \"mdy\" in a --map file to change", *PLACEHOLDER_NOTES]

# one column for two fields, a value table on a text and a status field, day/month order,
# defaults for fields the file has no column for
MAPPING = {"columns": {"order_no": "订单号", "part_no": "订单号"},
           "values": {"currency": {"USD": "美元"}, "status": {"bogus": "open"}},
           "date_order": "dmy", "defaults": {"priority": "A", "tooling_charge": 0}}
MAPPED = {
    'order_no': ['PO-1', 'PO-2', 'PO-3', 'PO-4', 'PO-10', 'PO-11', 'PO-13', 'PO-14', 'PO-15', 'PO-16', 'PO-17'],
    'line_no': ['1', '1', '2', '1', '1', '1', '1', '1', '1', '1', '1'],
    'customer': ['ACME', '星河智能', 'Beta', 'Beta', 'Delta', 'Delta', 'Delta', 'Delta', 'ACME', 'ACME', 'ACME'],
    'part_no': ['PO-1', 'PO-2', 'PO-3', 'PO-4', 'PO-10', 'PO-11', 'PO-13', 'PO-14', 'PO-15', 'PO-16', 'PO-17'],
    'qty': [100.0, 1200.0, 1200.0, 4.0, 20.0, 20.0, 12.0, 1200.0, 100.0, 100.0, 100.0],
    'unit_price': [1.5, 3.5, 2.0, 2.0, 1.0, 1.0, 1.0, 2.5, 1.5, 1.5, 1.5],
    'currency': ['CNY', '美元', 'CNY', 'CNY', 'CNY', 'CNY', 'CNY', 'CNY', 'CNY', 'CNY', 'CNY'],
    'order_date': [T("2025-12-10"), T("2026-06-01"), T("2026-01-06"), T("2026-01-06"), NaT, T("2026-03-01"),
        NaT, T("2026-03-02"), T("2026-11-20"), T("2026-07-01"), T("2025-12-10")],
    'requested_date': [T("2026-01-15"), T("2026-01-15"), T("2026-02-24"), T("2026-02-15"), T("2026-04-30"),
        T("2026-03-20"), NaT, T("2026-01-05"), T("2027-01-15"), T("2026-12-05"), T("2026-01-15")],
    'promised_date': [T("2026-01-20"), T("2026-07-06"), T("2026-02-27"), T("2026-02-20"), T("2026-05-06"),
        T("2026-05-04"), T("2026-04-01"), NaT, T("2027-01-20"), NaT, NaT],
    'ship_date': [T("2026-01-14"), T("2026-07-08"), NaT, T("2026-03-01"), T("2026-04-13"), T("2026-05-04"),
        T("2026-05-06"), NaT, NaT, NaT, NaT],
    'shipped_qty': [100.0, 1200.0, nan, nan, nan, nan, 12.0, nan, nan, nan, nan],
    'status': ['shipped', 'shipped', 'in_progress', 'open', 'in_progress', 'in_progress', 'closed', 'closed',
        'open', 'open', 'open'],
    'owner': ['张敏', 'Li Na', '张敏', '张敏', '张敏', '张敏', '张敏', '张敏', '张敏', '张敏', '张敏'],
    'priority': ['A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A'],
    'exception_note': ['正常', None, '缺料', None, 'ab', None, None, None, None, None, '正常'],
    'tooling_charge': [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    'source_row': [3, 4, 5, 6, 14, 15, 17, 18, 22, 23, 24],
}
MAPPED_ISSUES = [
    "'订单 Orders'!I7: requested_date '31/02/2026': not a date",
    "'订单 Orders'!E8: qty '-5': must not be negative",
    "'订单 Orders'!E9: qty '一千': not a number",
    "'订单 Orders'!C10: customer: is empty (a value is required)",
    "'订单 Orders'!E11: qty '0': must be more than 0",
    "'订单 Orders'!A13: order_no: is empty (a value is required)",
    "'订单 Orders'!A13: part_no: is empty (a value is required)",
    "'订单 Orders'!C13: customer: is empty (a value is required)",
    "'订单 Orders'!E13: qty: is empty (a value is required)",
    "'订单 Orders'!I16: requested_date '12': not a date",
    "'订单 Orders'!J16: promised_date '12:00:00': not a date",
]


def _check(res, expected: dict, issues: list[str], notes: list[str], dtypes: dict) -> None:
    data = res.data
    assert list(data.columns) == [*DTYPES, "source_row", "counterparty"]
    assert {c: str(t) for c, t in data.dtypes.items()} == {**dtypes, "source_row": "int64", "counterparty": dtypes["customer"]}
    assert data["source_row"].tolist() == expected["source_row"]
    for f in dtypes:
        got = data[f].tolist()
        if f in expected:
            want = expected[f]
        elif dtypes[f] == "float64":
            want = [nan] * len(data)
        elif dtypes[f] == "datetime64[ns]":
            want = [NaT] * len(data)
        else:
            want = [None] * len(data)
        if dtypes[f] == "float64":
            assert np.array_equal(np.array(got, float), np.array(want, float), equal_nan=True), f
        else:
            assert [type(v) for v in got] == [type(v) for v in want], f
            assert [None if v is NaT else v for v in got] == [None if v is NaT else v for v in want], f
    assert [str(i) for i in res.issues] == issues
    assert {i.severity for i in res.issues} == {"error"}
    assert res.notes == notes
    assert res.rows.as_dict() == {"read": 22, "valid": 11, "issues": 7, "blank_or_total": 4}
    assert (res.sheet, res.header_row) == ("订单 Orders", 2)


def test_odd_cells_read_exactly(tmp_path, engine):
    res = read(write_ledger(tmp_path / "odd.xlsx"), "ledger")
    _check(res, PLAIN, PLAIN_ISSUES, PLAIN_NOTES, DTYPES)
    issue = res.issues[0].as_dict()
    assert issue == {"cell": "'订单 Orders'!I7", "field": "requested_date", "value": "31/02/2026",
                     "message": "not a date"}
    assert [i.as_dict()["value"] for i in res.issues[1:3]] == [-5, "一千"]


def test_odd_cells_with_a_mapping(tmp_path, engine):
    res = read(write_ledger(tmp_path / "odd.xlsx"), "ledger", mapping=Mapping.from_dict(MAPPING))
    # a value table on a text field gives pandas' str dtype, as it did before the rework
    _check(res, MAPPED, MAPPED_ISSUES, PLACEHOLDER_NOTES, {**DTYPES, "currency": "str"})
    assert res.columns["part_no"] == res.columns["order_no"] == "订单号"


def _big_rows(n: int) -> list[tuple]:
    """The odd rows again and again, order dates moving through two years: each distinct
    text ('1月15', '31/02/2026', 'Shipped', ...) sits on many rows with different order dates."""
    out = []
    for k in range(n):
        row = list(ROWS[k % len(ROWS)])
        if row[0] is not None and row[0].startswith("PO-"):
            row[0] = f"PO-{k}"
            if isinstance(row[7], dt.datetime):
                row[7] = D(2025, 1, 1) + dt.timedelta(days=(k * 7) % 700)
        out.append(tuple(row))
    return out


def test_engines_agree_on_a_larger_ledger(tmp_path, monkeypatch):
    pytest.importorskip("fastexcel")
    path = write_ledger(tmp_path / "big.xlsx", _big_rows(2200))
    results = []
    for fast in (True, False):
        monkeypatch.setattr(grid, "_has_fastexcel", lambda fast=fast: fast)
        results.append(read(path, "ledger"))
    a, b = results
    assert a.data.equals(b.data)
    assert {c: str(t) for c, t in a.data.dtypes.items()} == {c: str(t) for c, t in b.data.dtypes.items()}
    for f in a.data.columns:
        if a.data[f].dtype == object:
            assert [type(v) for v in a.data[f]] == [type(v) for v in b.data[f]], f
    assert [i.as_dict() for i in a.issues] == [i.as_dict() for i in b.issues]
    assert a.rows == b.rows and a.notes == b.notes
    assert a.rows.as_dict() == {"read": 2200, "valid": 1100, "issues": 700, "blank_or_total": 400}
    # '1月15' takes the year of its own row's order date
    jan15 = a.data[a.data["order_no"].isin([f"PO-{k}" for k in range(0, 2200, len(ROWS))])]
    years = (jan15["requested_date"].dt.year - jan15["order_date"].dt.year).value_counts().to_dict()
    assert years == {0: 58, 1: 42}


# --- the parts: distinct entries, per-row dates ------------------------------------------------

def _arrow(cells: list) -> pd.Series:
    pa = pytest.importorskip("pyarrow")
    return values.text_series(pa.array(cells, type=pa.string()), pd.RangeIndex(len(cells)))


def test_distinct_entries_in_order_of_first_appearance():
    col = values.distinct(_arrow(["b", None, "a", "b", " ", "a", None]))
    assert values.arrow_text(col.values).to_pylist() == ["b", "a", " ", None]   # the empty cell last
    assert col.codes.tolist() == [0, 3, 1, 0, 2, 1, 3]
    words = col.like(values.text_column(col.values))                            # parsed once per entry
    assert words.rows().tolist() == ["b", None, "a", "b", None, "a", None]
    assert words.rows(np.array([4, 0])).tolist() == [None, "b"]
    empty = values.distinct(_arrow([None, None]))
    assert values.arrow_text(empty.values).to_pylist() == [None] and empty.codes.tolist() == [0, 0]
    assert values.distinct(pd.Series([1, 1.0, True], dtype=object)).codes is None   # objects: one entry per row


def test_a_date_without_a_year_is_read_per_row():
    """One distinct text, three rows, three order dates: three different dates; the same as the
    per-cell path gives."""
    orders = ["2025-12-10 00:00:00", "2026-06-01 00:00:00", "2026-11-20 00:00:00", None, "2026-03-01 00:00:00"]
    due = ["1月15", "1月15", "1月15", "1月15", "2026-04-01 00:00:00"]
    hint, _, _ = values.date_coded(values.distinct(_arrow(orders)))
    dates, problems, notes = values.date_coded(values.distinct(_arrow(due)), year_hint=hint)
    assert [None if v is NaT else v for v in dates.series(pd.RangeIndex(5))] == \
        [T(2026, 1, 15), T(2026, 1, 15), T(2027, 1, 15), T(2026, 1, 15), T(2026, 4, 1)]
    assert pd.isna(problems.rows()).all() and notes == {}
    per_cell, per_cell_problems, _ = values.date_column(_arrow(due), year_hint=hint.series(pd.RangeIndex(5)))
    assert per_cell.equals(dates.series(pd.RangeIndex(5))) and per_cell_problems.isna().all()
    # no order date anywhere and no other date to take the year from
    dates, problems, _ = values.date_coded(values.distinct(_arrow(["4月30", None])))
    assert pd.isna(dates.rows()).all()
    assert problems.rows()[0] == "a date without a year, and no order date to take it from"
    assert pd.isna(problems.rows()[1])


def test_the_ambiguity_note_names_the_first_such_cell_of_the_column():
    cells = ["2026-01-05 00:00:00", "04/05/2026", "03/02/2026", "04/05/2026"]
    _, _, notes = values.date_coded(values.distinct(_arrow(cells)))
    assert notes == {"ambiguous_day_month": "04/05/2026", "day_first": False}
    _, _, notes = values.date_coded(values.distinct(_arrow(cells[::-1][:-1] + ["13/02/2026"])))
    assert notes == {"day_first": True}


def test_the_year_of_the_file_counts_rows_not_distinct_texts():
    """'4月30' with no order date takes the most common year among the column's rows: 2026 on
    three rows (one text) outweighs 2025 on two rows (two texts); on a tie the earlier year."""
    cells = ["2026-01-01 00:00:00"] * 3 + ["2025-03-01 00:00:00", "2025-04-01 00:00:00", "4月30"]
    for col in (values.distinct(_arrow(cells)), values.Coded(_arrow(cells))):
        dates, _, _ = values.date_coded(col)
        assert dates.rows()[-1] == np.datetime64("2026-04-30")
    tie = ["2026-01-01 00:00:00", "2025-03-01 00:00:00", "4月30"]
    dates, _, _ = values.date_coded(values.distinct(_arrow(tie)))
    assert dates.rows()[-1] == np.datetime64("2025-04-30")
