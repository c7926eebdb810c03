"""`orderdesk changes`: two copies of a ledger compared line by line (every kind of change, rows
reordered, the sheet renamed, duplicated keys, lines without a line number), the change workbook
with its notices read back, and the re-promise against a BOM, stock and capacity worked out by
hand."""
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

from addin.compute.changes import diff_ledgers, line_key

D = dt.date
HEADER = ["订单号", "行号", "客户名称", "料号", "版本", "品名", "订单数量", "客户交期", "承诺交期", "订单状态"]


def write_book(path: Path, sheets: list[tuple[str, list[str], list[list]]]) -> Path:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    for name, header, rows in sheets:
        ws = wb.add_worksheet(name)
        ws.write_row(0, 0, header)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row):
                if isinstance(value, dt.date):
                    ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), day)
                elif value is not None:
                    ws.write(r, c, value)
    wb.close()
    return path


def line(order, no, customer, part, qty, requested, promised=None, status="待排产", rev="A", desc="控制板"):
    return [order, no, customer, part, rev, desc, qty, requested, promised, status]


OLD = [
    line("SO-1", 1, "ACME", "P-A", 60, D(2026, 3, 20), D(2026, 3, 20)),
    line("SO-3", 1, "ACME", "P-X", 10, D(2026, 4, 1), D(2026, 4, 1)),
    line("SO-3", 2, "ACME", "P-Y", 10, D(2026, 4, 1), D(2026, 4, 1)),
    line("SO-4", 1, "Gamma", "P-Z", 5, D(2026, 4, 2), rev="A"),
    line("SO-4", 2, "Gamma", "P-Z", 5, D(2026, 4, 2)),
    line("SO-5", 1, "Delta", "P-A", 7, D(2026, 4, 3)),
    line("SO-6", 1, "Delta", "P-B", 8, D(2026, 4, 3)),
    line("SO-7", 1, "Delta", "P-C", 9, D(2026, 4, 3)),
    line("SO-9", 1, "Eps", "P-E", 5, D(2026, 4, 4)),
    line("SO-10", None, "Eps", "Q1", 3, D(2026, 4, 5)),
    line("SO-10", None, "Eps", "Q2", 4, D(2026, 4, 5)),
]
NEW = [
    line("SO-1", "01", "ACME", "P-A", 60, D(2026, 3, 20), D(2026, 3, 20)),           # '01' is line 1
    line("SO-3", 1, "ACME", "P-X", 10, D(2026, 4, 8), D(2026, 4, 1)),               # the customer moved it
    line("SO-3", 2, "ACME", "P-Y", 10, D(2026, 4, 1), D(2026, 4, 3)),               # we re-committed
    line("SO-4", 1, "Gamma", "P-Z", 5, D(2026, 4, 2), rev="B"),
    line("SO-4", 2, "Gamma", "P-Z2", 5, D(2026, 4, 2)),
    line("SO-5", 1, "Delta", "P-A", 7, D(2026, 4, 3), status="已取消"),
    line("SO-6", 1, "Delta", "P-B", 12, D(2026, 4, 3), status="生产中"),
    line("SO-8", 1, "Zeta", "P-F", 30, D(2026, 4, 9)),                                # added
    line("SO-9", 1, "Eps", "P-E", 7, D(2026, 4, 4)),                                  # the key twice:
    line("SO-9", 1, "Eps", "P-E", 5, D(2026, 4, 4)),                                  # identical pairs first
    line("SO-10", None, "Eps", "Q2", 6, D(2026, 4, 5)),
    line("SO-10", None, "Eps", "Q1", 3, D(2026, 4, 5)),
]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "addin.cli", "changes", *args], capture_output=True, text=True,
                          timeout=300)


@pytest.fixture
def copies(tmp_path: Path) -> tuple[Path, Path]:
    old = write_book(tmp_path / "ledger-last-week.xlsx", [("订单跟踪", HEADER, OLD)])
    # today's copy: rows in the opposite order, sheet renamed
    new = write_book(tmp_path / "ledger.xlsx", [("Orders 2026", HEADER, NEW[::-1])])
    return old, new


EXPECTED = [
    {"order_no": "SO-10", "line_no": None, "kind": "qty", "old": 4, "new": 6},
    {"order_no": "SO-3", "line_no": "1", "kind": "requested_date", "old": "2026-04-01", "new": "2026-04-08"},
    {"order_no": "SO-3", "line_no": "2", "kind": "promised_date", "old": "2026-04-01", "new": "2026-04-03"},
    {"order_no": "SO-4", "line_no": "1", "kind": "revision", "old": "A", "new": "B"},
    {"order_no": "SO-4", "line_no": "2", "kind": "part_no", "old": "P-Z", "new": "P-Z2"},
    {"order_no": "SO-5", "line_no": "1", "kind": "cancelled", "old": "open", "new": "cancelled"},
    {"order_no": "SO-6", "line_no": "1", "kind": "qty", "old": 8, "new": 12},
    {"order_no": "SO-6", "line_no": "1", "kind": "status", "old": "open", "new": "in_progress"},
    {"order_no": "SO-7", "line_no": "1", "kind": "removed",
     "old": {"part_no": "P-C", "revision": "A", "qty": 9, "requested_date": "2026-04-03", "promised_date": None,
             "status": "open"}, "new": None},
    {"order_no": "SO-8", "line_no": "1", "kind": "added", "old": None,
     "new": {"part_no": "P-F", "revision": "A", "qty": 30, "requested_date": "2026-04-09", "promised_date": None,
             "status": "open"}},
    {"order_no": "SO-9", "line_no": "1", "kind": "added", "old": None,
     "new": {"part_no": "P-E", "revision": "A", "qty": 7, "requested_date": "2026-04-04", "promised_date": None,
             "status": "open"}},
]


def test_every_kind_of_change_with_rows_reordered_and_the_sheet_renamed(copies, tmp_path):
    old, new = copies
    out = tmp_path / "changes.xlsx"
    proc = run(str(old), str(new), "--out", str(out), "--as-of", "2026-03-02", "--format", "json", "--lang", "en")
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    assert sorted(got["changes"], key=lambda c: (c["order_no"], c["line_no"] or "", c["kind"])) == \
        sorted(EXPECTED, key=lambda c: (c["order_no"], c["line_no"] or "", c["kind"]))
    # the SPEC keys, in the SPEC shape
    assert set(got) >= {"changes", "moved"} and got["moved"] == [] and got["repromised"] is False
    assert all(list(c) == ["order_no", "line_no", "kind", "old", "new"] for c in got["changes"])
    # never merged, always said: the duplicated key (NEW rows) and the unnumbered lines (both files)
    issues = {(i["kind"], i["file"], i["order_no"]): i["rows"] for i in got["issues"]}
    assert issues == {("duplicate_key", "new", "SO-9"): [4, 5], ("no_line_no", "old", "SO-10"): [11, 12],
                      ("no_line_no", "new", "SO-10"): [2, 3]}
    assert got["notes"] == ["the ledger sheet is '订单跟踪' in ledger-last-week.xlsx and 'Orders 2026' in "
                            "ledger.xlsx: compared as the same ledger"]
    assert got["rows"] == {"old": {"read": 11, "valid": 11, "issues": 0, "blank_or_total": 0},
                           "new": {"read": 12, "valid": 12, "issues": 0, "blank_or_total": 0}}


def test_same_copy_has_no_change_and_order_without_changes_gets_no_notice(copies, tmp_path):
    old, _ = copies
    out = tmp_path / "same.xlsx"
    proc = run(str(old), str(old), "--out", str(out), "--format", "json", "--lang", "en")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["changes"] == []
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Change log", "Matching notes"]
    assert cells(wb["Change log"])[2][0] == "No changes between the two copies"


def cells(ws) -> list[list]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def fits_one_page_wide(ws) -> bool:
    """Fit to page on, one page wide (1 is the default, not written), any number of pages tall."""
    setup = ws.page_setup
    return bool(ws.sheet_properties.pageSetUpPr.fitToPage) and setup.fitToWidth in (None, 1) and setup.fitToHeight == 0


def text_of(ws) -> str:
    return "\n".join(str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None)


def test_workbook_log_and_the_two_notices_per_changed_order_in_english(copies, tmp_path):
    old, new = copies
    out = tmp_path / "changes.xlsx"
    proc = run(str(old), str(new), "--out", str(out), "--as-of", "2026-03-02", "--lang", "en")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == f"wrote {out}: 11 changes, 8 orders to notify, 0 lines move"
    wb = openpyxl.load_workbook(out)
    # SO-6 has a quantity change (noticed) and a status change (logged only); SO-1 nothing
    orders = ["SO-10", "SO-3", "SO-4", "SO-5", "SO-6", "SO-7", "SO-8", "SO-9"]
    assert wb.sheetnames[:2] == ["Change log", "Matching notes"]
    notices = [n for n in wb.sheetnames if n.startswith(("Cust ", "Prod "))]
    assert sorted(notices) == sorted(f"{p} {o}" for o in orders for p in ("Cust", "Prod"))
    log = cells(wb["Change log"])
    assert log[0][0] == "Order changes"
    assert log[5] == ["Order no", "Line", "Customer", "Part no", "Description", "Change", "Was", "Now", "Old row",
                      "New row"]
    rows = {(r[0], r[1], r[5]): (r[6], r[7]) for r in log[6:]}
    assert rows[("SO-3", "1", "requested date")] == ("2026-04-01", "2026-04-08")
    assert rows[("SO-5", "1", "cancelled")] == ("open", "cancelled")
    assert rows[("SO-7", "1", "line removed")] == ("part P-C, qty 9, due 2026-04-03", None)
    assert rows[("SO-6", "1", "quantity")] == ("8", "12")
    ws = wb["Change log"]
    assert ws.print_title_rows == "$6:$6" and fits_one_page_wide(ws)
    assert ws.print_area == "'Change log'!$A$1:$J$17"

    cust = wb["Cust SO-3"]
    body = cells(cust)
    assert body[0][0] == "Customer Order Change Notice"
    assert body[2][:2] == ["To", "ACME"] and body[2][4:6] == ["Notice no", "CC-SO-3-20260302"]
    assert body[3][:2] == ["Order no", "SO-3"] and body[3][5] == "2026-03-02"
    table = [r for r in body if r[0] in ("1", "2")]
    assert [r[:6] for r in table] == [["1", "P-X", "控制板", "requested date", "2026-04-01", "2026-04-08"],
                                      ["2", "P-Y", "控制板", "promised date", "2026-04-01", "2026-04-03"]]
    # no plan given: the date column is the new ledger's promised date
    assert [r[6] for r in table] == [dt.datetime(2026, 4, 1), dt.datetime(2026, 4, 3)]
    assert [r[6] for r in body if r[0] == "Line"] == ["Promised date"]
    notice_text = text_of(cust)
    assert "Customer confirmation (signature / stamp)" in notice_text
    for other in ("Gamma", "Delta", "Zeta", "Eps", "SO-4", "SO-5", "SO-1"):
        assert other not in notice_text
    assert cust.page_setup.orientation == "portrait" and fits_one_page_wide(cust)
    assert cust.print_area is not None and cust.oddHeader.left.text == "CC-SO-3-20260302"

    prod = cells(wb["Prod SO-6"])
    assert prod[0][0] == "Production Order Change Notice"
    assert prod[2][:2] == ["To", "Production, PMC, Purchasing, Quality, Warehouse"]
    assert prod[4][:2] == ["Customer", "Delta"]
    qty = [r for r in prod if r[3] == "quantity"]
    assert qty == [["1", "P-B", "控制板", "quantity", "8", "12", "increase by 4", dt.datetime(2026, 4, 3)]]
    assert not [r for r in prod if r[3] == "status"]     # progress is logged, not noticed
    signs = [r[0] for r in prod if r[0] in ("PMC", "Production", "Purchasing", "Quality", "Warehouse")]
    assert signs == ["PMC", "Production", "Purchasing", "Quality", "Warehouse"]
    prod5 = cells(wb["Prod SO-5"])
    assert [r[6] for r in prod5 if r[3] == "cancelled"] == ["cancel production, hold material"]

    notes = text_of(wb["Matching notes"])
    assert "NEW: order SO-9 line 1 appears 2 times (rows 4, 5): not merged" in notes
    assert "OLD: order SO-10 has 2 lines without a line number (rows 11, 12): matched by part number" in notes


def test_chinese_notices(copies, tmp_path):
    old, new = copies
    out = tmp_path / "变更.xlsx"
    proc = run(str(old), str(new), "--out", str(out), "--as-of", "2026-03-02", "--lang", "zh")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == f"已写入 {out}：变更 11 项，需通知订单 8 个，交期变化 0 行"
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[:2] == ["变更记录", "比对说明"]
    cust = cells(wb["客户变更 SO-3"])
    assert cust[0][0] == "客户订单变更通知单"
    assert [r[3:6] for r in cust if r[0] == "1"] == [["客户交期", "2026-04-01", "2026-04-08"]]
    prod = cells(wb["生产变更 SO-3"])
    assert prod[0][0] == "生产任务通知变更单"
    assert [r[3:7] for r in prod if r[0] in ("1", "2")] == [["客户交期", "2026-04-01", "2026-04-08", "推迟 7 天"],
                                                            ["承诺交期", "2026-04-01", "2026-04-03", "推迟 2 天"]]
    assert "客户确认（签字/盖章）" in text_of(wb["客户变更 SO-3"])
    assert "品质部" in text_of(wb["生产变更 SO-3"])


# ---------------------------------------------------------------------- re-promise, worked by hand

LEDGER_HEAD = ["订单号", "行号", "客户名称", "料号", "订单数量", "客户交期", "订单状态"]


@pytest.fixture
def plan_case(tmp_path: Path) -> dict[str, Path]:
    """A = 1 × C and B = 1 × C; 100 C in stock, C bought in 10 working days. Line L1 makes A and E
    (0.1 h each, 8 h a day), L2 makes B and D. SO-1 (A) goes from 60 to 80."""
    old = [["SO-1", 1, "ACME", "A", 60, D(2026, 3, 20), "待排产"], ["SO-2", 1, "Beta", "B", 40, D(2026, 3, 25), "待排产"],
           ["SO-3", 1, "Gamma", "D", 10, D(2026, 3, 20), "待排产"], ["SO-4", 1, "Delta", "E", 100, D(2026, 3, 25), "待排产"]]
    new = [list(r) for r in old]
    new[0][4] = 80
    return {
        "old": write_book(tmp_path / "old.xlsx", [("订单跟踪", LEDGER_HEAD, old)]),
        "new": write_book(tmp_path / "new.xlsx", [("订单跟踪", LEDGER_HEAD, new)]),
        "bom": write_book(tmp_path / "bom.xlsx", [("BOM", ["父件", "子件", "用量"], [["A", "C", 1], ["B", "C", 1]])]),
        "stock": write_book(tmp_path / "stock.xlsx", [("库存", ["料号", "库存数量", "采购周期"],
                                                       [["C", 100, 10], ["D", 50, 10], ["E", 1000, 10]])]),
        "capacity": write_book(tmp_path / "capacity.xlsx", [
            ("产能", ["产线", "日产能工时"], [["L1", 8], ["L2", 8]]),
            ("工艺路线", ["料号", "产线", "单位工时"], [["A", "L1", 0.1], ["E", "L1", 0.1], ["B", "L2", 0.1],
                                                   ["D", "L2", 0.1]])]),
    }


def test_repromise_moves_the_lines_sharing_the_component_and_the_line(plan_case, tmp_path):
    # Old: SO-1 takes 60 C and SO-2 40: both from stock on 2026-03-02 (Mon). New: SO-1 takes 80, SO-2
    # is 20 short and waits for a purchase: 10 working days -> 2026-03-16. On L1 SO-1 needed 6 h, SO-4
    # then 2 h on 03-02 and 8 h on 03-03; with 8 h SO-4 runs 03-03 (8 h) and 03-04 (2 h). SO-3 (D on L2
    # with B, whose load did not change) is not touched.
    p = plan_case
    out = tmp_path / "changes.xlsx"
    proc = run(str(p["old"]), str(p["new"]), "--bom", str(p["bom"]), "--stock", str(p["stock"]), "--capacity",
               str(p["capacity"]), "--as-of", "2026-03-02", "--calendar", "mon-fri", "--inspection-days", "0",
               "--transport-days", "0", "--out", str(out), "--format", "json", "--lang", "en")
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    assert got["changes"] == [{"order_no": "SO-1", "line_no": "1", "kind": "qty", "old": 60, "new": 80}]
    assert got["moved"] == [
        {"order_no": "SO-2", "line_no": "1", "old_promise": "2026-03-02", "new_promise": "2026-03-16"},
        {"order_no": "SO-4", "line_no": "1", "old_promise": "2026-03-03", "new_promise": "2026-03-04"}]
    wb = openpyxl.load_workbook(out)
    rp = cells(wb["Re-promise"])
    assert rp[4][:11] == ["Order no", "Line", "Customer", "Part no", "Qty", "Promised date", "Why",
                          "Shared parts / lines", "Old promise", "New promise", "Days moved"]
    assert [(r[0], r[6], r[7], r[10]) for r in rp[5:]] == [("SO-1", "changed", "", None),
                                                           ("SO-2", "shares a component", "C", 14),
                                                           ("SO-4", "shares a line", "L1", 1)]
    # production hears which other lines move; the customer of SO-1 hears nothing of them
    prod = text_of(wb["Prod SO-1"])
    assert "Other order lines affected (shared parts or production line)" in prod
    assert "SO-2" in prod and "Delta" in prod
    cust = text_of(wb["Cust SO-1"])
    for other in ("SO-2", "SO-3", "SO-4", "Beta", "Gamma", "Delta"):
        assert other not in cust
    assert [r[6] for r in cells(wb["Cust SO-1"]) if r[0] == "1"] == [dt.datetime(2026, 3, 2)]


def test_capacity_without_routing_is_said(plan_case, tmp_path):
    p = plan_case
    capacity = write_book(tmp_path / "cap-only.xlsx", [("产能", ["产线", "日产能工时"], [["L1", 8]])])
    proc = run(str(p["old"]), str(p["new"]), "--stock", str(p["stock"]), "--capacity", str(capacity),
               "--as-of", "2026-03-02", "--out", str(tmp_path / "c.xlsx"), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["notes"] == [
        "capacity not planned: no routing found (part, line, hours per unit) — give it with --routing"]


# ---------------------------------------------------------------------- the pure comparison


def frame(rows: list[dict]) -> pd.DataFrame:
    from test_review import canonical
    return canonical("ledger", rows)


def test_line_keys():
    assert [line_key(v) for v in ("01", "1.0", 1, 1.0, " 1 ", "A1", "a1", None, "")] == \
        ["1", "1", "1", "1", "1", "a1", "a1", None, None]


def test_duplicate_keys_pair_identical_then_by_part_then_in_order():
    old = frame([dict(order_no="X", line_no="1", customer="C", part_no="P1", qty=1, requested_date="2026-01-05"),
                 dict(order_no="X", line_no="1", customer="C", part_no="P2", qty=2, requested_date="2026-01-05")])
    new = frame([dict(order_no="X", line_no="1", customer="C", part_no="P2", qty=5, requested_date="2026-01-05"),
                 dict(order_no="X", line_no="1", customer="C", part_no="P1", qty=1, requested_date="2026-01-05")])
    diff = diff_ledgers(old, new)
    # P1 is identical in both; P2 pairs by part: one qty change, nothing added or removed
    assert diff.changes[["kind", "old", "new"]].values.tolist() == [["qty", 2, 5]]
    assert [(i.kind, i.side, i.rows) for i in diff.issues] == [("duplicate_key", "old", (2, 3)),
                                                               ("duplicate_key", "new", (2, 3))]


def test_a_field_one_copy_lacks_is_not_compared():
    old = frame([dict(order_no="X", line_no="1", customer="C", part_no="P", qty=1, requested_date="2026-01-05",
                      promised_date="2026-01-09")])
    new = frame([dict(order_no="X", line_no="1", customer="C", part_no="P", qty=1, requested_date="2026-01-05")])
    diff = diff_ledgers(old, new, old_fields=["order_no", "line_no", "customer", "part_no", "qty", "requested_date",
                                              "promised_date"],
                        new_fields=["order_no", "line_no", "customer", "part_no", "qty", "requested_date"])
    assert diff.changes.empty
    assert [(i.kind, i.side, i.field) for i in diff.issues] == [("no_column", "new", "promised_date")]


def test_reopened_line_is_a_status_change_and_uncancel_is_not_cancel():
    old = frame([dict(order_no="X", line_no="1", customer="C", part_no="P", qty=1, requested_date="2026-01-05",
                      status="cancelled")])
    new = frame([dict(order_no="X", line_no="1", customer="C", part_no="P", qty=1, requested_date="2026-01-05",
                      status="open")])
    diff = diff_ledgers(old, new)
    assert diff.changes[["kind", "old", "new"]].values.tolist() == [["status", "cancelled", "open"]]
    assert diff.changed_orders == []


# ---------------------------------------------------------------------- exit status


def test_exit_status(copies, tmp_path):
    old, new = copies
    proc = run(str(old), str(new), "--out", str(new))
    assert proc.returncode == 1
    assert proc.stderr == "Error: ledger.xlsx is one of the input files — choose a different output name so the " \
                          "input is not overwritten\n"
    bom = write_book(tmp_path / "bom.xlsx", [("BOM", ["父件", "子件", "用量"], [["A", "C", 1]])])
    proc = run(str(old), str(bom), "--out", str(tmp_path / "x.xlsx"))
    assert proc.returncode == 1 and proc.stderr.startswith("Error: bom.xlsx: sheet 'BOM': no column for required "
                                                          "fields 'order_no'")
    assert "Traceback" not in proc.stderr
    proc = run(str(old), str(new), "--out", str(tmp_path / "x.xlsx"), "--format", "xml")
    assert proc.returncode == 2 and "Invalid value for '--format'" in proc.stderr
    proc = run(str(old), "--out", str(tmp_path / "x.xlsx"))
    assert proc.returncode == 2 and "Missing argument 'NEW'" in proc.stderr
    assert not (tmp_path / "x.xlsx").exists()


def test_a_ledger_without_line_numbers_is_matched_per_order_and_the_notes_stay_readable(tmp_path):
    head = ["订单号", "客户名称", "料号", "订单数量", "客户交期"]
    rows = [[f"SO-{i:03d}", "ACME", f"P-{j}", 10 + j, D(2026, 4, 1)] for i in range(130) for j in (1, 2)]
    changed = [list(r) for r in rows][::-1]
    changed[0][3] = 99                       # the last order's P-2: 12 -> 99
    old = write_book(tmp_path / "old.xlsx", [("Orders", head, rows)])
    new = write_book(tmp_path / "new.xlsx", [("Orders", head, changed)])
    out = tmp_path / "c.xlsx"
    proc = run(str(old), str(new), "--out", str(out), "--format", "json", "--lang", "en")
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    assert got["changes"] == [{"order_no": "SO-129", "line_no": None, "kind": "qty", "old": 12, "new": 99}]
    assert len(got["issues"]) == 260 and {i["kind"] for i in got["issues"]} == {"no_line_no"}
    notes = [r[0] for r in cells(openpyxl.load_workbook(out)["Matching notes"]) if r[0]]
    assert notes[-1] == "… and 60 more (--format json lists them all)"
    assert len([n for n in notes if "without a line number" in n]) == 200
