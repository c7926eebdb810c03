"""The risk-formatted ledger (SPEC section 5): a copy of the user's own workbook with a risk
column after their last column and conditional formatting over their rows (red overdue, amber
at risk, grey done), everything else they had kept.

The copy edits the workbook's XML instead of loading and re-saving it (addin/writers/sheetxml.py):
the ledger sheet's XML is streamed row by row (the risk cells added, ``<dimension>``, ``<cols>``,
the autoFilter and the ``<conditionalFormatting>`` rules where the schema puts them);
``styles.xml`` gains the rules' differential formats (and the note's font), ``workbook.xml`` the
print area; an Excel Table over the ledger is widened over the new column. Every other part of
the zip (charts, drawings, images, VBA, form controls, slicers, pivot caches, comments, custom
XML, printer settings, the other sheets, the shared strings) is copied byte for byte. Memory is
bounded whatever the sheet's size; the time is about that of copying the file.

A rerun on OrderDesk's own copy replaces its risk column and its own rules (found by their
header and their formulas), nothing of the user's. ``separate=True`` writes the risk sheet into
a new workbook instead; a .csv or .xls ledger always gets a new workbook.
"""
from __future__ import annotations

import datetime as dt
import html
import posixpath
import re
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from addin.defaults import RISK_HORIZON
from addin.errors import FileError, InputError
from addin.i18n import STRINGS, risk_label, t

__all__ = ["write_risk_copy", "RiskCopySummary"]

RISK_STYLE = {"overdue": ("FFC7CE", "9C0006"), "at_risk": ("FFEB9C", "9C5700"), "done": ("E7E6E6", "7F7F7F")}


@dataclass(frozen=True)
class RiskCopySummary:
    out: Path
    rows: int            # ledger lines given a risk
    overdue: int
    at_risk: int
    on_track: int
    done: int
    cancelled: int
    separate: bool       # True: a new workbook, not a copy of the user's
    # the horizon ran through a year without holiday data (addin.compute.risk.horizon_gap): the note line
    # the sheet shows, None when there is none
    calendar_note: str | None = None


def _risks(ledger_result: Any, as_of: dt.date, calendar: Any, horizon: int, basis: str,
           lang: str, reasons: bool) -> pd.DataFrame:
    from addin.compute.risk import assess_risk
    return assess_risk(ledger_result.data, as_of, calendar, horizon, basis=basis, lang=lang, reasons=reasons)


@dataclass(frozen=True)
class _Placed:
    """Where the ledger's table is, all the copy needs of its read."""
    sheet: str
    header_row: int


@dataclass(frozen=True)
class _Targets:
    """The rows that get a risk, ascending (a row once, none on or above the header), and per
    row its risk as an index into ``risks``: 9 bytes a line (a million lines' Python lists took
    48 MB; the copy turns them into ints a block at a time)."""
    rows: np.ndarray          # int64
    codes: np.ndarray         # int8
    risks: tuple[str, ...]

    @classmethod
    def of(cls, data: pd.DataFrame, risk: pd.Series, header_row: int) -> "_Targets":
        if not len(data) or "source_row" not in data:
            return cls(np.zeros(0, np.int64), np.zeros(0, np.int8), ())
        from addin.compute.risk import RISKS
        rows = data["source_row"].to_numpy(dtype="int64")
        labels = risk.to_numpy(dtype=object)
        codes, risks = np.full(len(labels), -1, np.int8), RISKS
        for i, label in enumerate(RISKS):      # a few comparisons: factorize hashes a million objects
            codes[labels == label] = i
        if (codes < 0).any():
            codes, risks = pd.factorize(labels, use_na_sentinel=False)
            codes = codes.astype(np.int8)
        if len(rows) > 1 and not (rows[1:] > rows[:-1]).all():   # a read gives its rows ascending
            order = np.argsort(rows, kind="stable")
            rows, codes = rows[order], codes[order]
        keep = np.ones(len(rows), dtype=bool)
        keep[1:] = rows[1:] != rows[:-1]
        keep &= rows > header_row
        if not keep.all():
            rows, codes = rows[keep], codes[keep]
        return cls(rows, codes, tuple(str(r) for r in risks))


def _counts(frame: pd.DataFrame) -> dict[str, int]:
    counts = frame["risk"].value_counts()
    return {k: int(counts.get(k, 0)) for k in ("overdue", "at_risk", "on_track", "done", "cancelled")}


def copies_workbook(source: Path, separate: bool) -> bool:
    """Whether the risk goes into a copy of the user's workbook (an .xlsx or .xlsm ledger, no
    ``separate``), which needs each line's row and risk alone; else a new workbook of the lines."""
    return not separate and Path(source).suffix.lower() in (".xlsx", ".xlsm")


def write_risk_copy(ledger_result: Any, *, out: Path | str, as_of: dt.date | None = None, calendar: Any = None,
                    horizon: int = RISK_HORIZON, basis: str = "promised", separate: bool = False,
                    lang: str = "en", progress: bool | None = None) -> RiskCopySummary:
    """Write the risk-formatted ledger and return the counts per risk.

    ``ledger_result``: ``addin.readers.read(path, kind="ledger")`` (its ``.path``, ``.sheet``,
    ``.header_row`` and each line's ``source_row`` place the risk column). ``separate`` (or a
    .csv/.xls ledger): a new workbook with the risk sheet. Otherwise a copy of the user's workbook,
    every part of it kept (the copy of an .xlsm is an .xlsm). The input file is never written.
    ``progress``: show the copy's progress on stderr (default: when stderr is a terminal).

    When the horizon runs through a year ``calendar`` has no holiday data for, the sheet carries the
    note line (beside the risk header in a copy, above the table in a new workbook) and the
    summary's ``calendar_note`` holds it."""
    from addin.compute.risk import horizon_note
    from addin.files.allocator import give_back_freed_memory
    from addin.files.atomic import atomic_write

    out = Path(out)
    if getattr(ledger_result, "path", None) is None:
        raise InputError("the risk copy needs the ledger read from a file (addin.readers.read)",
                         expected="a ReadResult with .path")
    source = Path(ledger_result.path)
    as_of = as_of or dt.date.today()
    if out.suffix.lower() not in (".xlsx", ".xlsm"):
        raise InputError(f"{out.name}: the output must be an .xlsx workbook", value=str(out), expected=".xlsx")
    own_copy = copies_workbook(source, separate)
    if own_copy:
        macros = source.suffix.lower() == ".xlsm"
        if macros and out.suffix.lower() != ".xlsm":
            raise InputError(f"{out.name}: the ledger has macros (.xlsm) — name the copy .xlsm so they are kept",
                             value=str(out), expected=".xlsm")
        if not macros and out.suffix.lower() == ".xlsm":
            raise InputError(f"{out.name}: the ledger is an .xlsx workbook — name the copy .xlsx (Excel refuses"
                             f" an .xlsx workbook named .xlsm)", value=str(out), expected=".xlsx")
        show = sys.stderr.isatty() if progress is None else progress
        give_back_freed_memory()       # what the read let go: the risk and the copy reuse none of it
    risk = _risks(ledger_result, as_of, calendar, horizon, basis, lang, reasons=not own_copy)  # the copy shows none
    note = horizon_note(as_of, calendar, horizon, lang)
    summary = RiskCopySummary(out=out, rows=len(risk), separate=not own_copy, calendar_note=note, **_counts(risk))
    if own_copy:
        # the copy needs each line's row and risk and where the table is: the ledger's columns
        # are let go (a million lines: ~100 MB) if the caller holds no other reference, and the
        # memory they took is given back, so the copy's peak is the read's
        placed = _Placed(ledger_result.sheet, ledger_result.header_row)
        targets = _Targets.of(ledger_result.data, risk["risk"], placed.header_row)
        del risk, ledger_result
        give_back_freed_memory()
        from addin.files.guard import inspect_input
        inspect_input(source, {"xlsx"}, deep=False)   # the same checks as the readers make
        write = lambda tmp: _write_copy(source, tmp, placed, targets, lang, note, show)  # noqa: E731
    else:
        frame = pd.concat([ledger_result.data, risk], axis=1)
        write = lambda tmp: _write_separate(tmp, ledger_result, frame, as_of, lang, note)  # noqa: E731
    atomic_write(out, write, _validate_copy if own_copy else None, inputs=[source])
    return summary


# --------------------------------------------------------------------------- copy (the XML edited)

_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_REL_OFFICE = _NS_REL + "/officeDocument"
_REL_STYLES = _NS_REL + "/styles"
_REL_TABLE = _NS_REL + "/table"
_REL_STRINGS = _NS_REL + "/sharedStrings"
_SMALL_MAX = 256 * 1024 * 1024      # styles.xml, workbook.xml, a table: read whole
_DAMAGED = "is damaged or not a complete workbook — open it in Excel, save it again and try again"


def _fail(source: Path, what: str) -> FileError:
    return FileError(f"{source.name}: {what}", file=str(source))


def _read_small(zf: zipfile.ZipFile, name: str, source: Path) -> bytes:
    info = zf.getinfo(name)
    if info.file_size > _SMALL_MAX:
        raise _fail(source, f"part '{name}' is far larger than a real workbook's — ask the sender for a fresh copy")
    data = zf.read(info)
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise _fail(source, f"part '{name}' declares XML entities (<!DOCTYPE>), which Excel never writes — not"
                            f" reading it; ask the sender for a fresh copy saved from Excel")
    return data


def _parse(data: bytes, name: str, source: Path):
    from defusedxml import ElementTree as DET
    try:
        return DET.fromstring(data, forbid_dtd=True)
    except Exception:
        raise _fail(source, f"part '{name}' {_DAMAGED}") from None


def _rels(zf: zipfile.ZipFile, part: str, source: Path) -> list[tuple[str, str, str]]:
    """(id, type, target part) of ``part``'s relationships (external ones left out)."""
    folder, base = posixpath.split(part)
    name = posixpath.join(folder, "_rels", base + ".rels")
    if name not in zf.NameToInfo:
        return []
    out = []
    for rel in _parse(_read_small(zf, name, source), name, source).iter(f"{{{_NS_PKG}}}Relationship"):
        if rel.get("TargetMode") == "External":
            continue
        target = rel.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        out.append((rel.get("Id", ""), rel.get("Type", ""), target))
    return out


def _prefix(data: bytes, root: str) -> bytes:
    m = re.search(rb"<(?:([A-Za-z_][\w.-]*):)?" + root.encode() + rb"[\s>/]", data)
    return (m.group(1) + b":") if m and m.group(1) else b""


def _set_count(data: bytes, start: int, n: int) -> bytes:
    """The ``count`` attribute of the start tag at ``start`` set to ``n`` (added if absent)."""
    end = data.find(b">", start)
    tag = data[start:end]
    m = re.search(rb"""\scount\s*=\s*["']\d*["']""", tag)
    if m:
        tag = tag[:m.start()] + b' count="%d"' % n + tag[m.end():]
    else:
        name_end = re.match(rb"<[\w:.-]+", tag).end()
        tag = tag[:name_end] + b' count="%d"' % n + tag[name_end:]
    return data[:start] + tag + data[end:]


def _append_child(data: bytes, pfx: bytes, parent: str, children: bytes, n: int, before: tuple[str, ...]) -> bytes:
    """``children`` appended to the ``parent`` element of a small part, its count set to ``n``;
    a new ``parent`` is placed before the first of ``before`` (or before the root's end tag)."""
    p = parent.encode()
    m = re.search(rb"<" + re.escape(pfx) + p + rb"(?=[\s>/])[^>]*?(/?)>", data)
    if m:
        if m.group(1):   # <dxfs count="0"/>
            opened = data[:m.end() - 2].rstrip() + b">" + children + b"</" + pfx + p + b">" + data[m.end():]
        else:
            close = data.find(b"</" + pfx + p + b">", m.end())
            opened = data[:close] + children + data[close:]
        return _set_count(opened, m.start(), n)
    element = b"<" + pfx + p + b' count="%d">' % n + children + b"</" + pfx + p + b">"
    for name in before:
        b = re.search(rb"<" + re.escape(pfx) + name.encode() + rb"[\s>/]", data)
        if b:
            return data[:b.start()] + element + data[b.start():]
    end = data.rfind(b"</")
    return data[:end] + element + data[end:]


class _Styles:
    """styles.xml with the rules' differential formats and the note's font added (bytes edited;
    what was there stays as it was)."""

    def __init__(self, data: bytes | None, name: str, source: Path):
        self.name, self.source = name, source
        self.data = data if data is not None else (
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            b'<styleSheet xmlns="' + _NS_MAIN.encode() + b'"><fonts count="1"><font><sz val="11"/><name val="Calibri"/>'
            b'</font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill>'
            b'<patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/>'
            b'<bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0"'
            b' borderId="0"/></cellStyleXfs><cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"'
            b' xfId="0"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
            b'</cellStyles></styleSheet>')
        self.added = data is None
        self.pfx = _prefix(self.data, "styleSheet")
        self.root = _parse(self.data, name, source)

    def _children(self, parent: str) -> list:
        el = self.root.find(f"{{{_NS_MAIN}}}{parent}")
        return list(el) if el is not None else []

    def dxf(self, fill: str, font: str) -> int:
        """Index of the differential format (font colour, solid fill) — an identical one reused."""
        p = self.pfx
        xml = (b"<" + p + b"dxf><" + p + b"font><" + p + b'color rgb="FF' + font.encode() + b'"/></' + p + b"font><"
               + p + b"fill><" + p + b'patternFill patternType="solid"><' + p + b'fgColor rgb="FF' + fill.encode()
               + b'"/><' + p + b'bgColor rgb="FF' + fill.encode() + b'"/></' + p + b"patternFill></" + p + b"fill></"
               + p + b"dxf>")
        existing = re.findall(rb"<" + re.escape(p) + rb"dxf(?:\s[^>]*)?(?:/>|>.*?</" + re.escape(p) + rb"dxf>)",
                              self._dxfs_block(), re.S)
        if xml in existing:
            return existing.index(xml)
        n = len(self._children("dxfs"))
        self.data = _append_child(self.data, p, "dxfs", xml, n + 1, ("tableStyles", "colors", "extLst"))
        self.root = _parse(self.data, self.name, self.source)
        return n

    def _dxfs_block(self) -> bytes:
        p = re.escape(self.pfx)
        m = re.search(rb"<" + p + rb"dxfs[\s>].*?</" + p + rb"dxfs>", self.data, re.S)
        return m.group(0) if m else b""

    def note_style(self, header_style: int | None, color: str) -> int:
        """A cell format: the header's font name and size, bold, in ``color``; its index."""
        xfs = self._children("cellXfs")
        fonts = self._children("fonts")
        base = None
        if header_style is not None and header_style < len(xfs):
            font_id = int(xfs[header_style].get("fontId", "0") or 0)
            base = fonts[font_id] if font_id < len(fonts) else None
        elif fonts:
            base = fonts[0]
        p = self.pfx
        parts = [b"<" + p + b"b/>"]
        val = {child.tag.split("}")[-1]: child.get("val") for child in (base if base is not None else [])}
        if val.get("sz"):
            parts.append(b"<" + p + b'sz val="' + html.escape(val["sz"]).encode() + b'"/>')
        parts.append(b"<" + p + b'color rgb="00' + color.encode() + b'"/>')
        for key in ("name", "family", "charset", "scheme"):
            if val.get(key):
                parts.append(b"<" + p + key.encode() + b' val="' + html.escape(val[key]).encode() + b'"/>')
        font = b"<" + p + b"font>" + b"".join(parts) + b"</" + p + b"font>"
        self.data = _append_child(self.data, p, "fonts", font, len(fonts) + 1, ())
        xf = (b"<" + p + b'xf numFmtId="0" fontId="%d" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
              % len(fonts))
        self.data = _append_child(self.data, p, "cellXfs", xf, len(xfs) + 1, ())
        self.root = _parse(self.data, self.name, self.source)
        return len(xfs)


# print areas (defined names) -----------------------------------------------------------------

_SHEET_AREA = re.compile(r"(?:'((?:[^']|'')+)'|([^'!,]+))!(\$?[A-Z]{1,3}:\$?[A-Z]{1,3}|\$?\d+:\$?\d+"
                         r"|\$?[A-Z]{1,3}\$?\d+:\$?[A-Z]{1,3}\$?\d+|\$?[A-Z]{1,3}\$?\d+)(?:,|$)")
_DEFINED = re.compile(rb"""<((?:[\w.-]+:)?)definedName(?=[\s>])((?:[^>"']|"[^"]*"|'[^']*')*)>(.*?)</(?:[\w.-]+:)?definedName>""",
                      re.S)


def _quoted(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def _abs(ref: str) -> str:
    from addin.files.text import col_letters
    c1, r1, c2, r2 = _parse_ref(ref)
    return f"${col_letters(c1)}${r1}:${col_letters(c2)}${r2}"


def _parse_ref(ref: str):
    from addin.writers.sheetxml import parse_ref
    return parse_ref(ref)


def _widened_print_area(value: str, sheet: str, col: int, last_row: int, last_col: int) -> str | None:
    """The print area ``value`` (as in workbook.xml) with each range that ended at the column
    before ``col`` widened over it; whole columns (rows) become the used rows (columns), as
    openpyxl reads them. None when ``value`` is not a list of ranges of ``sheet`` (a name, a
    formula): then it is kept as it is."""
    from addin.files.text import col_letters, col_number
    parts = list(_SHEET_AREA.finditer(value))
    if not parts or "".join(p.group(0) for p in parts) != value:
        return None
    out = []
    for part in parts:
        title = (part.group(1) or "").replace("''", "'") or part.group(2)
        if title != sheet:
            return None
        first, _, last = part.group(3).replace("$", "").partition(":")
        last = last or first
        if first.isdigit():     # whole rows
            c1, r1, c2, r2 = 1, int(first), max(last_col, 1), int(last)
        elif first.isalpha():   # whole columns
            c1, r1, c2, r2 = col_number(first), 1, col_number(last), max(last_row, 1)
        else:
            c1, r1, c2, r2 = _parse_ref(f"{first}:{last}")
        if c2 == col - 1:
            c2 = col
        out.append(f"{_quoted(sheet)}!${col_letters(c1)}${r1}:${col_letters(c2)}${r2}")
    return ",".join(out)


def _edit_workbook(data: bytes, sheet: str, index: int, col: int, last_row: int, last_col: int,
                   note_area: str | None) -> bytes:
    """workbook.xml with the sheet's print area widened over the risk column, or set to
    ``note_area`` when the sheet has none and the note needs one."""
    found = False

    def one(m: re.Match) -> bytes:
        nonlocal found
        attrs = m.group(2)
        name = re.search(rb"""\sname\s*=\s*["']([^"']*)["']""", attrs)
        local = re.search(rb"""\slocalSheetId\s*=\s*["'](\d+)["']""", attrs)
        if not name or name.group(1) != b"_xlnm.Print_Area" or not local or int(local.group(1)) != index:
            return m.group(0)
        found = True
        value = html.unescape(m.group(3).decode("utf-8"))
        widened = _widened_print_area(value, sheet, col, last_row, last_col)
        if widened is None:
            return m.group(0)
        return m.group(0)[:m.start(3) - m.start()] + widened.replace("&", "&amp;").replace("<", "&lt;").encode() \
            + m.group(0)[m.end(3) - m.start():]

    data = _DEFINED.sub(one, data)
    if found or note_area is None:
        return data
    pfx = _prefix(data, "workbook")
    element = (b"<" + pfx + b'definedName name="_xlnm.Print_Area" localSheetId="%d">' % index
               + f"{_quoted(sheet)}!{_abs(note_area)}".replace("&", "&amp;").replace("<", "&lt;").encode()
               + b"</" + pfx + b"definedName>")
    close = data.find(b"</" + pfx + b"definedNames>")
    if close >= 0:
        return data[:close] + element + data[close:]
    names = b"<" + pfx + b"definedNames>" + element + b"</" + pfx + b"definedNames>"
    for after in ("calcPr", "oleSize", "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes",
                  "webPublishing", "fileRecoveryPr", "webPublishObjects", "extLst"):
        m = re.search(rb"<" + re.escape(pfx) + after.encode() + rb"[\s>/]", data)
        if m:
            return data[:m.start()] + names + data[m.start():]
    end = data.rfind(b"</")
    return data[:end] + names + data[end:]


# an Excel Table over the ledger ---------------------------------------------------------------

def _edit_table(data: bytes, header_row: int, col: int, name: str) -> bytes | None:
    """The table part widened over ``col`` when it covers the ledger's header row and ends at
    the column before; None when it does not concern the risk column."""
    from addin.files.text import col_letters
    pfx = _prefix(data, "table")
    top = re.search(rb"<" + re.escape(pfx) + rb"table\b[^>]*>", data)
    ref = re.search(rb"""\sref\s*=\s*["']([^"']*)["']""", top.group(0)) if top else None
    if not ref:
        return None
    box = _parse_ref(ref.group(1).decode())
    headers = re.search(rb"""\sheaderRowCount\s*=\s*["'](\d+)["']""", top.group(0))
    if box is None or box[2] != col - 1 or box[1] != header_row or (headers and headers.group(1) == b"0"):
        return None
    new_ref = f"{col_letters(box[0])}{box[1]}:{col_letters(col)}{box[3]}".encode()
    ids = [int(i) for i in re.findall(rb"<" + re.escape(pfx) + rb"""tableColumn\b[^>]*?\sid\s*=\s*["'](\d+)["']""",
                                      data)]
    names = {html.unescape(n.decode()).casefold() for n in
             re.findall(rb"<" + re.escape(pfx) + rb"""tableColumn\b[^>]*?\sname\s*=\s*["']([^"']*)["']""", data)}
    if name.casefold() in names:
        return None
    column = (b"<" + pfx + b'tableColumn id="%d" name="' % (max(ids, default=0) + 1) + html.escape(name).encode()
              + b'"/>')
    data = data[:top.start()] + top.group(0).replace(ref.group(0), ref.group(0).replace(ref.group(1), new_ref)) \
        + data[top.end():]

    def widen(m: re.Match) -> bytes:     # the table's filter (a totals row may leave it a row shorter)
        box_ = _parse_ref(m.group(2).decode())
        if box_ is None or box_[2] != col - 1:
            return m.group(0)
        return m.group(1) + f"{col_letters(box_[0])}{box_[1]}:{col_letters(col)}{box_[3]}".encode() + m.group(3)
    data = re.sub(rb"(<" + re.escape(pfx) + rb"""autoFilter\b[^>]*?\sref\s*=\s*["'])([^"']*)(["'])""", widen, data)
    data = _append_child(data, pfx, "tableColumns", column, len(ids) + 1, ())
    return data


# the sheet ------------------------------------------------------------------------------------

def _cols_edit(col: int) -> Callable[[bytes], bytes]:
    """prolog -> prolog with the risk column's width in ``<cols>`` (a range over it split; the
    column before's width, at least 10)."""
    attr = re.compile(rb"""\s([\w:]+)\s*=\s*("[^"]*"|'[^']*')""")

    def edit(prolog: bytes) -> bytes:
        from addin.writers.sheetxml import sheet_prefix
        pfx = sheet_prefix(prolog)
        cols_m = re.search(rb"<" + re.escape(pfx) + rb"cols\b[^>]*?(/?)>", prolog)
        entries: list[dict[bytes, bytes]] = []
        if cols_m and not cols_m.group(1):
            end = prolog.find(b"</" + pfx + b"cols>", cols_m.end())
            inner = prolog[cols_m.end():end]
            for m in re.finditer(rb"<" + re.escape(pfx) + rb"col\b([^>]*?)/?>", inner):
                entries.append({k: v[1:-1] for k, v in attr.findall(m.group(1))})
            span = (cols_m.start(), end + len(b"</" + pfx + b"cols>"))
        elif cols_m:
            span = (cols_m.start(), cols_m.end())
        else:
            span = None

        def num(e, key, default=0.0):
            try:
                return float(e.get(key, b""))
            except ValueError:
                return default
        width = 10.0
        for e in entries:
            if num(e, b"min") <= col - 1 <= num(e, b"max") and e.get(b"width"):
                width = max(10.0, min(num(e, b"width", 10.0), 255.0))
        out: list[dict[bytes, bytes]] = []
        placed = False
        ours = {b"min": str(col).encode(), b"max": str(col).encode(), b"width": b"%g" % width, b"customWidth": b"1"}
        for e in entries:
            lo_, hi = int(num(e, b"min")), int(num(e, b"max"))
            if lo_ <= col <= hi:
                if lo_ < col:
                    out.append({**e, b"max": str(col - 1).encode()})
                kept = {k: v for k, v in e.items() if k not in (b"hidden", b"width", b"customWidth", b"bestFit")}
                out.append({**kept, **ours})
                if col < hi:
                    out.append({**e, b"min": str(col + 1).encode()})
                placed = True
            else:
                if not placed and lo_ > col:
                    out.append(ours)
                    placed = True
                out.append(e)
        if not placed:
            out.append(ours)
        xml = b"<" + pfx + b"cols>" + b"".join(
            b"<" + pfx + b"col" + b"".join(b" " + k + b'="' + v + b'"' for k, v in e.items()) + b"/>" for e in out
        ) + b"</" + pfx + b"cols>"
        if span is not None:
            return prolog[:span[0]] + xml + prolog[span[1]:]
        # no <cols>: after sheetFormatPr / sheetViews / dimension / sheetPr, i.e. at the prolog's end
        return prolog + xml

    return edit


def _cell_text(cell_xml: bytes, strings: dict[int, str]) -> str:
    typ = re.search(rb"""\st\s*=\s*["'](\w+)["']""", cell_xml[:cell_xml.find(b">")])
    typ = typ.group(1) if typ else b"n"
    if typ == b"inlineStr":
        return html.unescape("".join(m.decode("utf-8", "replace") for m in
                                     re.findall(rb"<(?:\w+:)?t(?:\s[^>]*)?>([^<]*)<", cell_xml)))
    v = re.search(rb"<(?:\w+:)?v>([^<]*)<", cell_xml)
    if v is None:
        return ""
    if typ == b"s":
        try:
            return strings.get(int(v.group(1)), "")
        except ValueError:
            return ""
    return html.unescape(v.group(1).decode("utf-8", "replace"))


def _shared_strings(zf: zipfile.ZipFile, part: str | None, wanted: set[int]) -> dict[int, str]:
    """The shared strings at ``wanted`` indices, read as a stream (memory: one string)."""
    if not part or not wanted or part not in zf.NameToInfo:
        return {}
    from defusedxml import ElementTree as DET
    out: dict[int, str] = {}
    last = max(wanted)
    i = 0
    root = None
    with zf.open(part) as f:
        for event, el in DET.iterparse(f, events=("start", "end"), forbid_dtd=True):
            if root is None:
                root = el
            if event == "end" and el.tag == f"{{{_NS_MAIN}}}si":
                if i in wanted:
                    out[i] = "".join(x.text or "" for x in el.iter(f"{{{_NS_MAIN}}}t"))
                i += 1
                root.clear()      # the strings read so far are dropped
                if i > last:
                    break
    return out


_OWN_FORMULA = re.compile(r"^\$([A-Z]{1,3})\$?(\d+)=\"(.*)\"$")


def _labels() -> set[str]:
    from addin.compute.risk import RISKS
    return {risk_label(r, lang) for r in RISKS for lang in ("en", "zh")}


def _own_rule_column(formulas: list[bytes]) -> int | None:
    """The column an OrderDesk risk rule set looks at (``$I4="overdue"`` ...), None when any
    formula is someone else's."""
    from addin.files.text import col_number
    labels = _labels()
    cols = set()
    for f in formulas:
        m = _OWN_FORMULA.match(html.unescape(f.decode("utf-8", "replace")).strip())
        if not m or m.group(3).replace('""', '"') not in labels:
            return None
        cols.add(col_number(m.group(1)))
    return cols.pop() if len(cols) == 1 else None


def _is_note(text: str) -> bool:
    return any(text.startswith(STRINGS["risk.calendar_note"][lang].split("{")[0]) for lang in ("en", "zh"))


@dataclass
class _Place:
    col: int                 # the risk column
    own: bool                # a previous OrderDesk risk column, replaced
    old_note: bool           # ... with its note beside the header


def _header_texts(scan_cells: list, header_xml: bytes, zf: zipfile.ZipFile, strings_part: str | None) -> dict[int, str]:
    """column -> text of the header row's cells with a value."""
    valued = [c for c in scan_cells if c[3]]
    wanted = set()
    for c in valued:
        if re.search(rb"""\st\s*=\s*["']s["']""", c[4]):
            v = re.search(rb"<(?:\w+:)?v>\s*(\d+)\s*<", header_xml[c[0]:c[1]])
            if v:
                wanted.add(int(v.group(1)))
    strings = _shared_strings(zf, strings_part, wanted)
    return {c[2]: _cell_text(header_xml[c[0]:c[1]], strings) for c in valued}


def _own_candidate(texts: dict[int, str]) -> int:
    """The header row's rightmost column when it is headed like OrderDesk's risk column (perhaps
    with the note beside it), else 0."""
    if not texts:
        return 0
    cols = sorted(texts)
    x = cols[-1]
    if _is_note(texts[x]) and len(cols) > 1 and cols[-2] == x - 1:
        x = cols[-2]
    return x if texts[x] in {t("col.risk", lang) for lang in ("en", "zh")} else 0


def _last_used_column(scan: Any, texts: dict[int, str]) -> _Place:
    """Where the risk column goes: after the rightmost column holding a value in any row
    (formatting alone does not count), or over OrderDesk's own risk column of an earlier run
    (its header, its rules and nothing of the user's to the right of it)."""
    x = scan.candidate
    if x:
        own_cols = {col for _, formulas in scan.cf_rules if (col := _own_rule_column(formulas))}
        note = _is_note(texts.get(x + 1, ""))
        others = [c for c in texts if c != x and not (note and c == x + 1)]
        if x in own_cols and scan.last_value_col({x}) < x and max(others, default=0) < x:
            return _Place(x, True, note)
    return _Place(max(scan.last_value_col(), max(texts, default=0)) + 1, False, False)


class _Progress:
    """'Risk copy: 40 %' on stderr, rewritten in place at most twice a second."""

    def __init__(self, show: bool, total: int, lang: str):
        self.show, self.total, self.lang = show and total > 0, total, lang
        self.last = 0.0
        self.shown = False

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        if not self.show or now - self.last < 0.5:
            return
        self.last = now
        pct = min(99, int(100 * done / self.total))
        word = "风险副本" if self.lang == "zh" else "Risk copy"
        sys.stderr.write(f"\r{word}: {pct:3d} %")
        sys.stderr.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\r" + " " * 24 + "\r")
            sys.stderr.flush()


def _write_copy(source: Path, tmp: Path, ledger_result: Any, targets: _Targets, lang: str,
                note: str | None = None, show_progress: bool = False) -> None:
    from addin.files.text import col_letters
    from addin.writers.sheetxml import CellEdit, SheetEdit, parse_ref, rewrite_sheet, scan_sheet, xml_text

    header_row = int(ledger_result.header_row)
    try:
        zin = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _fail(source, _DAMAGED) from exc
    with zin:
        # where things are: the workbook, its sheets, styles and shared strings ------------------
        book_part = next((target for _, typ, target in _rels(zin, "", source) if typ == _REL_OFFICE),
                         "xl/workbook.xml")
        book_xml = _read_small(zin, book_part, source)
        book = _parse(book_xml, book_part, source)
        book_rels = _rels(zin, book_part, source)
        by_id = {rid: target for rid, _, target in book_rels}
        sheets = list(book.iter(f"{{{_NS_MAIN}}}sheet"))
        index = next((i for i, s in enumerate(sheets) if s.get("name") == ledger_result.sheet), None)
        if index is None:
            raise _fail(source, f"has no sheet '{ledger_result.sheet}' — was the file changed since it was read?")
        sheet_part = by_id.get(sheets[index].get(f"{{{_NS_REL}}}id", ""))
        if sheet_part not in zin.NameToInfo:
            raise _fail(source, f"sheet '{ledger_result.sheet}' {_DAMAGED}")
        styles_part = next((target for _, typ, target in book_rels if typ == _REL_STYLES), None)
        strings_part = next((target for _, typ, target in book_rels if typ == _REL_STRINGS), None)
        sheet_info = zin.getinfo(sheet_part)
        progress = _Progress(show_progress and sheet_info.file_size > 16 * 1024 * 1024, 2 * sheet_info.file_size,
                             lang)

        # pass 1: the sheet's extent, header row and rules ---------------------------------------
        texts: dict[int, str] = {}

        def candidate(cells: list, xml: bytes) -> int:
            texts.update(_header_texts(cells, xml, zin, strings_part))
            return _own_candidate(texts)

        with zin.open(sheet_info) as f:
            scan = scan_sheet(f, header_row=header_row, part=sheet_part, file=source.name, progress=progress,
                              candidate=candidate)
        place = _last_used_column(scan, texts)
        col = place.col
        if col + (1 if note else 0) > 16384:
            raise _fail(source, f"sheet '{ledger_result.sheet}' uses every column up to XFD — there is no free"
                                f" column for the risk; use --separate")
        letter = col_letters(col)
        pfx = scan.pfx

        # the rows and their cells ---------------------------------------------------------------
        rows, codes, kinds = targets.rows, targets.codes, targets.risks

        def inline(text: str) -> Callable[[bytes, bytes | None], bytes]:
            body = xml_text(text)
            space = b' xml:space="preserve"' if text != text.strip() else b""

            def xml(ref: bytes, style: bytes | None) -> bytes:
                s = b' s="' + style + b'"' if style else b""
                return (b"<" + pfx + b'c r="' + ref + b'"' + s + b' t="inlineStr"><' + pfx + b"is><" + pfx + b"t"
                        + space + b">" + body + b"</" + pfx + b"t></" + pfx + b"is></" + pfx + b"c>")
            return xml

        row_cells = [[CellEdit(col, inline(risk_label(k, lang)))] for k in kinds]
        left = [c for c in scan.header_cells if c[2] == col - 1]
        left_style = re.search(rb"""\ss\s*=\s*["'](\d+)["']""", left[0][4]) if left else None
        header_style = left_style.group(1) if left_style else None

        styles_xml = _read_small(zin, styles_part, source) if styles_part in zin.NameToInfo else None
        styles = _Styles(styles_xml, styles_part or "xl/styles.xml", source)
        header_cells = [CellEdit(col, inline(t("col.risk", lang)), header_style)]
        if note:
            note_style = styles.note_style(int(header_style) if header_style else None, RISK_STYLE["at_risk"][1])
            header_cells.append(CellEdit(col + 1, inline(note), str(note_style).encode()))
        header_drop = {col + 1} if place.old_note and not note else set()

        # rules, filter, dimension --------------------------------------------------------------
        first = header_row + 1
        last = int(rows.max()) if len(rows) else 0
        cf = b""
        if len(rows):
            rules = []
            for i, (risk, (fill, font)) in enumerate(RISK_STYLE.items()):
                label = risk_label(risk, lang).replace('"', '""')
                formula = xml_text(f'${letter}{first}="{label}"').replace(b"&quot;", b'"')
                rules.append(b"<" + pfx + b'cfRule type="expression" dxfId="%d" priority="%d" stopIfTrue="1"><'
                             % (styles.dxf(fill, font), scan.max_priority + 1 + i)
                             + pfx + b"formula>" + formula + b"</" + pfx + b"formula></" + pfx + b"cfRule>")
            cf = (b"<" + pfx + b'conditionalFormatting sqref="A' + str(first).encode() + b":" + letter.encode()
                  + str(last).encode() + b'">' + b"".join(rules) + b"</" + pfx + b"conditionalFormatting>")

        def drop_cf(element: bytes) -> bool:
            if not place.own:
                return False
            formulas = re.findall(rb"<(?:\w+:)?formula>(.*?)</(?:\w+:)?formula>", element, re.S)
            return bool(formulas) and _own_rule_column(formulas) == col

        def auto_filter(element: bytes) -> bytes:
            m = re.search(rb"""(\sref\s*=\s*["'])([^"']*)(["'])""", element[:element.find(b">") + 1])
            box = parse_ref(m.group(2).decode()) if m else None
            if box is None or box[2] != col - 1:
                return element
            new = f"{col_letters(box[0])}{box[1]}:{letter}{box[3]}".encode()
            return element[:m.start(2)] + new + element[m.end(2):]

        right = col + (1 if note else 0)
        max_row = max(scan.max_row, last, header_row)
        dim = re.search(rb"<" + re.escape(pfx) + rb"""dimension\b[^>]*?\sref\s*=\s*["']([^"']*)["']""", scan.prolog)
        dimension = None
        if dim:
            box = parse_ref(dim.group(1).decode())
            if box is not None:
                dimension = (f"{col_letters(box[0])}{box[1]}:{col_letters(max(box[2], right))}"
                             f"{max(box[3], max_row)}").encode()
        edit = SheetEdit(rows=rows, codes=codes, row_cells=row_cells, header_row=header_row,
                         header_cells=header_cells, drop_cols=frozenset({col}) if place.own else frozenset(),
                         header_drop=frozenset(header_drop), dimension=dimension, cols=_cols_edit(col),
                         auto_filter=auto_filter, drop_cf=drop_cf, add_cf=cf,
                         fast=not place.own and scan.max_col < col and not scan.rows_without_r)

        # the other parts that change --------------------------------------------------------------
        replaced: dict[str, bytes] = {}
        note_area = f"A1:{letter}{max_row}" if note else None
        replaced[book_part] = _edit_workbook(book_xml, ledger_result.sheet, index, col, max_row,
                                             max(scan.max_col, col), note_area)
        for _, typ, target in _rels(zin, sheet_part, source):
            if typ == _REL_TABLE and target in zin.NameToInfo:
                table = _edit_table(_read_small(zin, target, source), header_row, col, t("col.risk", lang))
                if table is not None:
                    replaced[target] = table
        added: dict[str, bytes] = {}
        styles_name = styles_part or "xl/styles.xml"
        if styles.added:
            added[styles_name] = styles.data
            added.update(_register_styles(zin, book_part, styles_name, source))
            replaced.update({k: v for k, v in added.items() if k in zin.NameToInfo})
        else:
            replaced[styles_name] = styles.data

        # pass 2: the copy --------------------------------------------------------------------------
        base = sheet_info.file_size
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as zout:
            for info in zin.infolist():
                item = _entry(info)
                if info.filename == sheet_part:
                    grown = base + len(rows) * (60 + len(letter)) + 4096
                    with zin.open(info) as f, zout.open(item, "w", force_zip64=grown > 0x7FFF0000) as w:
                        with _Background(w.write) as write:
                            rewrite_sheet(f, write, edit, part=sheet_part, file=source.name,
                                          progress=lambda n: progress(base + n))
                elif info.filename in replaced:
                    zout.writestr(item, replaced[info.filename])
                elif info.is_dir():
                    zout.writestr(item, b"")
                else:
                    _copy_member(zin, info, zout, item)
            for name, data in added.items():
                if name not in zin.NameToInfo:
                    zout.writestr(_entry(zipfile.ZipInfo(name, time.localtime()[:6])), data)
            zout.comment = zin.comment
        progress.close()


class _Background:
    """``write`` called in a thread of its own: zlib compresses (and the file is written)
    without the interpreter lock while the next rows are edited. At most 4 blocks wait."""

    def __init__(self, write: Callable[[bytes], object]):
        import queue
        import threading
        self.write, self.error = write, None
        self.queue: Any = queue.Queue(maxsize=4)
        self.thread = threading.Thread(target=self._run, name="orderdesk-riskcopy-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            data = self.queue.get()
            if data is None:
                return
            if self.error is None:
                try:
                    self.write(data)
                except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
                    self.error = exc

    def __call__(self, data: bytes) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(data)

    def __enter__(self) -> "_Background":
        return self

    def __exit__(self, *exc: object) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.error is not None and exc[0] is None:
            raise self.error


def _validate_copy(tmp: Path) -> None:
    """The copy opens as a zip whose directory is whole, its content types, relationships,
    workbook, styles and tables parse, and every sheet the workbook lists is there. The parts
    copied as they were are not read again (nor the shared strings: a table of millions of
    strings would cost as much as the copy)."""
    with zipfile.ZipFile(tmp) as zf:
        names = set(zf.namelist())
        for name in names:
            if name.endswith((".rels", "workbook.xml", "styles.xml", "[Content_Types].xml")) or "/tables/" in name:
                _parse(zf.read(name), name, tmp)
        book_part = next((target for _, typ, target in _rels(zf, "", tmp) if typ == _REL_OFFICE), "xl/workbook.xml")
        book = _parse(zf.read(book_part), book_part, tmp)
        targets = {rid: target for rid, _, target in _rels(zf, book_part, tmp)}
        sheets = [targets.get(s.get(f"{{{_NS_REL}}}id", "")) for s in book.iter(f"{{{_NS_MAIN}}}sheet")]
        if not sheets or any(part not in names for part in sheets):
            raise ValueError("a sheet of the workbook is missing")


def _entry(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    item = zipfile.ZipInfo(info.filename, info.date_time)
    item.compress_type = zipfile.ZIP_STORED if info.compress_type == zipfile.ZIP_STORED else zipfile.ZIP_DEFLATED
    item.external_attr = info.external_attr
    item.create_system = info.create_system
    item.comment = info.comment
    return item


def _copy_member(zin: zipfile.ZipFile, info: zipfile.ZipInfo, zout: zipfile.ZipFile, item: zipfile.ZipInfo) -> None:
    """One part copied as it is, in blocks (its bytes unchanged)."""
    with zin.open(info) as f, zout.open(item, "w", force_zip64=info.file_size > 0x7FFF0000) as w:
        while True:
            block = f.read(1 << 20)
            if not block:
                break
            w.write(block)


def _register_styles(zin: zipfile.ZipFile, book_part: str, styles_part: str, source: Path) -> dict[str, bytes]:
    """A workbook without styles.xml: the content type and the workbook's relationship for it."""
    out = {}
    types = _read_small(zin, "[Content_Types].xml", source)
    if styles_part.encode() not in types:
        override = (b'<Override PartName="/' + styles_part.encode() + b'" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>')
        end = types.rfind(b"</")
        out["[Content_Types].xml"] = types[:end] + override + types[end:]
    folder, base = posixpath.split(book_part)
    rels_name = posixpath.join(folder, "_rels", base + ".rels")
    rels = _read_small(zin, rels_name, source)
    ids = set(re.findall(rb"""\sId\s*=\s*["']([^"']*)["']""", rels))
    n = 1
    while b"rId%d" % n in ids:
        n += 1
    target = posixpath.relpath(styles_part, folder or ".").encode()
    rel = (b'<Relationship Id="rId%d" Type="' % n + _REL_STYLES.encode() + b'" Target="' + target + b'"/>')
    end = rels.rfind(b"</")
    out[rels_name] = rels[:end] + rel + rels[end:]
    return out

# --------------------------------------------------------------------------- separate workbook

_SEPARATE_COLUMNS = ("order_no", "line_no", "customer", "part_no", "qty", "requested_date", "promised_date",
                     "ship_date", "status", "owner")


def _write_separate(tmp: Path, ledger_result: Any, frame: pd.DataFrame, as_of: dt.date, lang: str,
                    note: str | None = None) -> None:
    from addin.writers.xlsx import FONT, Styles, open_workbook, print_setup, set_widths, write_text, write_value

    wb = open_workbook(str(tmp))
    s = Styles(wb)
    ws = wb.add_worksheet(t("sheet.risk", lang))
    fields = [f for f in _SEPARATE_COLUMNS if f in frame.columns and
              (f in (ledger_result.columns or {}) or f in ("order_no", "customer", "part_no", "qty"))]
    headers = [(ledger_result.columns or {}).get(f, f) for f in fields] + \
        [t("col.risk", lang), t("col.reason", lang), t("col.source_row", lang)]
    title = f"{ledger_result.file} · {ledger_result.sheet} · {t('about.as_of', lang)} {as_of.isoformat()}"
    write_text(ws, 0, 0, title, s["subtitle"])
    top = 1
    if note:  # where the reader looks before the table: the horizon may end too early
        write_text(ws, 1, 0, note, wb.add_format({"bold": True, "font_color": "#" + RISK_STYLE["at_risk"][1],
                                                  "font_name": FONT}))
        top = 2
    for c, h in enumerate(headers):
        write_text(ws, top, c, h, s["header_left"])
    records = frame.to_dict("records")
    for i, rec in enumerate(records):
        r = top + 1 + i
        for c, f in enumerate(fields):
            value = rec.get(f)
            if f.endswith("_date"):
                write_value(ws, r, c, value, s["date"])
            elif f == "qty":
                write_value(ws, r, c, value, s["num1"])
            else:
                write_text(ws, r, c, value, s["text"])
        write_text(ws, r, len(fields), risk_label(rec.get("risk"), lang), s["text"])
        write_text(ws, r, len(fields) + 1, rec.get("risk_reason"), s["text"])
        write_value(ws, r, len(fields) + 2, rec.get("source_row"), s["int"])
    last = top + max(len(records), 1)
    risk_col = len(fields)
    from xlsxwriter.utility import xl_col_to_name
    letter = xl_col_to_name(risk_col)
    for risk, style in (("overdue", "red"), ("at_risk", "amber"), ("done", "grey")):
        label = risk_label(risk, lang).replace('"', '""')
        ws.conditional_format(top + 1, 0, last, len(headers) - 1, {
            "type": "formula", "criteria": f'=${letter}{top + 2}="{label}"', "format": s[style]})
    ws.autofilter(top, 0, last, len(headers) - 1)
    ws.freeze_panes(top + 1, 0)
    set_widths(ws, [[h] + [rec.get(f) for rec in records[:2000]] for h, f in
                    zip(headers, list(fields) + ["risk", "risk_reason", "source_row"])], maximum=40)
    print_setup(ws, repeat_rows=(top, top))
    wb.close()
