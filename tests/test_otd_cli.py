"""`orderdesk otd` end to end: a real .xlsx ledger written here, the real command in a subprocess."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
import xlsxwriter

HEADER = ["订单号", "客户", "料号", "订单数量", "客户交期", "承诺交期", "实际出货日期", "出货数量", "状态", "异常类型"]
D = dt.datetime
LINES = [
    # on time (promised 10-08), in full
    ["PO-1", "ACME", "A-100", 100, D(2026, 10, 5), D(2026, 10, 8), D(2026, 10, 8), 100, "已出货", None],
    # 3 days late: major
    ["PO-2", "ACME", "A-200", 50, D(2026, 10, 10), D(2026, 10, 12), D(2026, 10, 15), 50, "已出货", "缺料"],
    # no promise: due on the requested 10-20; shipped a day early, half the quantity
    ["PO-3", "华为", "B-1", 20, D(2026, 10, 20), None, D(2026, 10, 19), 10, "已出货", None],
    # open, promised 11-10: at as-of 11-21 it is 11 days late
    ["PO-4", "华为", "B-2", 30, D(2026, 11, 1), D(2026, 11, 10), None, None, "生产中", None],
    # due on the as-of date: pending
    ["PO-5", "华为", "B-3", 5, D(2026, 11, 21), None, None, None, "生产中", None],
    None,   # a blank row in the middle
    ["PO-6", "ACME", "A-300", 10, D(2026, 11, 1), None, None, None, "已取消", None],
    ["PO-7", "ACME", "A-400", 10, D(2026, 12, 1), None, None, None, "待排产", None],
]


def write_ledger(path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet("订单跟踪")
    dates = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write(0, 0, "2026年订单跟踪表")                         # a title row above the header
    ws.write_row(1, 0, HEADER)
    for r, row in enumerate(LINES, start=2):
        for c, value in enumerate(row or []):
            if isinstance(value, dt.datetime):
                ws.write_datetime(r, c, value, dates)
            elif value is not None:
                ws.write(r, c, value)
    wb.close()
    return path


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "addin.cli", "otd", *args], capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    return write_ledger(tmp_path / "ledger.xlsx")


def test_json_is_the_spec_object(ledger: Path):
    proc = run(str(ledger), "--format", "json", "--as-of", "2026-11-21", "--by", "customer")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert json.loads(proc.stdout) == {
        "as_of": "2026-11-21", "basis": "promised", "late_tolerance": 0, "early_tolerance": None,
        "by": ["customer"],
        "groups": [
            {"customer": "ACME", "lines": 2, "on_time": 1, "late": 1, "early": 0, "pending": 0,
             "otd": 0.5, "otif": 0.5, "avg_days_late": 3.0},
            # PO-3 on time but not in full; PO-4 late (its unknown in-full does not matter)
            {"customer": "华为", "lines": 3, "on_time": 1, "late": 1, "early": 0, "pending": 1,
             "otd": 0.5, "otif": 0.0, "avg_days_late": 11.0},
        ],
        "total": {"lines": 5, "on_time": 2, "late": 2, "early": 0, "pending": 1,
                  "otd": 0.5, "otif": 0.25, "avg_days_late": 7.0},
        "excluded": {"cancelled": 1, "no_due_date": 0, "not_yet_due": 1},
        "rows": {"read": 8, "valid": 7, "issues": 0, "blank_or_total": 1},
    }


def test_json_with_options(ledger: Path):
    proc = run(str(ledger), "--format", "json", "--as-of", "2026-11-21", "--by", "month,customer",
               "--basis", "requested", "--late-tolerance", "3", "--early-tolerance", "0",
               "--month", "2026-10")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    # requested basis, October: PO-1 due 10-05 shipped 10-08 (3 days: within tolerance),
    # PO-2 due 10-10 shipped 10-15 (5 days: late), PO-3 due 10-20 shipped 10-19 (early, window 0)
    assert out["groups"] == [
        {"month": "2026-10", "customer": "ACME", "lines": 2, "on_time": 1, "late": 1, "early": 0,
         "pending": 0, "otd": 0.5, "otif": 0.5, "avg_days_late": 5.0},
        {"month": "2026-10", "customer": "华为", "lines": 1, "on_time": 0, "late": 0, "early": 1,
         "pending": 0, "otd": 0.0, "otif": 0.0, "avg_days_late": None},
    ]
    assert (out["basis"], out["late_tolerance"], out["early_tolerance"]) == ("requested", 3, 0)
    assert out["excluded"] == {"cancelled": 0, "no_due_date": 0, "not_yet_due": 0}


def test_table_output_is_aligned_with_percentages(ledger: Path):
    proc = run(str(ledger), "--as-of", "2026-11-21", "--by", "customer", "--lang", "en", "--calendar", "mon-fri")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "On-time delivery as of 2026-11-21 (basis promised, late tolerance 0 d)"
    assert lines[1].split() == ["Customer", "Lines", "On", "time", "Late", "Early", "Pending", "OTD", "OTIF",
                                "Avg", "days", "late"]
    assert lines[3].split() == ["ACME", "2", "1", "1", "0", "0", "50.0%", "50.0%", "3.0"]
    assert lines[4].split() == ["华为", "3", "1", "1", "0", "1", "50.0%", "0.0%", "11.0"]
    assert lines[6].split() == ["Total", "5", "2", "2", "0", "1", "50.0%", "25.0%", "7.0"]
    # "华为" is four columns wide on a terminal: the numbers line up under the header
    def columns(text: str) -> int:
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    assert columns(lines[3][:lines[3].index(" 2  ")]) == columns(lines[4][:lines[4].index(" 3  ")])
    assert columns(lines[3]) == columns(lines[4]) == columns(lines[6])
    assert lines[7] == "Not in the cohort: 1 cancelled, 0 without a due date, 1 not yet due"
    # issue 12: the headline says how many lines were measured (and what was not)
    assert lines[8] == "Measured 4 lines (on time, late or early); 1 pending."
    # PO-4 overdue; PO-5 due on the (Saturday) as-of date; PO-7 due 12-01, beyond the horizon
    assert lines[9] == ("Open lines at 2026-11-21: 1 overdue, 1 at risk (due within 3 working days, "
                        "calendar mon-fri)")
    assert lines[10] == "Rows: read 8 = valid 7 + issues 0 + blank/total 1"


def test_table_in_chinese_with_unknown_otif(ledger: Path, tmp_path: Path):
    proc = run(str(ledger), "--as-of", "2026-11-21", "--lang", "zh", "--weight", "qty")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "截至 2026-11-21 的准时交付（交期基准 promised，延误容差 0 天，按数量加权）"
    # weighted by quantity: on time 100 + 20, late 50 + 30 → 60 %; in full on time 100 → 50 %
    assert lines[3].split() == ["5", "2", "2", "0", "1", "60.0%", "50.0%", "7.0"]


def test_csv_output(ledger: Path):
    proc = run(str(ledger), "--format", "csv", "--as-of", "2026-11-21", "--by", "customer", "--lang", "en")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "customer,lines,on_time,late,early,pending,otd,otif,avg_days_late",
        "ACME,2,1,1,0,0,0.5,0.5,3.0",
        "华为,3,1,1,0,1,0.5,0.0,11.0",
        "Total,5,2,2,0,1,0.5,0.25,7.0",
    ]


def test_help_has_an_example():
    proc = run("--help")
    assert proc.returncode == 0
    assert "orderdesk otd ledger.xlsx --by customer,month" in proc.stdout
    for option in ("--by", "--basis", "--as-of", "--month", "--from", "--to", "--late-tolerance",
                   "--early-tolerance", "--weight", "--format", "--sheet", "--map", "--calendar", "--lang"):
        assert option in proc.stdout


@pytest.mark.parametrize("args,message", [
    (["--by", "region"], "Invalid value for '--by': 'region' cannot be grouped by (use any of customer, "
                         "month, part_no, owner, priority, supplier, comma-separated)"),
    (["--month", "2026-10", "--from", "2026-10-01"], "give either --month or --from/--to, not both"),
    (["--from", "2026-10-05", "--to", "2026-10-01"], "--from 2026-10-05 is after --to 2026-10-01"),
    (["--as-of", "21/11/2026"], "Invalid value for '--as-of': '21/11/2026' is not a date (expected YYYY-MM-DD)"),
])
def test_wrong_usage_exits_2(ledger: Path, args, message):
    proc = run(str(ledger), *args)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1] == f"Error: {message}"


def test_unusable_input_exits_1_with_the_reason(ledger: Path, tmp_path: Path):
    proc = run(str(ledger), "--format", "json", "--as-of", "2026-11-21", "--weight", "value")
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr == ("Error: cannot weight by value: 4 measured line(s) have no quantity or unit price "
                           "(rows 3, 4, 5, 6) — fill them in or weight by lines\n")
    bad = tmp_path / "calendar.txt"
    proc = run(str(ledger), "--as-of", "2026-11-21", "--calendar", str(bad))
    assert proc.returncode == 1
    assert proc.stderr.startswith("Error: ") and "Traceback" not in proc.stderr
