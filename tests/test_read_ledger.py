"""The ledger reader on workbooks laid out the way people really keep them."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from addin.errors import InputError
from addin.readers import read

D = dt.datetime


def messy_ledger(path: Path) -> Path:
    """Title row, a merged two-row header, header text with spaces, line breaks and full-width
    characters, every date form, numbers as text, both languages' status words, blank rows,
    total rows and prefilled empty rows."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "订单跟踪 "                      # trailing space, as real sheet names have
    ws["A1"] = "2026年 客户订单跟踪表"
    ws.merge_cells("A1:J1")
    top = ["ＰＯ号", "客户名称 ", "料号", "订单\n数量", "订单日期", "交期", None, "实际出货日期", "订单状态", "备注"]
    sub = [None, None, None, None, None, "客户交期", "承诺交期", None, None, None]
    for c, v in enumerate(top, 1):
        ws.cell(3, c, v)
    for c, v in enumerate(sub, 1):
        ws.cell(4, c, v)
    ws.merge_cells("F3:G3")
    for c in (1, 2, 3, 4, 5, 8, 9, 10):
        ws.merge_cells(start_row=3, start_column=c, end_row=4, end_column=c)
    rows = [
        # row 5
        ["PO-001", "ACME", "A-100", "4.000", D(2025, 12, 10), "1月15", None, D(2026, 1, 14), "已出货", "正常"],
        ["PO-002", "ACME\u3000", "A-101", "1,200", "2026/1/5", "2026-02-10", "2026.02.12", "2026年2月12日", "Shipped", None],
        [None] * 10,                                                                        # row 7 blank
        ["PO-003", " Beta ", "B-200", "１２００", "2026-01-06", 46077, None, None, "生产中", "缺料"],  # serial
        ["PO-004", "Beta", "B-200", 500, "06-Jan-26", "15-Feb-26", "2/20/2026", None, "open", None],
        ["PO-005", "Gamma", "C-300", 300, D(2026, 1, 7), "31/02/2026", None, None, "待排产", None],  # bad date
        ["PO-006", "Gamma", "C-300", -5, D(2026, 1, 7), D(2026, 2, 20), None, None, "已取消", None],  # negative
        ["PO-007", "Gamma", "C-300", "abc", D(2026, 1, 7), D(2026, 2, 20), None, None, "xx", None],  # two bad cells
        ["PO-008", None, "C-300", 10, D(2026, 1, 7), D(2026, 2, 20), None, None, "关闭", None],  # no customer
        ["小计", None, None, 3200, None, None, None, None, None, None],                       # row 13 subtotal
        [None] * 10,
        ["PO-009", "Delta", "D-1", 20, D(2026, 3, 1), "4月30日", None, None, "in progress", "客户改单"],
        [None, None, None, 3220, None, None, None, None, None, "合计"],                        # total, word at the end
        ["Total:", None, None, 3220, None, None, None, None, None, None],
    ]
    for i, r in enumerate(rows, start=5):
        for c, v in enumerate(r, 1):
            if v is not None:
                ws.cell(i, c, v)
    for i in range(5 + len(rows), 5 + len(rows) + 30):   # prefilled, formatted, empty rows
        ws.cell(i, 1).number_format = "@"
        ws.cell(i, 5).value = None
    wb.save(path)
    return path


def test_messy_ledger_row_accounting_and_issues(tmp_path):
    result = read(messy_ledger(tmp_path / "ledger.xlsx"))
    assert result.kind == "ledger"
    assert result.sheet == "订单跟踪 "
    assert result.header_row == 4
    assert result.columns == {
        "order_no": "ＰＯ号", "customer": "客户名称", "part_no": "料号", "qty": "订单\n数量",
        "order_date": "订单日期", "requested_date": "客户交期", "promised_date": "承诺交期",
        "ship_date": "实际出货日期", "status": "订单状态", "exception_note": "备注"}
    assert (result.rows.valid, result.rows.issues) == (5, 4)
    assert result.rows.read == result.rows.valid + result.rows.issues + result.rows.blank_or_total
    assert [str(i) for i in result.issues] == [
        "'订单跟踪 '!F10: requested_date '31/02/2026': not a date",
        "'订单跟踪 '!D11: qty '-5': must not be negative",
        "'订单跟踪 '!D12: qty 'abc': not a number",
        "'订单跟踪 '!I12: status 'xx': not a known status (expected open, in progress, shipped, closed or "
        "cancelled — or 待排产, 生产中, 已出货, 已完成, 已取消)",
        "'订单跟踪 '!B13: customer: is empty (a value is required)",
    ]
    d = result.data.set_index("order_no")
    assert list(d.index) == ["PO-001", "PO-002", "PO-003", "PO-004", "PO-009"]
    assert d.loc["PO-001", "qty"] == 4.0
    assert d.loc["PO-001", "requested_date"] == pd.Timestamp(2026, 1, 15)   # year after the Dec order
    assert d.loc["PO-002", "customer"] == "ACME"                          # U+3000 trimmed
    assert d.loc["PO-002", "qty"] == 1200.0
    assert d.loc["PO-002", "order_date"] == pd.Timestamp(2026, 1, 5)
    assert d.loc["PO-002", "promised_date"] == pd.Timestamp(2026, 2, 12)
    assert d.loc["PO-002", "ship_date"] == pd.Timestamp(2026, 2, 12)
    assert d.loc["PO-002", "status"] == "shipped"
    assert d.loc["PO-003", "qty"] == 1200.0                               # full-width digits
    assert d.loc["PO-003", "requested_date"] == pd.Timestamp(2026, 2, 24)  # serial 46077
    assert d.loc["PO-003", "customer"] == "Beta"
    assert d.loc["PO-003", "status"] == "in_progress"
    assert d.loc["PO-004", "order_date"] == pd.Timestamp(2026, 1, 6)
    assert d.loc["PO-004", "promised_date"] == pd.Timestamp(2026, 2, 20)
    assert d.loc["PO-009", "requested_date"] == pd.Timestamp(2026, 4, 30)
    assert d.loc["PO-009", "source_row"] == 16
    assert str(d["requested_date"].dtype) == "datetime64[ns]"


def test_messy_ledger_exact_counts(tmp_path):
    result = read(messy_ledger(tmp_path / "ledger.xlsx"))
    assert sorted(result.data["order_no"]) == ["PO-001", "PO-002", "PO-003", "PO-004", "PO-009"]
    assert result.rows.valid == 5
    assert result.rows.issues == 4           # PO-005, PO-006, PO-007 (two cells), PO-008
    # rows 5-18 hold the lines, blanks and totals; openpyxl's formatted empty rows below may
    # or may not be reported by the engine, but each is counted as blank when it is
    assert result.rows.read >= 14
    assert result.rows.blank_or_total == result.rows.read - 9


CSV_TEXT = ("订单号,客户,料号,数量,订单日期,客户交期,出货日期,状态\n"
            "PO-1,ACME,A-1,100,2026-01-05,2026-02-01,2026-02-01,已出货\n"
            "PO-2,\"Beta, Inc\",A-2,\"1,200\",2026-01-06,2026-02-03,,生产中\n"
            ",,,,,,,\n"
            "合计,,,1300,,,,\n")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_csv_encodings_and_line_ends(tmp_path, encoding, newline):
    path = tmp_path / "ledger.csv"
    path.write_bytes(CSV_TEXT.replace("\n", newline).encode(encoding))
    result = read(path)
    assert result.rows.as_dict() == {"read": 4, "valid": 2, "issues": 0, "blank_or_total": 2}
    assert list(result.data["customer"]) == ["ACME", "Beta, Inc"]
    assert list(result.data["qty"]) == [100.0, 1200.0]
    assert result.sheet == "ledger"
    assert result.columns["requested_date"] == "客户交期"


def test_legacy_xls_via_libreoffice(tmp_path, soffice):
    src = messy_ledger(tmp_path / "ledger.xlsx")
    profile = tmp_path / "profile"
    subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                    "--convert-to", "xls", "--outdir", str(tmp_path / "out"), str(src)],
                   check=True, capture_output=True, timeout=180)
    xls = tmp_path / "out" / "ledger.xls"
    assert xls.read_bytes()[:4] == b"\xd0\xcf\x11\xe0"
    a, b = read(src), read(xls)
    assert b.rows.as_dict() == a.rows.as_dict()
    assert [str(i) for i in b.issues] == [str(i) for i in a.issues]
    pd.testing.assert_frame_equal(a.data, b.data)


def test_mapping_file_names_headers_and_values(tmp_path):
    path = tmp_path / "custom.csv"
    path.write_text("PO / SO #,Client,Thing,How many,Scheduled Delivery Date,Delivered to Client Date,Stage\n"
                    "SO-1,ACME,X,5,2-Jun-06,2-Jun-06,Delivered\n"
                    "SO-2,ACME,X,5,3-Jun-06,,Awaiting\n", encoding="utf-8")
    mapping = tmp_path / "map.toml"
    mapping.write_text('[columns]\norder_no = "PO / SO #"\ncustomer = ["Country", "Client"]\n'
                       'part_no = "Thing"\nqty = "How many"\nrequested_date = "Scheduled Delivery Date"\n'
                       'ship_date = "Delivered to Client Date"\nstatus = "Stage"\n'
                       '[values.status]\n"Delivered" = "shipped"\n"Awaiting" = "open"\n', encoding="utf-8")
    result = read(path, "ledger", mapping=mapping)
    assert result.rows.valid == 2
    assert list(result.data["status"]) == ["shipped", "open"]
    assert result.data["requested_date"].iloc[0] == pd.Timestamp(2006, 6, 2)


def test_header_row_from_mapping(tmp_path):
    path = tmp_path / "l.csv"
    path.write_text("订单号,客户,料号,数量,交期\nPO-1,A,P,1,2026-01-01\n", encoding="utf-8")
    mapping = tmp_path / "m.toml"
    mapping.write_text("header_row = 1\n", encoding="utf-8")
    assert read(path, "ledger", mapping=mapping).rows.valid == 1


# --- bad input: exact messages ----------------------------------------------------------------

def _xlsx(tmp_path: Path, rows: list[list], name: str = "bad.xlsx", title: str = "Orders") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for r in rows:
        ws.append(r)
    path = tmp_path / name
    wb.save(path)
    return path


def test_missing_required_column(tmp_path):
    path = _xlsx(tmp_path, [["订单号", "料号", "数量", "交期"], ["PO-1", "A", 1, D(2026, 1, 1)]])
    with pytest.raises(InputError) as err:
        read(path, "ledger")
    assert str(err.value) == (
        "bad.xlsx: sheet 'Orders': no column for required field 'customer' (a column such as 客户, 客户名称, "
        "Customer, Customer Name) in the header (row 1) — add the column or name it in a --map file")


def test_duplicate_header(tmp_path):
    path = _xlsx(tmp_path, [["订单号", "客户", "料号", "数量", "交期", "订单号"], ["PO-1", "A", "P", 1, D(2026, 1, 1), "x"]])
    with pytest.raises(InputError) as err:
        read(path, "ledger")
    assert str(err.value) == ("bad.xlsx: the header '订单号' appears twice (Orders!A1 and Orders!F1) — "
                              "rename one so 'order_no' is unambiguous")


def test_empty_sheet(tmp_path):
    path = _xlsx(tmp_path, [])
    with pytest.raises(InputError) as err:
        read(path, "ledger")
    assert str(err.value) == "bad.xlsx: sheet 'Orders' is empty"


def test_unknown_sheet(tmp_path):
    path = _xlsx(tmp_path, [["订单号"]])
    with pytest.raises(InputError) as err:
        read(path, "ledger", sheet="Nope")
    assert str(err.value) == "bad.xlsx: no sheet named 'Nope' (sheets: 'Orders')"


def test_bad_values_name_their_cells(tmp_path):
    path = _xlsx(tmp_path, [["订单号", "客户", "料号", "数量", "交期", "状态"],
                            ["PO-1", "A", "P", "ten", "2026-13-01", "maybe"],
                            ["PO-2", "A", "P", 0, "2026-01-01", "open"]])
    result = read(path, "ledger")
    assert [i.as_dict() for i in result.issues] == [
        {"cell": "Orders!D2", "field": "qty", "value": "ten", "message": "not a number"},
        {"cell": "Orders!E2", "field": "requested_date", "value": "2026-13-01", "message": "not a date"},
        {"cell": "Orders!F2", "field": "status", "value": "maybe",
         "message": "not a known status (expected open, in progress, shipped, closed or cancelled — "
                    "or 待排产, 生产中, 已出货, 已完成, 已取消)"},
        {"cell": "Orders!D3", "field": "qty", "value": 0, "message": "must be more than 0"},
    ]
    assert result.rows.as_dict() == {"read": 2, "valid": 0, "issues": 2, "blank_or_total": 0}


# --- the command ------------------------------------------------------------------------------

def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "addin.cli", *args], capture_output=True, text=True, timeout=120)


def test_check_json_shape(tmp_path):
    out = run("check", str(messy_ledger(tmp_path / "ledger.xlsx")), "--format", "json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["file"] == "ledger.xlsx" and doc["sheet"] == "订单跟踪 " and doc["header_row"] == 4
    assert doc["columns"]["requested_date"] == "客户交期"
    rows = doc["rows"]
    assert rows["read"] == rows["valid"] + rows["issues"] + rows["blank_or_total"]
    assert doc["issues"][0] == {"cell": "'订单跟踪 '!F10", "field": "requested_date", "value": "31/02/2026",
                                "message": "not a date"}


def test_check_error_exit_status_and_no_traceback(tmp_path):
    path = _xlsx(tmp_path, [["foo", "bar"], [1, 2]])
    out = run("check", str(path), "--kind", "ledger")
    assert out.returncode == 1
    assert out.stderr.startswith("Error: bad.xlsx: sheet 'Orders': no column for required fields")
    assert "Traceback" not in out.stderr and out.stdout == ""


def test_usage_error_exit_2():
    out = run("check")
    assert out.returncode == 2
    assert "Missing argument 'FILE'" in out.stderr
