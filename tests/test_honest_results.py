"""Honest results (SPEC section 9, issue 12): what cannot be measured is unknown with its reason,
never 0; a file of which no row is usable is exit 1 with the three commonest reasons, for
`otd`, `report`, `risk` and the monthly job alike. Real .xlsx files written here and read back."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
import xlsxwriter

from addin.config import load_config
from addin.errors import InputError
from addin.jobs.monthly import build_with_report_writer, run_monthly
from addin.readers import read
from addin.readers.usable import require_usable, unusable_reasons
from test_mail_support import start_server, write_config  # noqa: F401

D = dt.datetime


def write_book(path: Path, header: list[str], rows: list[list], sheet: str = "订单") -> Path:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet(sheet)
    dates = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, header)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, dt.datetime):
                ws.write_datetime(r, c, value, dates)
            elif value is not None:
                ws.write(r, c, value)
    wb.close()
    return path


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "addin.cli", *args], capture_output=True, text=True, timeout=180)


# --------------------------------------------------------------------------- nothing usable

BAD_HEADER = ["订单号", "客户", "料号", "数量", "客户交期", "实际出货日期"]


def bad_rows() -> list[list]:
    """Every row rejected, for four reasons of different frequency: 6 bad due dates (E), 4 bad
    ship dates (F), 3 text quantities (D), 2 negative quantities (D). Each date column holds
    more real dates than bad ones, so it is recognised as the date it is headed."""
    rows = []
    for i in range(6):
        rows.append([f"PO-{i}", "ACME", "A-1", 10, f"Friday, {i} Smarch", D(2026, 10, 2)])
    for i in range(4):
        rows.append([f"PO-S{i}", "ACME", "A-1", 10, D(2026, 10, 1), "2026-02-31"])
    for i in range(3):
        rows.append([f"PO-Q{i}", "ACME", "A-1", "ten", D(2026, 10, 1), None])
    for i in range(2):
        rows.append([f"PO-N{i}", "ACME", "A-1", -5, D(2026, 10, 1), None])
    return rows


@pytest.fixture
def bad_ledger(tmp_path: Path) -> Path:
    return write_book(tmp_path / "ledger.xlsx", BAD_HEADER, bad_rows())


EXPECTED = ("Error: ledger.xlsx: no usable order line (15 rows read): 6 'not a date' in 订单!E2 …; "
            "4 'not a date' in 订单!F8 …; 3 'not a number' in 订单!D12 …\n")


def test_require_usable_names_the_three_commonest_reasons(bad_ledger: Path):
    result = read(bad_ledger, "ledger")
    assert result.rows.valid == 0
    assert unusable_reasons(result, top=4) == ["6 'not a date' in 订单!E2 …", "4 'not a date' in 订单!F8 …",
                                               "3 'not a number' in 订单!D12 …",
                                               "2 'must not be negative' in 订单!D15 …"]
    with pytest.raises(InputError) as err:
        require_usable(result)
    assert str(err.value) == EXPECTED[len("Error: "):-1]
    assert err.value.file == "ledger.xlsx"


def test_a_file_with_only_blank_rows_says_so(tmp_path: Path):
    path = write_book(tmp_path / "empty.xlsx", BAD_HEADER, [])
    with pytest.raises(InputError) as err:
        require_usable(read(path, "ledger"))
    assert str(err.value) == "empty.xlsx: no usable order line (0 rows read): no data rows under the header of sheet 订单"


def test_one_usable_row_is_enough(tmp_path: Path):
    path = write_book(tmp_path / "one.xlsx", BAD_HEADER, bad_rows() + [["PO-OK", "ACME", "A-1", 1, D(2026, 10, 1), None]])
    require_usable(read(path, "ledger"))       # no error


@pytest.mark.parametrize("command", [
    ["otd"], ["otd", "--format", "json"], ["report", "--month", "2026-10", "--out", "{out}"],
    ["risk", "--out", "{out}"]])
def test_nothing_usable_is_exit_1_with_the_reasons(bad_ledger: Path, command: list[str]):
    out = bad_ledger.parent / "out.xlsx"
    proc = cli(command[0], str(bad_ledger), *[a.format(out=out) for a in command[1:]], "--as-of", "2026-11-01")
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr == EXPECTED
    assert not out.exists()                     # no empty report left behind


def test_monthly_job_stops_before_writing_or_sending(tmp_path: Path):
    srv = start_server(tmp_path)
    try:
        write_book(tmp_path / "ledger.xlsx", BAD_HEADER, bad_rows())
        config = load_config(write_config(tmp_path, srv.port, ledger=tmp_path / "ledger.xlsx"))
        with pytest.raises(InputError) as err:
            build_with_report_writer(config, dt.date(2026, 10, 1), dt.date(2026, 11, 1), "en",
                                     tmp_path / "OTD.xlsx")
        assert str(err.value) == EXPECTED[len("Error: "):-1]
        with pytest.raises(InputError):
            run_monthly(config, as_of=dt.date(2026, 11, 1))
        assert srv.handler.messages == []       # nothing e-mailed
        assert not (tmp_path / "reports" / "OTD-2026-10.xlsx").exists()
    finally:
        srv.controller.stop()


# --------------------------------------------------------------------------- unknown, never 0

NO_SHIP_HEADER = ["订单号", "客户", "料号", "数量", "客户交期", "状态"]


@pytest.fixture
def no_ship_ledger(tmp_path: Path) -> Path:
    """No completion-date column at all: 2 open lines past due, 2 without a status, 1 cancelled."""
    return write_book(tmp_path / "po.xlsx", NO_SHIP_HEADER, [
        ["PO-1", "ACME", "A-1", 5, D(2026, 10, 1), "生产中"],
        ["PO-2", "ACME", "A-1", 5, D(2026, 10, 2), "生产中"],
        ["PO-3", "ACME", "A-1", 5, D(2026, 10, 3), None],
        ["PO-4", "ACME", "A-1", 5, D(2026, 10, 4), None],
        ["PO-5", "ACME", "A-1", 5, D(2026, 10, 5), "已取消"]])


def test_no_completion_column_json_says_unknown_not_zero(no_ship_ledger: Path):
    proc = cli("otd", str(no_ship_ledger), "--as-of", "2026-11-01", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["total"] == {"lines": 2, "on_time": 0, "late": 2, "early": 0, "pending": 0, "otd": None,
                            "otif": None, "avg_days_late": 30.5}
    assert out["excluded"] == {"cancelled": 1, "no_due_date": 0, "not_yet_due": 0, "no_ship_date_column": 2}
    assert out["unknown"] == {"otd": "no_ship_date_column", "otif": "no_ship_date_column"}


def test_no_completion_column_table_says_why(no_ship_ledger: Path):
    proc = cli("otd", str(no_ship_ledger), "--as-of", "2026-11-01", "--lang", "en", "--calendar", "mon-fri")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[3] == "    2        0     2      0        0  n/a   n/a           30.5"
    assert ("Measured 2 lines (on time, late or early); not measured: 2 with neither a status nor a ship date. "
            "OTD unknown: the file has no ship-date column (no ship, delivery or receipt date), so on-time "
            "delivery cannot be measured.") in lines
    assert "0.0%" not in proc.stdout
    zh = cli("otd", str(no_ship_ledger), "--as-of", "2026-11-01", "--lang", "zh", "--calendar", "mon-fri")
    assert ("已考核 2 行（准时、延误或提前）；未能考核：2 行无状态且无完成日期。"
            "OTD 未知：文件中没有完成日期列（出货、交货或收货日期），无法计算准时率。") in zh.stdout.splitlines()


CLOSED_HEADER = ["订单号", "客户", "料号", "数量", "客户交期", "实际出货日期", "状态"]


def closed_rows(measured: bool) -> list[list]:
    """Lines shipped (已出货 = done) without their ship date; with ``measured`` two more
    lines that have their date (one on time, one late)."""
    rows = [[f"PO-{i}", "供应商甲", "A-1", 5, D(2026, 10, i + 1), None, "已出货"] for i in range(4)]
    if measured:
        rows += [["PO-8", "供应商甲", "A-1", 5, D(2026, 10, 8), D(2026, 10, 8), "已出货"],
                 ["PO-9", "供应商甲", "A-1", 5, D(2026, 10, 9), D(2026, 10, 12), "已出货"]]
    return rows


def test_every_line_closed_without_a_date_is_unknown_not_zero(tmp_path: Path):
    path = write_book(tmp_path / "po.xlsx", CLOSED_HEADER, closed_rows(measured=False))
    out = json.loads(cli("otd", str(path), "--as-of", "2026-11-01", "--format", "json").stdout)
    assert out["total"]["lines"] == 0 and out["total"]["otd"] is None
    assert out["excluded"]["closed_without_date"] == 4
    assert out["unknown"]["otd"] == "closed_without_date"
    table = cli("otd", str(path), "--as-of", "2026-11-01", "--lang", "en", "--calendar", "mon-fri").stdout
    assert ("Measured 0 lines (on time, late or early); not measured: 4 closed without a completion date. "
            "OTD unknown: every line due was closed without its completion date.") in table.splitlines()


def test_lines_closed_without_a_date_are_left_out_of_the_rate_and_said(tmp_path: Path):
    path = write_book(tmp_path / "po.xlsx", CLOSED_HEADER, closed_rows(measured=True))
    out = json.loads(cli("otd", str(path), "--as-of", "2026-11-01", "--format", "json").stdout)
    assert (out["total"]["on_time"], out["total"]["late"], out["total"]["otd"]) == (1, 1, 0.5)
    assert out["excluded"]["closed_without_date"] == 4
    assert out["unknown"] == {"otif": "no_shipped_qty"}   # OTD is known: measured on 2 lines
    table = cli("otd", str(path), "--as-of", "2026-11-01", "--lang", "zh", "--calendar", "mon-fri").stdout
    assert "已考核 2 行（准时、延误或提前）；未能考核：4 行已结案但无完成日期。" in table.splitlines()


# --------------------------------------------------------------------------- the report

def report(ledger: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    proc = cli("report", str(ledger), "--month", "2026-10", "--out", str(out), "--as-of", "2026-11-01",
               "--calendar", "mon-fri", *extra)
    assert proc.returncode == 0, proc.stderr
    return proc


def test_report_without_completion_column_shows_unknown_not_a_formula(no_ship_ledger: Path, tmp_path: Path):
    import openpyxl
    out = tmp_path / "r.xlsx"
    report(no_ship_ledger, out, "--lang", "en")
    ws = openpyxl.load_workbook(out)["Summary"]
    assert ws["A6"].value == "unknown"                      # the OTD tile
    row = next(r for r in range(10, 25) if ws.cell(r, 1).value == "OTD %")
    assert ws.cell(row, 2).value == "unknown"                # no COUNTIFS that would show 0 %
    assert ws["A8"].value == ("Measured 2 lines (on time, late or early); not measured: 2 with neither a status "
                              "nor a ship date. OTD unknown: the file has no ship-date column (no ship, delivery "
                              "or receipt date), so on-time delivery cannot be measured.")
    by_customer = openpyxl.load_workbook(out)["By customer"]
    assert all(c.data_type != "f" for r in by_customer.iter_rows(min_row=6, max_col=14) for c in r[1:])


ISSUE_HEADER = ["订单号", "客户名称", "料号", "数量", "客户交期", "实际出货日期", "状态"]
LONG_NAME = "深圳市华强北电子元器件贸易有限公司（福田分公司）"


@pytest.fixture
def zh_report(tmp_path: Path) -> Path:
    rows = [[f"SO-{i}", LONG_NAME if i % 2 else "ACME", "A-1", 5, D(2026, 10, 1 + i % 20),
             D(2026, 10, 2 + i % 20), "已出货"] for i in range(60)]
    rows.append(["SO-X", "ACME", "A-1", "五", D(2026, 10, 3), None, "生产中"])        # a text quantity
    rows.append(["SO-Y", "ACME", "A-1", 5, "2026-13-45", None, "生产中"])
    rows.append(["SO-Z", "ACME", "A-1", 5, D(2026, 10, 9), None, "已出货"])           # closed, no date
    ledger = write_book(tmp_path / "订单.xlsx", ISSUE_HEADER, rows, sheet="P202511140770")
    out = tmp_path / "月报.xlsx"
    report(ledger, out, "--lang", "zh")
    return out


def test_zh_report_data_issues_sheet_is_in_chinese_with_lettered_cells(zh_report: Path):
    import openpyxl
    ws = openpyxl.load_workbook(zh_report)["数据问题"]
    rows = [[c for c in r] for r in ws.iter_rows(min_row=4, values_only=True)]
    assert rows[0] == ["单元格", "字段", "值", "问题说明", "级别"]
    assert rows[1:] == [
        ["P202511140770!D62", "数量", "五", "不是数字", "错误（整行未读入）"],
        ["P202511140770!E63", "客户交期", "2026-13-45", "不是日期", "错误（整行未读入）"],
        ["P202511140770!F64", "实际出货日期", None, "状态为已出货/已结案，但没有出货日期：无法考核准时，不计入准时率",
         "提醒（已读入）"],
    ]
    summary = openpyxl.load_workbook(zh_report)["汇总"]
    assert summary["A8"].value == "已考核 60 行（准时、延误或提前）；未能考核：1 行已结案但无完成日期。"


def test_long_customer_names_are_shown_whole(zh_report: Path):
    import openpyxl
    from addin.writers.xlsx import text_width
    wb = openpyxl.load_workbook(zh_report)
    pivot = wb["按客户"]
    assert pivot.column_dimensions["A"].width >= text_width(LONG_NAME)
    late = wb["延误与风险"]
    assert late.column_dimensions["C"].width >= text_width(LONG_NAME)


def test_the_data_sheet_prints_its_header_only(zh_report: Path):
    import openpyxl
    wb = openpyxl.load_workbook(zh_report)
    assert wb["数据"].print_area == "'数据'!$A$1:$" + openpyxl.utils.get_column_letter(wb["数据"].max_column) + "$1"
    assert all(not wb[name].print_area for name in ("汇总", "延误与风险", "数据问题"))


@pytest.mark.libreoffice
def test_printing_the_workbook_prints_the_report_pages(tmp_path: Path):
    """A 2,000-line ledger: without a print area the Data sheet alone printed ~40 pages; now the
    whole workbook prints the report sheets, one page of data header."""
    from lo import convert, require_pdftoppm
    require_pdftoppm()
    # 2,000 lines, 20 of them late: the report's own pages are few; the data would be ~40 pages
    rows = [[f"SO-{i}", LONG_NAME if i % 3 else "ACME", f"P-{i % 40}", 5, D(2026, 10, 1 + i % 28),
             D(2026, 10, 1 + i % 28 + (3 if i % 100 == 0 else 0)), "已出货"] for i in range(2000)]
    ledger = write_book(tmp_path / "big.xlsx", ISSUE_HEADER, rows, sheet="订单")
    out = tmp_path / "report.xlsx"
    report(ledger, out, "--lang", "zh")
    pdf = convert(out, tmp_path / "pdf", "pdf")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    footers = [p.strip().splitlines()[-1].split()[0] for p in text.split("\f") if p.strip()]
    data_pages = [f for f in footers if f == "数据"]      # the footer names each page's sheet
    assert len(footers) == pages
    assert len(data_pages) == 1          # one page of the Data sheet: its header
    assert pages <= 20, pages


def test_mail_body_says_what_was_measured_and_what_was_not(tmp_path: Path):
    from addin.mail import MonthFigures, build_message
    book = tmp_path / "OTD-2026-10.xlsx"
    book.write_bytes(b"PK")
    figures = MonthFigures(month="2026-10", otd=None, lines=3, late=0, pending=3, measured=0,
                           unmeasurable=(("closed_without_date", 56),), otd_unknown="closed_without_date")
    for lang, line in (("zh", "已考核 0 行（准时、延误或提前）；未到出货期 3 行；未能考核：56 行已结案但无完成日期。"
                               "OTD 未知：到期的订单行都已结案，但都没有完成日期。"),
                       ("en", "Measured 0 lines (on time, late or early); 3 pending; not measured: 56 closed without "
                              "a completion date. OTD unknown: every line due was closed without its completion "
                              "date.")):
        message = build_message(figures=figures, workbook=book, workbook_sha256="0" * 64, sender="a@example.com",
                                recipient="b@example.com", lang=lang, subject_template=None, as_of="2026-11-01")
        assert line in message.get_body(("plain",)).get_content().splitlines()
        assert message["Subject"] == {"zh": "2026年10月准时交付率：未知（已结案订单无完成日期）",
                                      "en": "OTD 2026-10: unknown (lines closed without a date)"}[lang]
