"""Supplier OTD (SPEC section 10): a purchase ledger measured as order lines — `orderdesk otd
--by supplier`, per-supplier tolerances, and the monthly workbook's Suppliers sheet read back.
Every expected figure is worked out by hand from the lines below (comments), or, for SCMS,
recomputed from the raw CSV with the csv module."""
from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter


ROOT = Path(__file__).resolve().parent.parent
D = dt.datetime
AS_OF = "2026-10-31"
HEADER = ["采购单号", "行号", "供应商", "料号", "数量", "下单日期", "要求到货日期", "承诺到货日期", "实际到货日期",
          "实收数量", "采购员"]
PURCHASES = [
    # Acme Semi, due (promised) 10-20, received 10-20 in full: on time; quoted 19 d, actual 19 d
    ["PO-1", "1", "Acme Semi", "IC-7", 100, D(2026, 10, 1), D(2026, 10, 15), D(2026, 10, 20), D(2026, 10, 20), 100, "李"],
    # Acme Semi, no promise: due 10-15 (requested), received 10-18, 40 of 50: 3 days late, not in
    # full; quoted 14 d, actual 17 d
    ["PO-1", "2", "Acme Semi", "IC-8", 50, D(2026, 10, 1), D(2026, 10, 15), None, D(2026, 10, 18), 40, "李"],
    # Bolt Co, due 10-25, nothing received at 10-31: late 6 days, open overdue
    ["PO-2", "1", "Bolt Co", "SCR-1", 1000, D(2026, 10, 5), D(2026, 10, 25), D(2026, 10, 25), None, None, "王"],
    # Bolt Co, due in September (09-10), received 09-09: on time in the 12 months, not in October;
    # quoted 9 d (09-01 -> 09-10), actual 8 d
    ["PO-3", "1", "Bolt Co", "SCR-2", 10, D(2026, 9, 1), D(2026, 9, 10), None, D(2026, 9, 9), 10, "王"],
    # Cable Ltd, due 11-20: not yet due, outside every cohort
    ["PO-4", "1", "Cable Ltd", "CB-1", 5, D(2026, 10, 20), D(2026, 11, 20), None, None, None, "王"],
]


def write_book(path: Path, header: list[str], rows: list[list], sheet: str = "采购跟踪") -> Path:
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


def orderdesk(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "addin.cli", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=300)


@pytest.fixture
def po_ledger(tmp_path: Path) -> Path:
    return write_book(tmp_path / "采购台账.xlsx", HEADER, PURCHASES)


def test_otd_by_supplier_hand_worked(po_ledger: Path):
    run = orderdesk("otd", str(po_ledger), "--by", "supplier", "--as-of", AS_OF, "--format", "json")
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout)
    groups = {g["supplier"]: g for g in got["groups"]}
    assert list(groups) == ["Acme Semi", "Bolt Co"]     # Cable Ltd has no line due yet
    assert groups["Acme Semi"] == {"supplier": "Acme Semi", "lines": 2, "on_time": 1, "late": 1, "early": 0,
                                   "pending": 0, "otd": 0.5, "otif": 0.5, "avg_days_late": 3.0}
    # PO-3 on time and in full, PO-2 6 days late
    assert groups["Bolt Co"] == {"supplier": "Bolt Co", "lines": 2, "on_time": 1, "late": 1, "early": 0,
                                 "pending": 0, "otd": 0.5, "otif": 0.5, "avg_days_late": 6.0}
    assert got["total"]["lines"] == 4 and got["total"]["otd"] == 0.5 and got["total"]["avg_days_late"] == 4.5
    assert got["excluded"] == {"cancelled": 0, "no_due_date": 0, "not_yet_due": 1}


def test_supplier_with_month_and_part(po_ledger: Path):
    run = orderdesk("otd", str(po_ledger), "--by", "supplier,month,part_no", "--as-of", AS_OF, "--format", "json")
    assert run.returncode == 0, run.stderr
    keys = [(g["supplier"], g["month"], g["part_no"], g["on_time"], g["late"]) for g in json.loads(run.stdout)["groups"]]
    assert keys == [("Acme Semi", "2026-10", "IC-7", 1, 0), ("Acme Semi", "2026-10", "IC-8", 0, 1),
                    ("Bolt Co", "2026-09", "SCR-2", 1, 0), ("Bolt Co", "2026-10", "SCR-1", 0, 1)]


def test_supplier_table_in_chinese(po_ledger: Path):
    run = orderdesk("otd", str(po_ledger), "--by", "supplier", "--as-of", AS_OF, "--lang", "zh")
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[1].split()[0] == "供应商"
    assert lines[3].split()[:4] == ["Acme", "Semi", "2", "1"]


def test_supplier_tolerance_from_the_config(po_ledger: Path, tmp_path: Path):
    # Bolt Co may deliver 7 days late: PO-2 (6 days past due, still open) is pending, not late;
    # Acme Semi keeps the global 0 days; a customer table of the same name does not apply
    config = tmp_path / "orderdesk.toml"
    config.write_text('[otd]\nlate_tolerance = 0\n[otd.suppliers."bolt co"]\nlate_tolerance = 7\n'
                      '[otd.customers."Acme Semi"]\nlate_tolerance = 5\n', encoding="utf-8")
    run = orderdesk("otd", str(po_ledger), "--by", "supplier", "--as-of", AS_OF, "--format", "json",
                    "--config", str(config))
    assert run.returncode == 0, run.stderr
    groups = {g["supplier"]: g for g in json.loads(run.stdout)["groups"]}
    assert (groups["Bolt Co"]["on_time"], groups["Bolt Co"]["late"], groups["Bolt Co"]["pending"]) == (1, 0, 1)
    assert (groups["Acme Semi"]["on_time"], groups["Acme Semi"]["late"]) == (1, 1)


def test_supplier_tolerance_table_is_checked(po_ledger: Path, tmp_path: Path):
    config = tmp_path / "orderdesk.toml"
    config.write_text('[otd.suppliers."Bolt Co"]\nlate_days = 7\n', encoding="utf-8")
    run = orderdesk("otd", str(po_ledger), "--as-of", AS_OF, "--config", str(config))
    assert run.returncode == 1
    assert "otd.suppliers.\"Bolt Co\"" in run.stderr and "late_days" in run.stderr


def sales_ledger(path: Path) -> Path:
    header = ["订单号", "客户", "料号", "订单数量", "客户交期", "实际出货日期"]
    rows = [["SO-1", "ACME", "A-1", 10, D(2026, 10, 5), D(2026, 10, 5)],
            ["SO-2", "ACME", "A-2", 10, D(2026, 10, 6), D(2026, 10, 9)]]
    return write_book(path, header, rows, sheet="订单跟踪")


def read_suppliers_sheet(path: Path, name: str) -> list[tuple]:
    wb = openpyxl.load_workbook(path)
    assert name in wb.sheetnames, wb.sheetnames
    rows = list(wb[name].iter_rows(values_only=True))
    return rows


def test_report_suppliers_sheet_read_back(po_ledger: Path, tmp_path: Path):
    ledger = sales_ledger(tmp_path / "ledger.xlsx")
    out = tmp_path / "OTD-2026-10.xlsx"
    run = orderdesk("report", str(ledger), "--month", "2026-10", "--as-of", AS_OF, "--lang", "en",
                    "--purchases", str(po_ledger), "--out", str(out))
    assert run.returncode == 0, run.stderr
    wb = openpyxl.load_workbook(out)
    names = wb.sheetnames
    assert names.index("Suppliers") == names.index("Exception log") + 1
    rows = list(wb["Suppliers"].iter_rows(values_only=True))
    assert rows[0][0] == "Supplier scorecard, 2026-10"
    assert rows[3] == ("Supplier", "Lines (month)", "On time", "Late", "OTD", "OTIF", "Avg days late",
                       "Lines (12 months)", "OTD (12 months)", "Open overdue lines", "Quoted lead time (days)",
                       "Actual lead time (days)", "Lead time gap (actual − quoted)")
    # October: Acme 2 lines (1 on time), Bolt 1 line (late 6 d, open); 12 months add PO-3
    # Acme lead times: quoted (19 + 14) / 2 = 16.5, actual (19 + 17) / 2 = 18, gap 1.5
    # Bolt: only PO-3 received: quoted 9, actual 8, gap -1
    assert rows[4] == ("Acme Semi", 2, 1, 1, 0.5, 0.5, 3, 2, 0.5, 0, 16.5, 18, 1.5)
    assert rows[5] == ("Bolt Co", 1, 0, 1, 0, 0, 6, 2, 0.5, 1, 9, 8, -1)
    # Cable Ltd: nothing due yet, nothing overdue, nothing received
    assert rows[6] == ("Cable Ltd", 0, 0, 0, None, None, None, 0, None, 0, None, None, None)
    total = rows[7]
    assert total[:4] == ("Total", 3, 1, 2) and total[4] == pytest.approx(1 / 3)
    assert total[7:10] == (4, 0.5, 1)
    assert total[10:] == (pytest.approx((19 + 14 + 9) / 3), pytest.approx((19 + 17 + 8) / 3),
                          pytest.approx((19 + 17 + 8) / 3 - (19 + 14 + 9) / 3))
    # the ledger's own sheets are unchanged by the purchases: 2 lines, 1 on time
    assert wb["Summary"]["B14"].value is not None


def test_report_suppliers_sheet_in_chinese_from_the_config(po_ledger: Path, tmp_path: Path):
    ledger = sales_ledger(tmp_path / "ledger.xlsx")
    config = tmp_path / "orderdesk.toml"
    config.write_text(f'[purchases]\npath = "{po_ledger.name}"\n[report]\nlang = "zh"\n', encoding="utf-8")
    out = tmp_path / "月报.xlsx"
    run = orderdesk("report", str(ledger), "--month", "2026-10", "--as-of", AS_OF, "--config", str(config),
                    "--out", str(out))
    assert run.returncode == 0, run.stderr
    rows = read_suppliers_sheet(out, "供应商")
    assert rows[0][0] == "供应商准时交货评分 2026年10月"
    assert rows[3][:5] == ("供应商", "本月行数", "准时", "延误", "准时交货率")
    assert rows[7][0] == "合计"
    about = [r for r in openpyxl.load_workbook(out)["说明"].iter_rows(values_only=True) if r[0] == po_ledger.name]
    assert about, "the purchase ledger is listed with its hash on the About sheet"


def test_report_without_purchases_has_no_suppliers_sheet(tmp_path: Path):
    ledger = sales_ledger(tmp_path / "ledger.xlsx")
    out = tmp_path / "r.xlsx"
    run = orderdesk("report", str(ledger), "--month", "2026-10", "--as-of", AS_OF, "--lang", "en", "--out", str(out))
    assert run.returncode == 0, run.stderr
    assert "Suppliers" not in openpyxl.load_workbook(out).sheetnames


def test_a_sales_ledger_given_as_purchases_is_refused(tmp_path: Path):
    ledger = sales_ledger(tmp_path / "ledger.xlsx")
    other = sales_ledger(tmp_path / "not-purchases.xlsx")
    out = tmp_path / "r.xlsx"
    run = orderdesk("report", str(ledger), "--month", "2026-10", "--as-of", AS_OF, "--lang", "en",
                    "--purchases", str(other), "--out", str(out))
    assert run.returncode == 1
    assert run.stderr.strip() == ("Error: not-purchases.xlsx: no supplier column found — a purchase ledger needs "
                                  "the supplier of each line (a header such as 供应商 or Supplier, or a --map "
                                  "file naming it)")
    assert not out.exists()


def test_missing_purchases_path_in_the_config(tmp_path: Path):
    ledger = sales_ledger(tmp_path / "ledger.xlsx")
    config = tmp_path / "orderdesk.toml"
    config.write_text('[purchases]\npath = "gone.xlsx"\n', encoding="utf-8")
    run = orderdesk("report", str(ledger), "--month", "2026-10", "--as-of", AS_OF, "--config", str(config),
                    "--out", str(tmp_path / "r.xlsx"))
    assert run.returncode == 1
    assert "orderdesk.toml: [purchases] path 'gone.xlsx': no such file" in run.stderr


@pytest.mark.realdata
def test_scms_vendors_as_suppliers(real_data: Path):
    """SCMS is a buyer's ledger: its vendors are the suppliers. Each vendor's on-time count is
    recomputed from the raw CSV (delivered on or before the scheduled date)."""
    path = real_data / "SCMS_Delivery_History_Dataset.csv"
    expected: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            due = dt.datetime.strptime(row["Scheduled Delivery Date"], "%d-%b-%y")
            done = dt.datetime.strptime(row["Delivered to Client Date"], "%d-%b-%y")
            expected[row["Vendor"]][0 if done <= due else 1] += 1
    run = orderdesk("otd", str(path), "--by", "supplier", "--as-of", "2016-01-01", "--format", "json")
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout)
    assert {g["supplier"]: [g["on_time"], g["late"]] for g in got["groups"]} == dict(expected)
    assert got["total"]["late"] == 1186 and got["total"]["otd"] == 0.8851   # the published figure
