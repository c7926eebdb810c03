"""Helpers shared by the writer-safety and fuzz tests: hostile ledgers written as real files, and
a reader of what a written .xlsx really holds at the XML level (cell types, formulas, links)."""
from __future__ import annotations

import csv
import datetime as dt
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

import xlsxwriter

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS = {"m": MAIN}

# user text that a careless writer turns into a formula, a link or a DDE call
HOSTILE = ["=1+1", "+1", "-1", "@SUM(A1)", "\tTAB", "\rCR", '=HYPERLINK("http://x")', "http://evil",
           "=cmd|'/c calc'!A0", "-2+3", "a\tb\rc", "A/B:C*?[x]"]
TEXT_FIELDS = ("customer", "part_no", "description", "owner", "exception_type", "exception_note")
HEADERS = {"order_no": "Order No", "customer": "Customer", "part_no": "Part No", "description": "Description",
           "qty": "Qty", "requested_date": "Requested Date", "promised_date": "Promised Date",
           "ship_date": "Ship Date", "status": "Status", "owner": "Owner", "exception_type": "Delay Reason",
           "exception_note": "Notes"}


def as_read(text: str) -> str:
    """What the reader keeps of a cell's text (trimmed)."""
    return text.strip()


def hostile_rows() -> list[dict]:
    rows = []
    for i, text in enumerate(HOSTILE):
        rows.append({"order_no": f"PO-{i}", "customer": text, "part_no": text, "description": text,
                     "qty": 10, "requested_date": dt.datetime(2026, 3, 5), "promised_date": dt.datetime(2026, 3, 6),
                     "ship_date": dt.datetime(2026, 3, 9) if i % 2 else None,
                     "status": "shipped" if i % 2 else "open", "owner": text, "exception_type": text,
                     "exception_note": text})
    return rows


def write_ledger_xlsx(path: Path, rows: list[dict], sheet: str = "Orders") -> Path:
    """A ledger as a user's workbook holds it: every text a string cell, dates as dates."""
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                         "strings_to_numbers": False})
    ws = wb.add_worksheet(sheet)
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    fields = list(HEADERS)
    for c, f in enumerate(fields):
        ws.write_string(0, c, HEADERS[f])
    for r, row in enumerate(rows, start=1):
        for c, f in enumerate(fields):
            v = row.get(f)
            if isinstance(v, dt.datetime):
                ws.write_datetime(r, c, v, date)
            elif isinstance(v, (int, float)):
                ws.write_number(r, c, v)
            elif v is not None:
                ws.write_string(r, c, v)
    wb.close()
    return path


def write_ledger_csv(path: Path, rows: list[dict]) -> Path:
    fields = list(HEADERS)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow([HEADERS[f] for f in fields])
        for row in rows:
            w.writerow(["" if row.get(f) is None else row[f].date().isoformat() if isinstance(row[f], dt.datetime)
                         else row[f] for f in fields])
    return path


@dataclass(frozen=True)
class Cell:
    sheet: str
    ref: str
    type: str | None       # the t attribute: s, inlineStr, str, n, b, e or None
    text: str | None       # the value, shared strings resolved, _xHHHH_ escapes decoded
    formula: str | None
    style: int


def _unescape(text: str) -> str:
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), text)


def xlsx_cells(path: Path) -> tuple[list[Cell], dict]:
    """Every cell of every worksheet, read from the XML; and facts about the package: its member
    names, hyperlink relationships, the cellXfs indexes that carry quotePrefix."""
    cells: list[Cell] = []
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        strings: list[str] = []
        if "xl/sharedStrings.xml" in names:
            for si in ET.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", NS):
                strings.append(_unescape("".join(t.text or "" for t in si.iter(f"{{{MAIN}}}t"))))
        rels = {r.get("Id"): r.get("Target") for r in ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))}
        for sheet in ET.fromstring(z.read("xl/workbook.xml")).find("m:sheets", NS):
            target = rels[sheet.get(f"{{{REL}}}id")]
            part = target.lstrip("/") if target.startswith("/") else "xl/" + target
            for c in ET.fromstring(z.read(part)).iter(f"{{{MAIN}}}c"):
                f, v, inline = c.find("m:f", NS), c.find("m:v", NS), c.find("m:is", NS)
                kind = c.get("t")
                if kind == "s":
                    text = strings[int(v.text)]
                elif kind == "inlineStr":
                    text = _unescape("".join(t.text or "" for t in inline.iter(f"{{{MAIN}}}t")))
                else:
                    text = v.text if v is not None else None
                cells.append(Cell(sheet.get("name"), c.get("r"), kind, text, f.text if f is not None else None,
                                  int(c.get("s") or 0)))
        links = [n for n in names if n.endswith(".rels") and b"relationships/hyperlink" in z.read(n)]
        quote_prefix: set[int] = set()
        if "xl/styles.xml" in names:
            xfs = ET.fromstring(z.read("xl/styles.xml")).find("m:cellXfs", NS)
            for i, xf in enumerate(xfs if xfs is not None else []):
                if xf.get("quotePrefix") in ("1", "true"):
                    quote_prefix.add(i)
        facts = {"names": names, "hyperlink_rels": links,
                 "has_hyperlinks": links or any(b"<hyperlink" in z.read(n) for n in names
                                                if n.startswith("xl/worksheets/") and n.endswith(".xml")),
                 "quote_prefix": quote_prefix}
    return cells, facts


def assert_text_cells(path: Path, expected_texts: set[str]) -> list[Cell]:
    """Every cell holding one of ``expected_texts`` is a plain string cell with the text intact;
    no formula anywhere contains one; the workbook has no hyperlinks. Returns those cells (at
    least one per text must exist, or the check proves nothing)."""
    cells, facts = xlsx_cells(path)
    assert not facts["has_hyperlinks"], f"{path.name}: hyperlinks written: {facts['hyperlink_rels']}"
    found = [c for c in cells if c.text in expected_texts and c.formula is None]
    missing = expected_texts - {c.text for c in found}
    assert not missing, f"{path.name}: these texts are not in any string cell: {sorted(missing)}"
    for c in found:
        assert c.type in ("s", "inlineStr"), f"{c.sheet}!{c.ref}: {c.text!r} written as t={c.type}"
        assert not c.text.startswith("'"), f"{c.sheet}!{c.ref}: visible apostrophe in {c.text!r}"
    for c in cells:
        if c.formula:
            for text in expected_texts:
                if len(text) > 3:
                    assert text not in c.formula, f"{c.sheet}!{c.ref}: user text in formula {c.formula}"
    return found
