"""Quotes, stock, open purchases, capacity and routing readers, alone and as sheets of one workbook."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from addin.errors import InputError
from addin.readers import read

D = dt.datetime


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


def messages(result) -> list[str]:
    return [f"{i.severity}: {i}" for i in result.issues]


STOCK = [["料号", "物料名称", "库存数量", "安全库存", "已分配", "采购周期", "检验天数"],
         ["M-1", "螺丝", "1,200", 200, 100, 10, 2],
         ["M-2", "外壳", 50, 20, 80, 15, 1],
         ["M-1", "螺丝", 300, None, None, None, None],
         ["M-3", "PCB", "abc", 0, 0, 20, 3],
         ["合计", None, 1550, None, None, None, None]]
PURCHASES = [["采购单号", "料号", "在途数量", "预计到货日期"],
             ["PO-9", "M-2", 500, "2026/12/1"],
             ["PO-9", "M-2", 500, "2026/12/1"],
             ["PO-10", "M-3", 0, "2026-12-05"],
             ["PO-11", "M-3", 100, "某天"]]
CAPACITY = [["产能表 2026"], [],
            ["产线", "班次", "每班工时", "日产能工时"],
            ["SMT-1", 2, 10, None],
            ["SMT-2", None, 8, None],
            ["ASSY", 2, 8, 20],
            ["TEST", None, None, None],
            ["SMT-1", 1, 8, None]]
ROUTING = [["料号", "产线", "标准工时"],
           ["A-100", "SMT-1", 0.02],
           ["A-100", "ASSY", "0.5"],
           ["A-100", "ASSY", 0.6],
           ["B-200", "SMT-2", 0]]


@pytest.fixture
def supply_book(tmp_path) -> Path:
    return write_xlsx(tmp_path / "supply.xlsx",
                      {"库存": STOCK, "在途采购": PURCHASES, "产能": CAPACITY, "工艺路线": ROUTING})


def test_each_kind_found_in_its_own_sheet_without_naming_it(supply_book):
    assert read(supply_book, "stock").sheet == "库存"
    assert read(supply_book, "purchases").sheet == "在途采购"
    assert read(supply_book, "capacity").sheet == "产能"
    assert read(supply_book, "routing").sheet == "工艺路线"
    # and the kind found from the headers when a sheet is named
    assert read(supply_book, sheet="工艺路线").kind == "routing"
    assert read(supply_book, sheet="在途采购").kind == "purchases"
    assert read(supply_book, sheet="产能").kind == "capacity"
    assert read(supply_book, sheet="库存").kind == "stock"


def test_stock(supply_book):
    res = read(supply_book, "stock")
    assert res.rows.as_dict() == {"read": 5, "valid": 3, "issues": 1, "blank_or_total": 1}
    d = res.data
    assert d["part_no"].tolist() == ["M-1", "M-2", "M-1"]
    assert d["on_hand"].tolist() == [1200, 50, 300]
    assert d["allocated"].tolist()[:2] == [100, 80]
    assert d["purchase_lead_time_days"].tolist()[:2] == [10, 15]
    assert d["inspection_days"].tolist()[:2] == [2, 1]
    assert messages(res) == [
        "warning: 库存!E3: allocated '80': is more than the 50 on hand: 30 short already",
        "error: 库存!C5: on_hand 'abc': not a number",
    ]
    assert res.notes == ["1 part(s) listed on more than one row (M-1): each row is kept (one per warehouse or "
                         "lot); netting adds them up per part"]


def test_purchases(supply_book):
    res = read(supply_book, "purchases")
    assert res.rows.as_dict() == {"read": 4, "valid": 1, "issues": 3, "blank_or_total": 0}
    assert res.data["due_date"].tolist() == [D(2026, 12, 1)]
    assert messages(res) == [
        "error: 在途采购!A3: po_no 'PO-9': repeats row 2 (same PO, part, quantity and due date) — delete one",
        "error: 在途采购!C4: qty '0': must be more than 0",
        "error: 在途采购!D5: due_date '某天': not a date",
    ]


def test_capacity_hours_from_shifts(supply_book):
    res = read(supply_book, "capacity")
    assert res.header_row == 3
    assert res.rows.as_dict() == {"read": 5, "valid": 3, "issues": 2, "blank_or_total": 0}
    d = res.data
    assert d["line"].tolist() == ["SMT-1", "SMT-2", "ASSY"]
    assert d["hours_per_day"].tolist() == [20, 8, 20]      # 2 x 10; one shift of 8; as given
    assert d["shifts"].tolist() == [2, 1, 2]
    assert messages(res) == [
        "warning: 产能!D6: hours_per_day '20': differs from 2 shift(s) x 8 hours = 16; 20 is used",
        "error: 产能!D7: hours_per_day: is empty (give the hours per day, or the shifts and hours per shift)",
        "error: 产能!A8: line 'SMT-1': already has its hours in row 4 — keep one row per line",
    ]


def test_routing(supply_book):
    res = read(supply_book, "routing")
    assert res.rows.as_dict() == {"read": 4, "valid": 2, "issues": 2, "blank_or_total": 0}
    assert res.data[["part_no", "line", "hours_per_unit"]].values.tolist() == [
        ["A-100", "SMT-1", 0.02], ["A-100", "ASSY", 0.5]]
    assert messages(res) == [
        "error: 工艺路线!B4: line 'ASSY': repeats row 3 (same part on the same line) — keep one row",
        "error: 工艺路线!C5: hours_per_unit '0': must be more than 0",
    ]


def test_quotes_price_breaks(tmp_path):
    f = write_xlsx(tmp_path / "quotes.xlsx", {"报价": [
        ["报价单号", "客户", "料号", "版本", "阶梯数量", "单价", "币种", "交期天数", "MOQ", "模具费", "生效日期", "有效期至"],
        ["Q-1", "ACME", "A-100", "B", 1, 1.20, "CNY", 15, 500, 3000, D(2026, 1, 1), D(2026, 12, 31)],
        ["Q-1", "ACME", "A-100", "B", 1000, "1.10", "CNY", 15, 500, 3000, D(2026, 1, 1), D(2026, 12, 31)],
        ["Q-1", "ACME", "A-100", "B", 1000, 1.05, "CNY", 15, 500, 3000, D(2026, 1, 1), D(2026, 12, 31)],
        ["Q-2", "Beta", "B-200", "A", 1, 9.9, "USD", 20, None, None, "2026-06-01", "2026-03-01"],
        ["Q-2", "Beta", "B-200", "A", None, "¥8", "USD", 20, None, "NRE 500", None, None],
    ]})
    res = read(f, "quotes")
    assert res.rows.as_dict() == {"read": 5, "valid": 2, "issues": 3, "blank_or_total": 0}
    d = res.data
    assert d["min_qty"].tolist() == [1, 1000]
    assert d["unit_price"].tolist() == [1.2, 1.1]
    assert d["valid_until"].tolist()[:2] == [D(2026, 12, 31)] * 2
    assert d["tooling_charge"].tolist()[:2] == [3000, 3000]
    assert messages(res) == [
        "error: 报价!E4: min_qty '1000': repeats the price break of row 3 (same quote, customer, part and "
        "quantity) — delete one or change its quantity",
        "error: 报价!L5: valid_until '2026-03-01': is before the valid-from date 2026-06-01 (报价!K5)",
        "error: 报价!J6: tooling_charge 'NRE 500': not a number",
    ]


def test_kind_missing_columns_message(tmp_path):
    f = write_xlsx(tmp_path / "cap.xlsx", {"Lines": [["Line", "Efficiency"], ["L1", 0.9]]})
    with pytest.raises(InputError) as err:
        read(f, "capacity")
    assert str(err.value) == (
        "cap.xlsx: sheet 'Lines': no column for required field one of 'hours_per_day', 'hours_per_shift' "
        "(日产能工时/Daily Hours or 每班工时/Hours Per Shift) in the header (row 1) — add the column or name it "
        "in a --map file")
    with pytest.raises(InputError) as err:
        read(f, "routing")
    assert str(err.value) == (
        "cap.xlsx: sheet 'Lines': no column for required fields 'part_no' (a column such as 料号, 物料编码, "
        "Part No, Part Number); 'hours_per_unit' (a column such as 标准工时, 单位工时, Std Hours, Standard Hours) in "
        "the header (row 1) — add the column or name it in a --map file")


def test_check_json_on_a_sheet_of_the_supply_book(supply_book):
    out = subprocess.run([sys.executable, "-m", "addin.cli", "check", str(supply_book), "--kind", "capacity",
                          "--format", "json"], capture_output=True, text=True, check=True)
    report = json.loads(out.stdout)
    assert report["sheet"] == "产能" and report["kind"] == "capacity" and report["header_row"] == 3
    assert report["rows"] == {"read": 5, "valid": 3, "issues": 2, "blank_or_total": 0}
    assert [i["cell"] for i in report["issues"]] == ["产能!D6", "产能!D7", "产能!A8"]
    assert report["issues"][0]["severity"] == "warning"


# --- mapping features the real files needed ---------------------------------------------------

def test_mapping_defaults_give_a_missing_column_one_value(tmp_path):
    f = tmp_path / "orders.csv"
    f.write_text("order_id,customer_id,estimated\nA1,C1,2026-05-01\nA2,C2,2026-05-03\n,,\n", encoding="utf-8")
    m = tmp_path / "m.toml"
    m.write_text('[columns]\norder_no = "order_id"\npart_no = "order_id"\ncustomer = "customer_id"\n'
                 'requested_date = "estimated"\n[defaults]\nqty = 1\n', encoding="utf-8")
    res = read(f, "ledger", mapping=m)
    assert res.rows.as_dict() == {"read": 3, "valid": 2, "issues": 0, "blank_or_total": 1}
    assert res.data["qty"].tolist() == [1.0, 1.0]
    assert res.data["part_no"].tolist() == res.data["order_no"].tolist() == ["A1", "A2"]
    m.write_text('[columns]\norder_no = "order_id"\npart_no = "order_id"\ncustomer = "customer_id"\n'
                 'requested_date = "estimated"\n[defaults]\nqty = 0\n', encoding="utf-8")
    from addin.errors import ConfigError
    with pytest.raises(ConfigError) as err:
        read(f, "ledger", mapping=m)
    assert str(err.value) == "mapping: [defaults] qty = 0: must be more than 0"
    m.write_text('[defaults]\nquantity = 1\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        read(f, "ledger", mapping=m)
    assert str(err.value) == ("m.toml: [defaults] quantity must be a field OrderDesk knows, given one value "
                              "(qty = 1 for a file of one item per line)")
