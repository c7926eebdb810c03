"""The "Compare with last snapshot" button (SPEC section 11, issue 18 item 1) through FileBook on
real workbooks: the first press keeps a snapshot beside the workbook (never in it), an edit then a
second press lists the change on the Changes sheet and renews the snapshot; a chosen file instead
of the snapshot; the cache folder when the workbook's folder cannot take the snapshot."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from addin.excel import actions, snapshot
from addin.excel.book import FileBook

TODAY = dt.date(2026, 11, 20)
D = dt.datetime


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch, tmp_path):
    monkeypatch.setattr(actions, "_today", lambda: TODAY)
    monkeypatch.setenv("ORDERDESK_CACHE_DIR", str(tmp_path / "cache"))


HEADER = ["订单号", "行号", "客户", "料号", "订单数量", "客户交期", "承诺交期", "出货日期", "状态"]
ROWS = [["PO-1", "1", "ACME", "A-100", 100, D(2026, 11, 1), D(2026, 11, 3), D(2026, 11, 3), "已出货"],
        ["PO-2", "1", "ACME", "A-100", 200, D(2026, 12, 1), D(2026, 12, 5), None, "生产中"],
        ["PO-2", "2", "ACME", "B-200", 50, D(2026, 12, 1), D(2026, 12, 5), None, "生产中"],
        ["PO-3", "1", "Globex", "C-300", 10, D(2026, 12, 20), None, None, "待排产"]]


def write_ledger(path: Path, rows=ROWS) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "订单跟踪"
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def press(path: Path, chosen: Path | None = None) -> list[str]:
    book = FileBook(path)
    actions.run(lambda b: actions.compare_snapshot_action(b, str(chosen) if chosen else None), book)
    return book.messages


def edit(path: Path) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb["订单跟踪"]
    ws["E3"] = 300                       # PO-2/1: 200 -> 300
    ws["G4"] = D(2026, 12, 12)           # PO-2/2: promised 12-05 -> 12-12
    ws.append(["PO-4", "1", "Initech", "D-400", 5, D(2027, 1, 10), None, None, "待排产"])
    wb.save(path)


def sheet_rows(path: Path, sheet: str) -> list[list]:
    ws = openpyxl.load_workbook(path)[sheet]
    return [[c for c in row] for row in ws.iter_rows(values_only=True)]


def test_first_press_keeps_the_snapshot_beside_the_workbook_and_says_so(tmp_path):
    ledger = write_ledger(tmp_path / "ledger.xlsx")
    kept = tmp_path / ".ledger.xlsx.orderdesk-snapshot.xlsx"
    assert press(ledger) == [f"No snapshot from an earlier comparison: kept the 4 lines of sheet 订单跟踪 as the snapshot "
                             f"({kept}, outside the workbook). The next press lists what changed since."]
    assert kept.is_file()
    assert sheet_rows(kept, "订单跟踪") == [HEADER] + ROWS
    # the workbook holds no copy: its one sheet, visible, as it was
    wb = openpyxl.load_workbook(ledger)
    assert wb.sheetnames == ["订单跟踪"] and [ws.sheet_state for ws in wb.worksheets] == ["visible"]
    assert not list((tmp_path / "cache").glob("**/*.xlsx"))


def test_an_edit_then_a_second_press_lists_the_change_and_renews_the_snapshot(tmp_path):
    ledger = write_ledger(tmp_path / "ledger.xlsx")
    press(ledger)
    edit(ledger)
    kept = tmp_path / ".ledger.xlsx.orderdesk-snapshot.xlsx"
    assert press(ledger) == [f"Compared sheet 订单跟踪 with {kept}: 3 changes in 2 orders; 2 orders need notices. "
                             f"Change log on sheet 变更对比 Changes. Snapshot updated ({kept})."]
    rows = sheet_rows(ledger, actions.CHANGES_SHEET)
    # the sheet in the ledger's language (its headers are Chinese), the message in the user's
    assert rows[0][0] == "订单变更记录"
    assert rows[1][0] == "原表 .ledger.xlsx.orderdesk-snapshot.xlsx → 新表 ledger.xlsx [订单跟踪] · 比对日期 2026-11-20"
    assert rows[2][0] == "变更 3 项，涉及 2 个订单；需通知的订单 2 个"
    assert rows[4] == ["订单号", "行号", "客户", "料号", "变更项目", "原内容", "变更后", "原表行", "新表行"]
    assert sorted(tuple(r) for r in rows[5:]) == [
        ("PO-2", "1", "ACME", "A-100", "数量", "200", "300", 3, 3),
        ("PO-2", "2", "ACME", "B-200", "承诺交期", "2026-12-05", "2026-12-12", 4, 4),
        ("PO-4", "1", "Initech", "D-400", "新增订单行", None, "料号 D-400 数量 5 交期 2027-01-10", None, 6)]
    # the snapshot is now the edited sheet: a third press finds nothing, the sheet is replaced
    assert sheet_rows(kept, "订单跟踪")[2][4] == 300
    assert press(ledger)[0].startswith(f"Compared sheet 订单跟踪 with {kept}: No changes between the two copies.")
    rows = sheet_rows(ledger, actions.CHANGES_SHEET)
    assert rows[2][0] == "两份台账之间没有变更" and len(rows) == 5
    wb = openpyxl.load_workbook(ledger)
    assert wb.sheetnames == ["订单跟踪", actions.CHANGES_SHEET]
    assert all(ws.sheet_state == "visible" for ws in wb.worksheets)


def test_compare_with_a_chosen_file(tmp_path):
    last_week = write_ledger(tmp_path / "last week.xlsx")
    ledger = write_ledger(tmp_path / "ledger.xlsx")
    edit(ledger)
    messages = press(ledger, chosen=last_week)
    assert messages[0].startswith(f"Compared sheet 订单跟踪 with {last_week}: 3 changes in 2 orders")
    # the comparison keeps the snapshot for the next press
    assert (tmp_path / ".ledger.xlsx.orderdesk-snapshot.xlsx").is_file()
    assert press(ledger, chosen=tmp_path / "gone.xlsx") == [
        f"Error: The file to compare with is not there: {tmp_path / 'gone.xlsx'}"]


def test_a_user_sheet_named_like_ours_is_never_replaced(tmp_path):
    ledger = write_ledger(tmp_path / "ledger.xlsx")
    press(ledger)
    wb = openpyxl.load_workbook(ledger)
    wb.create_sheet(actions.CHANGES_SHEET)["B2"] = "my notes"
    wb.save(ledger)
    message = press(ledger)[0]
    assert "B2" in message and "my notes" in message
    assert sheet_rows(ledger, actions.CHANGES_SHEET)[1][1] == "my notes"


def test_the_cache_folder_when_the_workbook_folder_takes_no_snapshot(tmp_path, monkeypatch):
    ledger = write_ledger(tmp_path / "ledger.xlsx")
    blocked = tmp_path / "a file"
    blocked.write_text("x")
    monkeypatch.setattr(snapshot, "beside", lambda path: blocked / f".{path.name}{snapshot.SUFFIX}")
    press(ledger)
    cached = snapshot.in_cache(ledger, "ledger.xlsx")
    assert cached.parent == tmp_path / "cache" / "snapshots" and cached.is_file()
    edit(ledger)
    assert press(ledger)[0].startswith(f"Compared sheet 订单跟踪 with {cached}: 3 changes")


def test_compare_with_file_decodes_the_hex_path(tmp_path, monkeypatch):
    seen, chosen = [], []
    monkeypatch.setattr(actions, "run", lambda action, book=None: seen.append(action))
    monkeypatch.setattr(actions, "compare_snapshot_action", lambda book, path=None: chosen.append(path))
    path = "C:\\报表\\it's \"old\" 𠀀.xlsx"         # 𠀀: beyond the BMP, two UTF-16 code units in VBA
    actions.compare_with_file(path.encode("utf-16-be").hex().upper())
    seen[0](None)
    assert chosen == [path]
    actions.compare_with_file("00Z")
    with pytest.raises(actions.InputError, match="not a file path"):
        seen[1](None)


def test_on_the_ledger_template_from_any_plan_sheet(tmp_path):
    """Pressed while a plan input (here Stock) is the active sheet: the Orders sheet is compared."""
    import shutil
    path = tmp_path / "OrderLedger.xlsm"
    shutil.copy(Path(__file__).resolve().parent.parent / "workbook_templates" / "OrderLedger.xlsm", path)
    wb = openpyxl.load_workbook(path, keep_vba=True)
    wb.active = wb.sheetnames.index("Stock")
    wb.save(path)
    assert press(path)[0].startswith("No snapshot from an earlier comparison: kept the 5 lines of sheet Orders")
    wb = openpyxl.load_workbook(path, keep_vba=True)
    wb["Orders"]["D3"] = 600                       # PO-1001: 500 -> 600 (row 2 is the header)
    wb.active = wb.sheetnames.index("Stock")
    wb.save(path)
    assert press(path)[0].startswith(f"Compared sheet Orders with {tmp_path / '.OrderLedger.xlsm.orderdesk-snapshot.xlsx'}: "
                                     "1 changes in 1 orders")
    rows = sheet_rows(path, actions.CHANGES_SHEET)
    assert rows[5][:7] == ["PO-1001", None, "ACME", "A-100", "数量", "500", "600"]


def test_with_the_plan_sheets_the_moved_promise_is_listed(tmp_path):
    """The template holds BOM, Stock, Purchases, Capacity and Routing: a quantity change re-promises
    the changed line (and the lines sharing its parts or lines); the dates are the Promise date
    button's for that line before and after the edit (PO-1003 is the earliest due: first claim)."""
    import shutil
    path = tmp_path / "OrderLedger.xlsm"
    shutil.copy(Path(__file__).resolve().parent.parent / "workbook_templates" / "OrderLedger.xlsm", path)

    def promise_button() -> dt.datetime:
        book = FileBook(path, selection=("Orders", 5))           # PO-1003, C-300
        actions.run(actions.promise_date_action, book)
        return openpyxl.load_workbook(path)["Orders"].cell(5, 14).value

    before = promise_button()
    press(path)
    wb = openpyxl.load_workbook(path, keep_vba=True)
    wb["Orders"]["D5"] = 1000                       # PO-1003: 300 -> 1000
    wb.save(path)
    messages = press(path)
    after = promise_button()
    assert messages[0].endswith("\nLines whose capable-to-promise date moves: 1")
    rows = sheet_rows(path, actions.CHANGES_SHEET)
    assert rows[5][:7] == ["PO-1003", None, "Globex", "C-300", "数量", "300", "1,000"]
    assert rows[7][0] == "交期重排" and rows[8][:4] == ["订单号", "行号", "原可承诺交期", "新可承诺交期"]
    assert rows[9][:4] == ["PO-1003", None, before, after] and after > before
