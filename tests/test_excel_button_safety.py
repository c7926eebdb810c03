"""SPEC 7: a button writes only into empty cells or OrderDesk's own columns (found by their header
in the readers' header block), never overwrites a user's cell and never deletes a user's
conditional-formatting rule (issue 13, item 1).

The buttons run as Excel runs them (``addin.excel.actions`` through a Book), on the openpyxl
Book, on the shipped templates, the bundled sample ledgers and ledgers written here (a merged
two-row header under a title, user columns to the right of the header, user rules). Every cell
value of every sheet is compared before and after.
"""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pytest
from openpyxl.formatting.rule import CellIsRule, ColorScaleRule, FormulaRule
from openpyxl.styles import PatternFill

from addin.excel import actions
from addin.excel.book import FileBook, column_letter
from addin.excel.placement import (OwnColumn, Painted, is_own_formula, marked, place_columns, static_conditions,
                                   static_fills, to_clear, unmarked)

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "workbook_templates"
TODAY = dt.date(2026, 11, 20)
OWN_HEADERS = {actions.RISK_HEADER, actions.RISK_REASON_HEADER, actions.PROMISE_HEADER}


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(actions, "_today", lambda: TODAY)


def day(offset: int) -> dt.datetime:
    d = TODAY + dt.timedelta(days=offset)
    return dt.datetime(d.year, d.month, d.day)


def load(path: Path):
    return openpyxl.load_workbook(path, keep_vba=path.suffix == ".xlsm")


def cells(path: Path) -> dict[tuple[str, int, int], object]:
    """(sheet, row, column) -> value of every non-empty cell of every sheet (formulas as text)."""
    wb = load(path)
    return {(ws.title, c.row, c.column): c.value for ws in wb.worksheets
            for row in ws.iter_rows() for c in row if c.value is not None and c.value != ""}


def own_columns(path: Path, sheet: str) -> set[int]:
    """The columns headed with one of OrderDesk's headers (in the first rows)."""
    ws = load(path)[sheet]
    return {c.column for row in ws.iter_rows(max_row=10) for c in row if c.value in OWN_HEADERS}


def assert_only_empty_or_own_changed(before: dict, after: dict, path: Path, sheet: str) -> set[int]:
    """Every original value still there, unchanged, outside OrderDesk's own columns; cells
    written only where nothing was or in those columns. Returns the own columns."""
    own = own_columns(path, sheet)
    assert own, "the button wrote no column"
    changed = sorted(k for k in before if after.get(k) != before[k])
    assert [k for k in changed if not (k[0] == sheet and k[2] in own)] == []
    new = [k for k in after if k not in before]
    assert [k for k in new if not (k[0] == sheet and k[2] in own)] == []
    return own


def rules(path: Path, sheet: str) -> list[tuple[str, str]]:
    """(range, formula or type) of every conditional-formatting rule of the sheet."""
    ws = load(path)[sheet]
    return [(str(cf.sqref), r.formula[0] if r.formula else r.type) for cf in ws.conditional_formatting for r in cf.rules]


def add_sheet(path: Path, name: str, rows: list[list]) -> None:
    wb = load(path)
    ws = wb.create_sheet(name)
    for row in rows:
        ws.append(row)
    wb.save(path)


QUOTES = [["Quote No", "Customer", "Part No", "Rev", "Break Qty", "Unit Price", "Currency", "Lead Time", "Valid Until"]]


def quotes_for(path: Path, sheet: str) -> None:
    """A Quotes sheet quoting every part of the ledger (column headed with a part number), so the
    promise button has something to promise from."""
    from addin.excel.book import read_table
    ledger = read_table(FileBook(path), sheet, "ledger")
    pairs = sorted({(str(c), str(p)) for c, p in zip(ledger.data["customer"], ledger.data["part_no"])})
    add_sheet(path, "Quotes", QUOTES + [[f"Q-{i}", c, p, None, 1, 1.0, "CNY", 15, day(300)]
                                        for i, (c, p) in enumerate(pairs)])


# ---------------------------------------------------------------- a merged two-row-header ledger

def merged_ledger(path: Path, *, n: int = 30, user_rules: bool = True) -> Path:
    """A title row, a two-row header with merged cells (交期 over three sub-headers, the others
    merged down), user columns 异常类型/异常说明 at the right end and a user note to the right of
    the header in some data rows (no header above it): the first free column is after that note."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "订单跟踪"
    ws.append(["2026 客户订单跟踪表"])
    ws.merge_cells("A1:J1")
    upper = ["订单号", "客户名称", "料号", "订单数量", "交期", None, None, "出货日期", "订单状态", "异常", None]
    lower = [None, None, None, None, "客户交期", "首次承诺交期", "承诺交期", None, None, "异常类型", "异常说明"]
    ws.append(upper)
    ws.append(lower)
    for col in "ABCDHI":
        ws.merge_cells(f"{col}2:{col}3")
    ws.merge_cells("E2:G2")
    ws.merge_cells("J2:K2")
    statuses = ["已出货", "生产中", "待排产", "已取消"]
    for i in range(n):
        shipped = i % 4 == 0
        ws.append([f"PO-{i:03d}", ["ACME", "Globex"][i % 2], f"P-{i % 5}", 10 * (i + 1), day(i - 20), day(i - 20),
                   day(i - 15), day(i - 16) if shipped else None, statuses[i % 4],
                   "缺料" if i % 7 == 0 else None, "供应商延期" if i % 5 == 0 else None])
    ws.cell(6, 13, "客户要求分批")      # M6: a user note beyond the header's last column
    ws.cell(n + 6, 1, "备注：交期以客户最新确认为准")   # a note under the table
    if user_rules:
        ws.conditional_formatting.add(f"D4:D{n + 3}", CellIsRule(operator="greaterThan", formula=["200"],
                                                                 fill=PatternFill("solid", start_color="C6EFCE")))
        ws.conditional_formatting.add(f"A4:K{n + 3}", FormulaRule(formula=['$I4="已取消"'],
                                                                  fill=PatternFill("solid", start_color="BDD7EE")))
        ws.conditional_formatting.add(f"H4:H{n + 3}", ColorScaleRule(start_type="min", start_color="FFFFFF",
                                                                     end_type="max", end_color="63BE7B"))
    wb.save(path)
    return path


def test_risk_on_merged_two_row_header_writes_after_the_last_used_column_of_any_row(tmp_path):
    path = merged_ledger(tmp_path / "ledger.xlsx")
    before = cells(path)
    book = FileBook(path)
    actions.run(actions.refresh_risk_colours_action, book)
    assert book.messages[0].startswith("Risk colours on sheet 订单跟踪, column N:")   # M holds the user's note
    own = assert_only_empty_or_own_changed(before, cells(path), path, "订单跟踪")
    assert own == {14, 15}
    ws = load(path)["订单跟踪"]
    assert (ws["N3"].value, ws["O3"].value) == ("风险 Risk", "风险原因 Risk reason")   # on the lower header row
    assert ws["N4"].value == "done" and ws["M6"].value == "客户要求分批"
    assert ws["N36"].value is None     # the note row under the table is no line


def test_a_users_rules_survive_and_a_second_refresh_replaces_only_orderdesks(tmp_path):
    path = merged_ledger(tmp_path / "ledger.xlsx")
    users = rules(path, "订单跟踪")
    assert len(users) == 3
    actions.run(actions.refresh_risk_colours_action, FileBook(path))
    first = rules(path, "订单跟踪")
    own = [r for r in first if is_own_formula(r[1])]
    assert [r for r in first if not is_own_formula(r[1])] == users
    assert own == [("A4:O36", f'("OrderDesk"<>"")*($N4="{code}")') for code in ("overdue", "at_risk", "done")]
    # the ledger grows by two lines; the second press replaces OrderDesk's three rules only
    wb = load(path)
    ws = wb["订单跟踪"]
    ws.insert_rows(34, 2)
    ws["A34"], ws["B34"], ws["C34"], ws["D34"], ws["G34"], ws["I34"] = "PO-900", "ACME", "P-1", 5, day(-3), "生产中"
    wb.save(path)
    before = cells(path)
    actions.run(actions.refresh_risk_colours_action, FileBook(path))
    second = rules(path, "订单跟踪")
    assert sum(is_own_formula(f) for _, f in second) == 3
    assert [r for r in second if not is_own_formula(r[1])] == users   # (openpyxl's insert_rows moves no rule)
    assert {r for r, f in second if is_own_formula(f)} == {"A4:O38"}   # the grown table, the note row included
    assert_only_empty_or_own_changed(before, cells(path), path, "订单跟踪")
    assert load(path)["订单跟踪"]["N34"].value == "overdue"


def test_own_rules_of_another_sheet_and_a_users_look_alike_rule_are_kept(tmp_path):
    path = merged_ledger(tmp_path / "ledger.xlsx", user_rules=False)
    wb = load(path)
    ws = wb["订单跟踪"]
    # the user's own rule with the very condition OrderDesk uses, but no marker: the user's
    ws.conditional_formatting.add("A4:C33", FormulaRule(formula=['$N4="overdue"'], fill=PatternFill("solid", start_color="FF0000")))
    wb.save(path)
    for _ in range(2):
        actions.run(actions.refresh_risk_colours_action, FileBook(path))
    got = rules(path, "订单跟踪")
    assert ("A4:C33", '$N4="overdue"') in got and len(got) == 4


@pytest.mark.parametrize("name,sheet", [("sample_ledger_zh.xlsx", "订单跟踪"), ("sample_ledger_en.xlsx", "Orders"),
                                        ("OrderLedger.xlsm", "Orders")])
def test_risk_on_the_samples_and_the_ledger_template(tmp_path, name, sheet):
    path = tmp_path / name
    shutil.copy(TEMPLATES / name, path)
    before = cells(path)
    user_rules = rules(path, sheet)
    width = max(k[2] for k in before if k[0] == sheet)
    for press in range(2):
        book = FileBook(path)
        actions.run(actions.refresh_risk_colours_action, book)
        assert book.messages[0].startswith(f"Risk colours on sheet {sheet}, column {column_letter(width + 1)}:"), book.messages
        own = assert_only_empty_or_own_changed(before, cells(path), path, sheet)
        assert own == {width + 1, width + 2}
        got = rules(path, sheet)
        assert [r for r in got if not is_own_formula(r[1])] == user_rules
        assert sum(is_own_formula(f) for _, f in got) == 3


@pytest.mark.parametrize("name,sheet", [("template_ledger_zh.xlsx", "订单跟踪"), ("template_ledger_en.xlsx", "Orders")])
def test_risk_on_the_empty_ledger_templates_writes_nothing_of_the_users(tmp_path, name, sheet):
    """The empty templates: the header found, two lines typed in; the merged header stays whole."""
    path = tmp_path / name
    shutil.copy(TEMPLATES / name, path)
    wb = load(path)
    ws = wb[sheet]
    for r, (po, status) in enumerate([("PO-1", "生产中"), ("PO-2", "已出货")], start=4):
        ws.cell(r, 1, po), ws.cell(r, 2, 1), ws.cell(r, 3, "ACME"), ws.cell(r, 5, "P-1"), ws.cell(r, 8, 10)
        ws.cell(r, 14, day(-3)), ws.cell(r, 17, status)
    wb.save(path)
    before = cells(path)
    merges = {str(m) for m in load(path)[sheet].merged_cells.ranges}
    book = FileBook(path)
    actions.run(actions.refresh_risk_colours_action, book)
    assert book.messages[0].startswith(f"Risk colours on sheet {sheet}, column W:"), book.messages
    assert assert_only_empty_or_own_changed(before, cells(path), path, sheet) == {23, 24}
    assert {str(m) for m in load(path)[sheet].merged_cells.ranges} == merges


# ---------------------------------------------------------------- promise date

@pytest.mark.parametrize("case", ["merged", "sample_ledger_zh.xlsx", "OrderLedger.xlsm"])
def test_promise_writes_beside_the_table_only(tmp_path, case):
    if case == "merged":
        path, sheet, row = merged_ledger(tmp_path / "ledger.xlsx"), "订单跟踪", 5
    else:
        path = tmp_path / case
        shutil.copy(TEMPLATES / case, path)
        sheet = "订单跟踪" if case.startswith("sample") else "Orders"
        from addin.excel.book import read_table
        ledger = read_table(FileBook(path), sheet, "ledger")
        row = int(ledger.data["source_row"].iloc[1])
    quotes_for(path, sheet)
    before = cells(path)
    width = max(k[2] for k in before if k[0] == sheet)
    for press in range(2):
        book = FileBook(path, selection=(sheet, row + press))
        actions.run(actions.promise_date_action, book)
        assert "Error" not in book.messages[0], book.messages
    after = cells(path)
    own = assert_only_empty_or_own_changed(before, after, path, sheet)
    assert own == {width + 1}
    assert isinstance(after[(sheet, row, width + 1)], dt.datetime)
    assert isinstance(after[(sheet, row + 1, width + 1)], dt.datetime)
    # then the risk button: its columns come after the promise column, the promise column kept
    actions.run(actions.refresh_risk_colours_action, FileBook(path))
    assert own_columns(path, sheet) == {width + 1, width + 2, width + 3}
    assert cells(path)[(sheet, row, width + 1)] == after[(sheet, row, width + 1)]


# ---------------------------------------------------------------- the place is taken

LEDGER = [
    ["Order No", "Customer", "Part No", "Qty", "Promised Date", "Ship Date", "Status"],
    ["PO-1", "ACME", "A", 1, day(-5), None, "open"],
    ["PO-2", "ACME", "A", 1, day(20), None, "open"],
    ["PO-3", "ACME", "A", 1, day(-20), day(-21), "shipped"],
]


def plain_ledger(path: Path, rows: list[list]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Orders"
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def assert_untouched(path: Path, before_bytes: bytes, before_cells: dict) -> None:
    assert path.read_bytes() == before_bytes
    assert cells(path) == before_cells


def test_own_risk_column_whose_neighbour_holds_user_values_is_a_message_and_nothing_written(tmp_path, monkeypatch):
    rows = [r + ([actions.RISK_HEADER, "Comments"] if i == 0 else ["overdue", f"call customer {i}"])
            for i, r in enumerate(LEDGER)]
    path = plain_ledger(tmp_path / "ledger.xlsx", rows)
    data, before = path.read_bytes(), cells(path)
    book = FileBook(path)
    actions.run(actions.refresh_risk_colours_action, book)
    assert book.messages == ["Error: Nothing written: Orders!I1 holds your value 'Comments'. OrderDesk writes only "
                             "into empty cells or its own columns (风险 Risk, 风险原因 Risk reason) — clear or move "
                             "that column and press again"]
    assert_untouched(path, data, before)
    monkeypatch.setattr(FileBook, "ui_lang", lambda self: "zh")
    book = FileBook(path)
    actions.run(actions.refresh_risk_colours_action, book)
    assert book.messages == ["错误：未写入任何内容：Orders!I1 中有您的数据「Comments」。OrderDesk 只写入空白单元格或它自己的列"
                             "（风险 Risk，风险原因 Risk reason）— 请清空或移走该列后再按一次"]
    assert_untouched(path, data, before)


def test_a_sheet_used_to_the_last_column_is_a_message_and_nothing_written(tmp_path, monkeypatch):
    path = plain_ledger(tmp_path / "ledger.xlsx", LEDGER)
    wb = openpyxl.load_workbook(path)
    wb["Orders"].cell(3, 16384, "x")         # XFD3: no column left to the right
    wb.save(path)
    data, before = path.read_bytes(), cells(path)
    monkeypatch.setattr(FileBook, "ui_lang", lambda self: "zh")
    book = FileBook(path)
    actions.run(actions.refresh_risk_colours_action, book)
    assert book.messages == ["错误：未写入任何内容：工作表 Orders 右侧已没有空列可写入 风险 Risk，风险原因 Risk reason"]
    assert_untouched(path, data, before)


def test_promise_on_a_full_sheet_is_a_message_and_nothing_written(tmp_path):
    path = plain_ledger(tmp_path / "ledger.xlsx", LEDGER)
    add_sheet(path, "Quotes", QUOTES + [["Q-1", "ACME", "A", None, 1, 1.0, "CNY", 15, day(300)]])
    wb = openpyxl.load_workbook(path)
    wb["Orders"].cell(1, 16384, "last")
    wb.save(path)
    data, before = path.read_bytes(), cells(path)
    book = FileBook(path, selection=("Orders", 2))
    actions.run(actions.promise_date_action, book)
    assert book.messages == ["Error: Nothing written: sheet Orders has no empty column left on the right for "
                             "建议承诺交期 Promise date"]
    assert_untouched(path, data, before)


def test_a_users_column_headed_risk_is_not_taken_for_orderdesks(tmp_path):
    """'Risk' is what the command line's risk copy writes; a user's own Risk column holding
    'high'/'low' is the user's: OrderDesk's columns go after it."""
    rows = [r + (["Risk"] if i == 0 else [["high", "low", None, "low"][i]]) for i, r in enumerate(LEDGER)]
    path = plain_ledger(tmp_path / "ledger.xlsx", rows)
    before = cells(path)
    book = FileBook(path)
    actions.run(actions.refresh_risk_colours_action, book)
    assert book.messages[0].startswith("Risk colours on sheet Orders, column I:")
    assert_only_empty_or_own_changed(before, cells(path), path, "Orders")


def test_the_command_lines_risk_column_is_reused(tmp_path):
    """A copy written by ``orderdesk risk`` (header 风险 / Risk, labels in the cells): the button
    writes over that column, not beside it."""
    rows = [r + (["风险"] if i == 0 else [["逾期", "正常", "已完成"][i - 1]]) for i, r in enumerate(LEDGER)]
    path = plain_ledger(tmp_path / "ledger.xlsx", rows)
    book = FileBook(path)
    actions.run(actions.refresh_risk_colours_action, book)
    assert book.messages[0].startswith("Risk colours on sheet Orders, column H:")
    ws = load(path)["Orders"]
    assert (ws["H1"].value, ws["I1"].value, ws["H2"].value) == ("风险 Risk", "风险原因 Risk reason", "overdue")


# ---------------------------------------------------------------- the rule, pure

OWN = (OwnColumn("风险 Risk", ("risk",), lambda v: v in ("overdue", "done")), OwnColumn("风险原因 Risk reason"))


def test_place_columns_finds_own_columns_anywhere_in_the_header_block():
    grid = [["title"], ["PO", "风险 Risk", "风险原因 Risk reason"], ["", None, None], ["PO-1", "done", "x"], ["PO-2"]]
    place = place_columns(grid, 2, 3, OWN)
    assert (place.column, place.header_row, place.own) == (2, 2, True)
    # a title above the block is not the block: an own header there is not found
    assert place_columns(grid, 3, 3, OWN).column == 4


def test_place_columns_counts_every_row_and_merged_areas_over_the_written_rows():
    grid = [["a title that is long", None, None, None, None, None, "x"], ["PO", "Qty"], ["PO-1", 1, None, "note"]]
    assert place_columns(grid, 2, 2, OWN).column == 8            # G1 (a title row) counts too
    assert place_columns(grid[1:], 1, 1, OWN).column == 5         # after D3's note
    assert place_columns(grid[1:], 1, 1, OWN, merged=[(2, 5, 3, 6)]).column == 7
    assert place_columns(grid[1:], 1, 1, OWN, merged=[(0, 5, 0, 9)]).column == 5   # above the rows written


def test_place_columns_taken_and_full():
    grid = [["PO", "风险 Risk", "Notes"], ["PO-1", "done", "mine"]]
    place = place_columns(grid, 1, 1, OWN)
    assert not place.ok and place.taken == (1, 3, "Notes")
    grid = [["PO", "风险 Risk", None], ["PO-1", "done", "mine"]]
    assert place_columns(grid, 1, 1, OWN).taken == (2, 3, "mine")
    grid = [["PO", "risk"], ["PO-1", "high"]]            # an alias header with the user's values
    assert place_columns(grid, 1, 1, OWN).column == 3
    full = [["PO"] + [None] * 16382 + ["x"]]
    assert place_columns(full, 1, 1, OWN).taken == (1, 16385, None)
    grid = [["PO", "风险 Risk"], ["PO-1", "done"], ["PO-2", None]]
    assert place_columns(grid, 1, 1, OWN, merged=[(3, 2, 3, 3)]).taken == (3, 2, None)


def test_marker_round_trip():
    f = marked('=$N4="overdue"')
    assert f == '=("OrderDesk"<>"")*($N4="overdue")'
    assert is_own_formula(f) and is_own_formula(f[1:]) and is_own_formula('=( "OrderDesk" <> "" ) * ($N4="x")')
    assert unmarked(f) == '=$N4="overdue"'
    assert not is_own_formula('$N4="overdue"') and not is_own_formula('=AND($A1="OrderDesk")') and not is_own_formula(None)


def test_static_fills_and_what_is_cleared():
    col, conditions = static_conditions([(marked('=$N4="overdue"'), "F8CBAD"), ('=$N4="done"', "D9D9D9")])
    assert col == "N"
    fills = static_fills(["overdue", "overdue", "on_track", "done", "done", None, "overdue"], conditions, 4, "A", "O")
    assert fills == [("A4:O5", "F8CBAD"), ("A7:O8", "D9D9D9"), ("A10:O10", "F8CBAD")]
    assert static_conditions([('=AND($A1>2)', "FFFFFF")]) == (None, [])
    painted = [Painted("S", "A4:O5", "F8CBAD"), Painted("S", "A7:O8", "D9D9D9"), Painted("T", "A1:B1", "F8CBAD")]
    colours = {"A4:O5": "f8cbad", "A7:O8": "FF0000"}   # the user recoloured A7:O8: it stays
    assert to_clear(painted, "S", colours.get) == ["A4:O5"]


# ---------------------------------------------------------------- what a user sees

def test_render_the_merged_ledger_after_a_refresh(tmp_path):
    """LibreOffice reads OrderDesk's marked rules: rendered once to look at (tests/lo.py)."""
    from tests.lo import convert, require_soffice
    require_soffice()
    path = merged_ledger(tmp_path / "ledger.xlsx", n=12)
    actions.run(actions.refresh_risk_colours_action, FileBook(path))
    out = convert(path, tmp_path / "lo", "xlsx")     # LibreOffice opens it and writes it back
    ws = openpyxl.load_workbook(out)["订单跟踪"]
    got = [r.formula[0] for cf in ws.conditional_formatting for r in cf.rules if r.formula]
    assert sum(is_own_formula(f) for f in got) == 3, got


# ---------------------------------------------------------------- the Excel-only paths, on a fake Excel
# A small stand-in for the xlwings objects XlwingsBook touches (sheets, ranges, colours, the COM
# FormatConditions and Application.ConvertFormula as Excel behaves: a relative reference in
# FormatConditions.Add is read against the ACTIVE cell, Microsoft KB 895562). What only a real Excel
# shows is in docs/excel-checklist.md, section 2a.

import re as _re

from addin.excel.book import PAINTED_SHEET, XlwingsBook, parse_cell


def _shift(formula: str, dr: int, dc: int) -> str:
    """Move the relative parts of every A1 reference by (dr, dc): what R1C1 round trips do."""
    def one(m):
        cabs, col, rabs, row = m.groups()
        c = parse_cell(col + "1")[1] + (0 if cabs else dc)
        r = int(row) + (0 if rabs else dr)
        return f"{cabs}{column_letter(c)}{rabs}{r}"
    parts = _re.split(r'("[^"]*")', formula)   # never inside text constants
    return "".join(p if p.startswith('"') else _re.sub(r"(\$?)([A-Z]{1,3})(\$?)(\d+)", one, p) for p in parts)


class FakeCondition:
    def __init__(self, conditions, formula, cells):
        self.conditions, self.cells = conditions, cells
        self._formula = formula
        self.Interior, self.Font = type("I", (), {})(), type("F", (), {})()
        self.StopIfTrue = False

    @property
    def Formula1(self):
        if self._formula is None:
            raise AttributeError("Formula1")   # a colour scale
        return self._formula

    def Delete(self):
        self.conditions.items.remove(self)


class FakeConditions:
    def __init__(self, sheet, cells=None):
        self.sheet, self.cells = sheet, cells

    @property
    def items(self):
        return self.sheet.conditions

    @property
    def Count(self):
        return len(self.items)

    def Item(self, i):
        return self.items[i - 1]

    def Add(self, Type, Formula1):
        # stored as the user would see it for the range's first cell
        r, c = self.cells[0]
        ar, ac = self.sheet.book.active_cell
        cond = FakeCondition(self, _shift(Formula1, r - ar, c - ac), self.cells)
        self.items.append(cond)
        return cond


class FakeCell:
    def __init__(self, row, col):
        self.Row, self.Column = row, col


class FakeRange:
    def __init__(self, sheet, r1, c1, r2, c2):
        self.sheet, self.row, self.column, self.r2, self.c2 = sheet, r1, c1, r2, c2
        self.rows = type("R", (), {"count": r2 - r1 + 1})()
        self.columns = type("C", (), {"count": c2 - c1 + 1})()
        rng = self

        class Api:
            FormatConditions = FakeConditions(sheet, [(r1, c1)])

            @staticmethod
            def Cells(i, j):
                return FakeCell(rng.row + i - 1, rng.column + j - 1)
        self.api = Api

    def _cells(self):
        return [(r, c) for r in range(self.row, self.r2 + 1) for c in range(self.column, self.c2 + 1)]

    def options(self, ndim=None):
        return self

    @property
    def value(self):
        rows = [[self.sheet.values.get((r, c)) for c in range(self.column, self.c2 + 1)] for r in range(self.row, self.r2 + 1)]
        return [r[0] for r in rows] if self.c2 == self.column and self.r2 > self.row else rows

    @value.setter
    def value(self, rows):
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                self.sheet.values[(self.row + i, self.column + j)] = v

    @property
    def color(self):
        colours = {self.sheet.colours.get(k) for k in self._cells()}
        return colours.pop() if len(colours) == 1 else None

    @color.setter
    def color(self, value):
        for k in self._cells():
            if value is None:
                self.sheet.colours.pop(k, None)
            else:
                h = value.lstrip("#")
                self.sheet.colours[k] = (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16))

    def resize(self, n, m):
        return FakeRange(self.sheet, self.row, self.column, self.row + n - 1, self.column + m - 1)


class FakeSheet:
    def __init__(self, book, name):
        self.book, self.name = book, name
        self.values, self.colours, self.conditions = {}, {}, []
        self.visible = True
        sheet = self

        class Api:
            Cells = type("Cells", (), {"FormatConditions": FakeConditions(sheet, [(1, 1)])})()
        self.api = Api

    def __getitem__(self, address):
        a, _, b = address.partition(":")
        r1, c1 = parse_cell(a)
        r2, c2 = parse_cell(b) if b else (r1, c1)
        return FakeRange(self, r1, c1, r2, c2)

    def range(self, a, b):
        return FakeRange(self, a[0], a[1], b[0], b[1])

    @property
    def used_range(self):
        keys = [k for k, v in self.values.items() if v is not None] or [(1, 1)]
        return FakeRange(self, 1, 1, max(r for r, _ in keys), max(c for _, c in keys))

    def clear(self):
        self.values.clear()
        self.colours.clear()

    def activate(self):
        self.book.active = self


class FakeSheets(list):
    def __getitem__(self, key):
        if isinstance(key, str):
            return next(s for s in self if s.name == key)
        return list.__getitem__(self, key)

    @property
    def active(self):
        return self.book.active

    def add(self, name, after=None):
        sheet = FakeSheet(self.book, name)
        self.append(sheet)
        self.book.active = sheet        # as Excel: a new sheet is the active one
        return sheet


class FakeExcelBook:
    def __init__(self, sheets: dict[str, list[list]], active_cell=(40, 26)):
        self.name = "ledger.xlsx"
        self.sheets = FakeSheets()
        self.sheets.book = self
        for name, rows in sheets.items():
            ws = FakeSheet(self, name)
            for r, row in enumerate(rows, start=1):
                for c, v in enumerate(row, start=1):
                    if v is not None:
                        ws.values[(r, c)] = v
            self.sheets.append(ws)
        self.active = self.sheets[0]
        self.active_cell = active_cell   # Z40: far from the table
        book = self

        class AppApi:
            @property
            def ActiveCell(self):
                return FakeCell(*book.active_cell)

            def ConvertFormula(self, Formula, FromReferenceStyle, ToReferenceStyle, RelativeTo):
                # A1 -> "R1C1" kept as the A1 text moved to R1C1's origin, and back
                sign = -1 if ToReferenceStyle == -4150 else 1
                return _shift(Formula, sign * (RelativeTo.Row - 1), sign * (RelativeTo.Column - 1))
        self.app = type("App", (), {"api": AppApi(), "alert": lambda *a, **k: None})()


def test_windows_path_deletes_only_orderdesks_rules_and_writes_them_for_the_active_cell(monkeypatch):
    monkeypatch.setattr("sys.platform", "win32")
    rows = [["Order No", "Customer", "Part No", "Qty", "Promised Date", "Ship Date", "Status"]] + \
        [r for r in LEDGER[1:]]
    fake = FakeExcelBook({"Orders": rows})
    ws = fake.sheets["Orders"]
    ws.conditions += [FakeCondition(FakeConditions(ws), '=$G2="open"', [(2, 1)]),          # the user's
                      FakeCondition(FakeConditions(ws), None, [(2, 4)]),                    # a colour scale
                      FakeCondition(FakeConditions(ws), '=("OrderDesk"<>"")*($H2="x")', [(2, 1)])]   # an old own rule
    book = XlwingsBook(fake)
    for _ in range(2):
        actions.refresh_risk_colours_action(book)
    formulas = [c._formula for c in ws.conditions]
    assert formulas[:2] == ['=$G2="open"', None]
    # as the user sees them in Manage Rules, for A2: relative to the range, whatever the active cell
    assert formulas[2:] == [f'=("OrderDesk"<>"")*($H2="{code}")' for code in ("overdue", "at_risk", "done")]
    assert [ws.values[(r, 8)] for r in range(1, 5)] == ["风险 Risk", "overdue", "on_track", "done"]


def test_macos_path_clears_only_the_fills_it_painted_and_keeps_the_users(monkeypatch):
    monkeypatch.setattr("sys.platform", "darwin")
    fake = FakeExcelBook({"Orders": [r[:] for r in LEDGER]})
    ws = fake.sheets["Orders"]
    book = XlwingsBook(fake)
    actions.refresh_risk_colours_action(book)
    red, grey = (0xF8, 0xCB, 0xAD), (0xD9, 0xD9, 0xD9)
    assert ws.colours[(2, 1)] == red and ws.colours[(4, 9)] == grey and (3, 1) not in ws.colours
    assert fake.active is ws                      # the record sheet added, the ledger still active
    painted = fake.sheets[PAINTED_SHEET]
    assert painted.visible is False
    assert painted["A1:C3"].value == [["sheet", "address", "fill"], ["Orders", "A2:I2", "F8CBAD"],
                                      ["Orders", "A4:I4", "D9D9D9"]]
    # PO-1 ships; the user paints PO-3's row yellow; a second press
    ws.values[(2, 6)], ws.values[(2, 7)] = day(-1), "shipped"
    ws["A4:I4"].color = "#FFFF00"
    actions.refresh_risk_colours_action(book)
    assert ws.colours[(2, 1)] == grey                     # repainted: done, no longer red
    assert ws.colours[(4, 1)] == (0xFF, 0xFF, 0x00)         # the user's yellow kept
    assert painted["A1:C3"].value[1:] == [["Orders", "A2:I2", "D9D9D9"], [None, None, None]]
    # a row the user filled before the first press is never painted
    ws["A3:I3"].color = "#00B0F0"
    ws.values[(3, 5)] = day(-2)                 # PO-2 overdue now
    actions.refresh_risk_colours_action(book)
    assert ws.colours[(3, 1)] == (0x00, 0xB0, 0xF0)


# ---------------------------------------------------------------- whole sheets a button replaces

@pytest.mark.parametrize("sheet,action", [("OTD", actions.refresh_otd_pivot_action),
                                          ("Pareto", actions.root_cause_summary_action)])
def test_a_users_sheet_named_like_an_output_sheet_is_never_replaced(tmp_path, sheet, action):
    path = plain_ledger(tmp_path / "ledger.xlsx", LEDGER)
    add_sheet(path, sheet, [[None, "my own notes"], [None, 1, 2]])
    data, before = path.read_bytes(), cells(path)
    book = FileBook(path)
    actions.run(action, book)
    assert book.messages == [f"Error: Nothing written: sheet {sheet} holds your data ({sheet}!B1 'my own notes'); "
                             f"OrderDesk replaces only the sheets it wrote — rename your sheet and press again"]
    assert_untouched(path, data, before)


def test_output_sheets_orderdesk_wrote_are_replaced_in_either_language(tmp_path, monkeypatch):
    path = plain_ledger(tmp_path / "ledger.xlsx", LEDGER)
    for lang in ("zh", "en", "zh"):
        monkeypatch.setattr(FileBook, "ui_lang", lambda self, lang=lang: lang)
        for action in (actions.refresh_otd_pivot_action, actions.root_cause_summary_action):
            book = FileBook(path)
            actions.run(action, book)
            assert "Error" not in book.messages[0] and "错误" not in book.messages[0], book.messages
    assert load(path).sheetnames == ["Orders", "OTD", "Pareto"]
    assert load(path)["OTD"]["A1"].value.startswith("按客户和月份的准交率")


def test_merged_areas_found_with_find_by_format_each_once():
    """Windows: Find(SearchFormat) with FindFormat.MergeCells visits every cell of every merged area
    and wraps around; each area is listed once and the search stops."""
    areas = [(2, 1, 3, 1), (2, 12, 2, 14)]
    cells_in = [(r, c) for r1, c1, r2, c2 in areas for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]

    class Found:
        def __init__(self, i):
            self.i = i
            r, c = cells_in[i]
            self.Address = f"${column_letter(c)}${r}"
            r1, c1, r2, c2 = next(a for a in areas if a[0] <= r <= a[2] and a[1] <= c <= a[3])
            self.MergeArea = type("A", (), {"Address": f"{r1},{c1}", "Row": r1, "Column": c1,
                                            "Rows": type("n", (), {"Count": r2 - r1 + 1}),
                                            "Columns": type("n", (), {"Count": c2 - c1 + 1})})()

    class UsedApi:
        MergeCells = None      # mixed

        @staticmethod
        def Find(What, SearchFormat, After=None):
            return Found(0 if After is None else (After.i + 1) % len(cells_in))

    fake = FakeExcelBook({"Orders": [r[:] for r in LEDGER]})
    ws = fake.sheets["Orders"]
    used = ws.used_range
    used.api = UsedApi
    ws.__class__ = type("MergedSheet", (FakeSheet,), {"used_range": property(lambda self: used)})
    fake.app.api.FindFormat = type("FF", (), {"Clear": staticmethod(lambda: None), "MergeCells": False})()
    assert XlwingsBook(fake).merged_ranges("Orders") == areas
