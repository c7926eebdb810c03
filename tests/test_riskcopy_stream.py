"""The risk copy edits the workbook's XML (issue 15): every part it does not have to change is
byte-identical in the copy, every cell of the user's is unchanged, the worksheet keeps the
schema's element order, LibreOffice opens the copy and shows the colours, a rerun replaces only
OrderDesk's own column and rules, and hostile layouts finish within a memory cap.

Workbooks are written with XlsxWriter (chart, image, data validation, comments, a user's rule,
an Excel Table, rich text, a second sheet of formulas, VBA) and read back with openpyxl."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import openpyxl
import pytest

from addin.compute.risk import assess_risk
from addin.i18n import risk_label
from addin.readers import read
from addin.writers.riskcopy import write_risk_copy
from addin.writers.sheetxml import SCHEMA_ORDER

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2026, 4, 8)
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
HEADER = ["订单号", "客户", "料号", "订单数量", "承诺交期", "实际出货日期", "状态", "备注"]
STATUS = ["生产中", "生产中", "已出货", "生产中", "已取消"]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _png(path: Path) -> Path:
    path.write_bytes(base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="))
    return path


def _rows(n: int) -> list[list]:
    """Lines whose risks cover every kind: overdue, at risk, done, on track, cancelled."""
    out = []
    for i in range(n):
        kind = i % 5
        promised = [dt.datetime(2026, 4, 1), dt.datetime(2026, 4, 9), dt.datetime(2026, 3, 1),
                    dt.datetime(2026, 6, 30), dt.datetime(2026, 6, 30)][kind]
        ship = dt.datetime(2026, 2, 27) if kind == 2 else None
        out.append([f"PO-{i + 1:03d}", ["ACME", "Zeta", "华东电子"][i % 3], f"A-{100 + i % 7}", 50 + 10 * (i % 9),
                    promised, ship, STATUS[kind], None])
    return out


def rich_ledger(path: Path, *, lines: int = 30, vba: Path | None = None, table: bool = True) -> Path:
    """A manager's ledger: merged title, header on row 3, an Excel Table over the lines, rich
    text, a comment, a data validation, a user's rule, a shared formula column (金额), a chart,
    an image, a second sheet of formulas (and VBA when ``vba``)."""
    import xlsxwriter
    wb = xlsxwriter.Workbook(str(path))
    if vba is not None:
        wb.add_vba_project(str(vba))
    ws = wb.add_worksheet("订单")
    title = wb.add_format({"bold": True, "font_size": 16})
    head = wb.add_format({"bold": True, "font_color": "#FFFFFF", "bg_color": "#305496"})
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    red = wb.add_format({"bold": True, "font_color": "#C00000"})
    ws.merge_range("A1:I1", "2026 订单跟踪", title)
    headers = HEADER + ["金额"]
    rows = _rows(lines)
    last = 3 + lines
    for r, row in enumerate(rows, start=3):
        for c, v in enumerate(row):
            if isinstance(v, dt.datetime):
                ws.write_datetime(r, c, v, date)
            elif isinstance(v, str):
                ws.write_string(r, c, v)
            elif v is not None:
                ws.write_number(r, c, v)
        ws.write_formula(r, 8, f"=D{r + 1}*2", None, row[3] * 2)
    ws.write_rich_string(4, 7, red, "急", " 客户催货")
    if table:
        ws.add_table(2, 0, last - 1, 8, {"name": "Orders", "style": "Table Style Light 9",
                                         "columns": [{"header": h, "header_format": head} for h in headers]})
    else:
        for c, h in enumerate(headers):
            ws.write_string(2, c, h, head)
        ws.autofilter(2, 0, last - 1, 8)
    ws.write_comment("A4", "王工: 请确认交期")
    ws.data_validation(3, 6, last - 1, 6, {"validate": "list", "source": ["生产中", "已出货", "已取消"]})
    ws.conditional_format(3, 3, last - 1, 3, {"type": "cell", "criteria": ">", "value": 120,
                                              "format": wb.add_format({"bold": True, "font_color": "#0000FF"})})
    ws.set_column("B:B", 24)
    ws.freeze_panes(3, 0)
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"values": ["订单", 3, 3, last - 1, 3]})
    ws.insert_chart("L2", chart)
    ws.insert_image("L20", str(_png(path.with_suffix(".png"))))
    other = wb.add_worksheet("客户联系人")
    other.write_row(0, 0, ["客户", "数量合计"])
    other.write_string(1, 0, "ACME")
    other.write_formula(1, 1, f"=SUMIF(订单!B4:B{last},A2,订单!D4:D{last})", None, 0)
    wb.close()
    return _share_formulas(path, last)


def _share_formulas(path: Path, last: int) -> Path:
    """The 金额 formulas turned into one shared formula, as Excel writes a filled-down column."""
    part = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(path) as zf:
        items = [(i, zf.read(i)) for i in zf.infolist()]
    out = []
    for info, data in items:
        if info.filename == part:
            def shared(m: re.Match) -> bytes:
                row = int(m.group(1))
                if row == 4:
                    return b'<c r="I4"><f t="shared" ref="I4:I%d" si="0">D4*2</f>' % last
                return b'<c r="I%d"><f t="shared" si="0"/>' % row
            data, n = re.subn(rb'<c r="I(\d+)"><f>D\d+\*2</f>', shared, data)
            assert n == last - 3
        out.append((info, data))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in out:
            zf.writestr(info, data)
    return path


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def cells(path: Path) -> dict[tuple[str, str], tuple]:
    wb = openpyxl.load_workbook(path, rich_text=True)
    out = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.value is not None:
                    out[(ws.title, c.coordinate)] = (type(c.value).__name__, str(c.value), c.style_id)
    return out


def expected_risk(ledger: Path, lang: str, as_of: dt.date = AS_OF) -> dict[int, str]:
    result = read(ledger, kind="ledger")
    risk = assess_risk(result.data, as_of)
    return {int(r): risk_label(k, lang) for r, k in zip(result.data["source_row"], risk["risk"])}


def sheet_children(xml: bytes) -> list[str]:
    return [child.tag.split("}")[-1] for child in ET.fromstring(xml)]


def assert_schema_order(xml: bytes) -> None:
    rank = {name: i for i, name in enumerate(SCHEMA_ORDER)}
    names = sheet_children(xml)
    ranks = [rank[n] for n in names]
    assert ranks == sorted(ranks), names


# ------------------------------------------------------------------ every part kept

@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_other_part_is_byte_identical_and_the_cells_unchanged(tmp_path, lang):
    ledger = rich_ledger(tmp_path / "ledger.xlsx")
    before, source_cells = sha(ledger), cells(ledger)
    out = tmp_path / "copy.xlsx"
    summary = write_risk_copy(read(ledger, kind="ledger"), out=out, as_of=AS_OF, lang=lang)
    assert sha(ledger) == before and not summary.separate
    a, b = parts(ledger), parts(out)
    assert list(a) == list(b)          # the same parts, in the same order, none added
    changed = {name for name in a if a[name] != b[name]}
    assert changed == {"xl/worksheets/sheet1.xml", "xl/styles.xml", "xl/tables/table1.xml"}
    # charts, drawings, images, comments (and their VML), shared strings with rich text, the
    # second sheet, rels and content types: untouched
    for name in ("xl/charts/chart1.xml", "xl/drawings/drawing1.xml", "xl/media/image1.png", "xl/comments1.xml",
                 "xl/drawings/vmlDrawing1.vml", "xl/sharedStrings.xml", "xl/worksheets/sheet2.xml",
                 "[Content_Types].xml", "xl/worksheets/_rels/sheet1.xml.rels"):
        assert a[name] == b[name], name

    copied = cells(out)
    assert {k: v for k, v in copied.items() if k[1][0] != "J" or k[0] != "订单"} == source_cells
    risk = expected_risk(ledger, lang)
    assert copied[("订单", "J3")][1] == {"zh": "风险", "en": "Risk"}[lang]
    assert {int(k[1][1:]): v[1] for k, v in copied.items() if k[0] == "订单" and k[1][0] == "J" and k[1] != "J3"} == risk
    assert len(set(risk.values())) == 5
    # the shared formula's master and a dependent as they were
    sheet = b["xl/worksheets/sheet1.xml"]
    assert b'<c r="I4"><f t="shared" ref="I4:I33" si="0">D4*2</f>' in sheet
    assert b'<c r="I9"><f t="shared" si="0"/>' in sheet

    wb = openpyxl.load_workbook(out)
    ws = wb["订单"]
    table = ws.tables["Orders"]
    assert table.ref == "A3:J33" and table.autoFilter.ref == "A3:J33"
    assert [c.name for c in table.tableColumns][-2:] == ["金额", {"zh": "风险", "en": "Risk"}[lang]]
    rules = sorted((str(cf.sqref), r.type, r.formula[0] if r.formula else r.operator)
                   for cf in ws.conditional_formatting for r in cf.rules)
    labels = [risk_label(k, lang) for k in ("overdue", "at_risk", "done")]
    assert rules == sorted([("D4:D33", "cellIs", "120")] + [("A4:J33", "expression", f'$J4="{x}"') for x in labels])
    assert ws.data_validations.dataValidation[0].sqref == openpyxl.worksheet.cell_range.MultiCellRange("G4:G33")
    assert ws.column_dimensions["J"].width == 10 and ws.column_dimensions["B"].width == pytest.approx(24.7109375)
    assert ws.freeze_panes == "A4"
    assert_schema_order(sheet)


def test_a_macro_workbook_keeps_its_vba_and_controls(tmp_path):
    """OrderDesk's own macro-enabled ledger (VBA project, buttons in VML): the copy is an
    .xlsm with every part but the sheet and styles as it was."""
    ledger = tmp_path / "OrderLedger.xlsm"
    ledger.write_bytes((ROOT / "workbook_templates" / "OrderLedger.xlsm").read_bytes())
    out = tmp_path / "copy.xlsx"
    from addin.errors import InputError
    with pytest.raises(InputError, match="name the copy .xlsm"):
        write_risk_copy(read(ledger, kind="ledger"), out=out, as_of=AS_OF)
    out = tmp_path / "copy.xlsm"
    write_risk_copy(read(ledger, kind="ledger"), out=out, as_of=AS_OF)
    a, b = parts(ledger), parts(out)
    assert list(a) == list(b)
    # the template's ledger is an Excel Table below the button band: the Risk column joins the table
    assert {n for n in a if a[n] != b[n]} == {"xl/worksheets/sheet1.xml", "xl/styles.xml", "xl/tables/table1.xml"}
    assert b["xl/vbaProject.bin"] == a["xl/vbaProject.bin"]
    ws = openpyxl.load_workbook(out, keep_vba=True)["Orders"]
    assert ws["N2"].value == "Risk" and ws.tables["OrderLedger"].ref == "A2:N7"
    assert_schema_order(b["xl/worksheets/sheet1.xml"])


def test_an_xlsm_made_with_xlsxwriter_keeps_its_vba_project(tmp_path):
    vba = tmp_path / "vbaProject.bin"
    with zipfile.ZipFile(ROOT / "workbook_templates" / "OrderLedger.xlsm") as zf:
        vba.write_bytes(zf.read("xl/vbaProject.bin"))
    ledger = rich_ledger(tmp_path / "ledger.xlsm", vba=vba, table=False)
    out = tmp_path / "copy.xlsm"
    write_risk_copy(read(ledger, kind="ledger"), out=out, as_of=AS_OF, lang="en")
    a, b = parts(ledger), parts(out)
    assert b["xl/vbaProject.bin"] == vba.read_bytes()
    assert {n for n in a if a[n] != b[n]} == {"xl/worksheets/sheet1.xml", "xl/styles.xml"}
    ws = openpyxl.load_workbook(out, keep_vba=True)["订单"]
    assert ws.auto_filter.ref == "A3:J33"      # the user's filter widened over the risk column
    assert_schema_order(b["xl/worksheets/sheet1.xml"])


# ------------------------------------------------------------------ a rerun

def test_a_rerun_replaces_only_orderdesks_own_column_and_rules(tmp_path):
    ledger = rich_ledger(tmp_path / "ledger.xlsx")
    first = tmp_path / "first.xlsx"
    write_risk_copy(read(ledger, kind="ledger"), out=first, as_of=AS_OF, lang="zh")
    later = dt.date(2026, 6, 29)       # every open line due by 30 June is now at risk
    second = tmp_path / "second.xlsx"
    write_risk_copy(read(first, kind="ledger"), out=second, as_of=later, lang="en")
    ws = openpyxl.load_workbook(second)["订单"]
    assert ws["J3"].value == "Risk" and ws["K3"].value is None
    assert {ws.cell(r, 10).value for r in range(4, 34)} == {"overdue", "at risk", "done", "cancelled"}
    assert {int(r): v for r, v in expected_risk(ledger, "en", later).items()} == \
        {r: ws.cell(r, 10).value for r in range(4, 34)}
    rules = sorted((str(cf.sqref), r.formula[0] if r.formula else r.operator)
                   for cf in ws.conditional_formatting for r in cf.rules)
    assert rules == sorted([("D4:D33", "120")] + [("A4:J33", f'$J4="{x}"') for x in ("overdue", "at risk", "done")])
    assert ws.tables["Orders"].ref == "A3:J33" and len(ws.tables["Orders"].tableColumns) == 10
    a, b = parts(ledger), parts(second)
    assert {n for n in a if a[n] != b[n]} == {"xl/worksheets/sheet1.xml", "xl/styles.xml", "xl/tables/table1.xml"}
    # the formats of the first run are reused, not added again
    assert parts(first)["xl/styles.xml"].count(b"<dxf>") == b["xl/styles.xml"].count(b"<dxf>")


def test_a_users_own_risk_column_is_never_overwritten(tmp_path):
    """A last column headed Risk that is the user's (no OrderDesk rules on it) stays: the risk
    column goes after it."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER + ["Risk"])
    for row in _rows(5):
        ws.append(row + ["my own note"])
    ledger = tmp_path / "ledger.xlsx"
    wb.save(ledger)
    out = tmp_path / "copy.xlsx"
    write_risk_copy(read(ledger, kind="ledger"), out=out, as_of=AS_OF, lang="en")
    ws = openpyxl.load_workbook(out).active
    assert [ws.cell(r, 9).value for r in range(1, 7)] == ["Risk"] + ["my own note"] * 5
    assert [ws.cell(r, 10).value for r in range(1, 7)] == ["Risk", "overdue", "at risk", "done", "on track",
                                                           "cancelled"]


def test_styled_empty_cells_beside_the_ledger_are_filled_not_pushed(tmp_path):
    """Formatting alone (a border on column I..K) does not move the risk column; the styled
    cell at its place takes the risk, keeping its format, and the cells after it stay after."""
    from openpyxl.styles import Border, Side
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    for row in _rows(5):
        ws.append(row)
    thin = Side(style="thin")
    for r in range(2, 7):
        for c in (9, 10, 11):
            ws.cell(r, c).border = Border(left=thin, right=thin)
    ledger = tmp_path / "ledger.xlsx"
    wb.save(ledger)
    out = tmp_path / "copy.xlsx"
    write_risk_copy(read(ledger, kind="ledger"), out=out, as_of=AS_OF, lang="en")
    ws = openpyxl.load_workbook(out).active
    assert [ws.cell(r, 9).value for r in range(1, 7)] == ["Risk", "overdue", "at risk", "done", "on track",
                                                          "cancelled"]
    assert ws["I2"].border.left.style == "thin" and ws["J2"].border.left.style == "thin"
    sheet = parts(out)["xl/worksheets/sheet1.xml"]
    row2 = re.search(rb"<row r=\"2\".*?</row>", sheet).group(0)
    refs = re.findall(rb'<c r="([A-Z]+)2"', row2)
    assert refs == sorted(set(refs)) and refs[-3:] == [b"I", b"J", b"K"]


# ------------------------------------------------------------------ the stream itself

def _sheet_edit_case(xml: bytes, rows, labels, header_row=1, col=3, p=b""):
    import io

    from addin.writers.sheetxml import CellEdit, SheetEdit, rewrite_sheet

    def cell(text: bytes):
        return lambda ref, s: b"<" + p + b'c r="' + ref + b'"' + (b' s="' + s + b'"' if s else b"") \
            + b' t="inlineStr"><' + p + b"is><" + p + b"t>" + text + b"</" + p + b"t></" + p + b"is></" + p + b"c>"
    kinds = sorted(set(labels))
    edit = SheetEdit(rows=rows, codes=[kinds.index(x) for x in labels], row_cells=[[CellEdit(col, cell(k))] for k in kinds],
                     header_row=header_row, header_cells=[CellEdit(col, cell(b"Risk"))])
    out = io.BytesIO()
    rewrite_sheet(io.BytesIO(xml), out.write, edit, part="sheet1.xml", file="t.xlsx")
    return out.getvalue()


def test_rows_absent_from_the_xml_are_added_in_order_and_prefixes_kept():
    xml = (b'<?xml version="1.0"?><x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           b'<x:sheetData><x:row r="1" spans="1:2"><x:c r="A1" t="inlineStr"><x:is><x:t>a</x:t></x:is></x:c></x:row>'
           b'<x:row r="3"><x:c><x:v>1</x:v></x:c><x:c><x:v>2</x:v></x:c></x:row>'
           b'<x:row r="5" s="1" customFormat="1"/></x:sheetData></x:worksheet>')
    out = _sheet_edit_case(xml, [2, 3, 5, 7], [b"p", b"q", b"p", b"q"], p=b"x:")
    root = ET.fromstring(out)
    rows = [(r.get("r"), [c.get("r") for c in r]) for r in root.iter(f"{MAIN}row")]
    assert rows == [("1", ["A1", "C1"]), ("2", ["C2"]), ("3", [None, None, "C3"]), ("5", ["C5"]), ("7", ["C7"])]
    assert b'<x:row r="1" spans="1:3">' in out
    assert b'<x:row r="5" s="1" customFormat="1">' in out


def test_an_empty_sheet_data_gets_its_rows():
    xml = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/>'
           b'<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>')
    out = _sheet_edit_case(xml, [2], [b"p"])
    assert sheet_children(out) == ["sheetData", "pageMargins"]
    assert [r.get("r") for r in ET.fromstring(out).iter(f"{MAIN}row")] == ["1", "2"]


def test_a_dtd_in_the_sheet_is_refused():
    from addin.errors import FileError
    xml = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><worksheet xmlns="http://schemas.openxmlformats.org/'
           b'spreadsheetml/2006/main"><sheetData/></worksheet>')
    with pytest.raises(FileError, match="declares XML entities"):
        _sheet_edit_case(xml, [2], [b"p"])


# ------------------------------------------------------------------ LibreOffice shows it

def _ppm_pixels(path: Path) -> list[tuple[int, int, int]]:
    data = path.read_bytes()
    m = re.match(rb"P6\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    w, h = int(m.group(1)), int(m.group(2))
    body = data[m.end():m.end() + 3 * w * h]
    return [tuple(body[i:i + 3]) for i in range(0, len(body), 3)]


@pytest.mark.libreoffice
def test_libreoffice_opens_the_copy_and_shows_the_colours(tmp_path, soffice):
    import lo
    ledger = rich_ledger(tmp_path / "ledger.xlsx", lines=12)
    out = tmp_path / "copy.xlsx"
    write_risk_copy(read(ledger, kind="ledger"), out=out, as_of=AS_OF, lang="zh")
    pngs = lo.to_png(out, tmp_path / "png", dpi=60)       # kept for a person to look at
    assert pngs
    pdf = tmp_path / "png" / "copy.pdf"
    subprocess.run([lo.require_pdftoppm(), "-r", "60", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")],
                   check=True, capture_output=True, timeout=300)
    pixels = _ppm_pixels(sorted(tmp_path.glob("p*.ppm"))[0])
    counts = {name: sum(1 for p in pixels if all(abs(a - b) <= 6 for a, b in zip(p, rgb)))
              for name, rgb in (("red", (0xFF, 0xC7, 0xCE)), ("amber", (0xFF, 0xEB, 0x9C)), ("grey", (0xE7, 0xE6, 0xE6)))}
    assert all(n > 200 for n in counts.values()), counts
    # LibreOffice's own reading of the rules, saved back as xlsx and read with openpyxl
    again = lo.convert(out, tmp_path / "lo", "xlsx")
    ws = openpyxl.load_workbook(again)["订单"]
    formulas = {r.formula[0] for cf in ws.conditional_formatting for r in cf.rules if r.formula}
    assert {'$J4="逾期"', '$J4="有风险"', '$J4="已完成"'} <= formulas


# ------------------------------------------------------------------ hostile layouts

def _with_sheet_xml(path: Path, change) -> Path:
    with zipfile.ZipFile(path) as zf:
        items = [(i, zf.read(i)) for i in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in items:
            zf.writestr(info, change(data) if info.filename == "xl/worksheets/sheet1.xml" else data)
    return path


def _plain_ledger(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "订单"
    ws.append(HEADER)
    for row in _rows(20):
        ws.append(row)
    wb.save(path)
    return path


def _copy_in_child(ledger: Path, out: Path, memory_mb: int):
    from addin.files.isolate import run_isolated
    result = read(ledger, kind="ledger")
    return run_isolated(lambda: write_risk_copy(result, out=out, as_of=AS_OF, lang="en", progress=False),
                        memory_mb=memory_mb, timeout=600, file=ledger)


def test_a_whole_sheet_merge_is_copied_within_a_memory_cap(tmp_path):
    ledger = _with_sheet_xml(_plain_ledger(tmp_path / "ledger.xlsx"), lambda d: d.replace(
        b"</sheetData>", b'</sheetData><mergeCells count="1"><mergeCell ref="A1:XFD1048576"/></mergeCells>'))
    out = tmp_path / "copy.xlsx"
    summary = _copy_in_child(ledger, out, memory_mb=300)
    assert summary.rows == 20
    sheet = parts(out)["xl/worksheets/sheet1.xml"]
    assert b'<mergeCell ref="A1:XFD1048576"/>' in sheet
    assert_schema_order(sheet)


def test_a_million_styled_empty_rows_are_copied_within_a_memory_cap(tmp_path, capsys):
    def empties(data: bytes) -> bytes:
        rows = b"".join(b'<row r="%d" s="1" customFormat="1" ht="15"/>' % r for r in range(22, 1_048_577))
        return data.replace(b"</sheetData>", rows + b"</sheetData>")
    ledger = _with_sheet_xml(_plain_ledger(tmp_path / "ledger.xlsx"), empties)
    out = tmp_path / "copy.xlsx"
    summary = _copy_in_child(ledger, out, memory_mb=300)
    assert summary.rows == 20
    with zipfile.ZipFile(out) as zf:
        assert zf.getinfo("xl/worksheets/sheet1.xml").file_size > 40_000_000
    ws = openpyxl.load_workbook(out, read_only=True)["订单"]
    assert [r[8].value for r in ws.iter_rows(min_row=1, max_row=6, max_col=9)] == \
        ["Risk", "overdue", "at risk", "done", "on track", "cancelled"]
    # progress on stderr for a long run (a terminal would show it; asked for here)
    capsys.readouterr()
    write_risk_copy(read(ledger, kind="ledger"), out=tmp_path / "again.xlsx", as_of=AS_OF, progress=True)
    assert "Risk copy:" in capsys.readouterr().err


def test_rows_a_block_at_a_time_give_the_same_bytes_as_row_by_row(tmp_path, monkeypatch):
    """The fast path (new cells appended to whole blocks of rows) writes exactly what the
    row-by-row path writes, over several blocks, rows with spans, styled cells short of the
    risk column and rows written <row/>."""
    import addin.writers.sheetxml as sx
    from openpyxl.styles import Font
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    for i, row in enumerate(_rows(3000)):
        ws.append(row)
        if i % 7 == 0:
            ws.cell(i + 2, 8).font = Font(italic=True)      # a styled empty cell before the risk column
    ws.row_dimensions[3005].height = 30                      # an empty row after the lines
    ledger = tmp_path / "ledger.xlsx"
    wb.save(ledger)
    result = read(ledger, kind="ledger")
    monkeypatch.setattr(sx, "CHUNK", 64 * 1024)              # many blocks
    fast, slow = tmp_path / "fast.xlsx", tmp_path / "slow.xlsx"
    write_risk_copy(result, out=fast, as_of=AS_OF)
    original = sx.SheetEdit.__init__

    def no_fast(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.fast = False
    monkeypatch.setattr(sx.SheetEdit, "__init__", no_fast)
    write_risk_copy(result, out=slow, as_of=AS_OF)
    a, b = parts(fast)["xl/worksheets/sheet1.xml"], parts(slow)["xl/worksheets/sheet1.xml"]
    assert a == b
    assert a.count(b'<c r="I') == 3001


def test_a_rerun_on_an_earlier_versions_copy_finds_its_column_by_the_shared_string_header(tmp_path):
    """A copy written by an earlier OrderDesk (openpyxl re-saved the workbook: shared strings,
    the same rules) is recognised by its header and rules: its column is replaced."""
    import xlsxwriter
    ledger = tmp_path / "earlier.xlsx"
    wb = xlsxwriter.Workbook(str(ledger))
    ws = wb.add_worksheet("订单")
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, HEADER + ["风险"])
    for r, row in enumerate(_rows(10), start=1):
        for c, v in enumerate(row):
            if isinstance(v, dt.datetime):
                ws.write_datetime(r, c, v, date)
            elif v is not None:
                ws.write(r, c, v)
        ws.write_string(r, 8, "正常")      # stale risks of an earlier run
    for label, colour in (("逾期", "#FFC7CE"), ("有风险", "#FFEB9C"), ("已完成", "#E7E6E6")):
        ws.conditional_format(1, 0, 10, 8, {"type": "formula", "criteria": f'=$I2="{label}"', "stop_if_true": True,
                                            "format": wb.add_format({"bg_color": colour})})
    wb.close()
    assert b't="s"' in parts(ledger)["xl/worksheets/sheet1.xml"]
    again = tmp_path / "again.xlsx"
    write_risk_copy(read(ledger, kind="ledger"), out=again, as_of=AS_OF, lang="zh")
    ws = openpyxl.load_workbook(again).active
    assert ws.max_column == 9 and ws["I1"].value == "风险"
    assert [ws.cell(r, 9).value for r in range(2, 7)] == ["逾期", "有风险", "已完成", "正常", "已取消"]
    assert sorted(r.formula[0] for cf in ws.conditional_formatting for r in cf.rules) == \
        sorted(['$I2="逾期"', '$I2="有风险"', '$I2="已完成"'])
