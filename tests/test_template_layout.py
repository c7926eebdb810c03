"""The macro-enabled templates as a user gets them (issue 13 item 6): the ledger is an Excel Table,
status and exception type have dropdowns the readers understand, and the sheet buttons sit in a
band above the header, clear of every cell OrderDesk writes. Read from the committed templates
(tests/test_vba_build.py checks they equal a fresh build)."""
from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from addin.cli import main
from addin.compute.rootcause import CAUSES, classify_causes
from addin.excel import actions
from addin.excel.book import FileBook
from addin.readers.values import status_column
from addin.schema import STATUS_WORDS
from addin.xlam import build

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "workbook_templates"
STATUS = ["待排产", "生产中", "已出货", "已完成", "已取消", "open", "in progress", "shipped", "closed", "cancelled"]
CAUSE_WORDS = ["物料", "品质", "设备", "工程技术", "产能", "客户", "物流", "不可抗力", "其他",
               "Material", "Quality", "Equipment", "Engineering", "Capacity", "Customer", "Logistics",
               "Force majeure", "Other"]


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(actions, "_today", lambda: dt.date(2026, 11, 20))


def copy_of(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.write_bytes((TEMPLATES / name).read_bytes())
    return path


# ---------------------------------------------------------------- the Excel Table

@pytest.mark.parametrize("name, sheet, table, ref", [("OrderLedger.xlsm", "Orders", "OrderLedger", "A2:M7"),
                                                     ("ContractReview.xlsm", "Orders", "PoLines", "A2:J4"),
                                                     ("ContractReview.xlsm", "Quotes", "Quotes", "A1:K4")])
def test_each_data_sheet_is_an_excel_table_over_its_header_and_rows(name, sheet, table, ref):
    ws = openpyxl.load_workbook(TEMPLATES / name, keep_vba=True)[sheet]
    assert list(ws.tables) == [table]
    t = ws.tables[table]
    assert t.ref == ref and t.autoFilter.ref == ref
    first, last = ref.split(":")
    header = [c.value for c in ws[first[1:]] if c.value is not None]
    assert [c.name for c in t.tableColumns] == header
    # every row with data is inside the table, nothing below it
    assert ws.max_row == int(last[1:]) and ws.max_column == len(header)
    if name == "OrderLedger.xlsm":
        assert tuple(header) == build.LEDGER_HEADER


# ---------------------------------------------------------------- dropdowns

def validations(path: Path, sheet: str) -> dict[str, object]:
    ws = openpyxl.load_workbook(path, keep_vba=True)[sheet]
    return {str(v.sqref): v for v in ws.data_validations.dataValidation}


def test_status_and_exception_type_have_dropdowns_over_every_row_the_table_can_grow_into():
    found = validations(TEMPLATES / "OrderLedger.xlsm", "Orders")
    assert sorted(found) == ["J3:J1048576", "L3:L1048576"]   # 状态 Status, 异常类型 Exception Type
    status, cause = found["J3:J1048576"], found["L3:L1048576"]
    assert status.type == cause.type == "list"
    assert status.formula1 == '"' + ",".join(STATUS) + '"'
    assert cause.formula1 == '"' + ",".join(CAUSE_WORDS) + '"'
    # a status off the list is warned about (a user's own word may still be one the readers know);
    # an exception type is free text (the readers classify notes by keywords): the list only suggests
    assert status.showErrorMessage and status.errorStyle == "warning"
    assert status.error == ("OrderDesk 不认识这个状态，请从列表中选择；仍要保留请点“是”。OrderDesk does not know this "
                            "status: pick one from the list, or click Yes to keep it.")
    assert not cause.showErrorMessage
    assert not status.showInputMessage and not cause.showInputMessage
    assert len(status.formula1) <= 257 and len(cause.formula1) <= 257   # Excel's 255-character list limit


def test_every_dropdown_status_is_read_as_its_status():
    assert list(build.STATUS_CHOICES) == list(STATUS_WORDS)
    codes, problems = status_column(pd.Series(STATUS, dtype=object))
    assert list(codes) == list(STATUS_WORDS) * 2 and problems.isna().all()


def test_every_dropdown_cause_is_classified_as_its_cause():
    types = pd.Series(CAUSE_WORDS, dtype=object)
    assert list(classify_causes(types, pd.Series([None] * len(types), dtype=object))) == list(CAUSES) * 2


# ---------------------------------------------------------------- buttons clear of what OrderDesk writes

def button_anchors(path: Path) -> dict[str, tuple[int, int, int, int]]:
    """macro -> (first column, first row, last column, last row), 0-based, from the legacy drawing."""
    with zipfile.ZipFile(path) as z:
        vml = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".vml"))
    out = {}
    for shape in re.findall(r"<v:shape .*?</v:shape>", vml, re.S):
        macro = re.search(r"<x:FmlaMacro>\[0\]!(\w+)</x:FmlaMacro>", shape).group(1)
        anchor = [int(x) for x in re.search(r"<x:Anchor>([^<]*)</x:Anchor>", shape).group(1).split(",")]
        out[macro] = (anchor[0], anchor[2], anchor[4], anchor[6])
    return out


def cells(path: Path, sheet: str) -> dict[tuple[int, int], object]:
    ws = openpyxl.load_workbook(path, keep_vba=True)[sheet]
    return {(c.row - 1, c.column - 1): c.value for row in ws.iter_rows() for c in row if c.value is not None}


def written(before: dict, after: dict) -> set[tuple[int, int]]:
    return {k for k in set(before) | set(after) if before.get(k) != after.get(k)}


def test_ledger_buttons_sit_above_the_header_and_off_every_cell_the_buttons_write(tmp_path):
    path = copy_of(tmp_path, "OrderLedger.xlsm")
    anchors = button_anchors(path)
    assert list(anchors) == ["RefreshRiskColours", "RefreshOtdPivot", "RootCauseSummary", "PromiseDate", "PmcPlan",
                             "CompareSnapshot"]
    book = FileBook(path)
    header_row = build.header_row(build.Sheet("Orders", buttons=("PromiseDate",)))   # 0-based
    assert header_row == 1
    from addin.excel.book import read_table
    assert read_table(book, "Orders", "ledger").header_row == header_row + 1          # 1-based: row 2
    for macro, (c1, r1, c2, r2) in anchors.items():
        assert r1 == r2 == 0, macro            # inside the band: above the header, whatever column
        assert c1 <= c2
    # side by side, not on top of each other
    spans = sorted((c1, c2) for c1, _, c2, _ in anchors.values())
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
    ws = openpyxl.load_workbook(path, keep_vba=True)["Orders"]
    assert ws.row_dimensions[1].height == build.BUTTON_ROW_HEIGHT and ws.freeze_panes == "A3"
    assert all(ws.cell(1, c).value is None for c in range(1, 30))   # the band holds no cell under a button

    before = cells(path, "Orders")
    actions.run(actions.refresh_risk_colours_action, book)
    assert book.messages and book.messages[0].startswith("Risk colours on sheet Orders"), book.messages
    changed = written(before, cells(path, "Orders"))
    assert changed and min(r for r, _ in changed) >= header_row
    for macro, (c1, r1, c2, r2) in anchors.items():
        assert not [cell for cell in changed if r1 <= cell[0] <= r2 and c1 <= cell[1] <= c2], macro


def test_review_buttons_clear_of_the_promise_column(tmp_path):
    path = copy_of(tmp_path, "ContractReview.xlsm")
    anchors = button_anchors(path)
    assert list(anchors) == ["ContractReview", "PromiseDate"]
    assert all(r1 == r2 == 0 for _, r1, _, r2 in anchors.values())
    before = cells(path, "Orders")
    book = FileBook(path, selection=("Orders", 3))     # PO-2001 line 1
    actions.run(actions.promise_date_action, book)
    assert book.messages[0].startswith("PO-2001 (Orders row 3): promise date 2026-11-23"), book.messages
    changed = written(before, cells(path, "Orders"))
    assert changed and min(r for r, _ in changed) >= 1
    for macro, (c1, r1, c2, r2) in anchors.items():
        assert not [cell for cell in changed if r1 <= cell[0] <= r2 and c1 <= cell[1] <= c2], macro


# ---------------------------------------------------------------- still read as they were

def test_orderdesk_check_reads_the_templates(capsys):
    assert main(["check", str(TEMPLATES / "OrderLedger.xlsm")]) == 0
    out = capsys.readouterr().out
    assert "sheet 'Orders'  kind ledger (sales)  header row 2" in out
    assert "status                 <- 状态 Status  (1.00)" in out
    assert "exception_type         <- 异常类型 Exception Type  (1.00)" in out
    assert "rows: read 5 = valid 5 + issues 0 + blank/total 0" in out
    assert main(["check", str(TEMPLATES / "ContractReview.xlsm"), "--sheet", "Orders", "--kind", "ledger"]) == 0
    out = capsys.readouterr().out
    assert "header row 2" in out and "rows: read 2 = valid 2 + issues 0 + blank/total 0" in out
    assert main(["check", str(TEMPLATES / "ContractReview.xlsm"), "--sheet", "Quotes"]) == 0
    assert "rows: read 3 = valid 3 + issues 0 + blank/total 0" in capsys.readouterr().out
