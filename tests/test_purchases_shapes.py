"""The two shapes of a purchase sheet (SPEC sections 2 and 10). A planner keeps ONE purchase sheet,
usually the purchase ledger the supplier scorecard reads (ordered quantity, promised date, receipt
date, received quantity). Read as open purchase lines it used to give each line its RECEIPT date as
due date and its ordered quantity as supply: a PO received in full came in again on top of the
stock it had become, and an open line (no receipt yet) had no due date. Now such a sheet is read as
the ledger and its open lines derived (ordered − received, due the promised date, else the
requested date); a plain open-PO list reads as it did.

Hand-worked case (as of 2026-03-02, Mon–Fri, no inspection or transport days): product P = 1 C1;
C1 has no stock, 20 working days purchase lead time (a new order would arrive 2026-03-30).
Customer lines SO-1 100 P due 03-10 and SO-2 50 P due 03-20. Purchase ledger of C1:
PO-1 300 received in full 02-19 (no longer supply: it is the stock, used up); PO-2 200 promised
03-05, 120 received (80 still to come by 03-05); PO-3 100 promised 03-18, nothing received.
SO-1 takes PO-2's 80 by 03-10 and 20 of PO-3, which arrives 03-18 (before a new order would):
C1 is 20 short on 03-10, expedite PO-3, nothing to buy; SO-2 takes 50 more of PO-3 by 03-20.
Read the old way (due = receipt date, qty = ordered) 500 pieces were in by 02-27: no shortage."""
from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from test_excel_actions import write_book

D = dt.datetime
ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "workbook_templates" / "OrderLedger.xlsm"

LEDGER_HEADER = ["采购单号", "行号", "供应商", "料号", "采购数量", "承诺交期", "到货日期", "实收数量"]
LEDGER_ROWS = [["PO-1", "1", "Kingtech", "C1", 300, D(2026, 2, 20), D(2026, 2, 19), 300],
               ["PO-2", "1", "Kingtech", "C1", 200, D(2026, 3, 5), D(2026, 2, 27), 120],
               ["PO-3", "1", "Kingtech", "C1", 100, D(2026, 3, 18), None, None]]
# the same purchases as the open-PO list a planner would type from that ledger
OPEN_HEADER = ["采购单号", "供应商", "料号", "未交数量", "预计到货日期"]
OPEN_ROWS = [["PO-2", "Kingtech", "C1", 80, D(2026, 3, 5)], ["PO-3", "Kingtech", "C1", 100, D(2026, 3, 18)]]


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "addin.cli", *args], capture_output=True, text=True, timeout=180)


@pytest.fixture
def books(tmp_path) -> dict[str, Path]:
    return {
        "ledger": write_book(tmp_path / "ledger.xlsx", {"订单": [
            ["订单号", "行号", "客户", "料号", "订单数量", "承诺交期", "状态"],
            ["SO-1", "1", "ACME", "P", 100, D(2026, 3, 10), "待排产"],
            ["SO-2", "1", "Globex", "P", 50, D(2026, 3, 20), "待排产"]]}),
        "bom": write_book(tmp_path / "bom.xlsx", {"BOM": [["父件", "子件", "用量"], ["P", "C1", 1]]}),
        "stock": write_book(tmp_path / "stock.xlsx", {"库存": [["料号", "库存数量", "采购周期", "检验天数"],
                                                            ["C1", 0, 20, 0]]}),
        "po_ledger": write_book(tmp_path / "po_ledger.xlsx", {"采购": [LEDGER_HEADER, *LEDGER_ROWS]}),
        "open_po": write_book(tmp_path / "open_po.xlsx", {"在途": [OPEN_HEADER, *OPEN_ROWS]}),
        "po": write_book(tmp_path / "po.xlsx", {"PO": [
            ["PO号", "行号", "客户", "料号", "数量", "单价", "币种", "下单日期", "要求交期"],
            ["SO-9", "1", "ACME", "P", 100, 2.0, "CNY", D(2026, 3, 2), D(2026, 3, 10)]]}),
        "quotes": write_book(tmp_path / "quotes.xlsx", {"Quotes": [
            ["Quote No", "Customer", "Part No", "Break Qty", "Unit Price", "Currency", "Lead Time", "MOQ",
             "Valid From", "Valid Until"],
            ["Q-1", "ACME", "P", 1, 2.0, "CNY", 5, 1, D(2026, 1, 1), D(2026, 12, 31)]]}),
        "dir": tmp_path}


def plan_json(books, purchases: str) -> dict:
    out = cli("plan", str(books["ledger"]), "--bom", str(books["bom"]), "--stock", str(books["stock"]),
              "--purchases", str(books[purchases]), "--as-of", "2026-03-02", "--calendar", "mon-fri",
              "--inspection-days", "0", "--transport-days", "0", "--format", "json",
              "--out", str(books["dir"] / f"plan-{purchases}.xlsx"))
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.parametrize("purchases", ["po_ledger", "open_po"])
def test_plan_nets_the_open_lines_of_either_shape(books, purchases):
    got = plan_json(books, purchases)
    # PO-1 (received in full) is no supply; PO-2 supplies its 80 not received by 03-05; PO-3 its 100 by 03-18
    assert got["shortages"] == [
        {"part_no": "C1", "need_date": "2026-03-10", "short_qty": 20, "buy_qty": 0, "order_by": None,
         "alternates_used": [], "expedite": [{"po_no": "PO-3", "supplier": "Kingtech", "due_date": "2026-03-18"}]}]
    assert got["blocked"] == [
        {"order_no": "SO-1", "line_no": "1", "customer": "ACME", "part_no": "P", "due_date": "2026-03-10",
         "promise_date": "2026-03-18",
         "blocked_by": [{"part_no": "C1", "po_no": "PO-3", "supplier": "Kingtech", "action": "expedite",
                         "date": "2026-03-18", "qty": 20}]}]
    # 03-18 is 8 days after SO-1's 03-10
    assert got["late_purchases"] == [{"po_no": "PO-3", "supplier": "Kingtech", "part_no": "C1",
                                      "due_date": "2026-03-18", "status": "at_risk", "days_late": 8,
                                      "blocks": [{"order_no": "SO-1", "line_no": "1"}]}]


def test_review_material_check_of_either_shape(books):
    seen = []
    for purchases in ("po_ledger", "open_po"):
        out = cli("review", str(books["po"]), "--quotes", str(books["quotes"]), "--bom", str(books["bom"]),
                  "--stock", str(books["stock"]), "--purchases", str(books[purchases]), "--as-of", "2026-03-02",
                  "--calendar", "mon-fri", "--format", "json", "--out", str(books["dir"] / f"rev-{purchases}.xlsx"))
        assert out.returncode == 0, out.stderr
        line = json.loads(out.stdout)["lines"][0]
        seen.append(line)
        # SO-9 100 P needed by 03-09 (one transport day before 03-10): PO-2's 80 (03-05) and 20 of PO-3
        # (03-18); the 300 received on PO-1 are not counted again (they would have made it a pass)
        assert line["checks"]["material"] == {"result": "fail", "reason": "short by 2026-03-09: C1 ready 2026-03-18"}
        assert line["promise_date"] == "2026-03-19"
    assert seen[0] == seen[1]


def test_check_purchases_of_a_purchase_ledger(books):
    out = cli("check", str(books["po_ledger"]), "--kind", "purchases")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "po_ledger.xlsx  sheet '采购'  kind purchases  header row 1"
    fields = [ln.split("<-")[0].strip() + " <- " + ln.split("<-")[1].split("(")[0].strip()
              for ln in lines[1:] if "<-" in ln]
    assert fields == ["po_no <- 采购单号", "line_no <- 行号", "supplier <- 供应商", "part_no <- 料号",
                      "qty <- 采购数量", "promised_date <- 承诺交期", "ship_date <- 到货日期", "shipped_qty <- 实收数量"]
    assert "rows: read 3 = valid 3 + issues 0 + blank/total 0" in lines
    assert ("note: read as a purchase ledger (receipt columns 到货日期, 实收数量): open quantity = 采购数量 − 实收数量, "
            "due 承诺交期 (never the receipt date); 2 open lines, 1 received in full left out") in lines
    data = json.loads(cli("check", str(books["po_ledger"]), "--kind", "purchases", "--format", "json").stdout)
    assert data["kind"] == "purchases" and data["columns"]["qty"] == "采购数量"
    assert "due_date" not in data["columns"].values() and data["rows"]["valid"] == 3
    from addin.jobs.inputs import read_file
    got = read_file(books["po_ledger"], "purchases").data
    assert got[["po_no", "supplier", "part_no", "qty", "due_date", "source_row"]].values.tolist() == [
        ["PO-2", "Kingtech", "C1", 80, D(2026, 3, 5), 3], ["PO-3", "Kingtech", "C1", 100, D(2026, 3, 18), 4]]


def test_check_purchases_of_an_open_po_list_reads_as_before(books):
    out = cli("check", str(books["open_po"]), "--kind", "purchases")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "open_po.xlsx  sheet '在途'  kind purchases  header row 1",
        "  po_no                  <- 采购单号  (1.00)", "  supplier               <- 供应商  (1.00)",
        "  part_no                <- 料号  (1.00)", "  qty                    <- 未交数量  (1.00)",
        "  due_date               <- 预计到货日期  (1.00)",
        "rows: read 2 = valid 2 + issues 0 + blank/total 0"]
    # a lone date column is an open-PO list's expected arrival, not a receipt date
    lone = write_book(books["dir"] / "lone.xlsx", {"P": [["采购单号", "料号", "数量", "到货日期"],
                                                        ["PO-1", "C1", 40, D(2026, 3, 9)]]})
    from addin.jobs.inputs import read_file
    got = read_file(lone, "purchases")
    assert got.data[["po_no", "qty", "due_date"]].values.tolist() == [["PO-1", 40, D(2026, 3, 9)]]
    assert got.notes == []


def test_ledger_without_the_open_po_columns_closed_lines_and_undated_open_lines(books):
    """English scorecard headers (no due-date column an open-PO list has): read as the ledger.
    Requested date stands in for a missing promise; a cancelled line and a line received in full
    are left out and counted; an open line with neither date is an issue naming its cell."""
    path = write_book(books["dir"] / "scorecard.xlsx", {"Purchases": [
        ["PO No", "Line", "Supplier", "Part No", "Qty", "Requested Date", "Promised Date", "Receipt Date",
         "Received Qty", "Status"],
        ["PO-1", "1", "Acme", "IC-7", 500, D(2026, 11, 8), D(2026, 11, 10), D(2026, 11, 9), 500, None],
        ["PO-2", "1", "Acme", "IC-7", 400, D(2026, 11, 28), None, D(2026, 11, 25), 150, None],
        ["PO-3", "1", "Beta", "CAP-1", 1000, None, None, None, None, None],
        ["PO-4", "1", "Beta", "CAP-1", 300, D(2026, 12, 5), None, None, None, "cancelled"],
        ["PO-5", "2", "Beta", "CAP-1", 700, D(2026, 12, 1), D(2026, 12, 3), None, 900, None]]})
    before = cli("check", str(path), "--kind", "purchases")
    assert before.returncode == 0, before.stderr
    lines = before.stdout.splitlines()
    assert "rows: read 5 = valid 4 + issues 1 + blank/total 0" in lines
    assert ("note: read as a purchase ledger (receipt columns Receipt Date, Received Qty): open quantity = Qty − "
            "Received Qty, due Promised Date else Requested Date (never the receipt date); 1 open line, "
            "2 received in full left out, 1 closed or cancelled left out") in lines
    assert ("error: Purchases!G4: due_date: open (1000 not received) but no promised or requested date — give its "
            "promised date") in lines
    from addin.jobs.inputs import read_file
    got = read_file(path, "purchases").data
    assert got[["po_no", "qty", "due_date", "ordered_qty", "received_qty"]].values.tolist() == [
        ["PO-2", 250, D(2026, 11, 28), 400, 150]]


def test_plan_button_with_a_scorecard_shaped_purchases_sheet(tmp_path, monkeypatch):
    """The template's Purchases sheet replaced by the purchase ledger of the same parts (headers
    no open-PO list has: promised date, receipt date, received quantity). It used to stop with
    "no column for required field 'due_date'". By hand (test_excel_plan_template): IC-7 600 on
    hand; PUR-300 2000 received in full 11-09 is no supply; PUR-301 1000 open, promised 11-25;
    PUR-303 200 ordered, 150 received: 50 to come by 11-25. PO-1003 takes 300, PO-1004 needs 1600
    against 1350 + IC-7B 200: 50 short, bought as the MOQ 1000 by 2026-10-14."""
    from addin.excel import actions
    from addin.excel.book import FileBook, read_table
    monkeypatch.setattr(actions, "_today", lambda: dt.date(2026, 11, 20))
    path = tmp_path / "OrderLedger.xlsm"
    shutil.copy(TEMPLATE, path)
    wb = openpyxl.load_workbook(path, keep_vba=True)
    ws = wb["Purchases"]
    ws.delete_rows(1, ws.max_row)
    for row in [["采购单号 PO No", "行号 Line", "供应商 Supplier", "料号 Part No", "采购数量 Qty",
                 "承诺交期 Promised Date", "实际到货日期 Receipt Date", "实收数量 Received Qty"],
                ["PUR-300", "1", "Acme Semi", "IC-7", 2000, D(2026, 11, 10), D(2026, 11, 9), 2000],
                ["PUR-301", "1", "Acme Semi", "IC-7", 1000, D(2026, 11, 25), None, None],
                ["PUR-303", "1", "Acme Semi", "IC-7", 200, D(2026, 11, 25), D(2026, 11, 18), 150],
                ["PUR-302", "1", "Shenzhen PCB", "PCB-1", 500, D(2026, 11, 24), None, None]]:
        ws.append(row)
    wb.save(path)
    read = read_table(FileBook(path), "Purchases", "purchases")
    assert read.data[["po_no", "part_no", "qty", "due_date"]].values.tolist() == [
        ["PUR-301", "IC-7", 1000, D(2026, 11, 25)], ["PUR-303", "IC-7", 50, D(2026, 11, 25)],
        ["PUR-302", "PCB-1", 500, D(2026, 11, 24)]]
    book = FileBook(path)
    actions.run(actions.pmc_plan_action, book)
    assert book.messages == ["PMC plan: 2 open line(s): 1 part(s) short (1 to order today), 1 line(s) blocked, "
                             "0 purchase line(s) late or at risk, 0 overloaded line-week(s). See the sheets "
                             "缺料清单, 产能负荷, 受阻订单, 延期采购."]
    out = openpyxl.load_workbook(path, keep_vba=True)
    shortages = [list(r) for r in out["缺料清单"].iter_rows(values_only=True)]
    assert shortages[1][:6] == ["IC-7", D(2026, 11, 27), 50, "IC-7B", 1000, D(2026, 10, 14)]
    assert len(shortages) == 2
