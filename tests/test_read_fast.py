"""The fast xlsx path (fastexcel -> Arrow text columns, parsed column-wise) gives exactly what
the python-calamine per-cell path gives: data, issues (cell, field, value, message), row
accounting and notes. Real workbooks written by XlsxWriter; the engine is chosen by
``grid._has_fastexcel``.

Known, accepted differences (the cell's text is all the fast path has): a boolean cell reads
as 'true'/'false' (calamine: True/False), and a number cell beyond 15 digits in a text field
reads as its digits ('100000000000000000000', calamine: '1e+20')."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import xlsxwriter

from addin.readers import grid, read

pytest.importorskip("fastexcel")
pytest.importorskip("pyarrow")


def _both(path: Path, monkeypatch, **kw):
    out = []
    for fast in (True, False):
        monkeypatch.setattr(grid, "_has_fastexcel", lambda fast=fast: fast)
        out.append(read(path, **kw))
    return out


def _same(a, b) -> None:
    assert a.data.equals(b.data)
    assert [i.as_dict() for i in a.issues] == [i.as_dict() for i in b.issues]
    assert a.rows == b.rows
    assert a.notes == b.notes
    assert (a.header_row, a.columns, a.sheet) == (b.header_row, b.columns, b.sheet)


def _ledger(path: Path, *, row0: int = 0, col0: int = 0) -> Path:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    ws = wb.add_worksheet("订单 Orders")
    d = wb.add_format({"num_format": "yyyy-mm-dd"})
    dt_fmt = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    t = wb.add_format({"num_format": "hh:mm"})
    heads = ["订单号", "客户名称", "料号", "订单数量", "单价", "订单日期", "客户交期", "实际出货日期", "订单状态", "备注"]
    ws.write_string(row0, col0, "订单跟踪表")
    for c, h in enumerate(heads):
        ws.write_string(row0 + 1, col0 + c, h)
    r = row0 + 2
    rows = [
        ("PO-1", "ACME", "P-1", 100, 1.5, dt.datetime(2026, 3, 1), dt.datetime(2026, 4, 1), None, "已出货", "ok"),
        ("PO-2", "  星河智能 ", "P-2", "1,200", 2, dt.datetime(2026, 3, 2), "4月30", None, "Open", 12.5),
        ("PO-3", "Beta", "P-3", "4.000", "¥3.5", dt.datetime(2026, 3, 2), "2026/05/06", None, "生产中",
         dt.datetime(2026, 1, 2)),
        ("PO-4", "Beta", "P-3", dt.datetime(2026, 1, 5), 3, dt.datetime(2026, 3, 2), 46150, None, "bogus", 7),
        ("PO-5", "Gamma", "P-4", "一千", -2, dt.datetime(2026, 3, 3), "31/02/2026", 0.5, "Closed", "a\x01b"),
        ("PO-6", "Gamma", "P-4", 10, 1, dt.datetime(2026, 3, 3, 10, 30), "5-Jan-26", dt.datetime(2026, 4, 2), "Shipped", 1e14),
        (None,) * 10,
        ("PO-7", "Delta", "P-5", 0, 1, dt.datetime(2026, 3, 4), 12, "x", "已完成", "007"),
        ("合计", None, None, 1234, None, None, None, None, None, None),
    ]
    for row in rows:
        for c, v in enumerate(row):
            cc = col0 + c
            if v is None:
                continue
            if isinstance(v, dt.datetime):
                ws.write_datetime(r, cc, v, dt_fmt if v.hour else d)
            elif isinstance(v, bool):
                ws.write_boolean(r, cc, v)
            elif isinstance(v, str):
                ws.write_string(r, cc, v)
            elif c == 7 and v == 0.5:
                ws.write_number(r, cc, v, t)          # a time of day where a date belongs
            else:
                ws.write_number(r, cc, v)
        r += 1
    wb.close()
    return path


def test_fast_path_matches_calamine(tmp_path, monkeypatch):
    a, b = _both(_ledger(tmp_path / "l.xlsx"), monkeypatch, kind="ledger")
    _same(a, b)
    cells = [i.cell for i in a.issues]
    assert "'订单 Orders'!D7" in cells        # '一千' on worksheet row 7, column D
    assert a.rows.read == a.rows.valid + a.rows.issues + a.rows.blank_or_total


def test_fast_path_keeps_absolute_rows_and_columns(tmp_path, monkeypatch):
    """A table starting at C5: cell names and source rows count from A1."""
    a, b = _both(_ledger(tmp_path / "off.xlsx", row0=4, col0=2), monkeypatch, kind="ledger")
    _same(a, b)
    assert a.header_row == 6
    assert a.data["source_row"].iat[0] == 7
    assert "'订单 Orders'!F11" in [i.cell for i in a.issues]     # qty '一千': row 11, column F


def test_fast_path_on_the_samples(monkeypatch):
    folder = Path(__file__).resolve().parents[1] / "workbook_templates"
    files = sorted(folder.glob("sample_*.xlsx"))
    if not files:
        pytest.skip("no sample workbooks")
    for f in files:
        a, b = _both(f, monkeypatch)
        _same(a, b)
