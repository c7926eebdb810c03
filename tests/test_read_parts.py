"""A large sheet parsed part by part (addin/readers/grid.py ``_parts_to_ipc``) gives the batch
and the read the whole parse gives: rows and columns at their absolute places, blank rows and
rows without values between parts, shared and inline strings, dates by their styles."""
from __future__ import annotations

import datetime as dt
import os

import pytest

pytest.importorskip("fastexcel")
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="parts are parsed by forked workers")

import pyarrow as pa  # noqa: E402

from addin.files.guard import inspect_input  # noqa: E402
from addin.readers import grid  # noqa: E402
from addin.readers.table import read_grid  # noqa: E402


def _same(a, b) -> bool:
    """Two grids' Arrow cells equal, whether a record batch or a table of one batch per part."""
    def table(x):
        return (x if isinstance(x, pa.Table) else pa.Table.from_batches([x])).combine_chunks()
    return table(a).equals(table(b))


def _whole_parse(path, monkeypatch):
    """The file's guard info, first sheet and its whole parse (parts switched off)."""
    info = inspect_input(path, deep=False)
    sheet = info.sheets[0]
    monkeypatch.setattr(grid, "PART_XML_BYTES", 0)
    return info, sheet, grid._load_isolated(path, info, sheet.name, 0)


def _ledger(path, *, inline: bool):
    import xlsxwriter
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": inline})
    ws = wb.add_worksheet("订单")
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, ["订单跟踪表"])
    ws.write_row(2, 0, ["订单号", "客户", "料号", "订单数量", "承诺交期", "实际出货日期", "状态", "备注"])
    r = 3
    for i in range(6000):
        if i % 500 == 499:
            r += 40                        # a gap of empty rows, wider than some parts
            continue
        ws.write_row(r, 0, [f"PO{i:05d}", ["ACME", "星河智能", "Beta"][i % 3], f"P-{i % 40}"])
        ws.write(r, 3, "1,200" if i % 11 == 0 else i % 90 + 1)
        ws.write_datetime(r, 4, dt.datetime(2026, 1, 1) + dt.timedelta(days=i % 200), date)
        if i % 4 == 0:
            ws.write_datetime(r, 5, dt.datetime(2026, 3, 1) + dt.timedelta(days=i % 50), date)
        ws.write(r, 6, ["生产中", "已出货", "Open"][i % 3])
        if i % 7 == 0:
            ws.write(r, 7 + i % 3, f"note {i}")   # a note now and then, beyond the header's columns
        r += 1
    ws.write(r + 3, 0, "合计")
    wb.close()
    return path


@pytest.mark.parametrize("inline", [True, False], ids=["inline-strings", "shared-strings"])
def test_parts_give_the_whole_parse(tmp_path, monkeypatch, inline):
    path = _ledger(tmp_path / "ledger.xlsx", inline=inline)
    info, sheet, whole = _whole_parse(path, monkeypatch)
    monkeypatch.setattr(grid, "PART_XML_BYTES", 40_000)
    assert grid._parts_to_ipc(path, sheet.name, sheet.part, str(tmp_path / ".orderdesk-t.arrow")) is not None
    import zipfile
    with zipfile.ZipFile(path) as zf, zf.open(sheet.part) as fh:
        assert sum(1 for _ in grid._split_rows(fh, 40_000)) > 5      # really cut into parts
    split = grid._load_isolated(path, info, sheet.name, 0)
    assert split.col_offset == whole.col_offset
    assert split.batch.num_rows == whole.batch.num_rows
    assert split.batch.num_columns == whole.batch.num_columns
    assert split.batch.num_rows == whole.batch.num_rows
    assert _same(split.batch, whole.batch)
    assert isinstance(split.batch, pa.Table) and split.batch.column(0).num_chunks > 1   # one batch per part
    r1, r2 = read_grid(whole, "ledger"), read_grid(split, "ledger")
    assert r1.rows == r2.rows and [str(i) for i in r1.issues] == [str(i) for i in r2.issues]
    assert r1.notes == r2.notes and r1.data.equals(r2.data)


def test_a_sheet_not_in_the_plain_form_is_parsed_whole(tmp_path, monkeypatch):
    """Rows without their r attribute cannot be placed by a part: the whole parse reads them."""
    import zipfile
    path = _ledger(tmp_path / "ledger.xlsx", inline=True)
    bare = tmp_path / "bare.xlsx"
    import re
    with zipfile.ZipFile(path) as a, zipfile.ZipFile(bare, "w", zipfile.ZIP_DEFLATED) as b:
        for item in a.infolist():
            data = a.read(item)
            if item.filename.startswith("xl/worksheets/"):
                data = re.sub(rb'<row r="\d+"', b"<row", data, count=10)
            b.writestr(item, data)
    info = inspect_input(bare, deep=False)
    sheet = info.sheets[0]
    monkeypatch.setattr(grid, "PART_XML_BYTES", 40_000)
    with pytest.raises(grid._NotSplittable):
        grid._parts_to_ipc(bare, sheet.name, sheet.part, str(tmp_path / ".orderdesk-t.arrow"))
    split = grid._load_isolated(bare, info, sheet.name, 0)
    monkeypatch.setattr(grid, "PART_XML_BYTES", 0)
    whole = grid._load_isolated(bare, info, sheet.name, 0)
    assert _same(split.batch, whole.batch)


def test_a_part_that_fails_means_the_whole_parse(tmp_path, monkeypatch):
    """A part whose parse fails (here: it raises) means the sheet is parsed whole."""
    path = _ledger(tmp_path / "ledger.xlsx", inline=True)
    info, sheet, whole = _whole_parse(path, monkeypatch)

    def broken(*args, **kwargs):
        raise RuntimeError("a damaged part")
    monkeypatch.setattr(grid, "_parse_part", broken)
    monkeypatch.setattr(grid, "PART_XML_BYTES", 40_000)
    with pytest.raises(grid._NotSplittable):
        grid._parts_to_ipc(path, sheet.name, sheet.part, str(tmp_path / ".orderdesk-t.arrow"))
    assert _same(grid._load_isolated(path, info, sheet.name, 0).batch, whole.batch)


def _sheet_with_xml(tmp_path, rows_xml: bytes):
    """A workbook whose first sheet's rows are ``rows_xml`` (the rest as XlsxWriter writes it)."""
    import re
    import zipfile
    import xlsxwriter
    made = tmp_path / "made.xlsx"
    wb = xlsxwriter.Workbook(str(made))
    wb.add_worksheet("订单").write(0, 0, "x")
    wb.close()
    path = tmp_path / "edited.xlsx"
    with zipfile.ZipFile(made) as a, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as b:
        for item in a.infolist():
            data = a.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb"<sheetData>.*</sheetData>", lambda m: b"<sheetData>" + rows_xml + b"</sheetData>",
                              data, flags=re.S)
            b.writestr(item, data)
    return path


def test_parts_starting_or_ending_on_values_that_are_no_values(tmp_path, monkeypatch):
    """A part after the first is read from its first row with a value: rows whose only cells are
    an empty <v></v> or an empty inline string sit at many parts' edges here; where fastexcel
    counts such a row as empty the part's row count says so and that part is read again from
    the sheet's first row: the batch is the whole parse's."""
    rows = []
    for r in range(1, 4001):
        if r % 2:
            rows.append(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>PO{r}</t></is></c>'
                        f'<c r="C{r}"><v>{r}</v></c></row>')
        elif r % 4 == 0:
            rows.append(f'<row r="{r}"><c r="B{r}"><v></v></c></row>')
        else:
            rows.append(f'<row r="{r}"><c r="D{r}" t="inlineStr"><is><t></t></is></c></row>')
    path = _sheet_with_xml(tmp_path, "".join(rows).encode())
    info, sheet, whole = _whole_parse(path, monkeypatch)
    monkeypatch.setattr(grid, "PART_XML_BYTES", 20_000)
    assert grid._parts_to_ipc(path, sheet.name, sheet.part, str(tmp_path / ".orderdesk-t.arrow")) is not None
    split = grid._load_isolated(path, info, sheet.name, 0)
    assert split.col_offset == whole.col_offset
    assert _same(split.batch, whole.batch)


def test_read_parts_0_parses_whole(tmp_path, monkeypatch):
    """ORDERDESK_READ_PARTS=0: the sheet is parsed whole, on one thread."""
    path = _ledger(tmp_path / "ledger.xlsx", inline=True)
    info = inspect_input(path, deep=False)
    sheet = info.sheets[0]
    monkeypatch.setattr(grid, "PART_XML_BYTES", 40_000)
    monkeypatch.setenv("ORDERDESK_READ_PARTS", "0")

    def refused(*args, **kwargs):
        raise AssertionError("parsed in parts")
    monkeypatch.setattr(grid, "_parts_to_ipc", refused)
    assert grid._load_isolated(path, info, sheet.name, 0).batch.num_rows > 6000
