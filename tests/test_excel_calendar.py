"""The Excel buttons take the working calendar from the open workbook's Calendar (日历) sheet when
there is one (cn plus its rows, as `--calendar FILE`), else cn: how an Excel user adds the 2027
holidays chinesecalendar does not publish yet. Real workbooks through FileBook; a fixed today."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from addin.excel import actions, compute
from addin.excel.book import FileBook
from tests.test_excel_actions import write_book

D = dt.datetime
TODAY = dt.date(2026, 12, 28)   # a Monday: 5 working days on reach 2027 (New Year's Day counted by cn)

ORDERS = [
    ["Order No", "Line", "Customer", "Part No", "Rev", "Qty", "Unit Price", "Currency", "Order Date", "Requested Date"],
    ["PO-9", "1", "ACME", "A-100", "B", 500, 1.10, "USD", D(2026, 12, 28), D(2027, 1, 4)],
    ["PO-9", "2", "ACME", "A-100", "B", 500, 1.10, "USD", D(2026, 12, 28), D(2027, 1, 5)],
]
QUOTES = [
    ["Quote No", "Customer", "Part No", "Rev", "Break Qty", "Unit Price", "Currency", "Lead Time", "Valid Until"],
    ["Q-1", "ACME", "A-100", "B", 100, 1.10, "USD", 5, D(2027, 6, 30)],
]
CALENDAR = [
    ["Date", "Working", "Name"],
    [D(2027, 1, 1), "holiday", "New Year"],
    [D(2027, 2, 5), "holiday", "Spring Festival"],
    *[[D(2027, 2, day), "holiday", "Spring Festival"] for day in range(8, 12)],
    [D(2027, 2, 20), "working", "make-up day"],
]
GAP = ("calendar cn has no holiday data for 2027 — dates count Mon–Fri; "
       "add the 2027 holidays in a calendar file (--calendar)")
HINT = ("In Excel: list the 2027 holidays and make-up working days in the sheet named Calendar "
        "(or 日历; add it if the workbook has none, with columns Date and Working).")


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(actions, "_today", lambda: TODAY)


def review_rows(path: Path) -> list[tuple]:
    rows = list(openpyxl.load_workbook(path)["Review"].iter_rows(values_only=True))
    header = rows[0]
    pick = [header.index(c) for c in ("order_no", "line_no", "verdict", "lead_time_result", "lead_time_reason",
                                       "earliest_date")]
    return [tuple(r[i] for i in pick) for r in rows[1:]]


def test_contract_review_without_calendar_sheet_warns_about_2027(tmp_path):
    path = write_book(tmp_path / "po.xlsx", {"Orders": ORDERS, "Quotes": QUOTES})
    book = FileBook(path)
    actions.run(actions.contract_review_action, book)
    assert book.messages == [f"Contract review: 2 line(s) on sheet Review (pass 0, warn 2, fail 0).\n"
                             f"Calendar warning on 2 of 2 PO lines: {GAP}\n{HINT}"]
    assert review_rows(path) == [
        ("PO-9", "1", "warn", "warn", f"requested 2027-01-04 ≥ earliest 2027-01-04 (5 working days); {GAP}",
         D(2027, 1, 4)),
        ("PO-9", "2", "warn", "warn", f"requested 2027-01-05 ≥ earliest 2027-01-04 (5 working days); {GAP}",
         D(2027, 1, 4)),
    ]


@pytest.mark.parametrize("sheet", ["Calendar", "日历"])
def test_calendar_sheet_with_2027_holidays_changes_the_review_and_removes_the_warning(tmp_path, sheet):
    path = write_book(tmp_path / "po.xlsx", {"Orders": ORDERS, "Quotes": QUOTES, sheet: CALENDAR})
    book = FileBook(path)
    actions.run(actions.contract_review_action, book)
    # 1 Jan 2027 off: 5 working days from 28 Dec end on 5 Jan, so a PO asking for 4 Jan fails
    assert book.messages == ["Contract review: 2 line(s) on sheet Review (pass 1, warn 0, fail 1)."]
    assert review_rows(path) == [
        ("PO-9", "1", "fail", "fail", "requested 2027-01-04 is before the earliest 2027-01-05 "
                                      "(5 working days from 2026-12-28)", D(2027, 1, 5)),
        ("PO-9", "2", "pass", "pass", "requested 2027-01-05 ≥ earliest 2027-01-05 (5 working days)", D(2027, 1, 5)),
    ]


def test_promise_date_follows_the_calendar_sheet(tmp_path):
    path = write_book(tmp_path / "po.xlsx", {"Orders": ORDERS, "Quotes": QUOTES})
    book = FileBook(path, selection=("Orders", 2))
    actions.run(actions.promise_date_action, book)
    how = "earliest date the quoted lead time allows (add Stock and Capacity sheets for a capable-to-promise date)"
    assert book.messages == [f"PO-9 (Orders row 2): promise date 2027-01-04 — {how}; {GAP}. {HINT}"]

    path = write_book(tmp_path / "po-cal.xlsx", {"Orders": ORDERS, "Quotes": QUOTES, "Calendar": CALENDAR})
    book = FileBook(path, selection=("Orders", 2))
    actions.run(actions.promise_date_action, book)
    assert book.messages == [f"PO-9 (Orders row 2): promise date 2027-01-05 — {how}."]
    assert openpyxl.load_workbook(path)["Orders"]["K2"].value == D(2027, 1, 5)


LEDGER = [
    ["订单号", "客户", "料号", "订单数量", "承诺交期", "出货日期", "状态"],
    ["PO-1", "ACME", "A-100", 100, D(2026, 12, 31), None, "生产中"],
    ["PO-2", "ACME", "A-100", 100, D(2027, 1, 5), None, "生产中"],
    ["PO-3", "Zeta", "B-200", 50, D(2027, 3, 1), None, "待排产"],
]


def test_risk_colours_note_the_horizon_and_the_calendar_sheet_fixes_it(tmp_path, monkeypatch):
    monkeypatch.setattr(actions, "_today", lambda: dt.date(2026, 12, 30))   # 3 working days on: 4 Jan 2027
    path = write_book(tmp_path / "ledger.xlsx", {"订单": LEDGER})
    book = FileBook(path)
    actions.run(actions.refresh_risk_colours_action, book)
    assert book.messages == [
        "Risk colours on sheet 订单, column H: overdue 0, at_risk 1, on_track 2, done 0.\n"
        "风险预警期日历提示（2026-12-30 起 3 个工作日，至 2027-01-04，可能偏早）：日历 cn 没有 2027 年的节假日数据，"
        "日期按周一至周五计算；请在日历文件中补充 2027 年节假日（--calendar）\n"
        "在 Excel 中：在名为 日历（或 Calendar）的工作表中（没有就添加，列为 日期、是否上班）填入 2027 年的节假日和调休上班日。"]
    assert [openpyxl.load_workbook(path)["订单"][f"H{r}"].value for r in (2, 3, 4)] == ["at_risk", "on_track", "on_track"]

    # one day off in 2027 moves the horizon, but is not 2027's holidays: the note stays
    path = write_book(tmp_path / "ledger-one.xlsx", {"订单": LEDGER, "日历": [["日期", "是否上班"], [D(2027, 1, 1), "休息"]]})
    book = FileBook(path)
    actions.run(actions.refresh_risk_colours_action, book)
    assert book.messages[0].startswith("Risk colours on sheet 订单, column H: overdue 0, at_risk 2, on_track 1, done 0.\n"
                                       "风险预警期日历提示（2026-12-30 起 3 个工作日，至 2027-01-05，可能偏早）：日历 cn+日历 没有 2027 年")
    assert [openpyxl.load_workbook(path)["订单"][f"H{r}"].value for r in (2, 3, 4)] == ["at_risk", "at_risk", "on_track"]

    # the year's days off listed: the note goes
    holidays = [["日期", "是否上班"]] + [[row[0], "休息" if row[1] == "holiday" else "上班"] for row in CALENDAR[1:]]
    path = write_book(tmp_path / "ledger-cal.xlsx", {"订单": LEDGER, "日历": holidays})
    book = FileBook(path)
    actions.run(actions.refresh_risk_colours_action, book)
    assert book.messages == ["Risk colours on sheet 订单, column H: overdue 0, at_risk 2, on_track 1, done 0."]
    assert [openpyxl.load_workbook(path)["订单"][f"H{r}"].value for r in (2, 3, 4)] == ["at_risk", "at_risk", "on_track"]


def test_active_calendar_sheet_is_not_taken_for_the_ledger(tmp_path):
    path = write_book(tmp_path / "ledger.xlsx", {"Orders": LEDGER, "Calendar": CALENDAR})
    book = FileBook(path)
    book.wb.active = 1
    assert book.active_sheet() == "Calendar"
    actions.run(actions.refresh_risk_colours_action, book)
    assert book.messages[0].startswith("Risk colours on sheet Orders, column H:")


def test_bad_date_in_the_calendar_sheet_names_the_cell(tmp_path):
    rows = [r[:] for r in CALENDAR]
    rows[2][0] = "2027-02-30"
    path = write_book(tmp_path / "po.xlsx", {"Orders": ORDERS, "Quotes": QUOTES, "Calendar": rows})
    before = path.read_bytes()
    book = FileBook(path)
    actions.run(actions.contract_review_action, book)
    assert book.messages == ["Error: po.xlsx, Calendar!A3: date '2027-02-30': not a date"]
    assert path.read_bytes() == before            # nothing written


def test_bad_working_value_in_the_calendar_sheet_names_the_cell(tmp_path):
    rows = [["Name", "Working", "Date"], ["New Year", "maybe", D(2027, 1, 1)]]
    path = write_book(tmp_path / "po.xlsx", {"Orders": ORDERS, "Quotes": QUOTES, "日历": rows})
    book = FileBook(path, selection=("Orders", 2))
    actions.run(actions.promise_date_action, book)
    assert book.messages == ["Error: po.xlsx, 日历!B2: working day value 'maybe' is not understood "
                             "— write 上班 or 休息 (also 1/0, Y/N, working/holiday)"]


def test_calendar_rows_that_disagree(tmp_path):
    rows = CALENDAR + [[D(2027, 1, 1), "working", None]]
    path = write_book(tmp_path / "po.xlsx", {"Orders": ORDERS, "Quotes": QUOTES, "Calendar": rows})
    book = FileBook(path)
    actions.run(actions.contract_review_action, book)
    assert book.messages == [f"Error: po.xlsx, Calendar sheet: calendar rows 2 and {len(rows)} disagree on 2027-01-01: "
                             "one says working, the other not"]


def test_calendar_of_a_book(tmp_path):
    assert compute.calendar().name == "cn"
    plain = FileBook(write_book(tmp_path / "a.xlsx", {"Orders": ORDERS}))
    assert compute.calendar(plain).name == "cn"
    with_sheet = FileBook(write_book(tmp_path / "b.xlsx", {"Orders": ORDERS, "calendar": CALENDAR}))
    cal = compute.calendar(with_sheet)
    assert cal.name == "cn+calendar"
    assert not cal.is_working(dt.date(2027, 1, 1)) and cal.is_working(dt.date(2027, 2, 20))
    assert cal.covers(dt.date(2027, 6, 1)) and not cal.covers(dt.date(2028, 6, 1))


@pytest.mark.parametrize("template", ["ledger", "review"])
def test_templates_carry_an_empty_calendar_sheet_the_buttons_read(tmp_path, template):
    from addin.xlam.build import ledger_template_bytes, review_template_bytes
    path = tmp_path / "book.xlsm"
    path.write_bytes((ledger_template_bytes if template == "ledger" else review_template_bytes)())
    book = FileBook(path)
    assert book.sheet_names()[-2:] == ["Calendar", "xlwings.conf"]
    empty = compute.calendar(book)
    assert empty.name == "cn+Calendar" and not empty.covers(dt.date(2027, 3, 1))   # header only: cn alone
    ws = book.wb["Calendar"]
    for row, day in enumerate([dt.datetime(2027, 1, 1)] + [dt.datetime(2027, 2, d) for d in range(8, 12)], start=2):
        ws.cell(row, 1, day)
        ws.cell(row, 2, "休息")
    filled = compute.calendar(book)
    assert filled.covers(dt.date(2027, 3, 1)) and not filled.is_working(dt.date(2027, 2, 8))
