"""A worksheet's XML read and rewritten as a stream of bytes: rows are found by their tags and
every byte the edit does not concern is copied as it was (shared formulas, shared and inline
strings, rich text, attributes in their order, namespaces and prefixes). Memory holds one
buffer of the part (a few MB) and one row at a time, whatever the sheet's size.

Two passes over the part: :func:`scan_sheet` finds where the cells with a value end (the first
free column), the header row's cells, the sheet's extent and the conditional-formatting rules;
:func:`rewrite_sheet` then writes the copy with cells put into given columns of given rows
(rows absent from the XML added in their place), ``<dimension>`` and ``<cols>`` changed, the
autoFilter widened and ``<conditionalFormatting>`` elements inserted where the schema puts them
(or dropped, for rules the caller recognises as its own).

Like the input guard (addin/files/guard.py), a part declaring a DTD (``<!DOCTYPE``,
``<!ENTITY``) is refused: entities are never expanded, references are copied as they are.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import IO, Callable, Iterable, Iterator

from addin.errors import FileError
from addin.files.text import col_letters, col_number

__all__ = ["SCHEMA_ORDER", "SheetScan", "CellEdit", "SheetEdit", "scan_sheet", "rewrite_sheet", "xml_text",
           "parse_ref", "cells_of_row", "sheet_prefix"]

CHUNK = 1 << 20
PROLOG_MAX = 64 << 20       # bytes before <sheetData>: sheetPr, dimension, views, format, cols

# CT_Worksheet's children, in the order the schema requires (ECMA-376 Part 1, 18.3.1.99)
SCHEMA_ORDER = ("sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
                "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState", "dataConsolidate",
                "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting", "dataValidations",
                "hyperlinks", "printOptions", "pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks",
                "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing", "legacyDrawing",
                "legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls", "webPublishItems",
                "tableParts", "extLst")
_RANK = {name: i for i, name in enumerate(SCHEMA_ORDER)}
_RANK["AlternateContent"] = _RANK["oleObjects"]   # Excel wraps controls and OLE objects in mc:AlternateContent
_CF_RANK = _RANK["conditionalFormatting"]

_DTD = (b"<!DOCTYPE", b"<!ENTITY")
_ROOT = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?worksheet[\s>/]")
_ATTR_R = re.compile(rb"""\sr\s*=\s*["']([A-Za-z]{0,3})(\d*)["']""")
_ATTR_S = re.compile(rb"""\ss\s*=\s*["'](\d+)["']""")
_SPANS = re.compile(rb"""(\sspans\s*=\s*["'])([\d: ]*)(["'])""")
_NAME = re.compile(rb"<([A-Za-z_][\w.:-]*)")
_REF_ATTR = re.compile(rb"""(\sref\s*=\s*["'])([^"']*)(["'])""")
_PRIORITY = re.compile(rb"""\spriority\s*=\s*["'](\d+)["']""")
_WS = b" \t\r\n"
_AFTER_NAME = frozenset(b" \t\r\n/>")


def sheet_prefix(xml: bytes) -> bytes:
    """The prefix (with its colon) of the worksheet's elements in ``xml``; b'' when they use
    the default namespace."""
    m = _ROOT.search(xml)
    return (m.group(1) + b":") if m and m.group(1) else b""


def xml_text(s: str) -> bytes:
    """``s`` escaped for XML element text (and double-quoted attribute values)."""
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;").encode("utf-8")


def parse_ref(ref: str) -> tuple[int, int, int, int] | None:
    """'A3:H8' -> (min_col, min_row, max_col, max_row); 'B2' -> (2, 2, 2, 2); None if not a range."""
    m = re.fullmatch(r"\$?([A-Za-z]{1,3})\$?(\d+)(?::\$?([A-Za-z]{1,3})\$?(\d+))?", ref.strip())
    if not m:
        return None
    c1, r1 = col_number(m.group(1)), int(m.group(2))
    c2, r2 = (col_number(m.group(3)), int(m.group(4))) if m.group(3) else (c1, r1)
    return min(c1, c2), min(r1, r2), max(c1, c2), max(r1, r2)


class _Source:
    """A zip member read in chunks, with a cursor: ``buf[pos:]`` is what is not yet handled."""

    def __init__(self, f: IO[bytes], part: str, file: str, progress: Callable[[int], None] | None = None):
        self.f, self.part, self.file, self.progress = f, part, file, progress
        self.buf, self.pos, self.eof, self.read_total = b"", 0, False, 0
        self.queue, self.thread, self.stop = None, None, False

    def close(self) -> None:
        """Stop the read-ahead thread (before the member is closed)."""
        if self.thread is None:
            return
        import queue
        self.stop = True
        while self.thread.is_alive():
            try:
                self.queue.get(timeout=0.05)
            except queue.Empty:
                pass
        self.thread = None

    def _reader(self) -> None:
        """Read ahead in a thread: zlib inflates without the interpreter lock meanwhile."""
        try:
            while not self.stop:
                block = self.f.read(CHUNK)
                self.queue.put(block)
                if not block:
                    return
        except BaseException as exc:  # noqa: BLE001 - raised again by more()
            self.queue.put(exc)

    def more(self) -> bool:
        if self.eof:
            return False
        if self.queue is None:
            import queue
            import threading
            self.queue = queue.Queue(maxsize=4)
            self.thread = threading.Thread(target=self._reader, name="orderdesk-sheet-reader", daemon=True)
            self.thread.start()
        block = self.queue.get()
        if isinstance(block, BaseException):
            self.eof = True
            import zipfile
            import zlib
            if isinstance(block, (zipfile.BadZipFile, zlib.error, EOFError, OSError)):
                raise self.error("cannot be read (the file is damaged)") from block
            raise block
        if not block:
            self.eof = True
            return False
        self.read_total += len(block)
        if self.progress is not None:
            self.progress(self.read_total)
        self.buf = self.buf[self.pos:] + block if self.pos < len(self.buf) else block
        self.pos = 0
        return True

    def error(self, what: str) -> FileError:
        return FileError(f"{self.file}: the sheet's XML ({self.part}) {what} — open it in Excel, save it"
                         f" again and try again", file=self.file)


# --------------------------------------------------------------------------- cells of one row

def _cell_at(row: bytes, hi: int, copen: bytes) -> int:
    """Start of the last cell tag that begins before ``hi`` in ``row``, or -1."""
    n = len(copen)
    while True:
        j = row.rfind(copen, 0, hi)
        if j < 0:
            return -1
        if row[j + n] in _AFTER_NAME:
            return j
        hi = j


def _cell_info(row: bytes, j: int, cclose: bytes) -> tuple[int, int, bytes, bool]:
    """(end, tag end, attributes, has a value) of the cell starting at ``j``."""
    k = row.find(b">", j)
    if row[k - 1] == 47:   # '/>': an empty cell, perhaps styled
        return k + 1, k, row[j:k], False
    e = row.find(cclose, k)
    if e < 0:
        raise ValueError("cell without its end tag")
    content = row[k + 1:e]
    return e + len(cclose), k, row[j:k], _has_value(content)


_VALUE = re.compile(rb"<(?:\w+:)?f[\s>/]|<(?:\w+:)?v>\s*[^<\s]|<(?:\w+:)?t(?:\s[^>]*)?>[^<]")


def _has_value(content: bytes) -> bool:
    return _VALUE.search(content) is not None


def cells_of_row(row: bytes, pfx: bytes = b"") -> list[tuple[int, int, int, bool, bytes]]:
    """Every cell of a ``<row>`` element, in order: (start, end, column, has a value, start tag).
    A cell without an ``r`` attribute is in the column after the previous one."""
    copen, cclose = b"<" + pfx + b"c", b"</" + pfx + b"c>"
    out = []
    col = 0
    j = row.find(copen)
    while j >= 0:
        if row[j + len(copen)] not in _AFTER_NAME:
            j = row.find(copen, j + 1)
            continue
        end, k, tag, valued = _cell_info(row, j, cclose)
        m = _ATTR_R.search(tag)
        col = col_number(m.group(1).decode()) if m and m.group(1) else col + 1
        out.append((j, end, col, valued, tag))
        j = row.find(copen, end)
    return out


def _tail_cells(row: bytes, pfx: bytes, copen: bytes, cclose: bytes, want_valued: int):
    """From the row's end backwards: (column of the last cell, [columns of the last
    ``want_valued`` cells with a value, last first]) — or None when a cell met has no ``r``
    (then the caller reads the row from its start)."""
    hi = len(row)
    last_any = 0
    valued: list[int] = []
    while True:
        j = _cell_at(row, hi, copen)
        if j < 0:
            break
        end, k, tag, has = _cell_info(row, j, cclose)
        m = _ATTR_R.search(tag)
        if not m or not m.group(1):
            return None
        col = col_number(m.group(1).decode())
        if not last_any:
            last_any = col
        if has:
            valued.append(col)
        if len(valued) >= want_valued:
            break
        hi = j
    return last_any, valued


# --------------------------------------------------------------------------- reading the part

def _read_prolog(src: _Source) -> tuple[bytes, bytes, bytes]:
    """(the XML before <sheetData>, the namespace prefix with its colon, the sheetData start
    tag); the cursor is left after that tag."""
    while True:
        head = src.buf
        if any(m in head[:PROLOG_MAX] for m in _DTD):
            raise FileError(f"{src.file}: part '{src.part}' declares XML entities (<!DOCTYPE>), which Excel never"
                            f" writes — not reading it; ask the sender for a fresh copy saved from Excel",
                            file=src.file)
        root = _ROOT.search(head)
        if root:
            pfx = (root.group(1) + b":") if root.group(1) else b""
            tag = b"<" + pfx + b"sheetData"
            i = head.find(tag, root.end() - 1)
            while i >= 0 and head[i + len(tag):i + len(tag) + 1] and head[i + len(tag)] not in _AFTER_NAME:
                i = head.find(tag, i + 1)
            if i >= 0:
                k = head.find(b">", i)
                if k >= 0:
                    src.pos = k + 1
                    return head[:i], pfx, head[i:k + 1]
        if len(head) > PROLOG_MAX:
            raise src.error("has no <sheetData> in its first 64 MB")
        if not src.more():
            raise src.error("ends before its <sheetData>")


def _rows(src: _Source, pfx: bytes) -> Iterator[tuple[bytes, bytes | None]]:
    """(bytes before the row: whitespace, comments; the row element) for each row of
    sheetData, then (bytes, None) once the cursor is after ``</sheetData>``."""
    ropen, rclose, dclose = b"<" + pfx + b"row", b"</" + pfx + b"row>", b"</" + pfx + b"sheetData>"
    nro = len(ropen)
    while True:
        buf, pos = src.buf, src.pos
        i = buf.find(b"<", pos)
        if i < 0:
            if not src.more():
                raise src.error("ends inside <sheetData>")
            continue
        if buf.startswith(ropen, i) and len(buf) > i + nro:
            if buf[i + nro] not in _AFTER_NAME:
                raise src.error(f"holds an unexpected element in <sheetData> at byte {src.read_total}")
            k = buf.find(b">", i)
            if k < 0:
                if not src.more():
                    raise src.error("ends inside a row")
                continue
            if buf[k - 1] == 47:
                end = k + 1
            else:
                e = buf.find(rclose, k)
                if e < 0:
                    if not src.more():
                        raise src.error("ends inside a row")
                    continue
                end = e + len(rclose)
            src.pos = end
            yield buf[pos:i], buf[i:end]
        elif buf.startswith(dclose, i):
            src.pos = i + len(dclose)
            yield buf[pos:i], None
            return
        elif buf.startswith(b"<!--", i) or buf.startswith(b"<?", i):
            close = b"-->" if buf[i + 1] == 33 else b"?>"
            e = buf.find(close, i)
            if e < 0:
                if not src.more():
                    raise src.error("ends inside a comment")
                continue
            src.pos = e + len(close)
            yield buf[pos:e + len(close)], b""
        elif len(buf) - i < len(dclose) + 1:
            if not src.more():
                raise src.error("ends inside <sheetData>")
        else:
            raise src.error("holds an unexpected element in <sheetData>")


def _elements(src: _Source, out: Callable[[bytes], None] | None,
              capture: Callable[[bytes], bool]) -> Iterator[tuple[bytes, int, bytes | None]]:
    """The worksheet's children after sheetData: yields (local name, rank, element bytes) for
    the elements ``capture(local name)`` wants whole, and (local name, rank, None) just before
    copying any other element to ``out`` as a stream (its bytes never held whole). Whitespace
    and comments go to ``out``; the end tag of the worksheet is yielded as ('/', huge, b'')
    and everything after it goes to ``out``."""
    while True:
        buf, pos = src.buf, src.pos
        i = buf.find(b"<", pos)
        if i < 0 or len(buf) - i < 2:
            if not src.more():
                if buf[pos:].strip():
                    raise src.error("ends inside an element")
                if out is not None:
                    out(buf[pos:])
                src.pos = len(src.buf)
                return
            continue
        if out is not None and i > pos:
            out(buf[pos:i])
        src.pos = i
        if buf[i + 1] == 47:   # </worksheet>
            yield b"/", 1 << 30, b""
            while True:
                if out is not None:
                    out(src.buf[src.pos:])
                src.pos = len(src.buf)
                if not src.more():
                    return
        if buf.startswith(b"<!--", i) or buf.startswith(b"<?", i):
            close = b"-->" if buf[i + 1] == 33 else b"?>"
            e = buf.find(close, i)
            if e < 0:
                if not src.more():
                    raise src.error("ends inside a comment")
                continue
            if out is not None:
                out(buf[i:e + len(close)])
            src.pos = e + len(close)
            continue
        m = _NAME.match(buf, i)
        k = buf.find(b">", i)
        if not m or k < 0 or m.end() >= len(buf):
            if not src.more():
                raise src.error("ends inside an element")
            continue
        qname = m.group(1)
        local = qname.rsplit(b":", 1)[-1]
        rank = _RANK.get(local.decode("ascii", "replace"), -1)
        whole = capture(local)
        if not whole:
            yield local, rank, None
        end = _element_end(src, i, qname, None if whole else out)
        if whole:
            data = src.buf[src.pos:end]
            src.pos = end
            yield local, rank, data
        else:
            src.pos = end


def _element_end(src: _Source, start: int, qname: bytes, out: Callable[[bytes], None] | None) -> int:
    """End offset (in ``src.buf``) of the element starting at ``src.pos`` == ``start`` (a
    worksheet child never holds an element of its own name). With ``out``, the bytes scanned
    are streamed to it on the way and the buffer dropped as it goes."""
    closetag = b"</" + qname + b">"
    k = _tag_end(src, start)
    if src.buf[k - 1] == 47:
        end = k + 1
        if out is not None:
            out(src.buf[src.pos:end])
            src.pos = end
        return end
    p = k + 1
    while True:
        c = src.buf.find(closetag, p)
        if c >= 0:
            end = c + len(closetag)
            if out is not None:
                out(src.buf[src.pos:end])
                src.pos = end
            return end
        # not in what is buffered: keep the last bytes (an end tag cut in two), read on
        keep = max(p, len(src.buf) - len(closetag))
        if out is not None and keep > src.pos:
            out(src.buf[src.pos:keep])
            src.pos = keep
        p = keep - src.pos
        if not src.more():
            raise src.error(f"ends inside <{qname.decode('ascii', 'replace')}>")


def _tag_end(src: _Source, start: int) -> int:
    while True:
        k = src.buf.find(b">", start)
        if k >= 0:
            return k
        start = max(src.pos, len(src.buf) - 1)
        offset = src.pos
        if not src.more():
            raise src.error("ends inside a tag")
        start -= offset


# --------------------------------------------------------------------------- blocks of rows

def _row_blocks(src: _Source, pfx: bytes) -> Iterator[bytes]:
    """sheetData's content in blocks of whole rows (about a chunk each); the cursor is left after
    ``</sheetData>``."""
    ropen, rclose, dclose = b"<" + pfx + b"row", b"</" + pfx + b"row>", b"</" + pfx + b"sheetData>"
    while True:
        buf, pos = src.buf, src.pos
        e = buf.find(dclose, pos)
        if e >= 0:
            src.pos = e + len(dclose)
            yield buf[pos:e]
            return
        c = buf.rfind(rclose, pos)
        cut = c + len(rclose) if c >= 0 else pos
        j = buf.rfind(ropen, cut)
        if j >= 0:          # rows written <row .../> after the last </row>
            k = buf.find(b">", j)
            if k >= 0 and buf[k - 1] == 47:
                cut = k + 1
        if cut > pos:
            src.pos = cut
            yield buf[pos:cut]
        if not src.more():
            raise src.error("ends inside <sheetData>")


def _rows_in(block: bytes, pfx: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(bytes before the row, the row) for the whole rows of a block; then (the rest, b'')."""
    ropen, rclose = b"<" + pfx + b"row", b"</" + pfx + b"row>"
    pos = 0
    nro = len(ropen)
    while True:
        i = block.find(ropen, pos)
        while i >= 0 and block[i + nro:i + nro + 1] and block[i + nro] not in _AFTER_NAME:
            i = block.find(ropen, i + 1)
        if i < 0:
            yield block[pos:], b""
            return
        k = block.find(b">", i)
        end = k + 1 if block[k - 1] == 47 else block.find(rclose, k) + len(rclose)
        yield block[pos:i], block[i:end]
        pos = end


@dataclass
class SheetScan:
    """What the first pass found."""
    pfx: bytes = b""
    prolog: bytes = b""
    header_cells: list[tuple[int, int, int, bool, bytes]] = field(default_factory=list)
    header_xml: bytes = b""
    candidate: int = 0          # the column the caller thought its own (0: none)
    value_col: int = 0          # rightmost column with a value outside the header row
    value_col_without: int = 0  # ... not counting ``candidate``
    max_row: int = 0            # last row element (styled or not)
    max_col: int = 0            # last cell element (styled or not)
    rows_without_r: bool = False
    cf_rules: list[tuple[bytes, list[bytes]]] = field(default_factory=list)   # (sqref, [formula, ...])
    max_priority: int = 0

    def last_value_col(self, ignore: set[int] = frozenset()) -> int:
        """The rightmost column with a value in any row but the header row; ``ignore`` may hold
        the candidate column (the one given to :func:`scan_sheet`)."""
        return self.value_col_without if self.candidate and self.candidate in ignore else self.value_col


def scan_sheet(f: IO[bytes], *, header_row: int, part: str, file: str,
               progress: Callable[[int], None] | None = None,
               candidate: Callable[[list, bytes], int] | None = None) -> SheetScan:
    src = _Source(f, part, file, progress)
    try:
        return _scan(src, header_row, candidate)
    finally:
        src.close()


def _scan(src: _Source, header_row: int, candidate: Callable[[list, bytes], int] | None) -> SheetScan:
    """The first pass. ``candidate(header cells, header row XML)``: a column of the header row
    whose cells the caller may replace (its own earlier column), 0 for none: the scan then also
    finds the rightmost value not counting that column. Each row's last cells are found with a
    few searches; only rows with cells written without a leading ``r`` attribute are read cell
    by cell."""
    src.more()
    prolog, pfx, _ = _read_prolog(src)
    scan = SheetScan(pfx=pfx, prolog=prolog)
    copen, cclose = b"<" + pfx + b"c", b"</" + pfx + b"c>"
    ropen = b"<" + pfx + b"row"
    odd_row = re.compile(b"<" + re.escape(pfx) + rb"""row(?:>|/>|\s(?![^>]*?(?<![\w:])r\s*=\s*["']))""")
    header_at = re.compile(b"<" + re.escape(pfx) + rb"""row\b[^>]*?\sr\s*=\s*["']""" + str(header_row).encode()
                           + rb"""["'][^>]*>""")
    last_row = re.compile(rb"""\sr\s*=\s*["'](\d+)["']""")
    found_header = False
    value, without, any_col = 0, 0, 0
    skip = 0
    rows = 0
    last_n = 0

    cr, rclose = copen + b' r="', b"</" + pfx + b"row>"
    ncr, ncc = len(cr), len(cclose)
    letters_of: dict[bytes, int] = {}

    def column(piece: bytes, p: int) -> int:
        key = piece[p + ncr:p + ncr + 3]
        col = letters_of.get(key)
        if col is None:
            m = re.match(rb"[A-Z]+", key)
            col = letters_of[key] = col_number(m.group(0).decode()) if m else 0
        return col

    def search_values(block: bytes) -> None:
        """Each row's last cell, and its last cell with content: a few finds per row."""
        low = min(value, any_col, without if skip else value)
        get = letters_of.get
        find, rfind = block.find, block.rfind
        start, nrc = 0, len(rclose)
        while True:
            end = find(rclose, start)
            if end < 0:
                return
            p = rfind(cr, start, end)
            if p < 0 or find(copen, p + 1, end) >= 0:
                if find(copen, start, end) >= 0:
                    slow(block[start:end + nrc])     # cells written otherwise than <c r="...": one by one
            else:
                col = get(block[p + ncr:p + ncr + 3]) or column(block, p)
                if col > low:
                    piece = block[start:end]
                    tail(piece, p - start, col)
                    low = min(value, any_col, without if skip else value)
            start = end + nrc

    def tail(piece: bytes, p: int, col: int) -> None:
        nonlocal value, without, any_col
        if col > any_col:
            any_col = col
        if piece[-ncc:] != cclose and not piece.rstrip().endswith(cclose):
            # the last cell is empty (styled): the last one with content is before it
            q = piece.rfind(cclose, 0, p)
            if q < 0:
                return
            p = piece.rfind(cr, 0, q)
            col = column(piece, p)
        if col > without or col > value:
            end = piece.find(cclose, p)
            if not _has_value(piece[p:end]):
                slow(piece + rclose)    # <c ...></c>: no value; the rare row, read cell by cell
                return
            if col > value:
                value = col
            if col != skip:
                if col > without:
                    without = col
            else:   # the candidate column: the value before it counts
                q = piece.rfind(cclose, 0, p)
                while q >= 0:
                    p2 = piece.rfind(cr, 0, q)
                    if _has_value(piece[p2:q]):
                        without = max(without, column(piece, p2))
                        break
                    q = piece.rfind(cclose, 0, p2)

    def odd(block: bytes) -> bool:
        """A cell not written <c r="..."> or a row without r: read such blocks cell by cell."""
        return odd_row.search(block) is not None

    def slow(block: bytes) -> None:
        nonlocal value, without, any_col, last_n
        n = last_n
        for _, row in _rows_in(block, pfx):
            if not row:
                break
            k = row.find(b">")
            m = _ATTR_R.search(row, 0, k)
            n = int(m.group(2)) if m and m.group(2) else n + 1
            if row[k - 1] == 47 or n == header_row:
                continue
            cells = cells_of_row(row, pfx)
            if cells:
                any_col = max(any_col, cells[-1][2])
            valued = [c[2] for c in cells if c[3]]
            if valued:
                value = max(value, valued[-1])
                others = [c for c in valued if c != skip]
                if others:
                    without = max(without, others[-1])
        last_n = n

    for block in _row_blocks(src, pfx):
        rows += block.count(ropen)
        hs = he = -1
        if not found_header:
            h = header_at.search(block)
            if h:
                found_header = True
                hs = h.start()
                k = block.find(b">", hs)
                he = k + 1 if block[k - 1] == 47 else block.find(b"</" + pfx + b"row>", k) + len(pfx) + 6
                scan.header_xml = block[hs:he]
                scan.header_cells = cells_of_row(scan.header_xml, pfx)
                skip = candidate(scan.header_cells, scan.header_xml) if candidate else 0
                scan.candidate = skip
                any_col = max([any_col] + [c[2] for c in scan.header_cells])
        if not found_header or odd(block):
            scan.rows_without_r = scan.rows_without_r or odd_row.search(block) is not None
            if hs >= 0:
                slow(block[:hs])
                last_n = header_row
                slow(block[he:])
            else:
                slow(block)
        else:
            if hs >= 0:
                search_values(block[:hs])
                search_values(block[he:])
            else:
                search_values(block)
            j = block.rfind(ropen)
            if j >= 0:
                m = last_row.search(block, j, block.find(b">", j))
                if m:
                    last_n = int(m.group(1))
    if not scan.candidate:
        without = value
    scan.value_col, scan.value_col_without = value, without
    scan.max_row, scan.max_col = max(last_n, rows if scan.rows_without_r else 0), any_col
    # after sheetData: the conditional-formatting rules (ours are recognised by the caller)
    formula = re.compile(rb"<(?:\w+:)?formula>(.*?)</(?:\w+:)?formula>", re.S)
    for local, _, data in _elements(src, lambda b: None, lambda name: name in (b"conditionalFormatting", b"extLst")):
        if data is None:
            continue
        for p in _PRIORITY.finditer(data):
            scan.max_priority = max(scan.max_priority, int(p.group(1)))
        if local == b"conditionalFormatting":
            sq = re.search(rb"""\ssqref\s*=\s*["']([^"']*)["']""", data[:data.find(b">")])
            scan.cf_rules.append((sq.group(1) if sq else b"", formula.findall(data)))
    return scan


# --------------------------------------------------------------------------- pass 2: rewrite

@dataclass(frozen=True)
class CellEdit:
    """A cell written at ``col``: ``xml(ref, style)`` gives the element. ``style``: the ``s``
    to give it (None: keep the style of a cell already there, if any)."""
    col: int
    xml: Callable[[bytes, bytes | None], bytes]
    style: bytes | None = None


@dataclass
class SheetEdit:
    """What the second pass changes."""
    # target rows, ascending, and per row an index into ``row_cells``
    rows: Iterable[int]
    codes: Iterable[int]
    row_cells: list[list[CellEdit]]
    header_row: int
    header_cells: list[CellEdit]
    drop_cols: frozenset[int] = frozenset()     # cells removed from every row (a previous risk column)
    header_drop: frozenset[int] = frozenset()   # cells removed from the header row (a previous note)
    dimension: bytes | None = None               # new ref for <dimension>
    cols: Callable[[bytes], bytes] | None = None     # prolog -> prolog with <cols> changed
    auto_filter: Callable[[bytes], bytes] | None = None
    drop_cf: Callable[[bytes], bool] | None = None   # a <conditionalFormatting> element to leave out
    add_cf: bytes = b""
    # every new cell goes after its row's last cell (no cell that far right, none to drop, every
    # row and cell with its r): rows are then handled a block at a time
    fast: bool = False


def _pairs(rows: Iterable[int], codes: Iterable[int], step: int = 1 << 16) -> Iterator[tuple[int, int]]:
    """``zip(rows, codes)`` as Python ints; numpy arrays are turned into ints a block at a time
    (a million rows as two lists: 48 MB)."""
    if hasattr(rows, "tolist") and hasattr(codes, "tolist"):
        for i in range(0, len(rows), step):
            yield from zip(rows[i:i + step].tolist(), codes[i:i + step].tolist())
    else:
        yield from zip(rows, codes)


def _row_tag_edit(tag: bytes, new_max: int) -> bytes:
    m = _SPANS.search(tag)
    if not m:
        return tag
    spans = m.group(2).split()
    try:
        lo_, hi = spans[-1].split(b":")
        if int(hi) < new_max:
            spans[-1] = lo_ + b":" + str(new_max).encode()
    except ValueError:
        return tag
    return tag[:m.start(2)] + b" ".join(spans) + tag[m.end(2):]


def _edit_row(row: bytes, n: int, edits: list[CellEdit], drop: frozenset[int], pfx: bytes,
              copen: bytes, cclose: bytes, rclose: bytes) -> bytes:
    num = str(n).encode()
    k = row.find(b">")
    empty = row[k - 1] == 47
    top = max((e.col for e in edits), default=0)
    tag = row[:k - 1] if empty else row[:k]
    tag = _row_tag_edit(tag, top) if top else tag
    if empty:
        body = b"".join(e.xml(col_letters(e.col).encode() + num, e.style) for e in edits)
        return tag + b">" + body + rclose if body else row
    low = min([e.col for e in edits] + list(drop)) if (edits or drop) else 0
    tail = _tail_cells(row, pfx, copen, cclose, 0)
    body_end = len(row) - len(rclose)
    if tail is not None and tail[0] < low:
        # the common case: every new cell goes after the row's last cell
        body = b"".join(e.xml(col_letters(e.col).encode() + num, e.style) for e in edits)
        return tag + row[k:body_end] + body + rclose
    cells = cells_of_row(row, pfx)
    by_col = {e.col: e for e in edits}
    parts = [tag, row[k:cells[0][0]] if cells else row[k:body_end]]
    done: set[int] = set()
    prev_end = None
    for start, end, col, _, ctag in cells:
        if prev_end is not None:
            parts.append(row[prev_end:start])
        prev_end = end
        for e in edits:
            if e.col < col and e.col not in done:
                parts.append(e.xml(col_letters(e.col).encode() + num, e.style))
                done.add(e.col)
        if col in by_col:
            e = by_col[col]
            m = _ATTR_S.search(ctag)
            style = e.style if e.style is not None else (m.group(1) if m else None)
            parts.append(e.xml(col_letters(col).encode() + num, style))
            done.add(col)
        elif col in drop:
            continue
        else:
            parts.append(row[start:end])
    parts.append(row[prev_end:body_end] if prev_end is not None else b"")
    for e in edits:
        if e.col not in done:
            parts.append(e.xml(col_letters(e.col).encode() + num, e.style))
    parts.append(rclose)
    return b"".join(parts)


def rewrite_sheet(f: IO[bytes], write: Callable[[bytes], object], edit: SheetEdit, *, part: str, file: str,
                  progress: Callable[[int], None] | None = None) -> None:
    """The second pass: the part written to ``write`` with ``edit`` made."""
    src = _Source(f, part, file, progress)
    try:
        _rewrite(src, write, edit)
    finally:
        src.close()


def _rewrite(src: _Source, write: Callable[[bytes], object], edit: SheetEdit) -> None:
    src.more()
    prolog, pfx, data_tag = _read_prolog(src)
    if edit.dimension is not None:
        prolog = re.sub(rb"(<" + re.escape(pfx) + rb"dimension\b[^>]*?\sref\s*=\s*[\"'])[^\"']*([\"'])",
                        lambda m: m.group(1) + edit.dimension + m.group(2), prolog, count=1)
    if edit.cols is not None:
        prolog = edit.cols(prolog)
    copen, cclose = b"<" + pfx + b"c", b"</" + pfx + b"c>"
    ropen, rclose = b"<" + pfx + b"row", b"</" + pfx + b"row>"
    out: list[bytes] = [prolog]
    size = len(prolog)

    def emit(b: bytes) -> None:
        nonlocal size
        out.append(b)
        size += len(b)
        if size > CHUNK:
            write(b"".join(out))
            out.clear()
            size = 0

    def new_row(n: int, cells: list[CellEdit]) -> bytes:
        num = str(n).encode()
        return (ropen + b' r="' + num + b'">' + b"".join(e.xml(col_letters(e.col).encode() + num, e.style)
                                                         for e in cells) + rclose)

    targets = _pairs(edit.rows, edit.codes)
    pending = next(targets, None)
    header_done = False
    drop = edit.drop_cols
    self_closed = data_tag.endswith(b"/>")
    emit(data_tag[:-2] + b">" if self_closed else data_tag)
    n = 0

    def slow(text: bytes) -> None:
        """Rows one by one: absent rows added, cells put in their place."""
        nonlocal n, pending, header_done
        for gap, row in _rows_in(text, pfx):
            if not row:
                emit(gap)
                break
            k = row.find(b">")
            m = _ATTR_R.search(row, 0, k)
            n = int(m.group(2)) if m and m.group(2) else n + 1
            if not header_done and edit.header_row < n:
                emit(new_row(edit.header_row, edit.header_cells))
                header_done = True
            while pending is not None and pending[0] < n:
                emit(new_row(pending[0], edit.row_cells[pending[1]]))
                pending = next(targets, None)
            emit(gap)
            if n == edit.header_row:
                header_done = True
                emit(_edit_row(row, n, edit.header_cells, drop | edit.header_drop, pfx, copen, cclose, rclose))
            elif pending is not None and pending[0] == n:
                emit(_edit_row(row, n, edit.row_cells[pending[1]], drop, pfx, copen, cclose, rclose))
                pending = next(targets, None)
            elif drop and row[k - 1] != 47:
                emit(_edit_row(row, n, [], drop, pfx, copen, cclose, rclose))
            else:
                emit(row)

    fast = edit.fast
    # each new cell as the bytes before and after its row number
    cells = [[tuple(e.xml(col_letters(e.col).encode() + b"\x00", e.style).split(b"\x00", 1)) for e in cells_]
             for cells_ in edit.row_cells]
    top = max((e.col for cells_ in edit.row_cells for e in cells_), default=0)
    spans: dict[bytes, bytes] = {}
    for block in (() if self_closed else _row_blocks(src, pfx)):
        if not fast or not header_done:
            slow(block)
            continue
        # whole rows, each new cell after the row's last (the scan found no cell that far right)
        pieces = block.split(rclose)
        last = len(pieces) - 1
        acc: list[bytes] = []
        put = acc.append
        for i, piece in enumerate(pieces):
            j = piece.find(ropen)
            if j >= 0:
                k = piece.find(b">", j)
                if piece[k - 1] == 47:       # <row .../> first: the row closed here is the last one
                    j = piece.rfind(ropen)
                    k = piece.find(b">", j)
            if j < 0:
                if i < last:
                    raise src.error("has a </row> without its row")
                put(piece)
                continue
            q = piece.find(b' r="', j, k)
            e = piece.find(b'"', q + 4) if q >= 0 else -1
            num = piece[q + 4:e] if q >= 0 else b""
            rn = int(num) if num.isdigit() else 0
            if not rn or pending is not None and pending[0] < rn or (i < last and rn == edit.header_row):
                emit(b"".join(acc))
                acc.clear()
                slow(piece + rclose if i < last else piece)
                continue
            n = rn
            if i == last:
                put(piece)
            elif pending is not None and pending[0] == rn:
                a = piece.find(b' spans="', j, k)
                if a >= 0:
                    b = piece.find(b'"', a + 8)
                    old = piece[a:b]
                    new = spans.get(old)
                    if new is None:
                        new = spans[old] = _row_tag_edit(old + b'"', top)[:-1]
                    put(piece[:a])
                    put(new)
                    put(piece[b:])
                else:
                    put(piece)
                for pre, post in cells[pending[1]]:
                    put(pre)
                    put(num)
                    put(post)
                put(rclose)
                pending = next(targets, None)
            else:
                put(piece)
                put(rclose)
        emit(b"".join(acc))
    if not header_done:
        emit(new_row(edit.header_row, edit.header_cells))
    while pending is not None:
        emit(new_row(pending[0], edit.row_cells[pending[1]]))
        pending = next(targets, None)
    emit(b"</" + pfx + b"sheetData>")
    cf_done = not edit.add_cf

    def capture(local: bytes) -> bool:
        return local in (b"autoFilter", b"conditionalFormatting")

    for local, rank, data in _elements(src, emit, capture):
        if not cf_done and rank > _CF_RANK:
            emit(edit.add_cf)
            cf_done = True
        if data is None:
            continue
        if local == b"autoFilter" and edit.auto_filter is not None:
            emit(edit.auto_filter(data))
        elif local == b"conditionalFormatting" and edit.drop_cf is not None and edit.drop_cf(data):
            continue
        else:
            emit(data)
    if out:
        write(b"".join(out))
