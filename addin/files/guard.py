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
    # an .xls sheet spanning more cells than this is looked at for stray cells far from its data
    # (a parser makes the whole rectangle: one cell at IV65536 costs a gigabyte)
    xls_sparse_cells: int = 1_000_000
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
    whole file: 'utf-8-sig', 'utf-8' or one of ``TEXT_ENCODINGS``); ``sheets`` for xlsx/xlsm."""
    kind: Literal["xlsx", "xls", "csv"]
    path: Path
    size: int
    encoding: str | None = None
    sheets: tuple[SheetExtent, ...] = field(default=())
    # large parts not listed as sheets and not scanned (deep=False): a parser may still read them
    unscanned: tuple[str, ...] = field(default=())

    @property
    def verified(self) -> bool:
        """Every part a parser could read as a sheet was scanned cell by cell: safe to parse
        in this process. Otherwise parse only in ``run_isolated``."""
        return not self.unscanned and all(s.verified for s in self.sheets)

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
        sheets, unscanned = _check_ooxml(path, fail, limits, deep)
        info = InputInfo("xlsx", path, size, sheets=sheets, unscanned=unscanned)
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


# --- option files (mapping, configuration) -------------------------------------------------------

OPTION_FILE_MAX = 1 * MB      # a mapping or orderdesk.toml is a few KB


def check_option_file(path: str | Path, what: str = "settings file") -> None:
    """Before a TOML option file (``--map``, ``--config``) is read: it must be a regular file of
    at most ``OPTION_FILE_MAX`` bytes. A pipe would block the read forever, a device such as
    /dev/zero never end it. A missing file passes (the loader says so in its own words)."""
    import os
    import stat
    from addin.errors import ConfigError
    path = Path(path)
    try:
        st = os.stat(path)          # never opens it: a FIFO does not block here
    except FileNotFoundError:
        return
    except OSError as exc:
        raise ConfigError(f"{path.name}: the {what} cannot be read ({exc.strerror or exc})"
                          f" — check the path and its permissions") from None
    if stat.S_ISDIR(st.st_mode):
        raise ConfigError(f"{path.name}: is a folder, not a {what} — give the path of the .toml file")
    if not stat.S_ISREG(st.st_mode):
        raise ConfigError(f"{path.name}: is not a regular file (a pipe or a device) — give the path"
                          f" of the {what} (.toml)")
    if st.st_size > OPTION_FILE_MAX:
        raise ConfigError(f"{path.name}: is {_size(st.st_size)}, far more than a {what} (at most"
                          f" {_size(OPTION_FILE_MAX)}) — check that the path names the right file")


# --- the paths a command is given (SPEC 6 and 12) ------------------------------------------------

def check_input_path(path: str | Path, what: str = "input file") -> None:
    """Before an input is used: it exists, is a regular file and can be read; else one
    ``FileError`` naming it and what to do (exit status 1, SPEC 6). Never opens it (a pipe
    would block)."""
    import os
    import stat
    path = Path(path)
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise FileError(f"{path}: no such file — check the name and the folder of the {what}",
                        file=str(path)) from None
    except OSError as exc:
        raise FileError(f"{path}: the {what} cannot be read ({exc.strerror or exc}) — check the path and its"
                        f" permissions", file=str(path)) from None
    if stat.S_ISDIR(st.st_mode):
        raise FileError(f"{path}: is a folder, not a file — give the path of the {what}", file=str(path))
    if not stat.S_ISREG(st.st_mode):
        raise FileError(f"{path}: is not a regular file (a pipe or a device) — give the path of the {what}",
                        file=str(path))
    if not os.access(path, os.R_OK):
        raise FileError(f"{path}: the {what} cannot be read (permission denied) — check its permissions",
                        file=str(path))


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name one file: through symbolic and hard links, ``..``, and the
    case-insensitive names of Windows and macOS (the system answers for existing files)."""
    import os
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        pass
    try:
        return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))
    except (OSError, ValueError):
        return False


def output_over_input(out: Path) -> FileError:
    """The one message for an output that names an input (SPEC 12), raised up front by
    ``refuse_output_over_inputs`` and again by the atomic writer."""
    return FileError(f"{out.name} is one of the input files — choose a different output name"
                     f" so the input is not overwritten", file=str(out))


def refuse_output_over_inputs(outputs: list[tuple[str, Path]], inputs: list[tuple[str, Path]]) -> None:
    """SPEC 12: no output may name an input of the command (or another output), through links or
    another spelling included. ``outputs`` and ``inputs`` are (what, path) pairs, e.g.
    ``("--out", Path("cal.xlsx"))``, ``("--calendar", Path("cal.xlsx"))``. Called before anything
    is read; raises one ``FileError`` naming both."""
    for i, (out_name, out) in enumerate(outputs):
        for in_name, source in inputs:
            if same_file(out, source):
                raise output_over_input(Path(out))
        for other_name, other in outputs[i + 1:]:
            if same_file(out, other):
                raise FileError(f"{out_name} {out} and {other_name} {other} name the same file — give each"
                                f" output its own name", file=str(out))


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
    if _decodes(path, "utf-8-sig"):
        return "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    if head.startswith(codecs.BOM_UTF8):
        raise fail("starts as UTF-8 text but is not valid UTF-8 further on (damaged, or two files"
                   " joined?) — save it again as 'CSV UTF-8'")
    for encoding in _guess_encodings(path):
        if _decodes(path, encoding):
            return encoding
    line = _mostly_utf8(path)
    if line:
        raise fail(f"line {line:,} is not UTF-8 text although the lines before it are (damaged, or text"
                   f" pasted in another encoding) — fix that line, or save the file again as 'CSV UTF-8'")
    raise fail("the text encoding cannot be told (neither UTF-8 nor a recognisable Chinese or"
               " Western encoding) — save it as 'CSV UTF-8' and try again")


# Text that is not UTF-8 is one of these (a detector picks; ties go to the earlier one): the
# encodings of the Windows PCs that write OrderDesk's inputs — mainland Chinese, Western European,
# Traditional Chinese. Others are refused rather than read as the wrong letters.
TEXT_ENCODINGS = {"gb18030": "GB18030 (Chinese)", "cp1252": "Windows-1252 (Western European)",
                  "big5": "Big5 (Traditional Chinese)"}


def encoding_name(encoding: str | None) -> str:
    """How a report names a codec from ``InputInfo.encoding``."""
    return {"utf-8": "UTF-8", "utf-8-sig": "UTF-8"}.get(encoding or "", TEXT_ENCODINGS.get(encoding or "", encoding or ""))


_NON_ASCII_LINE = re.compile(rb"[^\n]*[\x80-\xff][^\n]*")


def _guess_encodings(path: Path) -> list[str]:
    """The candidate codecs for non-UTF-8 text, best first (charset-normalizer on the lines that
    hold non-ASCII bytes: the rest says nothing about the encoding). Empty when none fits."""
    from charset_normalizer import from_bytes
    sample = bytearray()
    with open(path, "rb") as f:
        tail = b""
        for block in iter(lambda: f.read(CHUNK), b""):
            block = tail + block
            cut = block.rfind(b"\n") + 1
            block, tail = (block[:cut], block[cut:]) if cut else (b"", block[-4 * CHUNK:])
            for m in _NON_ASCII_LINE.finditer(block):
                sample += m.group(0) + b"\n"
            if len(sample) >= 256 * 1024:
                break
        sample += b"".join(m.group(0) for m in _NON_ASCII_LINE.finditer(tail))
    matches = from_bytes(bytes(sample[:512 * 1024]), cp_isolation=list(TEXT_ENCODINGS))
    if not matches:
        return []
    order = list(TEXT_ENCODINGS)
    best = min(m.chaos for m in matches)
    near = sorted((m for m in matches if m.chaos <= best + 0.03), key=lambda m: order.index(_codec(m.encoding)))
    rest = sorted((m for m in matches if m.chaos > best + 0.03), key=lambda m: m.chaos)
    return list(dict.fromkeys(_codec(m.encoding) for m in near + rest))


_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _mostly_utf8(path: Path) -> int:
    """The line of the first byte that is not UTF-8, when the text before it holds UTF-8
    letters beyond ASCII (so the file is UTF-8 with damage); else 0."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    seen = lines = 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                before = block[:exc.start]
                good = seen + len(_UTF8_MULTIBYTE.findall(before))
                return lines + before.count(b"\n") + 1 if good else 0
            seen += len(_UTF8_MULTIBYTE.findall(block))
            lines += block.count(b"\n")
    return 0


def _codec(name: str) -> str:
    name = name.replace("_", "").replace("-", "").lower()
    return {"gb18030": "gb18030", "cp1252": "cp1252", "big5": "big5"}.get(name, name)


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
        _check_biff(ole.openstream(book).read(), fail, limits)
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


_BIFF_CELLS = {0x0203, 0x027E, 0x00FD, 0x0204, 0x0205, 0x0006, 0x00D6}   # NUMBER RK LABELSST LABEL BOOLERR FORMULA RSTRING
_BIFF_MULRK = 0x00BD
_BIFF_BOF, _BIFF_EOF, _BIFF_BOUNDSHEET, _BIFF_DIMENSIONS = 0x0809, 0x000A, 0x0085, 0x0200


def _check_biff(data: bytes, fail, limits: Limits) -> None:
    """Walk the records of an .xls stream as a parser will: every sheet its directory lists must
    start inside the stream and end (EOF record) before it stops — otherwise the file is damaged
    or cut short and a parser would read part of it, or crash; and no sheet may hold a stray cell
    far from its data (a parser makes the whole rectangle)."""
    import struct
    damaged = ("the workbook is damaged or cut short (its sheets end outside the file) — ask the"
               " sender for the file again, or open it in Excel and save it as .xlsx")
    n = len(data)

    def records(pos: int):
        """(type, body start, body length) up to and including the EOF record; ValueError when
        the stream stops before it."""
        while True:
            if pos + 4 > n:
                raise ValueError
            rtype, length = struct.unpack_from("<HH", data, pos)
            body = pos + 4
            if body + length > n:
                raise ValueError
            yield rtype, body, length
            if rtype == _BIFF_EOF:
                return
            pos = body + length

    sheets: list[tuple[str, int]] = []
    try:
        if n < 4 or struct.unpack_from("<H", data, 0)[0] != _BIFF_BOF:
            raise ValueError
        for rtype, body, length in records(0):
            if rtype == _BIFF_BOUNDSHEET and length >= 8:
                offset = struct.unpack_from("<I", data, body)[0]
                cch, flags = data[body + 6], data[body + 7]
                raw = data[body + 8:body + 8 + cch * (2 if flags & 1 else 1)]
                name = raw.decode("utf-16-le" if flags & 1 else "latin-1", "replace")
                sheets.append((name, offset))
        for name, offset in sheets:
            if offset + 4 > n or struct.unpack_from("<H", data, offset)[0] != _BIFF_BOF:
                raise ValueError
            rows: set[int] = set()
            cols: set[int] = set()
            far = [(0, 0), (0, 0)]           # the cell with the largest row, the one with the largest column
            for rtype, body, length in records(offset):
                if rtype == _BIFF_DIMENSIONS and length >= 12:      # BIFF8: rows u32 x2, columns u16 x2
                    first_row, last_row, first_col, last_col = struct.unpack_from("<IIHH", data, body)
                    if not (first_row <= last_row <= 65536 and first_col <= last_col <= 256):
                        # a parser sizes the sheet from it: hundreds of GB, and the process aborts
                        raise fail(f"the workbook is damaged (sheet '{name}' declares a size no sheet can"
                                   f" have) — ask the sender for the file again, or open it in Excel and"
                                   f" save it as .xlsx")
                    continue
                if rtype in _BIFF_CELLS and length >= 4:
                    row, col = struct.unpack_from("<HH", data, body)
                elif rtype == _BIFF_MULRK and length >= 6:
                    row = struct.unpack_from("<H", data, body)[0]
                    cols.add(struct.unpack_from("<H", data, body + 2)[0] + 1)
                    col = struct.unpack_from("<H", data, body + length - 2)[0]
                else:
                    continue
                rows.add(row + 1)
                cols.add(col + 1)
                if row + 1 > far[0][0]:
                    far[0] = (row + 1, col + 1)
                if col + 1 > far[1][1]:
                    far[1] = (row + 1, col + 1)
            _check_xls_extent(name, sorted(rows), sorted(cols), far, fail, limits)
    except (ValueError, struct.error, IndexError):
        raise fail(damaged) from None


def _check_xls_extent(sheet: str, rows: list[int], cols: list[int], far: list[tuple[int, int]],
                      fail, limits: Limits) -> None:
    if not rows or rows[-1] * cols[-1] <= limits.xls_sparse_cells:
        return
    data_rows, data_cols = _before_gap(rows, 1000), _before_gap(cols, 50)
    if data_rows < rows[-1] or data_cols < cols[-1]:
        row, col = far[0] if data_rows < rows[-1] else far[1]
        stray = f"{col_letters(col)}{row}"
        data = f"{col_letters(cols[0])}{rows[0]}:{col_letters(data_cols)}{data_rows}"
        raise fail(f"sheet '{sheet}' has a stray cell at {stray} far outside its data ({data})"
                   f" — delete it or copy the data to a new sheet")


# --- OOXML --------------------------------------------------------------------------------------

_DAMAGED = "the workbook is damaged or truncated (incomplete download?) — ask the sender for the file again"
# XML parsers expand entities declared in a DTD (billion laughs, XXE); Excel never writes one.
_DTD_MARKERS = [m.encode(enc) for m in ("<!DOCTYPE", "<!ENTITY") for enc in ("ascii", "utf-16-le", "utf-16-be")]


def _check_ooxml(path: Path, fail, limits: Limits,
                 deep: bool = True) -> tuple[tuple[SheetExtent, ...], tuple[str, ...]]:
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
            if i.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                method = _METHODS.get(i.compress_type, f"method {i.compress_type}")
                raise fail(f"part '{_short(i.filename, 80)}' is compressed with {method}, which Excel never"
                           f" writes — open the file in Excel and save it again, or ask the sender for"
                           f" a fresh copy saved from Excel")
        sheets = _sheet_parts(zf, fail)
        by_part = {part: sheet_name for sheet_name, part in sheets}
        extents: dict[str, tuple[int, int, str, str]] = {}
        total = 0
        unverified: set[str] = set()
        # every part is scanned, not only the sheets the workbook lists: a parser may resolve
        # names, namespaces and letter case differently; any part with a <sheetData> counts
        for i in infos:
            if not deep and i.file_size > limits.deep_scan_max:
                declared = _head_part(zf, i, fail)
                if i.filename in by_part:
                    extents[i.filename] = declared
                unverified.add(i.filename)
                continue
            scan = _SheetScan()
            total = _stream_part(zf, i, fail, limits, total, scan)
            if i.filename in by_part or scan.sheet_data:
                seen = extents.get(i.filename)       # a name twice in the zip: both count
                if seen is not None:
                    scan._take(seen[0], 0, seen[2])
                    scan._take(0, seen[1], seen[3])
                extents[i.filename] = scan.result()
        result = []
        for sheet_name, part in sheets:
            if part not in names:
                raise fail(f"sheet '{sheet_name}' is missing from the file — {_DAMAGED.split(' — ')[1]}")
            max_row, max_col, row_ref, col_ref = extents.pop(part)
            if part in unverified and (max_row > EXCEL_MAX_ROWS or max_col > EXCEL_MAX_COLS
                                       or max_row * max_col > limits.max_cells):
                # the sheet says it is out of bounds: scan it to say exactly where
                max_row, max_col, row_ref, col_ref = _scan_whole(zf, part, fail, limits)
                unverified.discard(part)
            _check_extent(zf, part, f"sheet '{sheet_name}'", max_row, max_col, row_ref, col_ref, fail, limits)
            result.append(SheetExtent(sheet_name, part, max_row, max_col, part not in unverified))
        for part, (max_row, max_col, row_ref, col_ref) in extents.items():   # not listed, still parseable
            _check_extent(zf, part, f"the sheet in part '{_short(part, 80)}'", max_row, max_col, row_ref, col_ref,
                          fail, limits)
        return tuple(result), tuple(sorted(p for p in unverified if p not in by_part))


_METHODS = {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "LZMA", 9: "Deflate64", 93: "Zstandard", 95: "XZ"}


def _scan_whole(zf: zipfile.ZipFile, part: str, fail, limits: Limits) -> tuple[int, int, str, str]:
    scan = _SheetScan()
    _stream_part(zf, zf.getinfo(part), fail, limits, 0, scan)
    return scan.result()


def _size(n: int) -> str:
    return f"{n / MB:,.0f} MB" if n >= MB else f"{max(n, 1) / 1024:,.0f} KB"


def _stream_part(zf: zipfile.ZipFile, info: zipfile.ZipInfo, fail, limits: Limits, total: int,
                 scan: "_SheetScan | None") -> int:
    """Decompress one member in chunks: count the real size, look for DTDs, scan cells. A part
    in UTF-16 is looked at as the parser decodes it (transcoded); one in UTF-32 is refused."""
    tail = b""
    decoder = None
    try:
        with zf.open(info) as member:
            first = True
            while True:
                block = member.read(CHUNK)
                if not block:
                    break
                total += len(block)
                if total > limits.max_uncompressed:
                    raise fail(f"expands to more than {_size(limits.max_uncompressed)} when opened"
                               f" — ask the sender for a smaller file")
                if first:
                    first = False
                    encoding = _xml_encoding(block)
                    if encoding == "utf-32":
                        raise fail(f"part '{_short(info.filename, 80)}' is UTF-32 text, which Excel never writes"
                                   f" — ask the sender for a fresh copy saved from Excel")
                    if encoding is not None:
                        decoder = codecs.getincrementaldecoder(encoding)("replace")
                if decoder is not None:
                    block = decoder.decode(block).encode("utf-8")
                buf = tail + block
                if b"!" in buf and any(marker in buf for marker in _DTD_MARKERS):
                    raise _dtd_error(info.filename, fail)
                if scan is not None:
                    scan.feed(block)
                tail = buf[-64:]
        if scan is not None:
            scan.close()
            if scan.tag_too_long:
                raise fail(f"part '{_short(info.filename, 80)}' holds an XML tag longer than"
                           f" {_size(scan.MAX_TAG)} — {_DAMAGED.split(' — ')[1]}")
    except FileError:
        raise
    except Exception as exc:
        raise _member_error(exc, fail) from None
    return total


def _xml_encoding(head: bytes) -> str | None:
    """'utf-32' or the UTF-16 codec of a part that starts like one (BOM or a NUL-wide '<');
    None for UTF-8 and binary parts."""
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff", b"<\x00\x00\x00", b"\x00\x00\x00<")):
        return "utf-32"
    if head.startswith((b"\xff\xfe", b"<\x00")):
        return "utf-16-le" if head.startswith(b"<") else "utf-16"
    if head.startswith((b"\xfe\xff", b"\x00<")):
        return "utf-16-be" if head.startswith(b"\x00") else "utf-16"
    return None


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

    def local(tag: str) -> str:
        return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]

    # as a lenient parser reads them: any namespace (transitional, strict or none), any prefix,
    # member names in any letter case
    members = {n.casefold(): n for n in zf.NameToInfo}
    book = small_xml("xl/workbook.xml")
    targets: dict[str, str] = {}
    rels = members.get("xl/_rels/workbook.xml.rels")
    if rels is not None:
        for rel in small_xml(rels).iter():
            if local(rel.tag) != "Relationship":
                continue
            attrs = {local(k): v for k, v in rel.attrib.items()}
            target = attrs.get("Target", "").replace("\\", "/")
            target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            targets.setdefault(attrs.get("Id", ""), target)
    sheets = []
    for sheet in book.iter():
        if local(sheet.tag) != "sheet":
            continue
        ids = [v for k, v in sheet.attrib.items() if local(k) == "id"]
        name = next((v for k, v in sheet.attrib.items() if local(k) == "name"), "?")
        for rid in ids:
            part = members.get(targets.get(rid, "\0").casefold())
            if part is not None:
                sheets.append((name, part))
                break
    return sheets


class _SheetScan:
    """Real max row and column of the cells of one XML part, fed in blocks, placed as the parser
    (calamine) places them: a ``<c>`` with an ``r`` attribute at that reference; one without it
    after the previous cell of its row, in the row its ``<row r="..">`` (or the row count) says.

    Vectorised with numpy for the common form (every ``<row`` and ``<c`` starting ``r="``): a
    regex over every cell costs as much as reading the sheet with calamine. A segment holding any
    other form (cells without ``r``, prefixed tags, quotes, spaces, character references, lower
    case) is tokenised exactly instead. Blocks are cut at the last ``<`` so that no tag is split."""

    WIDTH = 12  # ' r="' is followed by at most 3 letters + 7 digits + quote; 12 catches overlong ones
    MAX_TAG = 16 * MB
    _REF = re.compile(r"\s*([A-Za-z]+)([0-9]+)\s*")
    _TAG = re.compile(rb"<(/?)(?:[^\s<>/:=\"']+:)?(row|c)(?=[\s/>])")
    _TAG_END = re.compile(rb"(?:[^>\"']|\"[^\"]*\"|'[^']*')*>")
    _ATTR_R = re.compile(rb"(?:^|\s)(?:[^\s<>/:=\"']+:)?r\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s/>]+)")

    def __init__(self, collect: bool = False) -> None:
        # collect: every row and column that holds a cell, for the message about a stray cell
        self.rows: set[int] | None = set() if collect else None
        self.cols: set[int] = set()
        self.max_row = self.max_col = 0
        self.row_ref = self.col_ref = ""
        self.row = -1            # 0-based row of the current (or last) <row>
        self.col = -1            # 0-based column of the last cell in it
        self.in_row = False
        self.rest = b""
        self.sheet_data = False  # the part holds a <sheetData>: a parser may read it as a sheet
        self.tag_too_long = False

    def _take(self, row: int, col: int, ref: str) -> None:
        if self.rows is not None:
            self.rows.add(row)
            self.cols.add(col)
        if row > self.max_row:
            self.max_row, self.row_ref = row, ref
        if col > self.max_col:
            self.max_col, self.col_ref = col, ref

    def result(self) -> tuple[int, int, str, str]:
        return self.max_row, self.max_col, self.row_ref, self.col_ref

    def feed(self, block: bytes) -> None:
        data = self.rest + block if self.rest else block
        cut = data.rfind(b"<")
        if cut < 0 or data.find(b">", cut) >= 0:
            cut = len(data)
        self.rest = data[cut:]
        if len(self.rest) > self.MAX_TAG:    # a tag longer than 16 MB: no real workbook has one
            self.tag_too_long = True
            self.rest = b""
        if cut:
            self._segment(data[:cut] if cut < len(data) else data)

    def close(self) -> None:
        if self.rest:
            self._segment(self.rest)
            self.rest = b""

    def _segment(self, seg: bytes) -> None:
        if not self.sheet_data and b"sheetData" in seg:
            self.sheet_data = True
        if b"<" not in seg:
            return
        if (self.rows is None and len(seg) >= 65536 and self._standard(seg) and self._fast(seg)
                and self._sync(seg)):
            return
        self._exact(seg)

    _DELIM = np.zeros(256, bool)
    _DELIM[[32, 9, 10, 13, 47, 62]] = True      # what may follow a tag name: space, '/', '>'

    def _standard(self, seg: bytes) -> bool:
        """Every ``<c`` and ``<row`` tag of the segment is unprefixed and starts ``r="``."""
        a = np.frombuffer(seg + b"\0" * 8, np.uint8)
        n = len(seg)
        delim = self._DELIM
        lt = np.flatnonzero(a[:n] == 60)                             # '<'
        c = lt[a[lt + 1] == 99]                                      # <c
        c = c[delim[a[c + 2]]]
        row = lt[a[lt + 1] == 114]                                   # <row
        row = row[(a[row + 2] == 111) & (a[row + 3] == 119)]
        row = row[delim[a[row + 4]]]
        for at in (c + 2, row + 4):
            if len(at) and not ((a[at] == 32) & (a[at + 1] == 114) & (a[at + 2] == 61) & (a[at + 3] == 34)).all():
                return False
        colon = np.flatnonzero(a[:n] == 58)                          # ':c' or ':row' tags
        if ((a[colon + 1] == 99) & delim[a[colon + 2]]).any():
            return False
        return not ((a[colon + 1] == 114) & (a[colon + 2] == 111) & (a[colon + 3] == 119)
                    & delim[a[colon + 4]]).any()

    def _sync(self, seg: bytes) -> bool:
        """After a fast segment: the row and column a following cell without ``r`` would go after."""
        i = seg.rfind(b'<row r="')
        j = seg.rfind(b'<c r="')
        if i >= 0:
            m = re.match(rb'<row r="([0-9]{1,9})"', seg[i:i + 24])
            if not m:
                return False
            self.row, self.col, self.in_row = int(m.group(1)) - 1, -1, True
        if j > i:
            m = self._REF.match(seg[j + 6:j + 24].split(b'"', 1)[0].decode("ascii", "replace"))
            if not m:
                return False
            self.col = col_number(m.group(1)) - 1
        k = seg.rfind(b"</row")
        if k > max(i, j):
            self.in_row = False
        elif i >= 0:
            self.in_row = True
        return True

    def _fast(self, buf: bytes) -> bool:
        """Every ``r="<letters><digits>"`` of the segment, in bulk; False when a form needs the
        exact tokeniser."""
        a = np.frombuffer(buf + b"\0" * (self.WIDTH + 4), np.uint8)
        n = len(buf)
        eq = np.flatnonzero(a[2:n] == 61) + 2                      # every '='
        around = np.concatenate((a[eq - 1], a[eq + 1]))
        if ((around == 32) | (around == 9) | (around == 10) | (around == 13)).any():
            return False                                            # `r = "A1"`: legal, rare
        eq = eq[a[eq - 1] == 114]                                   # r=
        before = a[eq - 2]
        eq = eq[(before == 32) | (before == 9) | (before == 10) | (before == 13)]
        quote = a[eq + 1]
        eq = eq[(quote == 34) | (quote == 39)]
        if not len(eq):
            return True
        w = sliding_window_view(a, self.WIDTH)[eq + 2]           # the bytes after each r="
        upper = w & 0xDF
        is_letter = (upper >= 65) & (upper <= 90)
        is_digit = (w >= 48) & (w <= 57)
        is_quote = (w == 34) | (w == 39)
        if not (is_letter[:, 0] | is_digit[:, 0]).all():
            return False                                            # `r="&#88;FD1"` and such
        # leading letters, counted without cumprod (which is slow on bool arrays)
        run = is_letter[:, 0].copy()
        letters = run.astype(np.uint8)
        for k in range(1, 4):
            run &= is_letter[:, k]
            letters += run
        if run.any():                                                # 4+ letters: beyond XFD
            return False
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
                return False                                         # unusual: do it exactly
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
        return True

    def _take_ref(self, ref: str) -> tuple[int, int] | None:
        m = self._REF.fullmatch(ref)
        if not m:
            return None
        row, col = int(m.group(2)), col_number(m.group(1))
        self._take(row, col, f"{m.group(1).upper()}{m.group(2)}")
        return row, col

    @staticmethod
    def _value(raw: bytes) -> str:
        text = raw.strip(b"\"'").decode("utf-8", "replace")
        return html.unescape(text) if "&" in text else text

    def _exact(self, seg: bytes) -> None:
        """Tag by tag: where the parser puts every cell, with or without ``r``."""
        for m in self._TAG.finditer(seg):
            closing, name = m.group(1), m.group(2)
            end = self._TAG_END.match(seg, m.end())
            attrs = seg[m.end():end.end() - 1] if end else seg[m.end():]
            if closing:
                if name == b"row":
                    self.in_row = False
                continue
            r = self._ATTR_R.search(attrs)
            self_closing = attrs.rstrip().endswith(b"/")
            if name == b"row":
                value = self._value(r.group(1)).strip() if r else ""
                self.row = int(value) - 1 if re.fullmatch(r"[0-9]{1,11}", value) else self.row + 1
                self.col, self.in_row = -1, not self_closing
                continue
            placed = self._take_ref(self._value(r.group(1))) if r else None
            if placed is not None:
                self.col = placed[1] - 1
                continue
            row = self.row if self.in_row else self.row + 1
            self.col += 1
            self._take(row + 1, self.col + 1, f"{col_letters(self.col + 1)}{row + 1}")


def _check_extent(zf: zipfile.ZipFile, part: str, sheet: str, max_row: int, max_col: int,
                  row_ref: str, col_ref: str, fail, limits: Limits) -> None:
    """``sheet`` is how the message names it: "sheet 'Orders'"."""
    if max_row > EXCEL_MAX_ROWS or max_col > EXCEL_MAX_COLS:
        ref = row_ref if max_row > EXCEL_MAX_ROWS else col_ref
        raise fail(f"{sheet} has a cell at {_short(ref)}, beyond the last cell Excel allows"
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
        raise fail(f"{sheet} has a stray cell at {stray} far outside its data ({data})"
                   f" — delete it or copy the data to a new sheet")
    raise fail(f"{sheet} has data up to {col_letters(max_col)}{max_row}"
               f" ({max_row:,} rows × {max_col:,} columns), more than OrderDesk reads"
               f" ({limits.max_cells:,} cells) — split it or delete unused rows and columns")


def _short(ref: str, limit: int = 20) -> str:
    return ref if len(ref) <= limit else ref[:limit] + "…"


def _distinct_rows_cols(zf: zipfile.ZipFile, part: str) -> tuple[list[int], list[int]]:
    """Second pass, only for a sheet about to be refused: which rows and columns hold cells."""
    scan = _SheetScan(collect=True)
    _stream_part(zf, zf.getinfo(part), lambda message: FileError(message), DEFAULT_LIMITS, 0, scan)
    assert scan.rows is not None
    return sorted(scan.rows), sorted(scan.cols)


def _before_gap(values: list[int], min_gap: int) -> int:
    """The last value before the first jump wider than both ``min_gap`` and the data so far."""
    for prev, nxt in zip(values, values[1:]):
        if nxt - prev > max(min_gap, prev):
            return prev
    return values[-1] if values else 0


