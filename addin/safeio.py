"""Reading guards and atomic output.

Workbooks arrive by e-mail from customers and are read by native parsers that can abort the
whole process (python-calamine on a sparse-coordinate sheet), grow to gigabytes (a deflate bomb,
pandas+openpyxl on a stray XFD1048576 cell) or expand XML entities. ``inspect_input`` looks at
the bytes before any parser does; ``run_isolated`` runs a parser in a child process with a
memory cap, so a crash becomes a ``FileError`` instead of a dead Excel add-in; ``atomic_write``
never leaves a half-written file where a good one was.
"""
from __future__ import annotations

import codecs
import hashlib
import html
import io
import os
import pickle
import posixpath
import re
import secrets
import select
import shutil
import signal
import sys
import time
import traceback
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Literal

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from addin.errors import FileError, OrderDeskError

__all__ = [
    "InputInfo", "SheetExtent", "Limits", "inspect_input", "run_isolated", "atomic_write", "save_openpyxl",
    "safe_sheet_name", "clean_cell_text", "sha256_file", "col_letters", "EXCEL_MAX_ROWS",
    "EXCEL_MAX_COLS", "EXCEL_MAX_TEXT",
]

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLS = 16_384
EXCEL_MAX_TEXT = 32_767
MB = 1024 * 1024

OOXML_EXT = {".xlsx", ".xlsm", ".xltx", ".xltm"}
XLS_EXT = {".xls", ".xlt"}
TEXT_EXT = {".csv", ".txt", ".tsv"}
KIND_WORDS = {"xlsx": "an Excel workbook (.xlsx)", "xls": "an Excel 97-2003 workbook (.xls)",
              "csv": "CSV text"}
CHUNK = 1 << 20


@dataclass(frozen=True)
class Limits:
    """Bounds for what OrderDesk agrees to parse. Real ledgers are far inside every one."""
    max_entries: int = 10_000                 # zip members
    # declared and actual, whole archive: a million-row x 40-column ledger is ~1.5 GB of XML
    max_uncompressed: int = 4 * 1024 * MB
    max_ratio: float = 200.0                  # real sheet XML compresses ~10-30:1
    ratio_min_size: int = 10 * MB             # small parts may compress better; harmless
    max_cells: int = 60_000_000               # rows x columns of one sheet
    # inspect_input(deep=False): parts larger than this are not scanned cell by cell (the
    # caller parses them in an isolated child instead); 32 MB of XML is ~30k ledger lines
    deep_scan_max: int = 32 * MB
    max_xls_bytes: int = 100 * MB             # xlrd/calamine hold an .xls in memory
    max_text_bytes: int = 1024 * MB


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class SheetExtent:
    """Where the cells of one worksheet really are (from the cells, not ``<dimension>``)."""
    name: str
    part: str           # zip member, e.g. 'xl/worksheets/sheet1.xml'
    max_row: int        # 0 when the sheet has no cells
    max_col: int
    # False: a large part inspected with deep=False — extent from its <dimension> element,
    # its cells not scanned; parse it only in an isolated child (``run_isolated``)
    verified: bool = True

    @property
    def ref(self) -> str:
        return f"A1:{col_letters(self.max_col)}{self.max_row}" if self.max_row else ""


@dataclass
class InputInfo:
    """What ``inspect_input`` found. ``encoding`` is set for CSV (the codec that decodes the
    whole file: 'utf-8-sig', 'utf-8' or 'gb18030'); ``sheets`` for xlsx/xlsm."""
    kind: Literal["xlsx", "xls", "csv"]
    path: Path
    size: int
    encoding: str | None = None
    sheets: tuple[SheetExtent, ...] = field(default=())

    @cached_property
    def sha256(self) -> str:
        """Computed on first use only: it reads the whole file."""
        return sha256_file(self.path)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def col_letters(col: int) -> str:
    """1 -> 'A', 16384 -> 'XFD'."""
    letters = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


# ---------------------------------------------------------------------------------------------
# inspect_input
# ---------------------------------------------------------------------------------------------

def inspect_input(path: Path, expected: set[str] | None = None, *,
                  limits: Limits | None = None, deep: bool = True) -> InputInfo:
    """Check a file before any parser sees it; raise ``FileError`` saying what is wrong and
    what to do. ``expected`` is the set of kinds the caller can read ({'xlsx', 'xls', 'csv'}).

    ``deep=False`` (for callers that parse in ``run_isolated``): parts of an xlsx larger than
    ``limits.deep_scan_max`` are checked from the zip directory and their first block only
    (sizes, ratio, DTD in the prolog, ``<dimension>``), not decompressed and scanned whole —
    the scan costs a third of a million-line read. Their sheets come back ``verified=False``."""
    path = Path(path)
    name = path.name
    limits = limits or DEFAULT_LIMITS

    def fail(message: str) -> FileError:
        return FileError(f"{name}: {message}", file=str(path))

    if not path.exists():
        raise fail(f"no such file in {path.parent} — check the name and the folder")
    if path.is_dir():
        raise fail("is a folder, not a file — give the path of a workbook")
    if not path.is_file():
        raise fail("is not a regular file — give the path of a workbook")
    if name.startswith("~$"):
        raise fail(f"this is Excel's lock file, not a workbook — use {name[2:]} instead")
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(8)
    except PermissionError:
        raise fail("cannot be read (permission denied) — check the file's permissions") from None
    except OSError as exc:
        raise fail(f"cannot be read ({exc.strerror or exc}) — copy it to a local folder and try again") from None
    if size == 0:
        raise fail("the file is empty (0 bytes) — ask the sender for the file again")

    ext = path.suffix.lower()
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        kind = "xlsx"
        if ext in XLS_EXT:
            raise fail("this is an Excel workbook (.xlsx) with an .xls name — rename it to .xlsx")
        if ext in TEXT_EXT:
            raise fail("this is an Excel workbook (.xlsx), not CSV text — rename it to .xlsx")
        info = InputInfo("xlsx", path, size, sheets=_check_ooxml(path, fail, limits, deep))
    elif head.startswith(b"\xd0\xcf\x11\xe0"):
        _check_ole(path, size, fail, limits)      # raises for encrypted files of either kind
        if ext in OOXML_EXT:
            raise fail("this is an old Excel 97-2003 workbook (.xls), not .xlsx — rename it to .xls")
        if ext in TEXT_EXT:
            raise fail("this is an Excel 97-2003 workbook (.xls), not CSV text — rename it to .xls")
        info = InputInfo("xls", path, size)
    else:
        encoding = _check_text(path, size, fail, limits)
        if ext in OOXML_EXT or ext in XLS_EXT:
            raise fail(f"this is CSV text, not an Excel workbook — rename it to .csv")
        info = InputInfo("csv", path, size, encoding=encoding)
    kind = info.kind
    if expected is not None and kind not in expected:
        wanted = " or ".join(KIND_WORDS[k] for k in KIND_WORDS if k in expected)
        raise fail(f"this is {KIND_WORDS[kind]}, but {wanted} is needed here"
                   f" — open it in Excel and save it in that format")
    return info


# --- text -------------------------------------------------------------------------------------

_HTML = re.compile(rb"<\s*(html|table|!doctype\s+html)\b", re.I)
_CONTROL_BYTES = bytes(c for c in range(32) if c not in (9, 10, 12, 13, 11)) + b"\x7f"


def _check_text(path: Path, size: int, fail, limits: Limits) -> str:
    with open(path, "rb") as f:
        head = f.read(65536)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise fail("this is UTF-16 text (Excel's 'Unicode Text') — save it as 'CSV UTF-8' instead")
    if b"\x00" in head:
        raise fail("is not an Excel workbook or CSV file — check that you attached the right file")
    if _HTML.search(head[:4096]):
        raise fail("this is a web page (HTML), not a workbook — open it in Excel and save it as .xlsx")
    # random bytes may happen to decode as GB18030; real text has almost no control characters
    if len(head) - len(head.translate(None, _CONTROL_BYTES)) > max(2, len(head) // 100):
        raise fail("is not an Excel workbook or CSV file — check that you attached the right file")
    if size > limits.max_text_bytes:
        raise fail(f"is {size // MB:,} MB of text, more than OrderDesk reads"
                   f" ({limits.max_text_bytes // MB:,} MB) — split it into smaller files")
    for encoding in ("utf-8-sig", "gb18030"):
        if _decodes(path, encoding):
            if encoding == "utf-8-sig" and not head.startswith(codecs.BOM_UTF8):
                encoding = "utf-8"
            return encoding
    raise fail("is not an Excel workbook or CSV file — check that you attached the right file")


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(4 * CHUNK), b""):
                if b"\x00" in block:
                    return False
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


# --- OLE2: legacy .xls or an encrypted OOXML package ---------------------------------------------

def _check_ole(path: Path, size: int, fail, limits: Limits) -> None:
    import olefile
    try:
        ole = olefile.OleFileIO(str(path))
    except Exception:  # olefile raises many kinds on damaged headers
        raise fail("the workbook is damaged or truncated (incomplete download?) — ask the sender for the file again") from None
    try:
        streams = {"/".join(entry) for entry in ole.listdir(streams=True, storages=False)}
        if "EncryptedPackage" in streams or "EncryptionInfo" in streams:
            raise fail("encrypted — save it without a password")
        book = "Workbook" if "Workbook" in streams else "Book" if "Book" in streams else None
        if book is None:
            raise fail("is an Office file but not an Excel workbook — check that you attached the right file")
        if size > limits.max_xls_bytes:
            raise fail(f"is a {size // MB:,} MB Excel 97-2003 workbook, more than OrderDesk reads"
                       f" ({limits.max_xls_bytes // MB:,} MB) — save it as .xlsx")
        if _biff_has_filepass(ole, book):
            raise fail("encrypted — save it without a password")
    except FileError:
        raise
    except Exception:
        raise fail("the workbook is damaged or truncated (incomplete download?) — ask the sender for the file again") from None
    finally:
        ole.close()


def _biff_has_filepass(ole, book: str) -> bool:
    """A password-protected .xls has a FILEPASS record (0x002F) in its globals substream,
    before the first BOUNDSHEET; look at the first records only."""
    stream = ole.openstream(book)
    for _ in range(200):
        header = stream.read(4)
        if len(header) < 4:
            return False
        rtype, length = int.from_bytes(header[:2], "little"), int.from_bytes(header[2:], "little")
        if rtype == 0x002F:
            return True
        if rtype in (0x0085, 0x000A):  # BOUNDSHEET or EOF: past where FILEPASS may be
            return False
        stream.seek(length, io.SEEK_CUR)
    return False


# --- OOXML --------------------------------------------------------------------------------------

_DAMAGED = "the workbook is damaged or truncated (incomplete download?) — ask the sender for the file again"
# XML parsers expand entities declared in a DTD (billion laughs, XXE); Excel never writes one.
_DTD_MARKERS = [m.encode(enc) for m in ("<!DOCTYPE", "<!ENTITY") for enc in ("ascii", "utf-16-le", "utf-16-be")]


def _check_ooxml(path: Path, fail, limits: Limits, deep: bool = True) -> tuple[SheetExtent, ...]:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError):
        raise fail(_DAMAGED) from None
    with zf:
        infos = zf.infolist()
        names = {i.filename for i in infos}
        if len(infos) > limits.max_entries:
            raise fail(f"has {len(infos):,} parts inside, far more than a real workbook"
                       f" ({limits.max_entries:,}) — ask the sender for a fresh copy saved from Excel")
        if "xl/workbook.bin" in names:
            raise fail("this is an Excel binary workbook (.xlsb) — open it in Excel and save it as .xlsx")
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            if "mimetype" in names or "content.xml" in names:
                raise fail("this is an OpenDocument spreadsheet (.ods) — open it and save it as .xlsx")
            if "[Content_Types].xml" in names and not "xl/workbook.xml" in names:
                raise fail("is an Office file but not an Excel workbook — check that you attached the right file")
            raise fail("is a zip archive, not an Excel workbook — check that you attached the right file")
        declared = sum(i.file_size for i in infos)
        if declared > limits.max_uncompressed:
            raise fail(f"would expand to {_size(declared)} when opened, more than OrderDesk reads"
                       f" ({_size(limits.max_uncompressed)}) — ask the sender for a smaller file")
        for i in infos:
            if i.flag_bits & 0x1:
                raise fail("encrypted — save it without a password")
            if i.file_size > limits.ratio_min_size and i.file_size > limits.max_ratio * max(i.compress_size, 1):
                raise fail(f"part '{i.filename}' expands from {_size(i.compress_size)} to {_size(i.file_size)},"
                           f" far more than a real workbook compresses — the file is damaged or built"
                           f" to attack spreadsheet readers; ask the sender for a fresh copy saved from Excel")
        sheets = _sheet_parts(zf, fail)
        by_part = {part: sheet_name for sheet_name, part in sheets}
        extents: dict[str, tuple[int, int, str, str]] = {}
        total = 0
        unverified: set[str] = set()
        for i in infos:
            if not deep and i.file_size > limits.deep_scan_max:
                declared = _head_part(zf, i, fail)
                if i.filename in by_part:
                    extents[i.filename] = declared
                    unverified.add(i.filename)
                continue
            scan = _SheetScan() if i.filename in by_part else None
            total = _stream_part(zf, i, fail, limits, total, scan)
            if scan is not None:
                extents[i.filename] = scan.result()
        result = []
        for sheet_name, part in sheets:
            if part not in names:
                raise fail(f"sheet '{sheet_name}' is missing from the file — {_DAMAGED.split(' — ')[1]}")
            max_row, max_col, row_ref, col_ref = extents[part]
            if part in unverified and (max_row > EXCEL_MAX_ROWS or max_col > EXCEL_MAX_COLS
                                       or max_row * max_col > limits.max_cells):
                # the sheet says it is out of bounds: scan it to say exactly where
                scan = _SheetScan()
                _stream_part(zf, zf.getinfo(part), fail, limits, 0, scan)
                max_row, max_col, row_ref, col_ref = scan.result()
                unverified.discard(part)
            _check_extent(zf, part, sheet_name, max_row, max_col, row_ref, col_ref, fail, limits)
            result.append(SheetExtent(sheet_name, part, max_row, max_col, part not in unverified))
        return tuple(result)


def _size(n: int) -> str:
    return f"{n / MB:,.0f} MB" if n >= MB else f"{max(n, 1) / 1024:,.0f} KB"


def _stream_part(zf: zipfile.ZipFile, info: zipfile.ZipInfo, fail, limits: Limits, total: int,
                 scan: "_SheetScan | None") -> int:
    """Decompress one member in chunks: count the real size, look for DTDs, scan cells."""
    tail = b""
    try:
        with zf.open(info) as member:
            while True:
                block = member.read(CHUNK)
                if not block:
                    break
                total += len(block)
                if total > limits.max_uncompressed:
                    raise fail(f"expands to more than {_size(limits.max_uncompressed)} when opened"
                               f" — ask the sender for a smaller file")
                buf = tail + block
                if b"!" in buf and any(marker in buf for marker in _DTD_MARKERS):
                    raise _dtd_error(info.filename, fail)
                if scan is not None:
                    scan.feed(buf)
                tail = buf[-64:]
        if scan is not None:
            scan._feed_exact(tail)  # feed() leaves the last bytes of a chunk to the next one
    except FileError:
        raise
    except Exception as exc:
        raise _member_error(exc, fail) from None
    return total


def _member_error(exc: Exception, fail) -> Exception:
    """What reading a zip member raised, as the user's message (or ``exc`` itself when it is not
    a damaged-file error)."""
    if isinstance(exc, RuntimeError):  # zipfile: "File ... is encrypted, password required"
        return fail("encrypted — save it without a password") if "encrypted" in str(exc) else fail(_DAMAGED)
    if isinstance(exc, NotImplementedError):
        return fail("uses a compression method OrderDesk cannot read — open it in Excel and save it again")
    if isinstance(exc, (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError)):
        return fail(_DAMAGED)
    return exc


def _dtd_error(part: str, fail) -> FileError:
    # never quote the part: an XXE target's content must not reach a message
    return fail(f"part '{part}' declares XML entities (<!DOCTYPE>), which Excel never writes and which"
                f" can make readers leak files or exhaust memory — not reading it; ask the sender for a"
                f" fresh copy saved from Excel")


_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref\s*=\s*[\"']([A-Za-z]{1,3})?([0-9]{1,7})?(?::([A-Za-z]{1,3})([0-9]{1,7}))?")


def _head_part(zf: zipfile.ZipFile, info: zipfile.ZipInfo, fail) -> tuple[int, int, str, str]:
    """First block of a large part: a DTD can only sit in the prolog, and a sheet declares its
    extent in ``<dimension>`` near the top. Returns that extent (0, 0 when there is none)."""
    try:
        with zf.open(info) as member:
            head = member.read(CHUNK)
    except Exception as exc:
        raise _member_error(exc, fail) from None
    if any(marker in head for marker in _DTD_MARKERS):
        raise _dtd_error(info.filename, fail)
    m = _DIMENSION.search(head[:65536])
    if not m:
        return 0, 0, "", ""
    letters = (m.group(3) or m.group(1) or b"A").decode("ascii")
    digits = (m.group(4) or m.group(2) or b"0").decode("ascii")
    ref = f"{letters.upper()}{digits}"
    return int(digits), _col_number(letters), ref, ref


def _sheet_parts(zf: zipfile.ZipFile, fail) -> list[tuple[str, str]]:
    """(sheet name, zip member) for every worksheet listed in xl/workbook.xml."""
    from defusedxml import ElementTree as DET
    ns_main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    ns_rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    ns_pkg = "{http://schemas.openxmlformats.org/package/2006/relationships}"

    def small_xml(member: str):
        info = zf.getinfo(member)
        if info.file_size > 50 * MB:
            raise fail(f"part '{member}' is {_size(info.file_size)}, far more than a real workbook"
                       f" — ask the sender for a fresh copy saved from Excel")
        try:
            data = zf.read(info)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, RuntimeError, NotImplementedError):
            raise fail(_DAMAGED) from None
        if any(marker in data for marker in _DTD_MARKERS):
            raise _dtd_error(member, fail)
        try:
            return DET.fromstring(data, forbid_dtd=True)
        except Exception:
            raise fail(_DAMAGED) from None

    book = small_xml("xl/workbook.xml")
    targets: dict[str, str] = {}
    if "xl/_rels/workbook.xml.rels" in zf.NameToInfo:
        for rel in small_xml("xl/_rels/workbook.xml.rels").iter(f"{ns_pkg}Relationship"):
            target = rel.get("Target", "")
            target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            targets[rel.get("Id", "")] = target
    sheets = []
    for sheet in book.iter(f"{ns_main}sheet"):
        part = targets.get(sheet.get(f"{ns_rel}id", ""))
        if part and part in zf.NameToInfo:
            sheets.append((sheet.get("name", "?"), part))
    return sheets


class _SheetScan:
    """Real max row and column of the ``<c r="..">`` cells of one worksheet, fed in chunks.

    Vectorised with numpy: a regex over every cell costs as much as reading the sheet with
    calamine. The common form ` r="AB12"` is decoded in bulk; a chunk holding any other form
    (quotes, spaces, character references, lower case) is parsed exactly by a regex instead."""

    WIDTH = 12  # ' r="' is followed by at most 3 letters + 7 digits + quote; 12 catches overlong ones
    _ANY = re.compile(rb"\sr\s*=\s*(['\"])([^'\"]{1,64})\1")
    _REF = re.compile(r"([A-Za-z]+)([0-9]+)")

    def __init__(self) -> None:
        self.max_row = self.max_col = 0
        self.row_ref = self.col_ref = ""

    def _take(self, row: int, col: int, ref: str) -> None:
        if row > self.max_row:
            self.max_row, self.row_ref = row, ref
        if col > self.max_col:
            self.max_col, self.col_ref = col, ref

    def result(self) -> tuple[int, int, str, str]:
        return self.max_row, self.max_col, self.row_ref, self.col_ref

    def feed(self, buf: bytes) -> None:
        if len(buf) < 65536:  # numpy's fixed cost is more than a regex over a small part
            return self._feed_exact(buf)
        a = np.frombuffer(buf, np.uint8)
        n = len(a) - self.WIDTH - 4
        eq = np.flatnonzero(a[2:n] == 61) + 2                      # every '='
        around = np.concatenate((a[eq - 1], a[eq + 1]))
        if ((around == 32) | (around == 9) | (around == 10) | (around == 13)).any():
            return self._feed_exact(buf)                             # `r = "A1"`: legal, rare
        eq = eq[a[eq - 1] == 114]                                   # r=
        before = a[eq - 2]
        eq = eq[(before == 32) | (before == 9) | (before == 10) | (before == 13)]
        quote = a[eq + 1]
        eq = eq[(quote == 34) | (quote == 39)]
        if not len(eq):
            return
        w = sliding_window_view(a, self.WIDTH)[eq + 2]           # the bytes after each r="
        upper = w & 0xDF
        is_letter = (upper >= 65) & (upper <= 90)
        is_digit = (w >= 48) & (w <= 57)
        is_quote = (w == 34) | (w == 39)
        if not (is_letter[:, 0] | is_digit[:, 0]).all():
            return self._feed_exact(buf)                             # `r="&#88;FD1"` and such
        # leading letters, counted without cumprod (which is slow on bool arrays)
        run = is_letter[:, 0].copy()
        letters = run.astype(np.uint8)
        for k in range(1, 4):
            run &= is_letter[:, k]
            letters += run
        if run.any():                                                # 4+ letters: beyond XFD
            return self._feed_exact(buf)
        for count in range(1, 4):
            group = np.flatnonzero(letters == count)
            if not len(group):
                continue
            run = is_digit[group, count].copy()
            digits = run.astype(np.uint8)
            for j in range(count + 1, self.WIDTH):
                run &= is_digit[group, j]
                digits += run
            ends = count + digits
            if run.any() or digits.min() == 0 or not is_quote[group, ends].all():
                return self._feed_exact(buf)                         # unusual: do it exactly
            # the largest row has the most digits, then sorts highest as text
            most = digits.max()
            rows_sel = group[digits == most]
            keys = np.zeros((len(rows_sel), 8), np.uint8)
            keys[:, :most] = w[rows_sel, count:count + most]
            best = rows_sel[np.argmax(keys.view(">u8").ravel())]
            # columns with the same number of letters sort as text
            ckeys = np.zeros((len(group), 8), np.uint8)
            ckeys[:, :count] = upper[group, :count]
            cbest = group[np.argmax(ckeys.view(">u8").ravel())]
            for pick in (best, cbest):
                length = count + int(digits[np.searchsorted(group, pick)])
                ref = bytes(w[pick, :length]).decode("ascii").upper()
                self._take_ref(ref)

    def _take_ref(self, ref: str) -> None:
        m = self._REF.fullmatch(ref)
        if m:
            self._take(int(m.group(2)), _col_number(m.group(1)), ref.upper())

    def _feed_exact(self, buf: bytes) -> None:
        for _, raw in self._ANY.findall(buf):
            text = raw.decode("utf-8", "replace")
            if "&" in text:
                text = html.unescape(text)
            self._take_ref(text.strip())


def _check_extent(zf: zipfile.ZipFile, part: str, sheet: str, max_row: int, max_col: int,
                  row_ref: str, col_ref: str, fail, limits: Limits) -> None:
    if max_row > EXCEL_MAX_ROWS or max_col > EXCEL_MAX_COLS:
        ref = row_ref if max_row > EXCEL_MAX_ROWS else col_ref
        raise fail(f"sheet '{sheet}' has a cell at {_short(ref)}, beyond the last cell Excel allows"
                   f" (XFD1048576) — the file is damaged; ask the sender for a fresh copy saved from Excel")
    if max_row * max_col <= limits.max_cells:
        return
    # Too big: is it a few stray cells far from the data, or a genuinely huge sheet?
    rows, cols = _distinct_rows_cols(zf, part)
    data_rows, data_cols = _before_gap(rows, 1000), _before_gap(cols, 50)
    data_cells = data_rows * data_cols
    stray = row_ref if max_row > data_rows else col_ref
    if data_cells <= limits.max_cells and (data_rows < max_row or data_cols < max_col):
        first_row, first_col = (rows[0], cols[0]) if len(rows) else (1, 1)
        data = f"{col_letters(first_col)}{first_row}:{col_letters(data_cols)}{data_rows}"
        raise fail(f"sheet '{sheet}' has a stray cell at {stray} far outside its data ({data})"
                   f" — delete it or copy the data to a new sheet")
    raise fail(f"sheet '{sheet}' has data up to {col_letters(max_col)}{max_row}"
               f" ({max_row:,} rows × {max_col:,} columns), more than OrderDesk reads"
               f" ({limits.max_cells:,} cells) — split it or delete unused rows and columns")


def _short(ref: str) -> str:
    return ref if len(ref) <= 20 else ref[:20] + "…"


def _distinct_rows_cols(zf: zipfile.ZipFile, part: str) -> tuple[list[int], list[int]]:
    """Second pass, only for a sheet about to be refused: which rows and columns hold cells."""
    rows: set[int] = set()
    cols: set[int] = set()
    rx = re.compile(rb"\sr\s*=\s*(['\"])([A-Za-z]{1,3})([0-9]{1,7})\1")
    tail = b""
    with zf.open(part) as member:
        for block in iter(lambda: member.read(CHUNK), b""):
            buf = tail + block
            for _, letters, digits in rx.findall(buf):
                rows.add(int(digits))
                cols.add(_col_number(letters.decode("ascii")))
            tail = buf[-64:]
    return sorted(rows), sorted(cols)


def _before_gap(values: list[int], min_gap: int) -> int:
    """The last value before the first jump wider than both ``min_gap`` and the data so far."""
    for prev, nxt in zip(values, values[1:]):
        if nxt - prev > max(min_gap, prev):
            return prev
    return values[-1] if values else 0


# ---------------------------------------------------------------------------------------------
# run_isolated
# ---------------------------------------------------------------------------------------------

def run_isolated(func: Callable[..., Any], *args: Any, memory_mb: int = 3000, timeout: float = 600,
                 file: str | os.PathLike | None = None, **kwargs: Any) -> Any:
    """Run ``func(*args, **kwargs)`` in a forked child limited to ``memory_mb`` MB of new
    address space and ``timeout`` seconds; return its result. A native crash (SIGABRT,
    SIGSEGV), a kill, running out of memory or time becomes ``FileError`` naming ``file``
    (default: the first path argument). Exceptions raised by ``func`` are re-raised as they
    were. On Windows ``func`` runs in-process (no fork there)."""
    if not hasattr(os, "fork"):
        return func(*args, **kwargs)
    label = file if file is not None else next((a for a in args if isinstance(a, (os.PathLike, str))), None)
    prefix = f"{Path(label).name}: could not be read safely" if label is not None else "the file could not be read safely"

    child_stderr = ""

    def unsafe(reason: str) -> FileError:
        err = FileError(f"{prefix} — {reason}; open it in Excel, save a fresh copy and try again",
                        file=str(label) if label is not None else None)
        err.detail = child_stderr  # what the child printed (for logs, not for the user)
        return err

    sys.stdout.flush()
    sys.stderr.flush()
    # the child's stderr (a Rust panic prints a page of backtrace) goes to a file, kept on the error
    import tempfile
    stderr_file = tempfile.TemporaryFile()
    read_fd, write_fd = os.pipe()
    with warnings.catch_warnings():  # Python 3.12+ warns about fork in threaded processes
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # child: never return into the caller's stack
        os.close(read_fd)
        code = 0
        try:
            os.dup2(stderr_file.fileno(), 2)
            import faulthandler  # it writes to its own copy of stderr: keep a crash quiet
            faulthandler.disable()
            _limit_memory(memory_mb)
            try:
                payload = pickle.dumps(("ok", func(*args, **kwargs)), protocol=pickle.HIGHEST_PROTOCOL)
            except MemoryError:
                payload = pickle.dumps(("memory", None))
            except BaseException as exc:  # noqa: BLE001 - everything goes back to the parent
                try:
                    payload = pickle.dumps(("raise", exc), protocol=pickle.HIGHEST_PROTOCOL)
                    pickle.loads(payload)
                except Exception:
                    payload = pickle.dumps(("text", "".join(traceback.format_exception(exc))))
            with os.fdopen(write_fd, "wb") as out:
                out.write(payload)
        except BaseException:  # noqa: BLE001
            code = 70
        finally:
            os._exit(code)
    os.close(write_fd)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                pid = 0
                raise unsafe(f"reading it took longer than {timeout:g} seconds")
            ready, _, _ = select.select([read_fd], [], [], min(left, 1.0))
            if ready:
                data = os.read(read_fd, CHUNK)
                if not data:
                    break
                chunks.append(data)
        _, status = os.waitpid(pid, 0)
        pid = 0
    finally:
        os.close(read_fd)
        if pid:  # interrupted (Ctrl-C): do not leave the child running
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        stderr_file.seek(0)
        child_stderr = stderr_file.read(4000).decode("utf-8", "replace")
        stderr_file.close()
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        raise unsafe(f"the reader crashed ({name}), out of memory (limit {memory_mb:,} MB) or on damaged data")
    if not chunks:
        raise unsafe(f"the reader stopped without a result (exit status {os.WEXITSTATUS(status)})")
    outcome, value = pickle.loads(b"".join(chunks))
    if outcome == "ok":
        return value
    if outcome == "memory":
        raise unsafe(f"reading it needed more than {memory_mb:,} MB of memory")
    if outcome == "raise":
        raise value
    raise RuntimeError(f"the isolated reader failed:\n{value}")


def _limit_memory(memory_mb: int) -> None:
    """Cap the child's address space at what it already maps plus ``memory_mb``: a forked
    child starts with the parent's mappings (libraries, thread arenas)."""
    import resource
    current = 0
    try:
        with open("/proc/self/statm") as f:
            current = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # macOS: no /proc; RLIMIT_AS is not enforced there anyway
        pass
    limit = current + memory_mb * MB
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ValueError, OSError):
        pass


# ---------------------------------------------------------------------------------------------
# atomic_write
# ---------------------------------------------------------------------------------------------

def atomic_write(path: Path, write: Callable[[Path], None], validate: Callable[[Path], None] | None = None,
                 backup: bool = True, *, inputs: tuple[Path, ...] | list[Path] = ()) -> Path:
    """Write ``path`` so that it is either the complete new file or left as it was.

    ``write(tmp)`` writes a temp file in the same folder; ``validate(tmp)`` checks it (default
    for .xlsx/.xlsm: it opens as a zip and with openpyxl); the previous file is kept as
    ``<stem>.bak<suffix>``; then the temp file replaces ``path``. ``inputs`` are the files the
    output was made from: writing over one of them is refused."""
    path = Path(path)
    name = path.name
    folder = path.parent
    if not folder.is_dir():
        raise FileError(f"{name}: the folder {folder} does not exist — create it or choose another output folder",
                        file=str(path))
    if path.is_dir():
        raise FileError(f"{name}: is a folder — give a file name for the output", file=str(path))
    for source in inputs:
        if _same_file(path, Path(source)):
            raise FileError(f"{name} is one of the input files — choose a different output name"
                            f" so the input is not overwritten", file=str(path))
    if (folder / f"~${name}").exists():
        raise FileError(f"{name} is open in Excel — close it and run again", file=str(path))
    if (folder / f".~lock.{name}#").exists():
        raise FileError(f"{name} is open in LibreOffice — close it and run again", file=str(path))

    tmp = _create_temp(folder, path)
    try:
        try:
            write(tmp)
        except OrderDeskError:
            raise
        except OSError as exc:
            raise FileError(f"{name}: could not be written ({exc.strerror or exc}) — the previous"
                            f" file was left unchanged", file=str(path)) from exc
        check = validate if validate is not None else _default_validator(path)
        if check is not None:
            try:
                check(tmp)
            except OrderDeskError:
                raise
            except Exception as exc:
                raise FileError(f"{name}: the new file failed its check ({type(exc).__name__}: {exc})"
                                f" — the previous file was left unchanged", file=str(path)) from exc
        if backup and path.is_file():
            bak = path.with_name(f"{path.stem}.bak{path.suffix}")
            bak_tmp = _create_temp(folder, bak)
            try:
                shutil.copy2(path, bak_tmp)  # a copy, so `path` exists at every instant
                os.replace(bak_tmp, bak)
            finally:
                if bak_tmp.exists():
                    bak_tmp.unlink()
        if path.exists():
            shutil.copymode(path, tmp)
        _replace(tmp, path)
    finally:
        if tmp.exists():
            try:
                tmp.unlink()
            except OSError:
                pass
    return path


def load_openpyxl(path: str | os.PathLike, **options: Any) -> Any:
    """``openpyxl.load_workbook(path, **options)``, with the VBA parts it keeps held safely.

    With ``keep_vba=True`` openpyxl copies the VBA parts into a zip archive in memory, written
    and never closed; when the workbook is dropped, the garbage collector may close the memory
    file first, and the archive's finaliser then fails ("I/O operation on closed file", CI run
    10) in whatever code runs at that moment. Here that archive is finished at once and reopened
    for reading, which is all openpyxl does with it afterwards (on save)."""
    import openpyxl
    wb = openpyxl.load_workbook(path, **options)
    archive = getattr(wb, "vba_archive", None)
    if archive is not None and archive.mode != "r":
        memory = archive.fp
        archive.close()  # writes its directory; the memory file (passed in) stays open
        wb.vba_archive = zipfile.ZipFile(memory, "r")
    return wb


def save_openpyxl(wb: Any, path: Path) -> None:
    """``wb.save(path)`` with the zip closed even when the save fails midway: openpyxl's own
    ``save_workbook`` leaves its archive open on an error, and the garbage collector then
    finalises the file before the archive ("I/O operation on closed file" at exit)."""
    from openpyxl.writer.excel import ExcelWriter
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).save()


def _create_temp(folder: Path, target: Path) -> Path:
    """An empty file named so that Excel and users leave it alone; created with the usual
    permissions (mkstemp would make it private to the user)."""
    stem = target.stem[:40]
    for _ in range(100):
        tmp = folder / f".~orderdesk-{stem}-{secrets.token_hex(4)}{target.suffix}"
        try:
            os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
            return tmp
        except FileExistsError:
            continue
        except PermissionError:
            raise FileError(f"{target.name}: cannot write in {folder} (permission denied) — choose another"
                            f" output folder", file=str(target)) from None
    raise FileError(f"{target.name}: cannot create a temporary file in {folder}", file=str(target))


def _replace(tmp: Path, path: Path) -> None:
    attempts = 5 if os.name == "nt" else 1  # antivirus scanners hold new files for a moment
    for attempt in range(attempts):
        try:
            os.replace(tmp, path)
            return
        except PermissionError:
            if attempt + 1 < attempts:
                time.sleep(0.2)
                continue
            if os.name == "nt":  # sharing violation: Excel holds the file
                raise FileError(f"{path.name} is open in Excel — close it and run again", file=str(path)) from None
            raise FileError(f"{path.name}: cannot replace the file (permission denied) — check the"
                            f" folder's permissions", file=str(path)) from None


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


def _default_validator(path: Path) -> Callable[[Path], None] | None:
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        return validate_xlsx
    return None


def validate_xlsx(tmp: Path) -> None:
    """The written file opens as a zip with intact members and loads in openpyxl."""
    with zipfile.ZipFile(tmp) as zf:
        bad = zf.testzip()
        if bad is not None:
            raise ValueError(f"part {bad} is corrupt")
    import openpyxl
    wb = openpyxl.load_workbook(tmp, read_only=True)
    try:
        if not wb.sheetnames:
            raise ValueError("the workbook has no sheets")
    finally:
        wb.close()


# ---------------------------------------------------------------------------------------------
# text safety
# ---------------------------------------------------------------------------------------------

_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def safe_sheet_name(name: str, existing: set[str]) -> str:
    """A sheet name Excel accepts, unique (case-insensitively) among ``existing``: no
    ``[]:*?/\\``, no leading/trailing apostrophe or space, at most 31 characters, ' (2)',
    ' (3)'... on a clash. Pure: the caller adds the result to ``existing``."""
    base = _SHEET_FORBIDDEN.sub("", str(name)).strip(" '")
    base = _truncate_utf16(base, 31).strip(" '") or "Sheet"
    taken = {e.casefold() for e in existing} | {"history"}  # Excel reserves 'History'
    if base.casefold() not in taken:
        return base
    for n in range(2, 10_000):
        suffix = f" ({n})"
        candidate = _truncate_utf16(base, 31 - len(suffix)).rstrip(" '") + suffix
        if candidate.casefold() not in taken:
            return candidate
    raise ValueError("too many sheets with the same name")


def clean_cell_text(s: str) -> tuple[str, bool]:
    """Text Excel can store: XML-illegal control characters removed (tab, CR, LF kept), at
    most 32,767 characters. Returns (text, truncated)."""
    s = _XML_ILLEGAL.sub("", s)
    if len(s) <= EXCEL_MAX_TEXT // 2 + 1:  # fast path: cannot exceed the limit in UTF-16 units
        return s, False
    cut = _truncate_utf16(s, EXCEL_MAX_TEXT)
    return cut, len(cut) < len(s)


_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")


def _truncate_utf16(s: str, units: int) -> str:
    """Excel counts UTF-16 code units; cut without splitting a surrogate pair."""
    head = s[:units]
    if not _ASTRAL.search(head):
        return head
    out, used = [], 0
    for ch in head:
        cost = 2 if ord(ch) > 0xFFFF else 1
        if used + cost > units:
            break
        out.append(ch)
        used += cost
    return "".join(out)
