"""Row layout of real ledgers (SPEC section 9, issue 12): rows holding only a prefilled
sequence number (序号) are blank rows; totals found by a word in any cell, by a SUM/SUBTOTAL
formula or as an unlabelled row of column sums are skipped and counted — never rejected rows.
Real .xlsx files written with XlsxWriter (formulas with their cached values, as Excel saves
them) and .csv files, read back."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import xlsxwriter

from addin.readers import read
from addin.readers.rows import is_total_label

HEADER = ["序号", "订单号", "客户", "料号", "数量", "客户交期"]


def write_xlsx(path: Path, header: list, rows: list[list], formulas: dict | None = None,
               sheet: str = "订单") -> Path:
    """``formulas``: (row, col) 0-based below the header -> (formula, cached value)."""
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    ws = book.add_worksheet(sheet)
    for c, h in enumerate(header):
        ws.write_string(0, c, h)
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row):
            if v is None or v == "":
                continue
            if isinstance(v, str):
                ws.write_string(r, c, v)
            else:
                ws.write_number(r, c, v)
    for (r, c), (formula, value) in (formulas or {}).items():
        ws.write_formula(r + 1, c, formula, None, value)
    book.close()
    return path


def write_csv(path: Path, header: list, rows: list[list]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows([["" if v is None else v for v in row] for row in rows])
    return path


def accounting_holds(res) -> None:
    r = res.rows
    assert r.read == r.valid + r.issues + r.blank_or_total


def test_a_template_numbered_ahead_of_its_lines(tmp_path):
    """Two real lines, then 18 rows of a template holding only their 序号 (3..20): blank
    rows, not 72 missing-value errors."""
    rows = [[1, "PO-1", "ACME", "A-1", 10, "2026-05-01"], [2, "PO-2", "ACME", "A-2", 5, "2026-05-02"]]
    rows += [[i] + [None] * 5 for i in range(3, 21)]
    for path in (write_xlsx(tmp_path / "t.xlsx", HEADER, rows), write_csv(tmp_path / "t.csv", HEADER, rows)):
        res = read(path, "ledger")
        assert res.rows.as_dict() == {"read": 20, "valid": 2, "issues": 0, "blank_or_total": 18}
        assert res.issues == []


def test_row_numbers_under_an_unnamed_header_step_with_the_row(tmp_path):
    header = ["", "订单号", "客户", "料号", "数量", "客户交期"]
    rows = [[1, "PO-1", "ACME", "A-1", 10, "2026-05-01"]] + [[i, None, None, None, None, None] for i in range(2, 9)]
    res = read(write_csv(tmp_path / "r.csv", header, rows), "ledger")
    assert res.rows.as_dict() == {"read": 8, "valid": 1, "issues": 0, "blank_or_total": 7}


def test_a_lone_number_that_is_not_a_sequence_is_an_issue(tmp_path):
    """A quantity typed into an otherwise empty row is a half-entered line: reported."""
    header = ["订单号", "客户", "料号", "数量", "客户交期"]
    rows = [["PO-1", "ACME", "A-1", 10, "2026-05-01"], [None, None, None, 7, None]]
    res = read(write_csv(tmp_path / "q.csv", header, rows), "ledger")
    assert res.rows.as_dict() == {"read": 2, "valid": 1, "issues": 1, "blank_or_total": 0}


@pytest.mark.parametrize("label_col, label", [
    (2, "Total Inc. Combodia"),     # in the customer column, no order number
    (0, "合计"),                     # in the 序号 column, not a mapped field
    (3, "Grand Total"),
    (1, "小计："),                   # in the order-number column itself
    (5, "Sum"),
    (2, "8月合计"),
])
def test_total_rows_by_their_word_in_any_cell(tmp_path, label_col, label):
    rows = [[1, "PO-1", "ACME", "A-1", 10, "2026-05-01"], [2, "PO-2", "ACME", "A-2", 5, "2026-05-02"],
            [None, None, None, None, 15, None]]
    rows[2][label_col] = label
    for path in (write_xlsx(tmp_path / "w.xlsx", HEADER, rows), write_csv(tmp_path / "w.csv", HEADER, rows)):
        res = read(path, "ledger")
        assert res.rows.as_dict() == {"read": 3, "valid": 2, "issues": 0, "blank_or_total": 1}, label
        assert res.issues == []


def test_subtotals_per_order_and_a_grand_total(tmp_path):
    rows = [[1, "PO-1", "ACME", "A-1", 10, "2026-05-01"], [2, "PO-1", "ACME", "A-2", 5, "2026-05-01"],
            [None, "PO-1 小计", None, None, 15, None],
            [3, "PO-2", "Beta", "A-1", 7, "2026-05-03"],
            [None, "PO-2 小计", None, None, 7, None],
            [None, "总计", None, None, 22, None]]
    res = read(write_xlsx(tmp_path / "s.xlsx", HEADER, rows), "ledger")
    assert res.rows.as_dict() == {"read": 6, "valid": 3, "issues": 0, "blank_or_total": 3}


def test_a_customer_named_total_is_a_line_not_a_total(tmp_path):
    rows = [[1, "PO-1", "Total Energies", "A-1", 10, "2026-05-01"], [2, "PO-2", "Total", "A-2", 5, "2026-05-02"]]
    res = read(write_csv(tmp_path / "c.csv", HEADER, rows), "ledger")
    assert res.rows.as_dict() == {"read": 2, "valid": 2, "issues": 0, "blank_or_total": 0}
    assert res.data["customer"].tolist() == ["Total Energies", "Total"]


def test_an_unlabelled_sum_formula_row_is_a_total(tmp_path):
    """Footer rows with SUM and SUBTOTAL formulas and no word: one sums the column above, the
    other (a label that is no total word, and a partial sum) is known by its formula."""
    rows = [[1, "PO-1", "ACME", "A-1", 10, "2026-05-01"], [2, "PO-2", "ACME", "A-2", 5, "2026-05-02"],
            [3, "PO-3", "Beta", "A-3", 8, "2026-05-03"], [None] * 6, [None, None, "Combodia", None, None, None]]
    formulas = {(3, 4): ("=SUM(E2:E4)", 23), (4, 4): ("=SUBTOTAL(9,E2:E3)", 15)}
    res = read(write_xlsx(tmp_path / "f.xlsx", HEADER, rows, formulas), "ledger")
    assert res.rows.as_dict() == {"read": 5, "valid": 3, "issues": 0, "blank_or_total": 2}
    assert res.issues == []


def test_an_unlabelled_row_of_column_sums_in_a_csv(tmp_path):
    header = ["订单号", "客户", "料号", "数量", "出货数量", "客户交期"]
    rows = [["PO-1", "ACME", "A-1", 10, 10, "2026-05-01"], ["PO-2", "ACME", "A-2", 5, 4, "2026-05-02"],
            [None, None, None, 15, 14, None]]
    res = read(write_csv(tmp_path / "u.csv", header, rows), "ledger")
    assert res.rows.as_dict() == {"read": 3, "valid": 2, "issues": 0, "blank_or_total": 1}
    # numbers that are not the sums above: a half-entered line, reported
    rows[2][3] = 16
    res = read(write_csv(tmp_path / "u2.csv", header, rows), "ledger")
    assert res.rows.as_dict() == {"read": 3, "valid": 2, "issues": 1, "blank_or_total": 0}
    assert [f"{i}" for i in res.issues][:1] == ["u2!A4: order_no: is empty (a value is required)"]


@pytest.mark.parametrize("text, expected", [
    ("Total", True), ("TOTAL:", True), ("Grand Total", True), ("Sub-total", True), ("Total Inc. Combodia", True),
    ("Month Total", True), ("合计", True), ("合計", True), ("總計", True), ("小计：", True), ("Sum", True),
    ("Total Energies S.A.", True),          # a label form; only a row with no key of its own is a total
    ("Totally Wired Ltd", False), ("Summit Tools", False), ("ACME", False), ("PO-1", False), (12, False),
])
def test_total_labels(text, expected):
    assert is_total_label(text) is expected


@pytest.mark.realdata
def test_olist_reformatted_file_blank_rows_counted(real_data):
    """The Olist orders file re-saved by Excel: 9,999 lines, then ~90k ',,,,' rows."""
    path = real_data / "olist_orders_dataset_10k_excelreformatted.csv"
    maps = Path(__file__).parent / "maps"
    out = subprocess.run([sys.executable, "-m", "addin.cli", "check", str(path), "--kind", "ledger",
                          "--map", str(maps / "olist_orders.toml"), "--format", "json"],
                         capture_output=True, text=True, check=True)
    report = json.loads(out.stdout)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False)
    empty = int((raw.apply(lambda c: c.str.strip() == "").all(axis=1)).sum())
    assert report["rows"]["read"] == len(raw)
    assert report["rows"]["blank_or_total"] == empty
    assert report["rows"]["valid"] + report["rows"]["issues"] == len(raw) - empty == 9_999
