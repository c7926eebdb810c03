"""SPEC section 13, deliveries: order lines measured from a delivery export (one row per delivery)
or from a ledger with one row per delivery of the same line — on real .xlsx written here and read
back through the command line, worked by hand."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlsxwriter

D = dt.datetime
AS_OF = "2026-03-31"
LEDGER_HEADER = ["Order No", "Line", "Customer", "Part No", "Qty", "Unit Price", "Order Date", "Promised Date",
                 "Status"]
LEDGER = [
    # SO1 line 1: 40 early (03-05), the rest 60 late (03-15) -> completed 03-15, late 5 days, not in full
    ["SO1", "1", "ACME", "P1", 100, 2.0, D(2026, 2, 1), D(2026, 3, 10), "open"],
    # SO1 line 2: all 50 on 03-09 -> on time, in full
    ["SO1", "2", "ACME", "P2", 50, 1.0, D(2026, 2, 1), D(2026, 3, 10), "open"],
    # SO2 line 1: 8 + 5 against 10 (03-01, 03-02) -> completed 03-02 on time; 3 over: a warning at row 6
    ["SO2", "1", "BETA", "P1", 10, 2.0, D(2026, 2, 5), D(2026, 3, 12), "open"],
    # SO3 line 1: 5 of 20 by 03-14, due 03-15 -> not complete: late 16 days at 03-31; 15 open overdue
    ["SO3", "1", "BETA", "P3", 20, 3.0, D(2026, 2, 10), D(2026, 3, 15), "open"],
]
DELIVERY_HEADER = ["Delivery No", "Order No", "Line", "Ship Date", "Shipped Qty"]
DELIVERIES = [
    ["D1", "SO1", "1", D(2026, 3, 5), 40],      # row 2
    ["D2", "SO1", "1", D(2026, 3, 15), 60],     # row 3
    ["D3", "SO1", "2", D(2026, 3, 9), 50],      # row 4
    ["D4", "SO2", "1", D(2026, 3, 1), 8],       # row 5
    ["D5", "SO2", "1", D(2026, 3, 2), 5],       # row 6: 3 beyond the line's 10
    ["D6", "SO9", "1", D(2026, 3, 3), 7],       # row 7: no such order
    ["D7", "SO3", "1", D(2026, 3, 14), 5],      # row 8
]
OVER = ("order SO2 line 1: delivered 13 against its quantity 10 (3 more; 2 deliveries, beyond the quantity "
        "from row 6) — the line is measured by the delivery that completed it")
NO_LINE = "delivery of order SO9 line 1: no such order in the ledger — not counted"


def write_book(path: Path, sheet: str, header: list, rows: list) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(sheet)
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, header)
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row):
            if isinstance(v, dt.datetime):
                ws.write_datetime(r, c, v, date)
            elif v is not None:
                ws.write(r, c, v)
    wb.close()
    return path


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    return (write_book(tmp_path / "ledger.xlsx", "Orders", LEDGER_HEADER, LEDGER),
            write_book(tmp_path / "deliveries.xlsx", "Deliveries", DELIVERY_HEADER, DELIVERIES))


def cli(*args: object, ok: bool = True) -> subprocess.CompletedProcess:
    out = subprocess.run([sys.executable, "-m", "addin.cli", *map(str, args)], capture_output=True, text=True,
                         timeout=300)
    if ok:
        assert out.returncode == 0, out.stderr
    return out


def otd_json(*args: object) -> dict:
    return json.loads(cli("otd", *args, "--as-of", AS_OF, "--format", "json", "--no-cache").stdout)


def test_partial_early_and_late_over_delivery_and_a_delivery_without_its_line(files):
    ledger, deliveries = files
    got = otd_json(ledger, "--deliveries", deliveries)
    # on time: SO1/2, SO2/1; late: SO1/1 (5 days), SO3/1 (16 days, not complete)
    assert got["total"] == {"lines": 4, "on_time": 2, "late": 2, "early": 0, "pending": 0, "otd": 0.5,
                            "otif": 0.5, "avg_days_late": 10.5}
    assert got["deliveries"] == {
        "rows": 6, "lines": 4, "partial": 2, "incomplete": 1, "file": "deliveries.xlsx",
        "issues": [{"cell": "[deliveries.xlsx]Deliveries!E6", "field": "shipped_qty", "value": 5, "message": OVER,
                    "severity": "warning"},
                   {"cell": "[deliveries.xlsx]Deliveries!B7", "field": "order_no", "value": "SO9",
                    "message": NO_LINE}]}
    by_customer = {g["customer"]: g for g in otd_json(ledger, "--deliveries", deliveries, "--by", "customer")["groups"]}
    assert (by_customer["ACME"]["late"], by_customer["ACME"]["avg_days_late"]) == (1, 5.0)
    assert (by_customer["BETA"]["late"], by_customer["BETA"]["avg_days_late"]) == (1, 16.0)


def test_without_the_export_the_ledger_alone_has_no_ship_dates(files):
    ledger, _ = files
    got = otd_json(ledger)
    assert "deliveries" not in got
    assert got["unknown"]["otd"] == "no_ship_date_column"


def test_on_time_within_tolerance_is_not_in_full_by_the_due_date(files):
    ledger, deliveries = files
    # late tolerance 5: SO1/1 completed 03-15 = due + 5 -> on time; only 40 of 100 by the due date -> not in full
    got = otd_json(ledger, "--deliveries", deliveries, "--late-tolerance", 5)
    assert (got["total"]["on_time"], got["total"]["late"], got["total"]["otd"], got["total"]["otif"]) == (3, 1, 0.75, 0.5)


def test_deliveries_after_the_as_of_date_are_not_delivered_yet(files):
    ledger, deliveries = files
    got = json.loads(cli("otd", ledger, "--deliveries", deliveries, "--as-of", "2026-03-12", "--format", "json",
                         "--no-cache", "--by", "customer").stdout)
    acme = next(g for g in got["groups"] if g["customer"] == "ACME")
    # SO1/1: 40 of 100 by 03-12, due 03-10 -> late 2 days; SO1/2 on time; SO2/1 due 03-12 on time; SO3 not yet due
    assert (acme["on_time"], acme["late"], acme["avg_days_late"]) == (1, 1, 2.0)
    assert got["total"]["lines"] == 3 and got["excluded"]["not_yet_due"] == 1
    assert got["deliveries"]["incomplete"] == 2 and got["deliveries"]["partial"] == 1


def test_table_says_what_the_deliveries_gave(files):
    ledger, deliveries = files
    out = cli("otd", ledger, "--deliveries", deliveries, "--as-of", AS_OF, "--lang", "en", "--no-cache").stdout
    assert "Deliveries: 6 rows against 4 lines; 2 lines delivered in parts, 1 not complete; 2 issues" in out
    assert f"  [deliveries.xlsx]Deliveries!E6: {OVER}" in out
    assert f"  [deliveries.xlsx]Deliveries!B7: {NO_LINE}" in out


def test_backlog_counts_what_was_delivered_by_the_as_of_date(files):
    ledger, deliveries = files
    got = json.loads(cli("backlog", ledger, "--deliveries", deliveries, "--as-of", AS_OF, "--by", "customer",
                         "--format", "json").stdout)
    # only SO3/1 is open: 20 - 5 = 15 at 3.0, overdue (due 03-15)
    assert got["total"] == {"open_lines": 1, "open_qty": 15.0, "open_value": 45.0, "overdue_lines": 1,
                            "overdue_qty": 15.0, "overdue_value": 45.0, "unpriced_lines": 0}
    early = json.loads(cli("backlog", ledger, "--deliveries", deliveries, "--as-of", "2026-03-06", "--by", "customer",
                           "--format", "json").stdout)
    # at 03-06: SO1/1 60 open (40 of 100), SO1/2 50, SO2/1 complete (13 by 03-02), SO3/1 20; none overdue
    assert early["total"]["open_qty"] == 60 + 50 + 20 and early["total"]["overdue_qty"] == 0
    assert early["total"]["open_lines"] == 3


def test_report_lists_the_delivery_issues_and_measures_by_deliveries(files, tmp_path):
    ledger, deliveries = files
    out = tmp_path / "OTD-2026-03.xlsx"
    printed = cli("report", ledger, "--deliveries", deliveries, "--month", "2026-03", "--as-of", AS_OF, "--out", out,
                  "--lang", "en", "--no-cache").stdout
    assert "4 lines due, OTD 50.0%" in printed
    wb = openpyxl.load_workbook(out)
    issues = [r for r in wb["Data issues"].iter_rows(min_row=5, values_only=True) if r[0]]
    assert [(r[0], r[3]) for r in issues] == [("[deliveries.xlsx]Deliveries!E6", OVER),
                                               ("[deliveries.xlsx]Deliveries!B7", NO_LINE)]
    about = [r[0] for r in wb["About"].iter_rows(values_only=True)]
    assert "deliveries.xlsx" in about          # hashed beside the ledger


def test_config_names_the_deliveries(files, tmp_path):
    ledger, deliveries = files
    config = tmp_path / "orderdesk.toml"
    config.write_text(f'[ledger]\npath = "{ledger.name}"\ndeliveries = "{deliveries.name}"\n', encoding="utf-8")
    got = otd_json(ledger, "--config", config)
    assert got["total"]["otd"] == 0.5 and got["deliveries"]["rows"] == 6
    bad = tmp_path / "bad.toml"
    bad.write_text('[ledger]\npath = "x.xlsx"\ndeliveries = "nowhere.xlsx"\n', encoding="utf-8")
    out = cli("otd", ledger, "--config", bad, "--as-of", AS_OF, ok=False)
    assert out.returncode == 1
    assert "bad.toml: [ledger] deliveries 'nowhere.xlsx': no such file" in out.stderr


# --------------------------------------------------------------------------- one row per delivery

PER_DELIVERY_HEADER = ["订单号", "行号", "客户", "料号", "订单数量", "承诺交期", "实际出货日期", "出货数量", "状态"]
PER_DELIVERY = [
    ["SO1", "1", "ACME", "P1", 100, D(2026, 3, 10), D(2026, 3, 5), 40, "生产中"],    # row 2
    ["SO1", "1", "ACME", "P1", 100, D(2026, 3, 10), D(2026, 3, 15), 60, "已出货"],   # row 3: completes, 5 late
    ["SO1", "2", "ACME", "P2", 50, D(2026, 3, 10), D(2026, 3, 9), 50, "已出货"],     # row 4: on time
    ["SO2", "1", "BETA", "P1", 10, D(2026, 3, 12), D(2026, 3, 1), 8, "生产中"],      # row 5
    ["SO2", "1", "BETA", "P1", 10, D(2026, 3, 12), D(2026, 3, 2), 5, "已出货"],      # row 6: 3 over
    # schedule lines of one order line (different quantities and due dates): two lines, each on time
    ["SO4", "1", "BETA", "P4", 30, D(2026, 3, 5), D(2026, 3, 5), 30, "已出货"],
    ["SO4", "1", "BETA", "P4", 70, D(2026, 3, 20), D(2026, 3, 19), 70, "已出货"],
    # closed short: 15 of 20 in two deliveries, the last on 03-14, due 03-15 -> on time, not in full
    ["SO5", "1", "BETA", "P5", 20, D(2026, 3, 15), D(2026, 3, 10), 10, "生产中"],
    ["SO5", "1", "BETA", "P5", 20, D(2026, 3, 15), D(2026, 3, 14), 5, "已结案"],
]


def test_a_ledger_with_one_row_per_delivery_is_measured_per_line(tmp_path):
    ledger = write_book(tmp_path / "per-delivery.xlsx", "订单", PER_DELIVERY_HEADER, PER_DELIVERY)
    got = otd_json(ledger)
    # lines: SO1/1 late 5; SO1/2, SO2/1, SO4 x2 on time in full; SO5/1 on time, closed short
    assert got["total"] == {"lines": 6, "on_time": 5, "late": 1, "early": 0, "pending": 0, "otd": 0.8333,
                            "otif": 0.6667, "avg_days_late": 5.0}
    assert got["rows"] == {"read": 9, "valid": 9, "issues": 0, "blank_or_total": 0}
    assert got["deliveries"] == {
        "rows": 9, "lines": 6, "partial": 3, "incomplete": 0,
        "issues": [{"cell": "订单!H6", "field": "shipped_qty", "value": 5, "message": OVER, "severity": "warning"}]}
    orders = json.loads(cli("otd", ledger, "--as-of", AS_OF, "--format", "json", "--level", "order",
                            "--no-cache").stdout)
    # SO1 late; SO2, SO4 on time in full; SO5 on time, not in full
    assert (orders["total"]["lines"], orders["total"]["on_time"], orders["total"]["otif"]) == (4, 3, 0.5)


def test_rows_of_a_ledger_without_shipped_quantities_are_never_folded():
    from addin.compute.deliveries import fold_repeated
    frame = pd.DataFrame({"order_no": ["A", "A"], "line_no": ["1", "1"], "qty": [5.0, 5.0],
                          "ship_date": pd.to_datetime(["2026-03-01", "2026-03-02"]), "source_row": [2, 3]})
    assert fold_repeated(frame) is None
    frame["shipped_qty"] = [5.0, None]          # one row without a shipped quantity: a line pasted twice
    assert fold_repeated(frame) is None


def test_ambiguous_and_lineless_deliveries():
    from addin.compute.deliveries import join_deliveries
    ledger = pd.DataFrame({"order_no": ["A", "A", "B"], "line_no": [None, None, None], "part_no": ["X", "Y", "Z"],
                           "qty": [5.0, 5.0, 2.0], "source_row": [2, 3, 4]})
    deliveries = pd.DataFrame({"order_no": ["A", "A", "b "], "line_no": [None, None, None],
                               "part_no": ["Y", None, None], "ship_date": pd.to_datetime(["2026-03-01"] * 3),
                               "shipped_qty": [5.0, 1.0, 2.0], "source_row": [2, 3, 4]})
    joined = join_deliveries(ledger, deliveries, where=lambda row, field: f"S!{field}{row}")
    # the part tells A's lines apart; order B has one line (matched trimmed, case-folded)
    assert joined.ledger["delivery_qtys"].tolist() == [None, (5.0,), (2.0,)]
    assert [(i.cell, i.message) for i in joined.issues] == [
        ("S!order_no3", "delivery of order A: matches 2 ledger lines — give the line number (or the part number) "
                        "of the line delivered — not counted")]


def test_receipt_headers_take_the_order_number_and_line_not_the_receipts(tmp_path):
    """A Digiwin goods receipt (進貨單, zht-shp-digiwin-purth-receipts): 單號/序號 are the receipt's,
    採購單號/採購序號 the purchase order's; 驗收數量 is the quantity accepted."""
    from addin.readers import read
    path = write_book(tmp_path / "receipts.xlsx", "PURTH", ["單別", "單號", "序號", "品號", "進貨數量", "採購單號",
                                                             "採購序號", "驗收日期", "驗收數量"],
                      [["3401", "R0001", "1", "P1", 40, "PO-7", "2", D(2026, 3, 5), 38]])
    result = read(path, "deliveries")
    assert result.columns == {"order_no": "採購單號", "line_no": "採購序號", "ship_date": "驗收日期",
                              "shipped_qty": "驗收數量", "part_no": "品號"}
    row = result.data.iloc[0]
    assert (row["order_no"], row["line_no"], row["shipped_qty"]) == ("PO-7", "2", 38.0)


def test_classify_unchanged_without_deliveries():
    from addin.compute.otd import classify
    ledger = pd.DataFrame({"order_no": ["A"], "qty": [10.0], "shipped_qty": [4.0],
                           "promised_date": pd.to_datetime(["2026-03-10"]), "ship_date": pd.to_datetime(["2026-03-09"])})
    out = classify(ledger, dt.date(2026, 3, 31))
    # a ledger's own ship date stands, short or not (SPEC 3): on time, not in full
    assert (out["outcome"].iat[0], bool(out["in_full"].iat[0])) == ("on_time", False)
    assert "delivery_dates" not in out.columns


def test_real_ledgers_are_not_taken_for_ledgers_per_delivery(real_data: Path, tmp_path: Path):
    """SCMS and Olist keep their figures (tests/test_otd_real.py): no line of theirs is folded."""
    from addin.compute.deliveries import fold_repeated
    from addin.readers import read
    from test_otd_real import SCMS_MAP, _olist_copy
    mapping = tmp_path / "scms.toml"
    mapping.write_text(SCMS_MAP, encoding="utf-8")
    scms = read(real_data / "SCMS_Delivery_History_Dataset.csv", kind="ledger", mapping=mapping)
    assert fold_repeated(scms.data) is None
    for name in ("olist_orders_dataset_1k_original_format.csv", "olist_orders_dataset_10k_excelreformatted.csv"):
        ledger, olist_map = _olist_copy(real_data, tmp_path, name)
        assert fold_repeated(read(ledger, kind="ledger", mapping=olist_map).data) is None


def test_a_shipment_log_per_pullout_is_folded_into_its_orders(tmp_path):
    """A garment factory's pullout log (en-shp-sci-pullout-cost): one row per shipment of an SP#,
    the buyer's date and the order quantity repeated, the pullout date and quantity per row."""
    ledger = write_book(tmp_path / "pullout.xlsx", "Pullout",
                        ["Factory Code", "Brand", "SP#", "Buyer Delivery", "Order Qty", "Pullout ID", "Pullout Date",
                         "Shipped Qty", "CTN Qty"],
                        [["F1", "NIKE", "SP001", D(2026, 3, 10), 1000, "P1", D(2026, 3, 8), 600, 20],
                         ["F1", "NIKE", "SP001", D(2026, 3, 10), 1000, "P2", D(2026, 3, 12), 400, 14],
                         ["F1", "ADIDAS", "SP002", D(2026, 3, 20), 500, "P3", D(2026, 3, 18), 500, 10]])
    mapping = tmp_path / "pullout.toml"
    mapping.write_text('[columns]\norder_no = "SP#"\npart_no = "SP#"\ncustomer = "Brand"\n', encoding="utf-8")
    got = otd_json(ledger, "--map", mapping)
    # SP001: 600 before the buyer's date, the other 400 two days after -> late 2; SP002 on time in full
    assert (got["total"]["lines"], got["total"]["late"], got["total"]["avg_days_late"], got["total"]["otif"]) == \
        (2, 1, 2.0, 0.5)
    assert got["deliveries"] == {"rows": 3, "lines": 2, "partial": 1, "incomplete": 0, "issues": []}


def test_check_reads_a_delivery_export(files):
    _, deliveries = files
    out = cli("check", deliveries, "--kind", "deliveries").stdout
    assert "kind deliveries" in out and "shipped_qty            <- Shipped Qty  (1.00)" in out


def test_early_rules_apply_to_the_completion_date():
    """SPEC 13: 'early rules as section 3' — with an early tolerance of 2 days a line completed 5 days
    before its due date is early; one whose first part came early but was completed within the
    window is on time."""
    from addin.compute.deliveries import join_deliveries
    from addin.compute.otd import OtdSettings, classify
    ledger = pd.DataFrame({"order_no": ["A", "B"], "line_no": ["1", "1"], "qty": [10.0, 10.0],
                           "promised_date": pd.to_datetime(["2026-03-10", "2026-03-10"])})
    deliveries = pd.DataFrame({"order_no": ["A", "B", "B"], "line_no": ["1", "1", "1"],
                               "ship_date": pd.to_datetime(["2026-03-05", "2026-03-01", "2026-03-09"]),
                               "shipped_qty": [10.0, 6.0, 4.0], "source_row": [2, 3, 4]})
    joined = join_deliveries(ledger, deliveries)
    out = classify(joined.ledger, dt.date(2026, 3, 31), OtdSettings(early_tolerance=2))
    assert out["outcome"].tolist() == ["early", "on_time"]
    assert out["in_full"].tolist() == [True, True]


def test_the_monthly_job_takes_the_deliveries_of_its_config(files, tmp_path):
    """`orderdesk monthly --config` reads [ledger] deliveries as report --config does (dry run: the
    workbook is built, nothing sent)."""
    from test_mail_support import write_config
    ledger, deliveries = files
    config = write_config(tmp_path, 2525, ledger=ledger)
    text = config.read_text(encoding="utf-8").replace("[ledger]\n", f'[ledger]\ndeliveries = "{deliveries.name}"\n', 1)
    config.write_text(text, encoding="utf-8")
    run = cli("monthly", "--config", config, "--as-of", "2026-04-01", "--dry-run")
    assert run.stdout.startswith("Dry run for 2026-03: nothing was sent.\n")
    wb = openpyxl.load_workbook(tmp_path / "reports" / "OTD-2026-03.xlsx")
    issues = [r[0] for r in wb["Data issues"].iter_rows(min_row=5, values_only=True) if r[0]]
    assert issues == ["[deliveries.xlsx]Deliveries!E6", "[deliveries.xlsx]Deliveries!B7"]


def test_the_buttons_tables_measure_a_ledger_per_delivery_per_line(tmp_path):
    """The Refresh OTD pivot button's table (jobs.otd.otd_table) folds the sheet's delivery rows as
    the command line does."""
    from addin.config import Settings
    from addin.jobs.otd import otd_table
    from addin.readers import read
    result = read(write_book(tmp_path / "per-delivery.xlsx", "订单", PER_DELIVERY_HEADER, PER_DELIVERY), "ledger")
    table = otd_table(result, ["customer"], Settings(), dt.date(2026, 3, 31))
    total = table.loc[table["customer"] == "Total"].iloc[0]
    assert (total["lines"], total["on_time"], total["late"]) == (6, 5, 1)


def _risk_column(path: Path) -> list:
    ws = openpyxl.load_workbook(path).active
    header = [c.value for c in ws[1]]
    col = header.index("Risk")
    return [row[col] for row in ws.iter_rows(min_row=2, values_only=True)]


def test_risk_copy_measures_lines_from_their_deliveries(files, tmp_path: Path):
    ledger, deliveries = files
    out = tmp_path / "risk.xlsx"
    cli("risk", ledger, "--out", out, "--as-of", AS_OF, "--no-cache")
    assert _risk_column(out) == ["overdue"] * 4                      # no ship dates in the ledger itself
    done = cli("risk", ledger, "--out", out, "--as-of", AS_OF, "--no-cache", "--deliveries", deliveries)
    assert done.stdout.splitlines()[0] == f"Wrote {out}: 4 lines, 1 overdue, 0 at risk"
    # SO1/1, SO1/2, SO2/1 completed by their deliveries; SO3/1 has 5 of 20: still open and overdue
    assert _risk_column(out) == ["done", "done", "done", "overdue"]
    # on 03-12 SO1/1 had 40 of 100 (due 03-10): not done yet
    cli("risk", ledger, "--out", out, "--as-of", "2026-03-12", "--no-cache", "--deliveries", deliveries)
    assert _risk_column(out)[:3] == ["overdue", "done", "done"]
    assert openpyxl.load_workbook(ledger).active.max_column == len(LEDGER_HEADER)   # the ledger untouched
