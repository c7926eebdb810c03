"""Input inspection: the bytes of a workbook looked at before any parser does (SPEC 12)."""
from __future__ import annotations

import codecs
import hashlib
import html
import io
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from addin.errors import FileError
from addin.files.limits import CHUNK, EXCEL_MAX_COLS, EXCEL_MAX_ROWS, KIND_WORDS, MB, OOXML_EXT, TEXT_EXT, XLS_EXT
from addin.files.text import col_letters, col_number



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
    return int(digits), col_number(letters), ref, ref


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
            self._take(int(m.group(2)), col_number(m.group(1)), ref.upper())

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
                cols.add(col_number(letters.decode("ascii")))
            tail = buf[-64:]
    return sorted(rows), sorted(cols)


def _before_gap(values: list[int], min_gap: int) -> int:
    """The last value before the first jump wider than both ``min_gap`` and the data so far."""
    for prev, nxt in zip(values, values[1:]):
        if nxt - prev > max(min_gap, prev):
            return prev
    return values[-1] if values else 0


