"""Bilingual headers (a Chinese and an English label in one cell, as hand-kept sheets of Chinese
factories write them): each column read as either half alone would be. Both halves naming a
date used to be taken for 'a date about a date' and the score halved ('到货日期 Receipt Date'
was not found); a BOM's '替代料 Alternates' column was mapped but its values dropped."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from addin.readers import headers
from addin.readers.table import read

D = dt.datetime


def write(path: Path, header: list[str], rows: list[list]) -> Path:
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("Sheet1")
    days = book.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, header)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, dt.datetime):
                ws.write_datetime(r, c, value, days)
            elif value is not None:
                ws.write(r, c, value)
    book.close()
    return path


@pytest.mark.parametrize("text, field", [
    ("到货日期 Receipt Date", "ship_date"), ("收货日期 Received Date", "ship_date"),
    ("入库日期 Receipt Date", "ship_date"), ("Receipt Date / 到货日期", "ship_date"),
    ("承诺交期 Promised Date", "promised_date"), ("数量 Qty", "qty"), ("客户 Customer", "customer"),
])
def test_a_bilingual_header_scores_as_its_halves(text, field):
    zh, en = headers.bilingual_halves(text)
    got = headers.scores(text)
    assert max(got, key=got.get) == field
    assert got[field] >= min(headers.scores(zh)[field], headers.scores(en)[field])


def test_only_two_languages_side_by_side_are_halves():
    assert headers.bilingual_halves("Order No") is None and headers.bilingual_halves("订单号") is None
    assert headers.bilingual_halves("SO单号") is None                      # one word, not two labels
    assert headers.bilingual_halves("交期 Remark") == ("交期", "Remark")
    # halves naming different fields raise neither: the header scores as a whole
    zh, en = headers.scores("交期"), headers.scores("Remark")
    assert not zh.keys() & en.keys()
    assert all(v < max(zh.get(f, 0), en.get(f, 0)) for f, v in headers.scores("交期 Remark").items())


def test_purchase_ledger_with_bilingual_headers(tmp_path: Path):
    header = ["采购单号 PO No", "行号 Line", "供应商 Supplier", "料号 Part No", "采购数量 Qty",
              "承诺交期 Promised Date", "到货日期 Receipt Date", "实收数量 Received Qty"]
    rows = [[f"PO-{i}", "1", "Acme", "IC-1", 100, D(2026, 3, i), D(2026, 3, i + 1), 100] for i in range(1, 6)]
    res = read(write(tmp_path / "po.xlsx", header, rows), "ledger")
    assert res.columns["ship_date"] == "到货日期 Receipt Date"
    assert res.columns["shipped_qty"] == "实收数量 Received Qty"
    assert res.data["ship_date"].tolist() == [pd_ts(D(2026, 3, i + 1)) for i in range(1, 6)]


def pd_ts(value):
    import pandas as pd
    return pd.Timestamp(value)


def test_sales_ledger_all_bilingual(tmp_path: Path):
    header = ["订单号 Order No", "客户 Customer", "料号 Part No", "数量 Qty", "客户交期 Requested Date",
              "承诺交期 Promised Date", "实际出货日期 Ship Date", "出货数量 Shipped Qty", "状态 Status"]
    rows = [["SO-1", "ACME", "A-1", 10, D(2026, 3, 1), D(2026, 3, 2), D(2026, 3, 2), 10, "已出货"],
            ["SO-2", "ACME", "A-2", 5, D(2026, 3, 5), D(2026, 3, 6), None, None, "生产中"]]
    res = read(write(tmp_path / "so.xlsx", header, rows), "ledger")
    assert {f: res.columns.get(f) for f in ("order_no", "customer", "part_no", "qty", "requested_date",
                                            "promised_date", "ship_date", "shipped_qty", "status")} == \
        dict(zip(("order_no", "customer", "part_no", "qty", "requested_date", "promised_date", "ship_date",
                  "shipped_qty", "status"), header))


def test_bom_alternates_under_a_bilingual_header(tmp_path: Path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "BOM"
    ws.append(["父件 Parent", "子件 Component", "用量 Qty per", "替代料 Alternates"])
    ws.append(["BRD-1", "IC-7", 1, "IC-7B"])
    ws.append(["BRD-1", "R-1", 10, None])
    wb.save(tmp_path / "bom.xlsx")
    res = read(tmp_path / "bom.xlsx", "bom")
    assert [tuple(a) for a in res.data["alternates"]] == [("IC-7B",), ()]
