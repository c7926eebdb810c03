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


# --------------------------------------------------------------------------------------------
# Round two (issue 14): files that passed the first guard and aborted, panicked, were read short,
# amplified or decoded wrongly. Each is refused with one message (tests/test_hostile_round2.py).
# --------------------------------------------------------------------------------------------

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
STRICT_REL = "http://purl.oclc.org/ooxml/officeDocument/relationships"
STRICT_PKG = "http://purl.oclc.org/ooxml/package/relationships"
# A1 and XFD1048576: the parser makes the whole rectangle (512 GiB) and aborts the process
BOMB_ROWS = '<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>2</v></c></row>'


def build_raw_xlsx(path: Path, workbook: str, rels: str, parts: dict[str, str | bytes],
                   method: int = zipfile.ZIP_DEFLATED) -> Path:
    """An xlsx from hand-written workbook.xml, its rels and any parts (no fixing up)."""
    with zipfile.ZipFile(path, "w", method) as zf:
        zf.writestr("[Content_Types].xml", _CT_HEAD + _SHEET_CT.format(n=1) + "</Types>")
        zf.writestr("_rels/.rels", _ROOT_RELS)
        zf.writestr("xl/workbook.xml", workbook)
        zf.writestr("xl/_rels/workbook.xml.rels", rels)
        for name, data in parts.items():
            zf.writestr(name, data)
    return path


def workbook_xml(main: str = MAIN_NS, rel: str = REL_NS, prefix: str = "r") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<workbook xmlns="{main}" xmlns:{prefix}="{rel}"><sheets>'
            f'<sheet name="Sheet1" sheetId="1" {prefix}:id="rId1"/></sheets></workbook>')


def rels_xml(pkg: str = PKG_NS, target: str = "worksheets/sheet1.xml") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Relationships xmlns="{pkg}"><Relationship Id="rId1" '
            f'Type="{REL_NS}/worksheet" Target="{target}"/></Relationships>')


def raw_sheet(rows: str = BOMB_ROWS, main: str = MAIN_NS, dimension: str = "A1") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="{main}"><dimension ref="{dimension}"/>'
            f'<sheetData>{rows}</sheetData></worksheet>')


def make_strict_ooxml(folder: Path) -> Path:
    """Strict OOXML namespaces everywhere (Excel's 'Strict Open XML Spreadsheet')."""
    return build_raw_xlsx(folder / "strict.xlsx", workbook_xml(STRICT_MAIN, STRICT_REL), rels_xml(STRICT_PKG),
                          {"xl/worksheets/sheet1.xml": raw_sheet(main=STRICT_MAIN)})


def make_foreign_r_prefix(folder: Path) -> Path:
    """``r:id`` with the prefix ``r`` bound to another URI: a namespace-aware reader finds no id."""
    return build_raw_xlsx(folder / "r-prefix.xlsx", workbook_xml(rel="urn:example:not-relationships"), rels_xml(),
                          {"xl/worksheets/sheet1.xml": raw_sheet()})


def make_rels_target_case(folder: Path) -> Path:
    """The rels Target in another letter case than the zip member."""
    return build_raw_xlsx(folder / "target-case.xlsx", workbook_xml(), rels_xml(target="Worksheets/SHEET1.xml"),
                          {"xl/worksheets/sheet1.xml": raw_sheet()})


def make_rels_other_namespace(folder: Path) -> Path:
    return build_raw_xlsx(folder / "rels-namespace.xlsx", workbook_xml(), rels_xml(pkg="urn:example:rels"),
                          {"xl/worksheets/sheet1.xml": raw_sheet()})


def make_cell_without_r(folder: Path) -> Path:
    """XFD1, then a cell without ``r`` in ``<row r="1048576">``: the parser puts it at A1048576."""
    rows = '<row r="1"><c r="XFD1"><v>1</v></c></row><row r="1048576"><c><v>2</v></c></row>'
    return build_raw_xlsx(folder / "no-r.xlsx", workbook_xml(), rels_xml(),
                          {"xl/worksheets/sheet1.xml": raw_sheet(rows)})


def make_utf16_sheet(folder: Path) -> Path:
    """The sparse bomb in a UTF-16 part: invisible to a byte scan for ``r="``."""
    return build_raw_xlsx(folder / "utf16-sheet.xlsx", workbook_xml(), rels_xml(),
                          {"xl/worksheets/sheet1.xml": raw_sheet().replace('encoding="UTF-8"', 'encoding="UTF-16"')
                           .encode("utf-16")})


def make_utf32_part(folder: Path) -> Path:
    return build_raw_xlsx(folder / "utf32.xlsx", workbook_xml(), rels_xml(),
                          {"xl/worksheets/sheet1.xml": raw_sheet('<row r="1"><c r="A1"><v>1</v></c></row>')
                           .replace('encoding="UTF-8"', 'encoding="UTF-32"').encode("utf-32")})


def make_lzma_member(folder: Path) -> Path:
    return build_raw_xlsx(folder / "lzma.xlsx", workbook_xml(), rels_xml(),
                          {"xl/worksheets/sheet1.xml": raw_sheet('<row r="1"><c r="A1"><v>1</v></c></row>')},
                          zipfile.ZIP_LZMA)


def make_bzip2_member(folder: Path) -> Path:
    return build_raw_xlsx(folder / "bzip2.xlsx", workbook_xml(), rels_xml(),
                          {"xl/worksheets/sheet1.xml": raw_sheet('<row r="1"><c r="A1"><v>1</v></c></row>')},
                          zipfile.ZIP_BZIP2)


def _date_cell_book(folder: Path, name: str, value: str) -> Path:
    """A ledger whose due date is a date-formatted number no calendar holds (style 1 is a date)."""
    head = "".join(f'<c r="{c}1" t="inlineStr"><is><t>{t}</t></is></c>'
                   for c, t in zip("ABCDE", ("Order No", "Customer", "Part No", "Qty", "Requested Date")))
    line = ('<c r="A2" t="inlineStr"><is><t>PO-1</t></is></c><c r="B2" t="inlineStr"><is><t>ACME</t></is></c>'
            '<c r="C2" t="inlineStr"><is><t>P-1</t></is></c><c r="D2"><v>5</v></c>'
            f'<c r="E2" s="1"><v>{value}</v></c>')
    return build_xlsx(folder / name, {"Orders": sheet_xml(f'<row r="1">{head}</row><row r="2">{line}</row>', "A1:E2")})


def make_date_far_negative(folder: Path) -> Path:
    return _date_cell_book(folder, "date-minus-1e12.xlsx", "-1000000000000")


def make_date_minus_inf(folder: Path) -> Path:
    return _date_cell_book(folder, "date-minus-inf.xlsx", "-INF")


def xls_biff(lines: int = 120, extra=None) -> bytes:
    """The BIFF8 Workbook stream of a small ledger (xlwt, test dependency)."""
    import xlwt
    wb = xlwt.Workbook()
    ws = wb.add_sheet("Orders")
    for c, text in enumerate(("Order No", "Customer", "Part No", "Qty", "Requested Date")):
        ws.write(0, c, text)
    for r in range(1, lines + 1):
        for c, v in enumerate((f"PO-{r}", "ACME", "P-1", r, "2026-03-01")):
            ws.write(r, c, v)
    if extra is not None:
        extra(ws)
    return wb.get_biff_data()


def save_xls(path: Path, biff: bytes) -> Path:
    from xlwt import CompoundDoc
    CompoundDoc.XlsDoc().save(str(path), biff)
    return path


def make_xls_bad_boundsheet(folder: Path) -> Path:
    """The sheet directory (BOUNDSHEET) points at 0xFFFFFFF0: the parser panics."""
    import struct
    data = bytearray(xls_biff())
    pos = 0
    while pos < len(data):
        rtype, length = struct.unpack_from("<HH", data, pos)
        if rtype == 0x0085:
            struct.pack_into("<I", data, pos + 4, 0xFFFFFFF0)
            break
        pos += 4 + length
    return save_xls(folder / "bad-boundsheet.xls", bytes(data))


def make_xls_bad_dimensions(folder: Path) -> Path:
    """A sheet's DIMENSIONS record says its first row is past its last: the parser sizes the
    sheet from it (857 GB) and aborts the process (found by bench/fuzz.py)."""
    import struct
    data = bytearray(xls_biff())
    pos = 0
    while pos < len(data):
        rtype, length = struct.unpack_from("<HH", data, pos)
        if rtype == 0x0200:
            struct.pack_into("<I", data, pos + 4, 0x7C0000)
            break
        pos += 4 + length
    return save_xls(folder / "bad-dimensions.xls", bytes(data))


def make_xls_short_directory(folder: Path) -> Path:
    """The OLE directory declares a third of the Workbook stream: a parser reads part of it."""
    import struct
    path = save_xls(folder / "short-stream.xls", xls_biff())
    data = bytearray(path.read_bytes())
    at = data.find("Workbook".encode("utf-16-le"))
    size = struct.unpack_from("<I", data, at + 120)[0]
    struct.pack_into("<I", data, at + 120, size // 3)
    path.write_bytes(bytes(data))
    return path


def make_xls_far_cell(folder: Path) -> Path:
    """30 KB with one number at IV65536: a parser makes 65536 x 256 cells (1.27 GB)."""
    return save_xls(folder / "far-cell.xls", xls_biff(extra=lambda ws: ws.write(65535, 255, 1)))


def make_xls_damaged(folder: Path) -> Path:
    data = save_xls(folder / "whole.xls", xls_biff()).read_bytes()
    (folder / "whole.xls").unlink()
    path = folder / "damaged.xls"
    path.write_bytes(data[: len(data) * 2 // 3])
    return path


CSV_HEAD = "Order No,Customer,Part No,Qty,Requested Date\n"


def make_csv_unclosed_quote(folder: Path) -> Path:
    """A quote opened on line 3 and never closed: lines 3-7 would be one cell."""
    path = folder / "unclosed-quote.csv"
    path.write_text(CSV_HEAD + 'PO-1,ACME,P-1,5,2026-03-01\nPO-2,"Beta,P-2,7,2026-03-02\n'
                    + "".join(f"PO-{i},Gamma,P-{i},{i},2026-03-0{i}\n" for i in range(3, 8)), encoding="utf-8")
    return path


def make_csv_swallowed_lines(folder: Path) -> Path:
    """A stray quote on line 3 closed by another on line 6: lines 3-6 read as one row."""
    path = folder / "swallowed.csv"
    path.write_text(CSV_HEAD + 'PO-1,ACME,P-1,5,2026-03-01\nPO-2,"Beta,P-2,7,2026-03-02\n'
                    'PO-3,Gamma,P-3,3,2026-03-03\nPO-4,Delta,P-4,4,2026-03-04\nPO-5,"Eta,P-5,5,2026-03-05\n'
                    'PO-6,Zeta,P-6,6,2026-03-06\nPO-7,Theta,P-7,7,2026-03-07\n', encoding="utf-8")
    return path


def make_csv_wide_first_line(folder: Path) -> Path:
    """10 MB whose first line has 5,000,000 fields (`check` took 147 s)."""
    path = folder / "wide.csv"
    with open(path, "w", encoding="ascii") as f:
        f.write(",".join(["x"] * 5_000_000) + "\n" + CSV_HEAD + "PO-1,ACME,P-1,5,2026-03-01\n")
    return path


def make_csv_unknown_encoding(folder: Path) -> Path:
    """Bytes no supported encoding makes sense of."""
    path = folder / "unknown-encoding.csv"
    path.write_bytes(CSV_HEAD.encode() + bytes(range(0xA1, 0xFF)) * 3 + b"\n")
    return path


def make_csv_latin1(folder: Path) -> Path:
    """A Latin-1 ledger: GB18030 decodes it too ("Müller Straße" -> "M黮ler Stra遝")."""
    path = folder / "latin1.csv"
    path.write_bytes((CSV_HEAD + "PO-1,Müller Straße GmbH,P-1,5,2026-03-01\nPO-2,Café Zoë,P-2,7,2026-03-09\n")
                     .encode("latin-1"))
    return path


def make_csv_gb18030(folder: Path) -> Path:
    path = folder / "gb18030.csv"
    path.write_bytes("订单号,客户,物料号,数量,客户交期\nPO-1,深圳市某某电子有限公司,A-100,5,2026-03-01\n"
                     "PO-2,客户甲,B-2,7,2026年3月9日\n".encode("gb18030"))
    return path


ROUND2_REFUSED = [make_strict_ooxml, make_foreign_r_prefix, make_rels_target_case, make_rels_other_namespace,
                  make_cell_without_r, make_utf16_sheet, make_utf32_part, make_lzma_member, make_bzip2_member,
                  make_date_far_negative, make_date_minus_inf, make_xls_bad_boundsheet, make_xls_bad_dimensions, make_xls_short_directory,
                  make_xls_far_cell, make_xls_damaged, make_csv_unclosed_quote, make_csv_swallowed_lines,
                  make_csv_wide_first_line, make_csv_unknown_encoding]
ROUND2_READABLE = [make_csv_latin1, make_csv_gb18030]


# --- option files of the wrong types (issue 14, item 11): each refused when loaded -------------------

_MAIL = ('[ledger]\npath = "ledger.csv"\n[mail]\nhost = "127.0.0.1"\nport = 2525\nsender = "r@example.com"\n'
         'to = ["a@example.com"]\n')

# name -> (option, file text, the one error message after "Error: <file>: ")
BAD_TOML = {
    "map_columns_string": ("--map", 'columns = "x"\n', 'columns must be a table (field = "header"), not a string (\'x\')'),
    "map_defaults_string": ("--map", 'defaults = "x"\n', "defaults must be a table (field = value), not a string ('x')"),
    "map_values_nested_table": ("--map", '[values.status]\nshipped = "done"\n[values.status.late]\nx = "y"\n',
                                "[values.status] 'late' must be one value (the canonical value), not a table"),
    "map_values_string": ("--map", '[values]\nstatus = "x"\n',
                          "[values] status must be a table [values.status] of raw value = canonical value,"
                          " not a string ('x')"),
    "map_sheet_number": ("--map", "sheet = 3\n", "sheet must be a sheet name in quotes, not a whole number (3)"),
    "map_header_row_bool": ("--map", "header_row = true\n", "header_row must be a row number (1 or more)"),
    "map_date_format_group_twice": ("--map", 'date_format = "%d%d%d"\n',
                                    "date_format: '%d%d%d' is not a date format (a directive such as %d appears"
                                    " twice)"),
    "config_subject_format_d": ("--config", _MAIL + 'subject = "{otd:d}"\n',
                                "[mail] subject: {otd:d} — a placeholder takes no format here (write {otd})"),
    "config_subject_huge_width": ("--config", _MAIL + 'subject = "{month:>1500000000}"\n',
                                  "[mail] subject: {month:>1500000000} — a placeholder takes no format here"
                                  " (write {month})"),
    "config_subject_conversion": ("--config", _MAIL + 'subject = "{month!r}"\n',
                                  "[mail] subject: {month!r} — a placeholder takes no format here (write {month})"),
    "config_timeout_nan": ("--config", _MAIL + "timeout = nan\n", "[mail] timeout must be a finite number, not nan"),
    "config_retry_delay_inf": ("--config", _MAIL + "retry_delay = inf\n",
                               "[mail] retry_delay must be a finite number, not inf"),
    # past these the socket and sleep calls overflowed at send time, or the run never ended
    "config_timeout_huge": ("--config", _MAIL + "timeout = 1e308\n",
                            "[mail] timeout must be at most 3600 seconds, not 1e+308"),
    "config_retry_delay_huge": ("--config", _MAIL + "retry_delay = 1e308\n",
                                "[mail] retry_delay must be at most 3600 seconds, not 1e+308"),
    "config_retries_huge": ("--config", _MAIL + "retries = 1000000000\n",
                            "[mail] retries must be at most 10, not 1000000000"),
    # a day count past pandas' Timedelta range: an internal error when measuring (OutOfBoundsTimedelta)
    "config_late_tolerance_huge": ("--config", _MAIL + "[otd]\nlate_tolerance = 1000000000000\n",
                                   "[otd] late_tolerance must be at most 3650, not 1000000000000"),
    "config_customer_tolerance_huge": ("--config", _MAIL + '[otd.customers."ACME"]\nearly_tolerance = 1000000000000\n',
                                       '[otd.customers."ACME"] early_tolerance must be at most 3650, not 1000000000000'),
    # a host the resolver cannot encode failed at send time (UnicodeError, the row left at 'sending')
    "config_host_label_too_long": ("--config", _MAIL.replace('"127.0.0.1"', '"' + "a" * 64 + '.localhost"'),
                                   f"[mail] host '{'a' * 64}.localhost' is not a host name (each dot-separated"
                                   f" part 1-63 characters)"),
    "config_host_empty_label": ("--config", _MAIL.replace('"127.0.0.1"', '"mail..localhost"'),
                                "[mail] host 'mail..localhost' is not a host name (each dot-separated part 1-63"
                                " characters)"),
}


def make_bad_toml(folder: Path, name: str) -> Path:
    """The option file of ``BAD_TOML[name]`` and a readable ledger.csv beside it."""
    make_csv_gb18030(folder).replace(folder / "ledger.csv")
    path = folder / f"{name}.toml"
    path.write_text(BAD_TOML[name][1], encoding="utf-8")
    return path
