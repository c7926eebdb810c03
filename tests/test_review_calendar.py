"""Contract review over years the working calendar has no holiday data for.

The built-in ``cn`` calendar takes China's holidays from ``chinesecalendar``, which stops at the
last year published (2026 in version 1.11.0); beyond it, dates count plain Mon–Fri and Spring
Festival would be counted as working days. A lead-time, material or capacity check computed
through such a year is never a silent ``pass``: it is at least ``warn`` and its reason says which
year and how to fix it; a calendar file with rows in that year covers it.

Real workbooks are written here, reviewed by the ``orderdesk review`` command and read back.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from addin.compute.calendar import WorkingCalendar
from addin.cli import main
from addin.compute.coverage import calendar_gaps, flag_gaps, gap_notes, year_list
from addin.compute.review import review_lines
from addin.writers.reviewbook import HEADER_ROW
from tests.test_excel_actions import write_book

CN = WorkingCalendar.cn()
MF = WorkingCalendar.mon_fri()

GAP_EN = ("calendar cn has no holiday data for 2027 — dates count Mon–Fri; "
          "add the 2027 holidays in a calendar file (--calendar)")
GAP_ZH = "日历 cn 没有 2027 年的节假日数据，日期按周一至周五计算；请在日历文件中补充 2027 年节假日（--calendar）"



@pytest.fixture(autouse=True)
def _holiday_data_ends_in_2026():
    # fail loudly, not skip: once chinesecalendar publishes 2027, these cases must move a year on
    assert CN.covers("2026-12-31") and not CN.covers("2027-01-01"), \
        "chinesecalendar now covers 2027: move these cases to the first year it does not cover"


PO_HEADER = ["PO号", "行号", "客户", "料号", "版本", "数量", "单价", "币种", "下单日期", "要求交期"]
# line 1: ordered 14 Dec 2026, 40 working days quoted -> runs through Spring Festival 2027
DEC_PO = ["PO-1", "1", "ACME", "P", "B", 100, 1.10, "CNY", dt.date(2026, 12, 14), dt.date(2027, 2, 26)]
# line 2: everything inside 2026
NOV_PO = ["PO-1", "2", "ACME", "Q", "B", 100, 1.10, "CNY", dt.date(2026, 11, 23), dt.date(2026, 12, 18)]


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    quotes = [["Quote No", "Customer", "Part No", "Rev", "Break Qty", "Unit Price", "Currency", "Lead Time", "MOQ",
               "Valid From", "Valid Until"],
              ["Q-1", "ACME", "P", "B", 1, 1.10, "CNY", 40, 100, dt.date(2026, 1, 1), dt.date(2027, 12, 31)],
              ["Q-2", "ACME", "Q", "B", 1, 1.10, "CNY", 15, 100, dt.date(2026, 1, 1), dt.date(2027, 12, 31)]]
    # P is bought (30 working days + 1 inspection); Q is in stock; both assembled on ASSY, 8 h a day
    plan = {"Stock": [["Part No", "On Hand", "Safety Stock", "Purchase Lead Time", "Inspection Days"],
                      ["P", 0, 0, 30, 1], ["Q", 1000, 0, 5, 0]],
            "Capacity": [["Line", "Hours Per Day"], ["ASSY", 8]],
            "Routing": [["Part No", "Line", "Hours Per Unit"], ["P", "ASSY", 0.5], ["Q", "ASSY", 0.1]]}
    # the factory's own 2027 calendar (New Year, Spring Festival, a make-up Saturday)
    holidays = [["日期", "是否上班", "名称"], [dt.date(2027, 1, 1), "休息", "元旦"]]
    holidays += [[dt.date(2027, 2, day), "休息", "春节"] for day in range(8, 13)]
    holidays += [[dt.date(2027, 2, 20), "上班", "补班"]]
    return {"orders": write_book(tmp_path / "po.xlsx", {"PO": [PO_HEADER, DEC_PO, NOV_PO]}),
            "only_2026": write_book(tmp_path / "po2026.xlsx", {"PO": [PO_HEADER, NOV_PO]}),
            "quotes": write_book(tmp_path / "quotes.xlsx", {"Quotes": quotes}),
            "stock": write_book(tmp_path / "stock.xlsx", plan),
            "calendar": write_book(tmp_path / "calendar2027.xlsx", {"Calendar": holidays})}


def _review(files: dict[str, Path], capsys, *extra: str, orders: str = "orders", lang: str = "en",
            fmt: str = "json") -> tuple[dict | str, Path]:
    out = files["orders"].parent / f"review-{lang}-{len(extra)}.xlsx"
    status = main(["review", str(files[orders]), "--quotes", str(files["quotes"]), "--as-of", "2026-11-23",
                   "--lang", lang, "--format", fmt, "--out", str(out), *extra])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    return (json.loads(captured.out) if fmt == "json" else captured.out), out


def _sheet_rows(path: Path) -> list[tuple]:
    wb = openpyxl.load_workbook(path)
    return [tuple(row) for row in wb.worksheets[0].iter_rows(values_only=True)]


def _table(rows: list[tuple], header_row: int) -> list[dict]:
    header = rows[header_row]
    return [dict(zip(header, row)) for row in rows[header_row + 1:]]


# ---------------------------------------------------------------------- command line, end to end


def test_lead_time_into_2027_warns_in_json_and_workbook_en(files, capsys):
    data, out = _review(files, capsys)
    first, second = data["lines"]
    # Mon–Fri over 2027 gives 8 Feb; the requested date is later, but only by a calendar that
    # counts 1 Jan and Spring Festival as working days: not a pass
    assert first["checks"]["lead_time"] == {
        "result": "warn",
        "reason": f"requested 2027-02-26 ≥ earliest 2027-02-08 (40 working days); {GAP_EN}"}
    assert first["verdict"] == "warn"
    assert second["checks"]["lead_time"] == {
        "result": "pass", "reason": "requested 2026-12-18 ≥ earliest 2026-12-14 (15 working days)"}
    assert second["verdict"] == "pass"
    assert data["summary"] == {"pass": 1, "warn": 1, "fail": 0}
    # the SPEC's JSON shape is kept: no new keys
    assert set(first) == {"order_no", "line_no", "part_no", "verdict", "checks", "promise_date", "split"}
    assert set(data) == {"lines", "summary"}

    rows = _sheet_rows(out)
    # one note line near the top, above the ISO note; the table one row lower
    assert rows[HEADER_ROW - 1][0] == f"Calendar warning on 1 of 2 PO lines: {GAP_EN}"
    assert rows[HEADER_ROW][0] == "Review record per ISO 9001 8.2.3: each department signs in its column."
    table = _table(rows, HEADER_ROW + 1)
    assert [(r["PO"], r["Line"], r["Verdict"], r["Lead time result"]) for r in table] == [
        ("PO-1", "1", "warn", "warn"), ("PO-1", "2", "pass", "pass")]
    assert table[0]["Lead time reason"] == f"requested 2027-02-26 ≥ earliest 2027-02-08 (40 working days); {GAP_EN}"
    assert table[0]["Earliest by lead time"] == dt.datetime(2027, 2, 8)
    ws = openpyxl.load_workbook(out).worksheets[0]
    assert ws.freeze_panes == f"E{HEADER_ROW + 3}"
    assert ws.auto_filter.ref.startswith(f"A{HEADER_ROW + 2}:")
    # the row is tall enough to show the whole reason with its note (6 lines), the 2026 row 2 lines
    assert ws.row_dimensions[HEADER_ROW + 3].height == 90
    assert ws.row_dimensions[HEADER_ROW + 4].height == 30


def test_lead_time_into_2027_warns_in_chinese(files, capsys):
    data, out = _review(files, capsys, lang="zh")
    first = data["lines"][0]
    assert first["checks"]["lead_time"] == {
        "result": "warn",
        "reason": f"要求交期 2027-02-26 ≥ 最早交期 2027-02-08（40 个工作日）；{GAP_ZH}"}
    rows = _sheet_rows(out)
    assert rows[HEADER_ROW - 1][0] == f"日历提示（2 个订单行中 1 行）：{GAP_ZH}"
    table = _table(rows, HEADER_ROW + 1)
    assert (table[0]["评审结论"], table[0]["交期 结果"]) == ("警告", "警告")
    assert table[0]["交期 说明"] == f"要求交期 2027-02-26 ≥ 最早交期 2027-02-08（40 个工作日）；{GAP_ZH}"


def test_calendar_file_with_2027_rows_covers_2027(files, capsys):
    data, out = _review(files, capsys, "--calendar", str(files["calendar"]))
    first, second = data["lines"]
    # 1 Jan and 8–12 Feb off, Saturday 20 Feb worked: 40 working days end on 16 Feb
    assert first["checks"]["lead_time"] == {
        "result": "pass", "reason": "requested 2027-02-26 ≥ earliest 2027-02-16 (40 working days)"}
    assert (first["verdict"], second["verdict"]) == ("pass", "pass")
    rows = _sheet_rows(out)
    assert rows[HEADER_ROW - 1][0] == "Review record per ISO 9001 8.2.3: each department signs in its column."
    assert rows[HEADER_ROW][0] == "PO"
    assert not any(isinstance(cell, str) and "calendar" in cell.lower() for row in rows for cell in row)


def test_po_inside_2026_is_unaffected(files, capsys):
    data, out = _review(files, capsys, orders="only_2026")
    assert data["lines"][0]["verdict"] == "pass"
    assert data["lines"][0]["checks"]["lead_time"]["result"] == "pass"
    rows = _sheet_rows(out)
    assert rows[HEADER_ROW][0] == "PO"   # no note line: the table where it always is
    text, _ = _review(files, capsys, orders="only_2026", fmt="table")
    assert "calendar" not in text


def test_mon_fri_covers_every_year(files, capsys):
    data, _ = _review(files, capsys, "--calendar", "mon-fri")
    first = data["lines"][0]
    assert first["checks"]["lead_time"] == {
        "result": "pass", "reason": "requested 2027-02-26 ≥ earliest 2027-02-08 (40 working days)"}
    assert first["verdict"] == "pass"


def test_material_and_capacity_through_2027_warn(files, capsys):
    data, out = _review(files, capsys, "--stock", str(files["stock"]), "--capacity", str(files["stock"]))
    first, second = data["lines"]
    # P is bought: 30 + 1 working days from 23 Nov 2026 is 5 Jan 2027 (1 Jan counted as working)
    assert first["checks"]["material"] == {"result": "warn", "reason": f"P available by 2027-01-05; {GAP_EN}"}
    # capacity itself finishes in 2026, but its need date (requested 26 Feb 2027 less 1 working day
    # of outgoing inspection) was counted through 2027
    assert first["checks"]["capacity"] == {"result": "warn", "reason": f"ASSY finishes 2026-12-02 (50 h); {GAP_EN}"}
    assert first["promise_date"] == "2027-01-06"
    assert first["verdict"] == "warn"
    assert {c: v["result"] for c, v in second["checks"].items()} == dict.fromkeys(
        ("quote", "revision", "price", "lead_time", "moq", "tooling", "material", "capacity"), "pass")
    rows = _sheet_rows(out)
    assert rows[HEADER_ROW - 1][0] == f"Calendar warning on 1 of 2 PO lines: {GAP_EN}"

    covered, _ = _review(files, capsys, "--stock", str(files["stock"]), "--capacity", str(files["stock"]),
                         "--calendar", str(files["calendar"]))
    first = covered["lines"][0]
    # with 1 Jan off the purchase arrives a day later, and everything passes
    assert first["checks"]["material"] == {"result": "pass", "reason": "P available by 2027-01-06"}
    assert first["checks"]["capacity"]["result"] == "pass" and first["verdict"] == "pass"


def test_table_output_ends_with_the_note(files, capsys):
    text, _ = _review(files, capsys, fmt="table")
    lines = text.splitlines()
    assert f"    lead_time warn  requested 2027-02-26 ≥ earliest 2027-02-08 (40 working days); {GAP_EN}" in lines
    assert lines[-2:] == [f"Calendar warning on 1 of 2 PO lines: {GAP_EN}", f"wrote {files['orders'].parent / 'review-en-0.xlsx'}"]


# ---------------------------------------------------------------------- the computation


def _frames(order_date: str, requested: str, lead: float):
    from test_review import canonical, po, quote
    return (canonical("ledger", [po(order_date=order_date, requested_date=requested)]),
            canonical("quotes", [quote(lead_time_days=lead, valid_until="2027-12-31")]))


def test_a_failing_lead_time_keeps_fail_and_gets_the_note():
    orders, quotes = _frames("2026-12-14", "2027-01-15", 40)
    result = review_lines(orders, quotes, calendar=CN)
    assert result.loc[0, "lead_time_result"] == "fail"
    assert result.loc[0, "lead_time_reason"] == ("requested 2027-01-15 is before the earliest 2027-02-08 "
                                                 f"(40 working days from 2026-12-14); {GAP_EN}")
    assert result.loc[0, "calendar_years"] == (2027,)
    assert result.loc[0, "calendar_note"] == GAP_EN


def test_zero_lead_time_counts_no_calendar():
    orders, quotes = _frames("2027-01-04", "2027-01-04", 0)
    result = review_lines(orders, quotes, calendar=CN)
    assert result.loc[0, "lead_time_result"] == "pass"
    assert result.loc[0, "calendar_years"] == () and result.loc[0, "calendar_note"] is None


def test_a_gap_year_between_covered_years_is_found():
    # a factory file with 2028 rows only (five days off: the year counts as covered): 2027 is
    # still unknown in between
    overrides = pd.DataFrame({"date": pd.date_range("2028-01-03", "2028-01-07"), "working": False})
    cal = WorkingCalendar.from_frame(overrides, name="factory")
    starts = np.array(["2026-12-01", "2026-12-01", "2026-03-01", "NaT"], dtype="datetime64[D]")
    ends = np.array(["2028-02-01", "2026-12-31", "2029-06-30", "2030-01-01"], dtype="datetime64[D]")
    years, hit = calendar_gaps(cal, [(starts, ends)])
    assert years.tolist() == [2027, 2029]
    assert hit.tolist() == [[True, False], [False, False], [True, True], [False, False]]
    notes = gap_notes(cal, years, hit, "en")
    assert notes[0] == ("calendar factory has no holiday data for 2027 — dates count Mon–Fri; "
                        "add the 2027 holidays in a calendar file (--calendar)")
    assert notes[1] is None and notes[3] is None
    assert notes[2].startswith("calendar factory has no holiday data for 2027, 2029 —")


def test_year_list_and_flag_rules():
    assert year_list([2027]) == "2027"
    assert year_list([2029, 2027, 2028]) == "2027–2029"
    assert year_list([2003, 2027, 2028]) == "2003, 2027–2028"
    results, reasons = flag_gaps(np.array(["pass", "warn", "fail", None, "pass"], dtype=object),
                                 ["ok", "hmm", "bad", None, "fine"],
                                 np.array(["N", "N", "N", "N", None], dtype=object), "zh")
    assert results.tolist() == ["warn", "warn", "fail", None, "pass"]
    assert reasons.tolist() == ["ok；N", "hmm；N", "bad；N", None, "fine"]


def test_years_before_the_data_are_uncovered_too():
    orders, quotes = _frames("2003-12-15", "2004-03-31", 20)
    result = review_lines(orders, quotes.assign(valid_from=pd.NaT), calendar=CN)
    assert result.loc[0, "lead_time_result"] == "warn"
    assert result.loc[0, "calendar_years"] == (2003,)
