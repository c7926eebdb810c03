"""Hostile and awkward input files, built on demand into a folder.

Each ``make_<name>(folder) -> Path`` writes one file and returns its path. ``ALL`` lists them;
``REFUSED`` are those ``inspect_input`` must refuse, ``READABLE`` those it must pass (the
reader then has work to do). Used by tests/test_safeio.py and by command-line tests.
"""
from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Iterable
from pathlib import Path

XXE_SECRET = "ORDERDESK-XXE-SECRET-7d41c2e9"   # content of the file the XXE entity points at

_CT_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>')
_SHEET_CT = ('<Override PartName="/xl/worksheets/sheet{n}.xml" '
             'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
_SST_CT = ('<Override PartName="/xl/sharedStrings.xml" '
           'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
_ROOT_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
              '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
              '</Relationships>')
_STYLES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
           '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
           '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
           '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
           '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
           '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
           '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
           '</styleSheet>')
SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
              'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">')


def build_xlsx(path: Path, sheets: dict[str, str], shared_strings: str | Iterable[bytes] | None = None) -> Path:
    """A minimal but valid xlsx from hand-written sheet XML (full documents). Shared strings
    given as an iterable of bytes are streamed (for parts too big to hold in memory)."""
    names = list(sheets)
    ct = _CT_HEAD + "".join(_SHEET_CT.format(n=i + 1) for i in range(len(names)))
    ct += (_SST_CT if shared_strings is not None else "") + "</Types>"
    book = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
            + "".join(f'<sheet name="{n}" sheetId="{i + 1}" r:id="rId{i + 1}"/>' for i, n in enumerate(names))
            + "</sheets></workbook>")
    rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(f'<Relationship Id="rId{i + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i + 1}.xml"/>'
                      for i in range(len(names)))
            + f'<Relationship Id="rId{len(names) + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
            + (f'<Relationship Id="rId{len(names) + 2}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
               if shared_strings is not None else "")
            + "</Relationships>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", ct)
        zf.writestr("_rels/.rels", _ROOT_RELS)
        zf.writestr("xl/workbook.xml", book)
        zf.writestr("xl/_rels/workbook.xml.rels", rels)
        zf.writestr("xl/styles.xml", _STYLES)
        for i, n in enumerate(names):
            zf.writestr(f"xl/worksheets/sheet{i + 1}.xml", sheets[n])
        if isinstance(shared_strings, str):
            zf.writestr("xl/sharedStrings.xml", shared_strings)
        elif shared_strings is not None:
            with zf.open("xl/sharedStrings.xml", "w", force_zip64=True) as out:
                for chunk in shared_strings:
                    out.write(chunk)
    return path


def sheet_xml(rows: str, dimension: str = "A1") -> str:
    return f'{SHEET_HEAD}<dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>'


def make_benign(folder: Path) -> Path:
    """A small ordinary ledger written by XlsxWriter (the control case)."""
    import xlsxwriter
    path = folder / "benign.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Orders")
    for r, row in enumerate([["PO", "Qty", "Due"], ["PO-1", 5, "2026-03-01"], ["PO-2", 7, "2026-03-09"]]):
        for c, v in enumerate(row):
            ws.write(r, c, v)
    wb.close()
    return path


def make_billion_laughs(folder: Path) -> Path:
    lols = ['<!ENTITY lol "lol">'] + [f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
                                      for i in range(1, 10)]
    sst = ('<?xml version="1.0"?>\n<!DOCTYPE sst [' + "".join(lols) + ']>'
           '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
           '<si><t>&lol9;</t></si></sst>')
    sheet = sheet_xml('<row r="1"><c r="A1" t="s"><v>0</v></c></row>')
    return build_xlsx(folder / "billion-laughs.xlsx", {"Sheet1": sheet}, sst)


def make_xxe(folder: Path) -> Path:
    secret = folder / "xxe-secret.txt"
    secret.write_text(XXE_SECRET, encoding="ascii")
    sheet = ('<?xml version="1.0" encoding="UTF-8"?>\n'
             f'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "{secret.resolve().as_uri()}">]>'
             + SHEET_HEAD.split("\n", 1)[1]
             + '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row></sheetData></worksheet>')
    return build_xlsx(folder / "xxe.xlsx", {"Sheet1": sheet})


def make_deflate_bomb(folder: Path, megabytes: int = 300) -> Path:
    """~300 KB on disk, one 300 MB shared string inside (honestly declared in the zip)."""
    def chunks():
        yield (b'<?xml version="1.0" encoding="UTF-8"?>\n<sst xmlns="http://schemas.openxmlformats.org/'
               b'spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>')
        block = b"A" * (1 << 20)
        for _ in range(megabytes):
            yield block
        yield b"</t></si></sst>"
    sheet = sheet_xml('<row r="1"><c r="A1" t="s"><v>0</v></c></row>')
    return build_xlsx(folder / "deflate-bomb.xlsx", {"Sheet1": sheet}, chunks())


def make_sparse_bomb(folder: Path) -> Path:
    """A1 and XFD1048576, and a <dimension> that lies: 5 KB that aborts python-calamine."""
    sheet = sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>'
                      '<row r="1048576"><c r="XFD1048576"><v>2</v></c></row>', dimension="A1")
    return build_xlsx(folder / "sparse-bomb.xlsx", {"Sheet1": sheet})


def make_truncated(folder: Path) -> Path:
    full = make_benign(folder)
    data = full.read_bytes()
    path = folder / "truncated.xlsx"
    path.write_bytes(data[: len(data) // 2])
    full.unlink()
    return path


def make_empty(folder: Path) -> Path:
    path = folder / "empty.xlsx"
    path.write_bytes(b"")
    return path


def make_random_bytes(folder: Path) -> Path:
    data = bytearray(random.Random(20260301).randbytes(4096))
    data[:4] = b"\x8a\x00\x17\xfe"  # never a valid magic number, and binary from the first bytes
    path = folder / "random.xlsx"
    path.write_bytes(bytes(data))
    return path


def make_csv_renamed(folder: Path) -> Path:
    path = folder / "orders.xlsx"
    path.write_text("order_no,customer,qty,due_date\nPO-1,ACME,5,2026-03-01\nPO-2,Globex,7,2026-03-09\n",
                    encoding="utf-8")
    return path


def make_xls_renamed(folder: Path) -> Path:
    """A real BIFF8 workbook (xlwt, test dependency) with an .xlsx name."""
    import xlwt
    wb = xlwt.Workbook()
    ws = wb.add_sheet("Orders")
    for r, row in enumerate([["PO", "Qty"], ["PO-1", 5], ["PO-2", 7]]):
        for c, v in enumerate(row):
            ws.write(r, c, v)
    path = folder / "legacy.xlsx"
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(buf.getvalue())
    return path


def make_encrypted(folder: Path) -> Path:
    """A genuine password-protected xlsx (Agile encryption by msoffcrypto-tool; password 'pw')."""
    import msoffcrypto.format.ooxml
    plain = make_benign(folder)
    path = folder / "encrypted.xlsx"
    with open(plain, "rb") as src, open(path, "wb") as dst:
        msoffcrypto.format.ooxml.OOXMLFile(src).encrypt("pw", dst)
    plain.unlink()
    return path


def make_200_sheets(folder: Path) -> Path:
    import xlsxwriter
    path = folder / "200-sheets.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    for i in range(200):
        ws = wb.add_worksheet(f"S{i + 1:03d}")
        ws.write_string(0, 0, "PO")
        ws.write_string(1, 0, f"PO-{i + 1}")
    wb.close()
    return path


def make_long_cell(folder: Path) -> Path:
    """A 40,000-character cell: more than Excel's 32,767, so no Excel wrote it."""
    text = ("长文本" + "x" * 97) * 400
    sheet = sheet_xml('<row r="1"><c r="A1" t="inlineStr"><is><t>note</t></is></c></row>'
                      f'<row r="2"><c r="A2" t="inlineStr"><is><t>{text}</t></is></c></row>', "A1:A2")
    return build_xlsx(folder / "long-cell.xlsx", {"Sheet1": sheet})


def make_control_chars(folder: Path) -> Path:
    """Control characters as Excel stores them (_xHHHH_ escapes) plus a raw tab and newline."""
    sst = ('<?xml version="1.0" encoding="UTF-8"?>\n'
           '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" uniqueCount="2">'
           '<si><t>PO_x0001_-1_x0007_</t></si><si><t xml:space="preserve">ACME\tLtd\nline_x001F_</t></si></sst>')
    sheet = sheet_xml('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>', "A1:B1")
    return build_xlsx(folder / "control-chars.xlsx", {"Sheet1": sheet}, sst)


def make_million_empty_rows(folder: Path) -> Path:
    """Three rows of data, then a million empty rows that carry a format (as when a user formats
    whole columns): readers that trust row counts walk a million rows."""
    data = ('<row r="1"><c r="A1" t="inlineStr"><is><t>PO</t></is></c><c r="B1" t="inlineStr"><is><t>Qty</t></is></c></row>'
            '<row r="2"><c r="A2" t="inlineStr"><is><t>PO-1</t></is></c><c r="B2"><v>5</v></c></row>')
    empty = "".join(f'<row r="{r}" s="1" customFormat="1"/>' for r in range(3, 1_000_001))
    sheet = sheet_xml(data + empty, "A1:B1000000")
    return build_xlsx(folder / "million-empty-rows.xlsx", {"Sheet1": sheet})


REFUSED = [make_billion_laughs, make_xxe, make_deflate_bomb, make_sparse_bomb, make_truncated,
           make_empty, make_random_bytes, make_csv_renamed, make_xls_renamed, make_encrypted]
READABLE = [make_200_sheets, make_long_cell, make_control_chars, make_million_empty_rows]
ALL = REFUSED + READABLE
