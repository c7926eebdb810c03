"""The risk-formatted copy of a user's own ledger: their layout kept, every part of their
workbook kept (charts and images too: the copy edits the XML, it no longer re-saves with
openpyxl), the input untouched."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import Font, PatternFill

from addin.errors import FileError
from addin.readers import read
from addin.writers.riskcopy import write_risk_copy

AS_OF = dt.date(2026, 4, 8)   # a Wednesday
HEADER = ["订单号", "客户", "料号", "订单数量", "承诺交期", "实际出货日期", "状态", "备注"]
ROWS = [
    ["PO-1", "ACME", "A-100", 100, dt.date(2026, 4, 1), None, "生产中", '=HYPERLINK("http://x")'],   # overdue
    ["PO-2", "ACME", "A-100", 100, dt.date(2026, 4, 9), None, "生产中", None],                         # at risk
    ["PO-3", "Zeta", "B-200", 50, dt.date(2026, 3, 1), dt.date(2026, 2, 27), "已出货", None],           # done
    ["PO-4", "Zeta", "B-200", 50, dt.date(2026, 6, 30), None, "生产中", None],                          # on track
    ["PO-5", "Zeta", "B-200", 50, dt.date(2026, 6, 30), None, "已取消", None],                          # cancelled
]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_ledger(path: Path) -> Path:
    """A coordinator's ledger: a merged title, a coloured header on row 3, date formats, widths,
    a filter, a second sheet with a formula."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "订单"
    ws["A1"] = "2026 订单跟踪"
    ws["A1"].font = Font(size=16, bold=True)
    ws.merge_cells("A1:H1")
    for c, h in enumerate(HEADER, start=1):
        cell = ws.cell(3, c, h)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", start_color="305496")
    for r, row in enumerate(ROWS, start=4):
        for c, v in enumerate(row, start=1):
            cell = ws.cell(r, c, v)
            if isinstance(v, str) and v.startswith("="):
                cell.data_type = "s"
            if isinstance(v, dt.date):
                cell.number_format = "yyyy/m/d"
    ws.column_dimensions["B"].width = 24
    ws.auto_filter.ref = "A3:H8"
    ws.freeze_panes = "A4"
    other = wb.create_sheet("客户联系人")
    other["A1"], other["B1"], other["B2"] = "客户", "电话", "=1+1"
    wb.save(path)
    return path


def test_copy_keeps_the_users_workbook_and_adds_risk(tmp_path):
    ledger = make_ledger(tmp_path / "ledger.xlsx")
    before = sha(ledger)
    result = read(ledger, kind="ledger")
    out = tmp_path / "ledger-risk.xlsx"
    summary = write_risk_copy(result, out=out, as_of=AS_OF, lang="zh")
    assert sha(ledger) == before
    assert (summary.overdue, summary.at_risk, summary.done, summary.on_track, summary.cancelled) == (1, 1, 1, 1, 1)
    assert summary.separate is False

    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["订单", "客户联系人"]
    ws = wb["订单"]
    assert ws["I3"].value == "风险" and ws["I3"].font.bold and ws["I3"].fill.start_color.rgb.endswith("305496")
    assert [ws.cell(r, 9).value for r in range(4, 9)] == ["逾期", "有风险", "已完成", "正常", "已取消"]
    assert ws["A1"].font.sz == 16 and "A1:H1" in {str(m) for m in ws.merged_cells.ranges}
    assert ws.column_dimensions["B"].width == 24 and ws.freeze_panes == "A4"
    assert ws["E4"].number_format == "yyyy/m/d" and ws["E4"].value == dt.datetime(2026, 4, 1)
    assert ws["H4"].value == '=HYPERLINK("http://x")' and ws["H4"].data_type == "s"
    assert ws.auto_filter.ref == "A3:I8"
    rules = {(str(cf.sqref), r.formula[0]) for cf in ws.conditional_formatting for r in cf.rules}
    assert rules == {("A4:I8", '$I4="逾期"'), ("A4:I8", '$I4="有风险"'), ("A4:I8", '$I4="已完成"')}
    assert wb["客户联系人"]["B2"].value == "=1+1"


def _png() -> bytes:
    return base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


def ledger_with_chart_and_image(path: Path) -> Path:
    import xlsxwriter
    image = path.with_suffix(".png")
    image.write_bytes(_png())
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("订单")
    fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    for c, h in enumerate(HEADER):
        ws.write_string(0, c, h)
    for r, row in enumerate(ROWS, start=1):
        for c, v in enumerate(row):
            if isinstance(v, dt.date):
                ws.write_datetime(r, c, dt.datetime.combine(v, dt.time()), fmt)
            elif isinstance(v, str):
                ws.write_string(r, c, v)
            elif v is not None:
                ws.write_number(r, c, v)
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"values": ["订单", 1, 3, 5, 3]})
    ws.insert_chart("J2", chart)
    ws.insert_image("J20", str(image))
    wb.close()
    return path


def test_a_workbook_with_a_chart_and_an_image_is_copied_with_them(tmp_path):
    import zipfile
    ledger = ledger_with_chart_and_image(tmp_path / "ledger.xlsx")
    before = sha(ledger)
    result = read(ledger, kind="ledger")
    out = tmp_path / "copy.xlsx"
    summary = write_risk_copy(result, out=out, as_of=AS_OF, lang="en")
    assert not summary.separate and sha(ledger) == before
    with zipfile.ZipFile(ledger) as a, zipfile.ZipFile(out) as b:
        assert a.namelist() == b.namelist()
        for name in ("xl/charts/chart1.xml", "xl/media/image1.png", "xl/drawings/drawing1.xml"):
            assert a.read(name) == b.read(name)
    ws = openpyxl.load_workbook(out)["订单"]
    assert ws["I1"].value == "Risk"
    assert [ws.cell(r, 9).value for r in range(2, 7)] == ["overdue", "at risk", "done", "on track", "cancelled"]

    from addin.cli import main
    assert main(["risk", str(ledger), "--out", str(tmp_path / "cli.xlsx"), "--as-of", "2026-04-08",
                 "--lang", "zh"]) == 0

    separate = tmp_path / "separate.xlsx"
    summary = write_risk_copy(result, out=separate, as_of=AS_OF, separate=True, lang="en")
    assert summary.separate and sha(ledger) == before
    ws = openpyxl.load_workbook(separate)["Risk"]
    header = [c.value for c in ws[2]]
    assert header[-3:] == ["Risk", "Reason", "Source row"]
    risk = [ws.cell(r, len(header) - 2).value for r in range(3, 8)]
    assert risk == ["overdue", "at risk", "done", "on track", "cancelled"]
    assert [ws.cell(r, len(header)).value for r in range(3, 8)] == [2, 3, 4, 5, 6]
    assert len([r for cf in ws.conditional_formatting for r in cf.rules]) == 3


def with_print_area(path: Path, defined: str) -> Path:
    """``path`` with the 订单 sheet's print area set to ``defined`` as written in workbook.xml
    (openpyxl cannot write whole-column or whole-row areas; Excel does)."""
    import zipfile
    wb = openpyxl.load_workbook(path)
    wb["订单"].print_area = "A1:B2"
    staged = path.with_name("staged.xlsx")
    wb.save(staged)
    with zipfile.ZipFile(staged) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/workbook.xml":
                staged_area = "'订单'!$A$1:$B$2".encode()
                assert staged_area in data
                data = data.replace(staged_area, defined.encode())
            dst.writestr(info, data)
    staged.unlink()
    return path


@pytest.mark.parametrize("defined, kept", [
    ("'订单'!$A:$H", "'订单'!$A$1:$I$8"),                      # whole columns, over the risk column too
    ("'订单'!$3:$8", "'订单'!$A$3:$I$8"),                      # whole rows
    ("'订单'!$A:$C,'订单'!$E$1:$F$4", "'订单'!$A$1:$C$8,'订单'!$E$1:$F$4"),
])
def test_a_whole_column_print_area_openpyxl_drops_is_restored(tmp_path, defined, kept):
    ledger = with_print_area(make_ledger(tmp_path / "ledger.xlsx"), defined)
    before = sha(ledger)
    out = tmp_path / "copy.xlsx"
    write_risk_copy(read(ledger, kind="ledger"), out=out, as_of=AS_OF, lang="en")
    assert openpyxl.load_workbook(out)["订单"].print_area == kept
    assert sha(ledger) == before


def test_a_print_area_given_by_name_is_kept_as_it_was(tmp_path):
    """A print area that is a name (or a formula) is not a list of ranges to widen: the copy
    keeps it as the user wrote it (openpyxl used to drop it, and the copy was refused)."""
    import zipfile
    ledger = with_print_area(make_ledger(tmp_path / "ledger.xlsx"), "PrintMe")
    out = tmp_path / "copy.xlsx"
    write_risk_copy(read(ledger, kind="ledger"), out=out, as_of=AS_OF, lang="zh")
    with zipfile.ZipFile(out) as zf:
        assert b'localSheetId="0">PrintMe</definedName>' in zf.read("xl/workbook.xml")


def test_csv_ledger_gets_a_new_workbook(tmp_path):
    ledger = tmp_path / "ledger.csv"
    lines = [",".join(HEADER)] + [",".join("" if v is None else v.isoformat() if isinstance(v, dt.date) else
                                           str(v).replace(",", " ") for v in row) for row in ROWS]
    ledger.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    before = sha(ledger)
    out = tmp_path / "risk.xlsx"
    summary = write_risk_copy(read(ledger, kind="ledger"), out=out, as_of=AS_OF, lang="en")
    assert summary.separate and sha(ledger) == before
    assert openpyxl.load_workbook(out).sheetnames == ["Risk"]


def test_never_writes_over_the_ledger(tmp_path):
    ledger = make_ledger(tmp_path / "ledger.xlsx")
    before = sha(ledger)
    with pytest.raises(FileError):
        write_risk_copy(read(ledger, kind="ledger"), out=ledger, as_of=AS_OF)
    assert sha(ledger) == before


def test_command_line_writes_the_copy(tmp_path, capsys):
    from addin.cli import main
    ledger = make_ledger(tmp_path / "ledger.xlsx")
    out = tmp_path / "risk.xlsx"
    assert main(["risk", str(ledger), "--out", str(out), "--as-of", "2026-04-08", "--lang", "en"]) == 0
    assert capsys.readouterr().out == f"Wrote {out}: 5 lines, 1 overdue, 1 at risk\n"
    assert openpyxl.load_workbook(out)["订单"]["I3"].value == "Risk"
