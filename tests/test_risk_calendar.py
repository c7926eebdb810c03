"""The risk horizon counted through a year the working calendar has no holiday data for (cn
beyond chinesecalendar's last year, 2026 with chinesecalendar 1.11.0): the risk stays as
computed, and the risk copy, `orderdesk risk`, `orderdesk otd` and the monthly report's About
and Summary sheets say so, with the fix. Real workbooks written and read back; fixed dates."""
from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path

import openpyxl
import pytest

from addin.compute.calendar import WorkingCalendar

from addin.readers.calendar import load_calendar
from addin.compute.otd import OtdSettings
from addin.readers import read
from addin.compute.risk import HorizonGap, assess_risk, horizon_gap, horizon_note
from addin.writers.monthly import write_report
from addin.writers.riskcopy import write_risk_copy

CN = WorkingCalendar.cn()
YEAR_END = dt.date(2026, 12, 28)     # a Monday; 5 working days on reaches into 2027
MID_YEAR = dt.date(2026, 6, 15)

NOTE = {
    "en": "Calendar warning on the risk horizon (5 working days, 2026-12-28 to 2027-01-04, may end too early): "
          "calendar cn has no holiday data for 2027 — dates count Mon–Fri; "
          "add the 2027 holidays in a calendar file (--calendar)",
    "zh": "风险预警期日历提示（2026-12-28 起 5 个工作日，至 2027-01-04，可能偏早）："
          "日历 cn 没有 2027 年的节假日数据，日期按周一至周五计算；请在日历文件中补充 2027 年节假日（--calendar）",
}

HEADER = ["订单号", "客户", "料号", "订单数量", "承诺交期", "实际出货日期", "状态"]
ROWS = [
    ["PO-1", "ACME", "A-100", 100, dt.datetime(2026, 12, 30), None, "生产中"],            # at risk
    # New Year's Day 2027 counted as a working day by cn: the horizon ends on 4 Jan, so this
    # line shows on track; with 1 Jan off (the calendar file) it is at risk
    ["PO-2", "ACME", "A-100", 100, dt.datetime(2027, 1, 5), None, "生产中"],
    ["PO-3", "Zeta", "B-200", 50, dt.datetime(2027, 3, 1), None, "待排产"],                # on track
    ["PO-4", "Zeta", "B-200", 50, dt.datetime(2026, 12, 1), dt.datetime(2026, 11, 30), "已出货"],
]


def write_ledger(path: Path, rows: list[list] = ROWS) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "订单"
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def write_calendar_2027(path: Path) -> Path:
    """A factory calendar giving 2027's New Year and Spring Festival (with a make-up Saturday)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Calendar"
    ws.append(["日期", "是否上班", "名称"])
    ws.append([dt.datetime(2027, 1, 1), "休息", "元旦"])
    for day in range(5, 12):
        ws.append([dt.datetime(2027, 2, day), "休息", "春节"])
    ws.append([dt.datetime(2027, 2, 20), "上班", "春节调休"])
    wb.save(path)
    return path


# ------------------------------------------------------------------ the computation


def test_horizon_gap_names_the_year_and_the_end_of_the_horizon():
    gap = horizon_gap(YEAR_END, CN, 5)
    assert gap == HorizonGap(calendar="cn", as_of=YEAR_END, end=dt.date(2027, 1, 4), horizon=5, years=(2027,))
    assert gap.note("en") == NOTE["en"] and gap.note("zh") == NOTE["zh"]
    assert horizon_note(YEAR_END, CN, 5, "zh") == NOTE["zh"]


@pytest.mark.parametrize("as_of, calendar, horizon", [
    (MID_YEAR, CN, 5),                          # the window stays in a covered year
    (YEAR_END, CN, 3),                          # 29, 30, 31 Dec: still 2026
    (YEAR_END, CN, 0),                          # WORKDAY(d, 0) counts no working day
    (YEAR_END, WorkingCalendar.mon_fri(), 5),   # mon-fri has nothing to be missing
])
def test_no_gap(as_of, calendar, horizon):
    assert horizon_gap(as_of, calendar, horizon) is None
    assert horizon_note(as_of, calendar, horizon) is None


def test_as_of_inside_an_uncovered_year_and_default_calendar():
    gap = horizon_gap(dt.date(2027, 3, 1), None, 3)
    assert (gap.calendar, gap.years, gap.end) == ("cn", (2027,), dt.date(2027, 3, 4))


def test_calendar_file_with_2027_rows_closes_the_gap_and_changes_the_risk(tmp_path):
    calendar = load_calendar(write_calendar_2027(tmp_path / "factory.xlsx"))
    assert horizon_gap(YEAR_END, calendar, 5) is None
    ledger = read(write_ledger(tmp_path / "ledger.xlsx"), kind="ledger").data
    # the risk itself is what the calendar makes it: the note never changes it
    assert assess_risk(ledger, YEAR_END, CN, 5)["risk"].tolist() == ["at_risk", "on_track", "on_track", "done"]
    assert assess_risk(ledger, YEAR_END, calendar, 5)["risk"].tolist() == ["at_risk", "at_risk", "on_track", "done"]


# ------------------------------------------------------------------ the risk copy


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_risk_copy_shows_the_note_beside_the_risk_header(tmp_path, lang):
    ledger = write_ledger(tmp_path / "ledger.xlsx")
    out = tmp_path / "risk.xlsx"
    summary = write_risk_copy(read(ledger, kind="ledger"), out=out, as_of=YEAR_END, calendar=CN, horizon=5,
                              lang=lang)
    assert summary.calendar_note == NOTE[lang]
    assert (summary.at_risk, summary.on_track) == (1, 2)        # the risk as computed, unchanged
    ws = openpyxl.load_workbook(out)["订单"]
    assert ws["H1"].value == {"en": "Risk", "zh": "风险"}[lang]
    assert ws["I1"].value == NOTE[lang]
    assert ws["I1"].font.b and ws["I1"].font.color.rgb == "009C5700"
    assert [ws.cell(r, 9).value for r in range(2, 6)] == [None] * 4   # the user's rows untouched


def test_risk_copy_note_stays_off_the_printed_pages(tmp_path):
    """Without a print area of the user's, the long note beside the header printed its overflow
    on pages of its own (LibreOffice: 58 pages instead of 55 for the sample ledger)."""
    ledger = write_ledger(tmp_path / "ledger.xlsx")
    out = tmp_path / "risk.xlsx"
    write_risk_copy(read(ledger, kind="ledger"), out=out, as_of=YEAR_END, calendar=CN, horizon=5)
    assert openpyxl.load_workbook(out)["订单"].print_area == "'订单'!$A$1:$H$5"
    plain = tmp_path / "plain.xlsx"
    write_risk_copy(read(ledger, kind="ledger"), out=plain, as_of=MID_YEAR, calendar=CN, horizon=5)
    assert not openpyxl.load_workbook(plain)["订单"].print_area   # no note: the user's setup as it was


@pytest.mark.parametrize("area, widened", [
    ("A1:G5", "'订单, 2026'!$A$1:$H$5"),                                 # ended at the last column
    (["A1:G5", "J1:J3"], "'订单, 2026'!$A$1:$H$5,'订单, 2026'!$J$1:$J$3"),  # a second range kept
    ("B2:C4", "'订单, 2026'!$B$2:$C$4"),                                 # a part of the table: kept
])
def test_risk_copy_widens_the_users_print_area_over_the_risk_column(tmp_path, area, widened):
    source = write_ledger(tmp_path / "source.xlsx")
    wb = openpyxl.load_workbook(source)
    wb["订单"].title = "订单, 2026"       # a comma in the sheet name, as in the defined name
    wb["订单, 2026"].print_area = area
    ledger = tmp_path / "ledger.xlsx"
    wb.save(ledger)
    for as_of in (YEAR_END, MID_YEAR):   # with and without the note
        out = tmp_path / f"risk-{as_of}.xlsx"
        write_risk_copy(read(ledger, kind="ledger"), out=out, as_of=as_of, calendar=CN, horizon=5)
        assert openpyxl.load_workbook(out)["订单, 2026"].print_area == widened


@pytest.mark.libreoffice
def test_risk_copy_with_the_note_prints_as_many_pages_as_without(tmp_path, soffice):
    import lo
    from tests.conftest import ROOT
    ledger = ROOT / "workbook_templates" / "sample_ledger_en.xlsx"
    pages = []
    for as_of in (YEAR_END, MID_YEAR):
        out = tmp_path / f"risk-{as_of}.xlsx"
        summary = write_risk_copy(read(ledger, kind="ledger"), out=out, as_of=as_of, calendar=CN, horizon=5)
        assert (summary.calendar_note is not None) == (as_of == YEAR_END)
        pdf = lo.convert(out, tmp_path / f"pdf-{as_of}", "pdf")
        info = subprocess.run([lo.require_pdftoppm().replace("pdftoppm", "pdfinfo"), str(pdf)],
                              capture_output=True, text=True, check=True).stdout
        pages.append(int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1)))
    assert pages[0] == pages[1] > 1, pages


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_separate_risk_workbook_shows_the_note_above_the_table(tmp_path, lang):
    ledger = write_ledger(tmp_path / "ledger.xlsx")
    out = tmp_path / "risk.xlsx"
    write_risk_copy(read(ledger, kind="ledger"), out=out, as_of=YEAR_END, calendar=CN, horizon=5,
                    separate=True, lang=lang)
    ws = openpyxl.load_workbook(out).worksheets[0]
    assert ws["A2"].value == NOTE[lang]
    assert ws["A3"].value == "订单号" and ws["A4"].value == "PO-1"
    assert ws.auto_filter.ref.startswith("A3:")


def test_risk_copy_without_note_when_covered(tmp_path):
    ledger = write_ledger(tmp_path / "ledger.xlsx")
    calendar = load_calendar(write_calendar_2027(tmp_path / "factory.xlsx"))
    for as_of, cal in ((YEAR_END, calendar), (MID_YEAR, CN)):
        out = tmp_path / f"risk-{as_of}.xlsx"
        summary = write_risk_copy(read(ledger, kind="ledger"), out=out, as_of=as_of, calendar=cal, horizon=5)
        assert summary.calendar_note is None
        ws = openpyxl.load_workbook(out)["订单"]
        assert ws["H1"].value == "Risk" and ws["I1"].value is None
        separate = tmp_path / f"risk-{as_of}-separate.xlsx"
        write_risk_copy(read(ledger, kind="ledger"), out=separate, as_of=as_of, calendar=cal, horizon=5,
                        separate=True)
        assert openpyxl.load_workbook(separate).worksheets[0]["A2"].value == "订单号"


def test_risk_command_prints_the_note(tmp_path, capsys):
    from addin.cli import main
    ledger = write_ledger(tmp_path / "ledger.xlsx")
    out = tmp_path / "risk.xlsx"
    args = ["risk", str(ledger), "--out", str(out), "--as-of", "2026-12-28", "--horizon", "5"]
    assert main(args + ["--lang", "en"]) == 0
    assert capsys.readouterr().out == f"Wrote {out}: 4 lines, 0 overdue, 1 at risk\n{NOTE['en']}\n"
    assert main(args + ["--lang", "zh"]) == 0
    assert capsys.readouterr().out == f"已写入 {out}: 4 行, 逾期 0, 有风险 1\n{NOTE['zh']}\n"
    calendar = write_calendar_2027(tmp_path / "factory.xlsx")
    assert main(args + ["--lang", "en", "--calendar", str(calendar)]) == 0
    assert capsys.readouterr().out == f"Wrote {out}: 4 lines, 0 overdue, 2 at risk\n"


def test_otd_table_prints_the_note_after_the_risk_line(tmp_path, capsys):
    from addin.cli import main
    ledger = write_ledger(tmp_path / "ledger.xlsx")
    # the otd command's horizon is 3 working days: from 30 Dec it runs to 4 Jan 2027
    assert main(["otd", str(ledger), "--as-of", "2026-12-30", "--lang", "en"]) == 0
    lines = capsys.readouterr().out.splitlines()
    at = next(i for i, text in enumerate(lines) if text.startswith("Open lines at 2026-12-30"))
    assert lines[at + 1] == ("Calendar warning on the risk horizon (3 working days, 2026-12-30 to 2027-01-04, "
                             "may end too early): calendar cn has no holiday data for 2027 — dates count "
                             "Mon–Fri; add the 2027 holidays in a calendar file (--calendar)")
    assert main(["otd", str(ledger), "--as-of", "2026-12-28", "--lang", "en"]) == 0
    assert "Calendar warning" not in capsys.readouterr().out


# ------------------------------------------------------------------ the monthly report


def report_sheets(tmp_path: Path, lang: str, as_of: dt.date, calendar=None) -> tuple:
    ledger = write_ledger(tmp_path / "ledger.xlsx")
    out = tmp_path / f"report-{lang}-{as_of}.xlsx"
    write_report(read(ledger, kind="ledger"), month=dt.date(2026, 11, 1), out=out, as_of=as_of,
                 settings=OtdSettings(risk_horizon=5), lang=lang, calendar=calendar)
    wb = openpyxl.load_workbook(out)
    about = {"en": "About", "zh": "说明"}[lang]
    summary = {"en": "Summary", "zh": "汇总"}[lang]
    rows = {ws_row[0]: ws_row[1] for ws_row in wb[about].iter_rows(min_row=3, max_row=14, max_col=2,
                                                                     values_only=True)}
    return rows, wb[summary]


@pytest.mark.parametrize("lang, label", [("en", "Risk horizon"), ("zh", "风险预警期")])
def test_report_about_and_summary_show_the_note(tmp_path, lang, label):
    about, summary = report_sheets(tmp_path, lang, YEAR_END)
    assert about[label] == NOTE[lang]
    assert summary["A4"].value == NOTE[lang]
    assert "A4:F4" in {str(r) for r in summary.merged_cells.ranges}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_report_without_note_when_covered(tmp_path, lang):
    calendar = load_calendar(write_calendar_2027(tmp_path / "factory.xlsx"))
    for as_of, cal in ((YEAR_END, calendar), (MID_YEAR, None)):
        about, summary = report_sheets(tmp_path, lang, as_of, cal)
        assert {"en": "Risk horizon", "zh": "风险预警期"}[lang] not in about
        assert not any(isinstance(v, str) and ("Calendar warning" in v or "日历提示" in v) for v in about.values())
        assert summary["A4"].value is None
