"""Issue 16 item 3: the PMC plan button in the ledger template. The template has the sheets the
plan reads (BOM, Stock, Purchases, Capacity, Routing), each read as its kind; the Plan button on a
copy writes the four plan sheets from them — the shortage worked out by hand below — and a second
press replaces them. The button and its ribbon entry run actions.pmc_plan."""
from __future__ import annotations

import datetime as dt
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

from addin.excel import actions
from addin.excel.book import FileBook, read_table
from addin.excel.compute import PLAN_SHEETS, plan_sheets

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "workbook_templates" / "OrderLedger.xlsm"
D = dt.datetime


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(actions, "_today", lambda: dt.date(2026, 11, 20))


def test_the_ledger_template_has_every_sheet_the_plan_reads():
    book = FileBook(TEMPLATE)
    found = plan_sheets(book)
    assert found == {"bom": "BOM", "stock": "Stock", "purchases": "Purchases", "capacity": "Capacity",
                     "routing": "Routing"}
    assert set(found) == set(PLAN_SHEETS)
    purchases = read_table(book, "Purchases", "purchases")
    assert not purchases.issues
    assert purchases.data[["po_no", "supplier", "part_no", "qty"]].values.tolist() == [
        ["PUR-301", "Acme Semi", "IC-7", 1000], ["PUR-302", "Shenzhen PCB", "PCB-1", 500]]
    bom = read_table(book, "BOM", "bom").data
    assert bom.loc[bom["component"] == "IC-7", "alternates"].tolist() == [("IC-7B",), ("IC-7B",)]


def test_plan_button_on_the_template_writes_the_four_sheets(tmp_path):
    path = tmp_path / "OrderLedger.xlsm"
    shutil.copy(TEMPLATE, path)
    book = FileBook(path)
    actions.run(actions.pmc_plan_action, book)
    assert book.messages == ["PMC plan: 2 open line(s): 1 part(s) short (1 to order today), 1 line(s) blocked, "
                             "0 purchase line(s) late or at risk, 0 overloaded line-week(s). See the sheets "
                             "缺料清单, 产能负荷, 受阻订单, 延期采购."]
    wb = openpyxl.load_workbook(path, keep_vba=True)
    assert wb.sheetnames[-4:] == ["缺料清单", "产能负荷", "受阻订单", "延期采购"]
    # By hand: open lines PO-1003 (C-300 x300, due 11-05) and PO-1004 (A-100 x800, due 11-30).
    # IC-7: 600 on hand + PUR-301 1000 (due 11-25, 2 inspection days: 11-27) = 1600; PO-1003 takes
    # 300 first (earlier due date), PO-1004 needs 800 x 2 = 1600 against 1300 + IC-7B 200: 100
    # short, bought as the MOQ 1000, ordered by 11-27 less 30 + 2 working days = 2026-10-14.
    shortages = [list(r) for r in wb["缺料清单"].iter_rows(values_only=True)]
    assert shortages[1][:6] == ["IC-7", D(2026, 11, 27), 100, "IC-7B", 1000, D(2026, 10, 14)]
    assert len(shortages) == 2
    blocked = [list(r) for r in wb["受阻订单"].iter_rows(values_only=True)]
    assert [r[0] for r in blocked[1:]] == ["PO-1004"]
    with zipfile.ZipFile(path) as z:
        assert "xl/vbaProject.bin" in z.namelist()
    actions.run(actions.pmc_plan_action, FileBook(path))
    again = openpyxl.load_workbook(path, keep_vba=True)
    assert again.sheetnames == wb.sheetnames
    assert [list(r) for r in again["缺料清单"].iter_rows(values_only=True)] == shortages


def test_plan_and_compare_are_buttons_and_ribbon_entries():
    from addin.xlam import build
    assert build.LEDGER_BUTTONS[-2:] == ("PmcPlan", "CompareSnapshot")
    macros = (ROOT / "macros" / "OrderDeskMacros.bas").read_text(encoding="utf-8")
    assert re.search(r'Public Sub PmcPlan\(\)\n    RunPython "import addin.excel.actions as a; a.pmc_plan\(\)"', macros)
    assert re.search(r'Public Sub CompareSnapshot\(\)\n    RunPython "import addin.excel.actions as a; '
                     r'a.compare_snapshot\(\)"', macros)
    # the chosen file's path reaches Python as hex digits only
    assert re.search(r"a\.compare_with_file\('\" & code & \"'\)", macros)
    ui = (ROOT / "macros" / "customUI14.xml").read_text(encoding="utf-8")
    for callback in ("OnPmcPlan", "OnCompareSnapshot", "OnCompareWithFile"):
        assert f'onAction="{callback}"' in ui
    assert callable(actions.pmc_plan) and callable(actions.compare_snapshot) and callable(actions.compare_with_file)
