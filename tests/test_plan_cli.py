"""`orderdesk plan` end to end: real workbooks in, the PMC workbook written and read back, the
JSON of SPEC section 10, a zh run, several BOM files, and the real LumenPnP BOM set."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from test_excel_actions import write_book

D = dt.datetime


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "addin.cli", *args], capture_output=True, text=True, timeout=180)


@pytest.fixture
def books(tmp_path) -> dict[str, Path]:
    # P = 1 C1 + 2 C2 (alternate C2-ALT); P takes 0.1 h on SMT, which works 1 h a day
    ledger = write_book(tmp_path / "ledger.xlsx", {"订单": [
        ["订单号", "行号", "客户", "客户等级", "料号", "订单数量", "承诺交期", "状态"],
        ["SO-1", "1", "ACME", "A", "P", 100, D(2026, 3, 10), "待排产"],
        ["SO-2", "1", "Globex", "B", "P", 50, D(2026, 3, 13), "生产中"],
        ["SO-0", "1", "Globex", "B", "P", 999, D(2026, 3, 3), "已出货"],
    ]})
    bom = write_book(tmp_path / "bom.xlsx", {"BOM": [
        ["父件", "子件", "用量", "替代料"], ["P", "C1", 1, None], ["P", "C2", 2, "C2-ALT"]]})
    stock = write_book(tmp_path / "stock.xlsx", {
        "库存": [["料号", "库存数量", "采购周期", "检验天数", "最小起订量"],
               ["C1", 100, 20, 0, None], ["C2", 0, 10, 0, 1000], ["C2-ALT", 50, None, None, None]],
        "在途采购": [["采购单号", "供应商", "料号", "未交数量", "预计到货日期"],
                 ["PO-7", "Kingtech", "C1", 200, D(2026, 3, 18)]]})
    capacity = write_book(tmp_path / "capacity.xlsx", {
        "产能": [["产线", "每日工时"], ["SMT", 1]], "工艺": [["料号", "产线", "标准工时"], ["P", "SMT", 0.1]]})
    return {"ledger": ledger, "bom": bom, "stock": stock, "capacity": capacity, "dir": tmp_path}


def run_plan(books, *extra: str, lang: str = "en") -> subprocess.CompletedProcess:
    return cli("plan", str(books["ledger"]), "--bom", str(books["bom"]), "--stock", str(books["stock"]),
               "--capacity", str(books["capacity"]), "--as-of", "2026-03-02", "--calendar", "mon-fri",
               "--inspection-days", "0", "--transport-days", "0", "--lang", lang, *extra)


def test_json_worked_by_hand(books):
    out = run_plan(books, "--format", "json", "--out", str(books["dir"] / "plan.xlsx"))
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    # SO-1 (due 03-10): C1 100 from stock; C2 200: 50 C2-ALT, 150 bought (10 working days: 03-16),
    # one order of MOQ 1000 by 03-10 − 10 wd = 02-24. SO-2 (due 03-13): C1 waits for PO-7 (03-18);
    # C2's 100 come from that planned order's surplus (03-16). SO-0 is shipped: not planned.
    assert got["as_of"] == "2026-03-02" and got["open_lines"] == 2
    assert got["shortages"] == [
        {"part_no": "C2", "need_date": "2026-03-10", "short_qty": 250, "buy_qty": 1000, "order_by": "2026-02-24",
         "alternates_used": ["C2-ALT"], "expedite": []},
        {"part_no": "C1", "need_date": "2026-03-13", "short_qty": 50, "buy_qty": 0, "order_by": None,
         "alternates_used": [], "expedite": [{"po_no": "PO-7", "supplier": "Kingtech", "due_date": "2026-03-18"}]}]
    # SMT: 10 h for SO-1 end on the 10th working day (03-13), SO-2's 5 more on 03-20
    assert got["blocked"] == [
        {"order_no": "SO-1", "line_no": "1", "customer": "ACME", "part_no": "P", "due_date": "2026-03-10",
         "promise_date": "2026-03-16",
         "blocked_by": [{"part_no": "C2", "po_no": None, "supplier": None, "action": "buy", "date": "2026-03-16",
                         "qty": 150},
                        {"line": "SMT", "action": "capacity", "date": "2026-03-13"}]},
        {"order_no": "SO-2", "line_no": "1", "customer": "Globex", "part_no": "P", "due_date": "2026-03-13",
         "promise_date": "2026-03-20",
         "blocked_by": [{"part_no": "C1", "po_no": "PO-7", "supplier": "Kingtech", "action": "expedite",
                         "date": "2026-03-18", "qty": 50},
                        {"part_no": "C2", "po_no": None, "supplier": None, "action": "buy", "date": "2026-03-16",
                         "qty": 100},
                        {"line": "SMT", "action": "capacity", "date": "2026-03-20"}]}]
    # both need dates fall in week 11: 15 h against 5
    assert got["capacity"] == [{"line": "SMT", "week": "2026-W11", "required_h": 15.0, "available_h": 5.0,
                                "overloaded": True}]
    assert got["late_purchases"] == [{"po_no": "PO-7", "supplier": "Kingtech", "part_no": "C1",
                                      "due_date": "2026-03-18", "status": "at_risk", "days_late": 5,
                                      "blocks": [{"order_no": "SO-2", "line_no": "1"}]}]


def test_workbook_sheets_read_back(books):
    target = books["dir"] / "plan.xlsx"
    out = run_plan(books, "--out", str(target))
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("2 open line(s): 2 part(s) short (1 to order today), 2 line(s) blocked, 1 purchase "
                                 "line(s) late or at risk, 1 overloaded line-week(s)\n")
    assert out.stdout.rstrip().endswith(f"wrote {target}")
    wb = openpyxl.load_workbook(target)
    assert wb.sheetnames == ["Shortages", "Capacity load", "Blocked orders", "Late purchases"]
    ws = wb["Shortages"]
    header = [c.value for c in ws[4]]
    assert header[:6] == ["Part No", "Need date", "Short qty", "Alternates used", "Buy qty (MOQ)", "Order by"]
    assert [c.value for c in ws[5]][:6] == ["C2", D(2026, 3, 10), 250, "C2-ALT", 1000, D(2026, 2, 24)]
    ws = wb["Blocked orders"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=5)]
    header = [c.value for c in ws[4]]
    why = header.index("Blocked by")
    assert rows[1][why] == ("C1: waits for PO-7 (Kingtech) due 2026-03-18, 50\nC2: 100 to buy, there 2026-03-16\n"
                            "line SMT finishes only 2026-03-20")
    assert rows[1][header.index("Action")] == "expedite, buy, capacity"
    assert rows[1][header.index("Supplier")] == "Kingtech"
    ws = wb["Capacity load"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=5)]
    assert [r[1] for r in rows] == ["2026-W10", "2026-W11"]
    assert [r[-1] for r in rows] == ["OK", "overloaded"]
    rules = [(str(rng.sqref), rule.formula) for rng in ws.conditional_formatting for rule in rng.rules]
    assert ("A5:I6", ["AND(ISNUMBER($E5),$D5>$E5)"]) in rules
    ws = wb["Late purchases"]
    assert [c.value for c in ws[5]][:7] == ["PO-7", "Kingtech", "C1", 200, D(2026, 3, 18), "at risk", 5]
    assert ws.print_title_rows == "$4:$4"


def test_zh_workbook(books):
    target = books["dir"] / "计划.xlsx"
    out = run_plan(books, "--out", str(target), lang="zh")
    assert out.returncode == 0, out.stderr
    assert "未结订单行 2：缺料 2 项" in out.stdout
    wb = openpyxl.load_workbook(target)
    assert wb.sheetnames == ["缺料清单", "产能负荷", "受阻订单", "延期采购"]
    ws = wb["受阻订单"]
    header = [c.value for c in ws[4]]
    assert [c.value for c in ws[6]][header.index("受阻原因")].startswith("C1：等采购单 PO-7（Kingtech）2026-03-18 到货 50")
    assert wb["延期采购"]["F5"].value == "有风险"


def test_user_text_stays_text(books, tmp_path):
    import xlsxwriter
    ledger = tmp_path / "evil.xlsx"
    wb = xlsxwriter.Workbook(str(ledger), {"strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet("订单")
    ws.write_row(0, 0, ["订单号", "客户", "料号", "订单数量", "承诺交期"])
    ws.write_row(1, 0, ['=HYPERLINK("http://x")', "ACME", "P", 1000])
    ws.write_datetime(1, 4, D(2026, 3, 3), wb.add_format({"num_format": "yyyy-mm-dd"}))
    wb.close()
    target = tmp_path / "plan.xlsx"
    out = cli("plan", str(ledger), "--bom", str(books["bom"]), "--stock", str(books["stock"]), "--as-of",
              "2026-03-02", "--out", str(target))
    assert out.returncode == 0, out.stderr
    cell = openpyxl.load_workbook(target)["Blocked orders"]["A5"]
    assert cell.value == "=HYPERLINK(\"http://x\")" and cell.data_type == "s"


def test_nothing_to_plan_with_is_exit_1(books):
    out = cli("plan", str(books["ledger"]), "--bom", str(books["bom"]), "--out", str(books["dir"] / "p.xlsx"))
    assert out.returncode == 1
    assert out.stderr == ("Error: nothing to plan with: give the stock (--stock) for material, or the capacity "
                          "and routing (--capacity, --routing) for the load\n")


def test_refuses_to_overwrite_an_input(books):
    out = run_plan(books, "--out", str(books["stock"]))
    assert out.returncode == 1 and out.stderr.startswith("Error:")


def test_several_bom_files_and_bom_parent(books, tmp_path):
    # a KiCad-style board BOM (no parent column) is one assembly: BOARD-1 by --bom-parent FILE=PART
    top = write_book(tmp_path / "top.xlsx", {"BOM": [["父件", "子件", "用量"], ["BOX", "BOARD-1", 2], ["BOX", "C1", 1]]})
    board = write_book(tmp_path / "board.xlsx", {"BOM": [["Reference", "Value", "MPN", "Qty"], ["R1,R2", "10k", "C2", 2]]})
    ledger = write_book(tmp_path / "ledger.xlsx", {"订单": [
        ["订单号", "客户", "料号", "订单数量", "承诺交期"], ["SO-9", "ACME", "BOX", 10, D(2026, 3, 10)]]})
    stock = write_book(tmp_path / "stock.xlsx", {"库存": [["料号", "库存数量"], ["C1", 10], ["C2", 40]]})
    args = ["plan", str(ledger), "--bom", str(top), "--bom", str(board), "--stock", str(stock),
            "--as-of", "2026-03-02", "--calendar", "mon-fri", "--format", "json", "--out", str(tmp_path / "p.xlsx")]
    out = cli(*args, "--bom-parent", "board.xlsx=BOARD-1")
    assert out.returncode == 0, out.stderr
    short = {s["part_no"]: s for s in json.loads(out.stdout)["shortages"]}
    # 10 BOX = 20 BOARD-1 = 40 C2 and 10 C1, both in stock: nothing short
    assert short == {}
    # without naming it, the board builds 'board' and BOARD-1 is a bought part nobody stocks
    out = cli(*args)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert [s["part_no"] for s in got["shortages"]] == ["BOARD-1"] and got["notes"] == []


@pytest.mark.realdata
def test_lumenpnp_bom_set_explodes_through_the_motherboard(real_data, tmp_path):
    top = real_data / "BOM_LumenPnP_toplevel_bom.csv"
    child = real_data / "BOM_LumenPnP_motherboard_mobo-bom.csv"
    ledger = write_book(tmp_path / "ledger.xlsx", {"订单": [
        ["订单号", "客户", "料号", "订单数量", "承诺交期"], ["SO-1", "Opulo", "LUMENPNP", 2, D(2026, 4, 30)]]})
    # nothing in stock: every bought part of two machines is short, with its quantity per machine x 2
    stock = write_book(tmp_path / "stock.xlsx", {"库存": [["料号", "库存数量"], ["none", 0]]})
    out = cli("plan", str(ledger), "--bom", str(top), "--bom", str(child), "--bom-parent", "LUMENPNP",
              "--stock", str(stock), "--as-of", "2026-03-02", "--format", "json", "--out", str(tmp_path / "p.xlsx"))
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got["notes"] == [f"{child.name}: read as the BOM of 'motherboard' (its file name names it; "
                            f"--bom-parent {child.name}=PART to say otherwise)"]
    from addin.readers.bom import read_bom
    bom = read_bom([top, child], {child.name: "motherboard"}).data
    live = bom[~bom["dnp"] & (bom["qty_per"] > 0)]
    made = set(live["parent"])
    # what two machines need of each bought part, summed over the places it is used
    expected: dict[str, float] = {}
    for _, row in live[live["parent"] == "motherboard"].iterrows():
        expected[row["component"].casefold()] = expected.get(row["component"].casefold(), 0) + 2 * row["qty_per"]
    for _, row in live[(live["parent"] != "motherboard") & ~live["component"].isin(made)].iterrows():
        expected[row["component"].casefold()] = expected.get(row["component"].casefold(), 0) + 2 * row["qty_per"]
    got_short = {s["part_no"].casefold(): s["short_qty"] for s in got["shortages"]}
    assert "motherboard" not in got_short            # made from its own BOM, not bought
    assert got_short == pytest.approx(expected)
    # an LCSC part of the motherboard is among them
    lcsc = live.loc[live["parent"] == "motherboard", "component"].iloc[0].casefold()
    assert got_short[lcsc] == pytest.approx(expected[lcsc])
    # the order cannot ship: nothing has a lead time, so every part is 'to buy' with no date
    assert got["blocked"][0]["order_no"] == "SO-1"
    assert {b["action"] for b in got["blocked"][0]["blocked_by"]} == {"buy"}


def test_excel_plan_button_writes_the_four_sheets(tmp_path, monkeypatch):
    from addin.excel import actions
    from addin.excel.book import FileBook
    monkeypatch.setattr(actions, "_today", lambda: dt.date(2026, 3, 2))
    path = write_book(tmp_path / "plan.xlsx", {
        "Orders": [["Order No", "Customer", "Priority", "Part No", "Qty", "Promised Date"],
                   ["SO-1", "ACME", "A", "P", 100, D(2026, 3, 10)], ["SO-2", "Globex", "B", "P", 50, D(2026, 3, 13)]],
        "Config": [["Setting", "Value"], ["otd.calendar", "mon-fri"], ["review.inspection_days", 0],
                   ["review.transport_days", 0], ["report.lang", "en"]],
        "BOM": [["Parent", "Component", "Qty Per", "Alternates"], ["P", "C1", 1, None], ["P", "C2", 2, "C2-ALT"]],
        "Stock": [["Part No", "On Hand", "Lead Time", "Inspection Days", "MOQ"],
                  ["C1", 100, 20, 0, None], ["C2", 0, 10, 0, 1000], ["C2-ALT", 50, None, None, None]],
        "Purchases": [["PO No", "Supplier", "Part No", "Open Qty", "Due Date"], ["PO-7", "Kingtech", "C1", 200, D(2026, 3, 18)]],
        "Capacity": [["Line", "Hours Per Day"], ["SMT", 1]],
        "Routing": [["Part No", "Line", "Hours Per Unit"], ["P", "SMT", 0.1]]}, active="Orders")
    book = FileBook(path)
    actions.run(actions.pmc_plan_action, book)
    # the same plan as test_json_worked_by_hand, from the workbook's own sheets
    assert book.messages == ["PMC plan: 2 open line(s): 2 part(s) short (1 to order today), 2 line(s) blocked, "
                             "1 purchase line(s) late or at risk, 1 overloaded line-week(s). See the sheets Shortages, "
                             "Capacity load, Blocked orders, Late purchases."]
    wb = openpyxl.load_workbook(path)
    rows = [list(r) for r in wb["Shortages"].iter_rows(values_only=True)]
    assert rows[0][:6] == ["Part No", "Need date", "Short qty", "Alternates used", "Buy qty (MOQ)", "Order by"]
    assert rows[1][:6] == ["C2", D(2026, 3, 10), 250, "C2-ALT", 1000, D(2026, 2, 24)]
    blocked = [list(r) for r in wb["Blocked orders"].iter_rows(values_only=True)]
    assert [r[0] for r in blocked[1:]] == ["SO-1", "SO-2"]
    assert blocked[2][blocked[0].index("Supplier")] == "Kingtech"
    ws = wb["Capacity load"]
    [cf] = list(ws.conditional_formatting)
    # OrderDesk's own rules carry its marker (addin.excel.placement), so a refresh replaces only them
    assert [r.formula[0] for r in cf.rules] == ['("OrderDesk"<>"")*(AND(ISNUMBER($E2),$D2>$E2))',
                                                '("OrderDesk"<>"")*(AND(ISNUMBER($H2),$G2>$H2))']
    assert [r[-1] for r in ws.iter_rows(min_row=2, values_only=True)] == ["OK", "overloaded"]
    # a second press rewrites the sheets, nothing piles up
    actions.run(actions.pmc_plan_action, FileBook(path))
    assert len(list(openpyxl.load_workbook(path)["Capacity load"].conditional_formatting)) == 1


def test_lines_without_a_due_date_are_said(books, tmp_path):
    ledger = write_book(tmp_path / "ledger.xlsx", {"订单": [
        ["订单号", "客户", "料号", "订单数量", "承诺交期", "要求交期"],
        ["SO-1", "ACME", "P", 10, D(2026, 3, 20), None], ["SO-2", "ACME", "P", 10, None, "待定"]]})
    out = cli("plan", str(ledger), "--bom", str(books["bom"]), "--stock", str(books["stock"]), "--as-of", "2026-03-02",
              "--format", "json", "--out", str(tmp_path / "p.xlsx"))
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["notes"] == ["1 open line(s) have no due date: served last, never listed as blocked"]
