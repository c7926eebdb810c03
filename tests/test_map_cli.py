"""Reading real layouts without a mapping (SPEC section 9): kinds of order-line ledger, sheets
scored and read together, repeated and duplicated headers, title rows, value confirmation, and
`orderdesk map` whose file reads back to the same columns."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import openpyxl
import pytest

from addin.compute.otd import OtdSettings, otd_json
from addin.errors import ConfigError, InputError
from addin.readers import read

D = dt.datetime


def book(path: Path, sheets: dict[str, list[list]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "addin.cli", *args], capture_output=True, text=True, timeout=180)


PMC = ["序號", "生 產 單 号(  廠方 )", "客户全称", "品號", "數 量  (Pcs)", "客户要求交期", "回复客户交期", "实际交期", "備註"]


def month(first: int, day: int) -> list[list]:
    return [["PMC 訂單明細"],
            PMC,
            [1, f"MO-{first}", "星河智能", "A-100", 100, D(2026, 8, day), D(2026, 8, day + 2), D(2026, 8, day + 1), None],
            [2, f"MO-{first + 1}", "ACME", "B-200", 50, D(2026, 8, day), D(2026, 8, day), D(2026, 8, day + 5), "缺料"],
            [3, f"MO-{first + 2}", "ACME", "B-200", "x", D(2026, 8, day), D(2026, 8, day), None, None]]


# --- kinds -------------------------------------------------------------------------------------

def test_traditional_pmc_sheet_with_a_title_row_reads_without_a_mapping(tmp_path):
    f = book(tmp_path / "pmc.xlsx", {"8月": month(1, 3)})
    r = read(f)
    assert (r.kind, r.header_row) == ("ledger", 2)
    # 序號 in column A counts rows (headers.row_scores): no line number
    assert r.columns == {"work_order_no": "生 產 單 号(  廠方 )", "customer": "客户全称",
                         "part_no": "品號", "qty": "數 量  (Pcs)", "requested_date": "客户要求交期",
                         "promised_date": "回复客户交期", "ship_date": "实际交期", "exception_note": "備註",
                         "order_no": "生 產 單 号(  廠方 )"}
    assert r.notes == ["生 產 單 号(  廠方 ): read as order_no (the production order number identifies the line)"]
    assert r.rows.as_dict() == {"read": 3, "valid": 2, "issues": 1, "blank_or_total": 0}
    assert [str(i) for i in r.issues] == ["8月!E5: qty 'x': not a number"]
    assert r.data["order_no"].tolist() == ["MO-1", "MO-2"]
    assert r.data["counterparty"].tolist() == ["星河智能", "ACME"]


@pytest.mark.parametrize("headers_, kind", [
    (["采购单号", "供应商名称", "物料编码", "采购数量", "交货日期", "实际到货日期"], "purchases"),
    (["Sales Order", "Customer", "Item Code", "Qty", "Requested Deliv.date", "Goods Movement Date"], "sales"),
    (["製令單號", "生產線別", "產品品號", "預計產量", "預計完工", "實際完工"], "work_orders"),
])
def test_kind_is_found_from_the_headers_and_reported(tmp_path, headers_, kind):
    f = book(tmp_path / "k.xlsx", {"Data": [headers_, ["X-1", "P", "A-1", 5, D(2026, 5, 1), D(2026, 5, 2)]]})
    out = run("check", str(f), "--format", "json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert (doc["kind"], doc["ledger_kind"]) == ("ledger", kind)
    assert doc["rows"] == {"read": 1, "valid": 1, "issues": 0, "blank_or_total": 0}
    table = run("check", str(f))
    assert f"kind ledger ({kind})  header row 1" in table.stdout


def test_purchase_ledger_measured_on_its_receipt_date_against_the_supplier(tmp_path):
    f = book(tmp_path / "po.xlsx", {"PO": [
        ["采购单号", "供应商名称", "物料编码", "采购数量", "交货日期", "实际到货日期"],
        ["PO-1", "华强", "M-1", 100, D(2026, 5, 1), D(2026, 4, 30)],
        ["PO-2", "华强", "M-2", 100, D(2026, 5, 1), D(2026, 5, 6)],
        ["PO-3", "立讯", "M-3", 100, D(2026, 5, 1), D(2026, 5, 1)]]})
    r = read(f, "ledger")
    assert r.ledger_kind == "purchases"
    assert r.columns["ship_date"] == "实际到货日期" and r.columns["supplier"] == "供应商名称"
    assert r.data["counterparty"].tolist() == ["华强", "华强", "立讯"]
    out = otd_json(r, dt.date(2026, 6, 1), OtdSettings(basis="requested"))
    assert (out["total"]["lines"], out["total"]["late"]) == (3, 1)


def test_work_orders_due_on_their_planned_finish(tmp_path):
    f = book(tmp_path / "mo.xlsx", {"MO": [
        ["製令單號", "生產線別", "產品品號", "預計產量", "計劃結束時間", "實際完工"],
        ["MO-1", "L1", "A", 10, D(2026, 5, 1), D(2026, 5, 3)],
        ["MO-2", "L2", "B", 10, D(2026, 5, 1), D(2026, 4, 29)]]})
    r = read(f)
    assert r.ledger_kind == "work_orders"
    assert (r.columns["promised_date"], r.columns["ship_date"], r.columns["order_no"]) == \
        ("計劃結束時間", "實際完工", "製令單號")
    assert "計劃結束時間: read as promised_date (no due-date column: the planned finish is the due date)" in r.notes
    assert r.data["counterparty"].tolist() == ["L1", "L2"]
    assert otd_json(r, dt.date(2026, 6, 1), OtdSettings())["total"]["late"] == 1


def test_a_column_of_day_counts_is_a_lead_time_not_a_due_date(tmp_path):
    f = book(tmp_path / "lt.xlsx", {"S": [
        ["订单号", "客户", "料号", "数量", "采购交期", "交货日期"],
        ["SO-1", "ACME", "A", 5, 15, D(2026, 5, 1)],
        ["SO-2", "ACME", "B", 5, 30, D(2026, 5, 9)]]})
    r = read(f)
    assert r.columns["requested_date"] == "交货日期"
    assert "采购交期" not in r.columns.values()
    doc = json.loads(run("map", str(f), "--format", "json").stdout)
    assert {x["field"]: x["column"]["header"] for x in doc["fields"]}["requested_date"] == "交货日期"


# --- layouts -----------------------------------------------------------------------------------

def test_sheets_per_month_read_together_with_sheet_all(tmp_path):
    f = book(tmp_path / "pmc.xlsx", {"说明": [["本表由PMC维护"]], "8月": month(1, 3), "9月": month(11, 13)})
    one = read(f)
    assert one.sheet == "8月" and one.other_sheets == ["说明", "9月"]
    assert "sheet '9月' has the same header: read them together with --sheet all" in one.notes
    both = read(f, sheet="all")
    assert both.sheet == "8月, 9月" and both.other_sheets == ["说明"]
    assert both.rows.as_dict() == {"read": 6, "valid": 4, "issues": 2, "blank_or_total": 0}
    assert [str(i) for i in both.issues] == ["8月!E5: qty 'x': not a number", "9月!E5: qty 'x': not a number"]
    assert both.data["sheet"].tolist() == ["8月", "8月", "9月", "9月"]
    assert both.data["order_no"].tolist() == ["MO-1", "MO-2", "MO-11", "MO-12"]
    out = run("check", str(f), "--sheet", "all", "--format", "json")
    assert json.loads(out.stdout)["rows"]["read"] == 6


def test_header_rows_repeated_inside_the_data_are_skipped_and_counted(tmp_path):
    head = ["Order No", "Customer", "Part No", "Qty", "Due Date"]
    rows = [head, ["SO-1", "ACME", "A", 1, D(2026, 5, 1)], ["SO-2", "ACME", "A", 2, D(2026, 5, 2)],
            head, ["SO-3", "Beta", "B", 3, D(2026, 5, 3)], head]
    r = read(book(tmp_path / "pasted.xlsx", {"Orders": rows}))
    assert r.rows.as_dict() == {"read": 5, "valid": 3, "issues": 0, "blank_or_total": 2}
    assert "2 header rows repeated inside the data (row 4, 6) skipped, counted as blank" in r.notes


def test_a_duplicated_header_no_field_needs_does_not_block_the_file(tmp_path):
    head = ["Sales Document", "Sold-to party", "Material", "Description", "Order Quantity", "Description",
            "Requested Deliv.date", "Description"]
    f = book(tmp_path / "sap.xlsx", {"Sheet1": [head, ["4500001", "ACME", "M-1", "Bolt", 10, "x", D(2026, 5, 1), "y"]]})
    r = read(f)
    assert r.rows.valid == 1 and r.columns["description"] == "Description"
    assert ("the header 'Description' appears 3 times (Sheet1!D1 and Sheet1!F1 and Sheet1!H1): description is "
            "read from Sheet1!D1") in r.notes


def test_a_duplicated_required_header_is_refused_with_the_count(tmp_path):
    f = book(tmp_path / "dup.xlsx", {"Orders": [["订单号", "客户", "料号", "数量", "交期", "订单号", "订单号"],
                                                ["PO-1", "A", "P", 1, D(2026, 1, 1), "x", "y"]]})
    with pytest.raises(InputError) as err:
        read(f, "ledger")
    assert str(err.value) == ("dup.xlsx: the header '订单号' appears 3 times (Orders!A1 and Orders!F1 and Orders!G1) "
                              "— rename one so 'order_no' is unambiguous")


# --- when it is not sure -----------------------------------------------------------------------

def test_without_kind_the_error_names_what_is_missing(tmp_path):
    f = book(tmp_path / "odd.xlsx", {"Orders": [["Order No", "Customer", "Part No", "Qtty", "Due Date"],
                                                ["SO-1", "ACME", "A", 1, D(2026, 5, 1)]]})
    out = run("check", str(f))
    assert out.returncode == 1
    assert out.stderr == (
        "Error: odd.xlsx: sheet 'Orders': cannot tell what this file is — the header looks most like an order "
        "ledger but has no column for required field 'qty' (a column such as 订单数量, 数量, Qty, Quantity; "
        "closest here: 'Qtty') in the header (row 1) — add the column or name it in a --map file; or give --kind\n")


def test_a_misspelt_mapping_header_is_named(tmp_path):
    f = book(tmp_path / "o.xlsx", {"Orders": [["Order No", "Customer", "Part No", "Qty", "Due Date"],
                                              ["SO-1", "ACME", "A", 1, D(2026, 5, 1)]]})
    m = tmp_path / "map.toml"
    m.write_text('[columns]\nqty = "Qtyy"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        read(f, mapping=m)
    assert str(err.value) == ("map.toml: [columns] qty = 'Qtyy': no such header in o.xlsx sheet 'Orders' row 1 "
                              "(closest: 'Qty') — fix the header text in the mapping")


def test_map_proposes_writes_and_reads_back_the_same_columns(tmp_path):
    f = book(tmp_path / "pmc.xlsx", {"8月": month(1, 3)})
    out_file = tmp_path / "map.toml"
    out = run("map", str(f), "--out", str(out_file))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "pmc.xlsx  sheet '8月'  kind ledger (sales)  header row 2"
    assert any(line.split()[:3] == ["requested_date", "F", "客户要求交期"] for line in lines)
    assert lines[-1] == f"wrote {out_file}"
    text = out_file.read_text(encoding="utf-8")
    assert text.startswith("# OrderDesk mapping for pmc.xlsx, sheet '8月' (header in row 2),\n")
    written = tomllib.loads(text)
    assert written["sheet"] == "8月" and written["header_row"] == 2
    assert written["columns"]["promised_date"] == "回复客户交期"
    plain, mapped = read(f), read(f, mapping=out_file)
    assert mapped.columns == plain.columns
    assert mapped.rows.as_dict() == plain.rows.as_dict()
    assert all(c.chosen.how == "mapping" for c in mapped.proposal.values() if c.chosen is not None)
    # the same proposal in check
    check = json.loads(run("check", str(f), "--format", "json").stdout)
    assert {p["field"]: p["column"]["header"] for p in check["proposal"]}["requested_date"] == "客户要求交期"


def test_map_names_a_missing_required_field_with_the_closest_headers(tmp_path):
    f = book(tmp_path / "odd.xlsx", {"Orders": [["Order No", "Customer", "Part No", "Qtty", "Due Date"],
                                                ["SO-1", "ACME", "A", 1, D(2026, 5, 1)]]})
    out = run("map", str(f), "--format", "json", "--out", str(tmp_path / "m.toml"))
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["missing"] == [{"field": "qty", "closest": ["Qtty"]}]
    assert '# qty = ""   # REQUIRED, no column found — closest headers: \'Qtty\'' in \
        (tmp_path / "m.toml").read_text(encoding="utf-8")


# --- real data ---------------------------------------------------------------------------------

@pytest.mark.realdata
def test_scms_reads_without_its_mapping_and_gives_the_published_figure(real_data: Path):
    """Published: 88.51 % on time, 1,186 of 10,324 lines late (see test_otd_real.py)."""
    r = read(real_data / "SCMS_Delivery_History_Dataset.csv")
    assert (r.kind, r.ledger_kind) == ("ledger", "purchases")
    assert (r.columns["promised_date"], r.columns["ship_date"], r.columns["order_no"]) == \
        ("Scheduled Delivery Date", "Delivered to Client Date", "PO / SO #")
    out = otd_json(r, dt.date(2016, 1, 31), OtdSettings())
    assert (out["total"]["lines"], out["total"]["late"], out["total"]["otd"]) == (10324, 1186, 0.8851)
    assert out["rows"] == {"read": 10324, "valid": 10324, "issues": 0, "blank_or_total": 0}


def test_a_csv_pasted_into_one_column_is_split_on_its_commas(tmp_path):
    """The Kaggle procurement data pasted unsplit into Excel: A1 = 'PO_ID,Supplier,Order_Date,...'."""
    lines = ["PO_ID,Supplier,Order_Date,Delivery_Date,Item_Category,Order_Status,Quantity,Unit_Price",
             "PO-1,Alpha Inc,2023-10-17,2023-10-25,Office,Delivered,100,9.5",
             "PO-2,Beta Ltd,2022-04-25,2022-05-05,Raw,Delivered,40,1.25"]
    f = book(tmp_path / "proc.xlsx", {"raw data": [[line] for line in lines]})
    r = read(f)
    assert (r.ledger_kind, r.rows.valid) == ("purchases", 2)
    assert r.columns["supplier"] == "Supplier" and r.columns["qty"] == "Quantity"
    assert r.data["counterparty"].tolist() == ["Alpha Inc", "Beta Ltd"]
    assert r.notes[0] == ("sheet 'raw data' holds each line as one cell of comma-separated text (a CSV pasted "
                          "into column A): split on the commas")


def test_a_needed_column_chosen_with_little_confidence_is_said(tmp_path):
    f = book(tmp_path / "erp.xlsx", {"Export": [["Sales Order", "Customer", "Item Code", "Qty", "Delivery Date"],
                                                ["SO-1", "ACME", "A-1", 5, D(2026, 5, 1)]]})
    r = read(f)
    assert r.columns["requested_date"] == "Delivery Date"
    assert r.notes == ["requested_date is read from 'Delivery Date' with confidence 0.61 — orderdesk map shows "
                       "the choice; a --map file fixes it"]
