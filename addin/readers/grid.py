"""Load the raw cell grid of one sheet (xlsx/xlsm/xls via python-calamine, csv via the csv
module), after the safety checks. Cells come back as Python values with their absolute
position: row 0 of the grid is worksheet row 1, column 0 is column A."""
from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from addin.errors import FileError, InputError

CSV_ENCODINGS = ("utf-8-sig", "gb18030")


@dataclass
class Grid:
    file: Path
    sheet: str
    rows: "list[list] | ArrowRows"   # absolute: rows[r][c] is the cell at row r+1, column c+1
    sheet_names: list[str]
    # xlsx read by fastexcel: every cell as text in Arrow columns (absolute rows; column j of
    # the batch is worksheet column j + col_offset), a record batch or (a sheet parsed in parts)
    # a table of one batch per part; ``rows`` is then a lazy typed view of it
    batch: Any = None
    col_offset: int = 0
    encoding: str | None = None      # CSV: the codec the text was read with
    notes: list[str] = field(default_factory=list)   # for the reader's result (e.g. the encoding)
    mapping: Any = None              # the mmap a large sheet's batch lives in (``release_pages``)

    def release_pages(self) -> None:
        """Drop the memory-mapped batch's pages from this process's memory: a column once
        encoded is looked at again only at a few rows, whose pages come back from the file
        when touched (the file is on disk; its mapping keeps it until the batch is freed)."""
        import mmap
        if self.mapping is not None and hasattr(mmap, "MADV_DONTNEED"):
            try:
                self.mapping.madvise(mmap.MADV_DONTNEED)
            except (OSError, ValueError):
                pass

    def text_column(self, col: int, start: int, n: int):
        """Cells ``start .. start+n-1`` (0-based grid rows) of column ``col`` as an Arrow string
        array or chunked array (null = empty), or None when the grid has no Arrow batch."""
        if self.batch is None:
            return None
        import pyarrow as pa
        j = col - self.col_offset
        if j < 0 or j >= self.batch.num_columns:
            return pa.nulls(n, pa.string())
        # a table of parts gives a chunked array: a view of the mapped file like the batch's column
        # (a copy into one array would be memory of the process for as long as the cells are kept)
        return self.batch.column(j).slice(start, n)

    def cells_at(self, col: int, start: int, n: int, at):
        """The cells of column ``col`` at rows ``at`` (0-based from ``start``, an Arrow integer
        array) of a grid with an Arrow batch, or None when the column has no cell in
        ``start .. start+n-1``. The pages a few scattered rows bring back from the mapped file
        (the kernel maps 64 KB around each) are given back at once: at a million lines a row
        in every 5,000 touched 25 MB per column."""
        cells = self.text_column(col, start, n)
        try:
            if cells.null_count == len(cells):
                return None
            return take(cells, at)
        finally:
            self.release_pages()


def take(cells, rows):
    """``cells.take(rows)`` (an Arrow array or chunked array; ``rows`` numpy or Arrow integers)
    as one Arrow array, each row taken from its own chunk: Arrow's take on a chunked array joins
    the chunks first, a copy of the column that reads every page of it to look up ten cells."""
    import numpy as np
    import pyarrow as pa
    if not isinstance(cells, pa.ChunkedArray):
        return cells.take(rows)
    rows = rows.to_numpy(zero_copy_only=False) if isinstance(rows, pa.Array) else np.asarray(rows)
    ends = np.cumsum([len(c) for c in cells.chunks], dtype=np.int64)
    which = np.searchsorted(ends, rows, side="right")
    if len(rows) == 0 or (which == which[0]).all():
        k = int(which[0]) if len(rows) else 0
        return cells.chunk(k).take(rows - (ends[k - 1] if k else 0)) if cells.num_chunks else \
            pa.array([], cells.type)
    order = np.argsort(which, kind="stable")
    pieces = []
    for k in np.unique(which):
        mine = order[which[order] == k]
        pieces.append(cells.chunk(int(k)).take(rows[mine] - (ends[k - 1] if k else 0)))
    joined = pa.concat_arrays(pieces)           # in chunk order: put back in the rows' order
    return joined.take(np.argsort(order, kind="stable"))


# how fastexcel writes a datetime cell as text; a year 1899 date is a time-of-day cell
DATETIME_TEXT = re.compile(r"^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$")
# a number as fastexcel writes it that Python's repr/str(int) writes the same way: the text
# of such a cell reads the same whether the cell was a number or text
NUMBER_TEXT = re.compile(r"^-?(?:0|[1-9]\d{0,14})(?:\.\d{0,14}[1-9])?$")


def typed_value(v: str | None) -> Any:
    """A cell read as text by fastexcel back as python-calamine gives it: float, date,
    datetime, time or str (None when empty)."""
    if v is None:
        return None
    m = DATETIME_TEXT.match(v) if len(v) >= 19 else None
    if m:
        y, mo, d, h, mi, s = (int(x) for x in m.groups()[:6])
        us = int((m.group(7) or "0").ljust(6, "0")[:6])
        if y == 1899 and mo == 12 and d in (30, 31):
            return dt.time(h, mi, s, us)
        if not (h or mi or s or us):
            return dt.date(y, mo, d)
        return dt.datetime(y, mo, d, h, mi, s, us)
    if NUMBER_TEXT.match(v):
        f = float(v)
        if repr(f) == v or (f.is_integer() and abs(f) < 1e15 and str(int(f)) == v):
            return f
    return v


class ArrowRows(Sequence):
    """``Grid.rows`` over an Arrow batch: rows are made (typed) only when asked for, so the
    header scan of a million-line sheet touches 40 rows, not a million."""

    HEAD = 400    # rows the header scan and the empty-sheet check look at: made once, kept

    def __init__(self, batch: Any, col_offset: int) -> None:
        self.batch = batch
        self.col_offset = col_offset
        self._head: list[list] | None = None

    def head(self) -> list[list]:
        if self._head is None:
            self._head = self._rows(0, min(self.HEAD, len(self)))
        return self._head

    def __len__(self) -> int:
        return self.batch.num_rows

    def _rows(self, start: int, stop: int) -> list[list]:
        if stop <= start:
            return []
        part = self.batch.slice(start, stop - start)
        cols = [[typed_value(v) for v in c.to_pylist()] for c in part.columns]
        pad = [None] * self.col_offset
        return [pad + list(r) for r in zip(*cols)] if cols else [[] for _ in range(stop - start)]

    def __getitem__(self, key):
        if isinstance(key, slice):
            start, stop, step = key.indices(len(self))
            if stop <= self.HEAD:
                rows = [list(r) for r in self.head()[start:stop]]
            else:
                rows = self._rows(start, stop)
            return rows if step == 1 else rows[::step]
        n = len(self)
        if key < 0:
            key += n
        if not 0 <= key < n:
            raise IndexError(key)
        if key < self.HEAD:
            return list(self.head()[key])
        return self._rows(key, key + 1)[0]


def _inspect(path: Path, *, deep: bool = True):
    """Run the input guards (zip bombs, sparse coordinates, DTDs, encryption and renamed files
    are refused before any native parser sees the file) and return their ``InputInfo``. Once
    per file version: reading a workbook asks for its sheet names, then loads a sheet.

    ``deep=False`` where a forked child can parse (not Windows): a large sheet is then not
    scanned cell by cell here but parsed in ``run_isolated``, whose memory cap and crash
    handling stand in for the scan (see ``_load_isolated``)."""
    from addin.files.guard import inspect_input
    deep = deep or not _CAN_ISOLATE
    try:
        st = Path(path).stat()
        key = (str(Path(path).resolve()), st.st_size, st.st_mtime_ns, st.st_ino)
    except OSError:
        return inspect_input(path)           # raises the guard's own message
    cached = _INSPECTED.get(key)
    if cached is not None and (cached[0] or not deep):
        return cached[1]
    _INSPECTED.clear()                       # one file at a time is all a read needs
    info = inspect_input(path, deep=deep)
    _INSPECTED[key] = (deep, info)
    return info


_INSPECTED: dict[tuple, tuple] = {}
_CAN_ISOLATE = hasattr(__import__("os"), "fork")


def _verified(info) -> bool:
    return info.verified


def _fallback_kind(path: Path) -> str:
    if not path.exists():
        raise FileError(f"{path.name}: file not found", file=str(path))
    head = path.read_bytes()[:8]
    if not head:
        raise FileError(f"{path.name}: the file is empty", file=str(path))
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    return "csv"


def decode_text(data: bytes, name: str, encoding: str | None = None) -> str:
    """The text of a CSV file in ``encoding`` (as the guard found it), else UTF-8 or GB18030."""
    for enc in ([encoding] if encoding else CSV_ENCODINGS):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise FileError(f"{name}: the text is neither UTF-8 nor GB18030 — save it as 'CSV UTF-8'", file=name)


_EOF_MARK = "\u2042orderdesk-end-of-file\u2042"


def read_csv_rows(path: Path, encoding: str | None = None) -> list[list]:
    """Every row of a CSV file. Refused rather than read short: a line with more fields than a
    sheet has columns, a quote never closed (the rest of the file would be one cell), a quoted
    cell that swallowed whole lines of the file (a stray quote closed many lines later)."""
    from addin.files.limits import EXCEL_MAX_COLS
    name = path.name
    text = decode_text(path.read_bytes(), name, encoding)
    sample = text[:65536]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    # newline="" lets the csv module take LF, CRLF and CR-only line ends, and line breaks in quotes;
    # the mark after the last line is swallowed only by a quote still open at the end
    ended = text.endswith(("\n", "\r")) or not text
    reader = csv.reader(io.StringIO(text + ("" if ended else "\n") + _EOF_MARK, newline=""), delimiter=delimiter)
    rows: list[list] = []
    width = 1
    end = 0
    shown = {"\t": "tab"}.get(delimiter, delimiter)
    try:
        for row in reader:
            start, end = end + 1, reader.line_num
            if len(row) > EXCEL_MAX_COLS:
                raise InputError(f"{name}: line {start} has {len(row):,} fields, more than the"
                                 f" {EXCEL_MAX_COLS:,} columns a sheet can hold — check that the file is"
                                 f" separated by '{shown}' and that its quotes are closed", file=str(path))
            if end > start:
                _check_multiline(path, row, start, end, delimiter, width)
            width = max(width, len(row))
            rows.append(row)
    except csv.Error as exc:
        raise InputError(f"{name}: line {reader.line_num}: {exc}", file=str(path)) from None
    if rows and rows[-1] == [_EOF_MARK]:
        rows.pop()
    elif rows:
        raise InputError(f"{name}: line {start}: a quote opened on this line is never closed, so the"
                         f" rest of the file (lines {start}-{end - 1}) would be read as one cell — close or"
                         f" remove the quote and save the file again", file=str(path))
    return rows


def _check_multiline(path: Path, row: list, start: int, end: int, delimiter: str, width: int) -> None:
    """A quoted cell over several lines is legal (notes typed with Alt+Enter); one whose lines
    look like rows of the file (as many separators as the widest row so far) came from a stray
    quote that swallowed them."""
    need = max(1, width - 1)
    for j, cell in enumerate(row):
        if ("\n" in cell or "\r" in cell) and _EOF_MARK not in cell:
            lines = cell.splitlines()[1:]
            if any(line.count(delimiter) >= need for line in lines):
                from addin.files.text import col_letters
                raise InputError(f"{path.name}: line {start}: the quote that opens column {col_letters(j + 1)}"
                                 f" is not closed until line {end}, so lines {start}-{end} were read as one"
                                 f" row — close or remove the stray quote and save the file again",
                                 file=str(path))


def sheet_names(path: Path) -> list[str]:
    info = _inspect(path, deep=False)
    if info.kind == "csv":
        return [path.stem]
    if info.kind == "xlsx" and not _verified(info):
        # a large workbook not scanned in full: names from xl/workbook.xml as the guard read
        # them, so no native parser opens it in this process
        return [s.name for s in info.sheets]
    if info.kind == "xls" and _CAN_ISOLATE:
        return _xls_isolated(_xls_names, path)
    from python_calamine import CalamineWorkbook
    with native_reader(path):
        return list(CalamineWorkbook.from_path(str(path)).sheet_names)


# An .xls is parsed in a forked child (where there is fork): its guard walks the records but cannot
# foresee every way a damaged BIFF stream makes the parser abort; the child's crash is a FileError.
# An .xls is at most 100 MB (guard.Limits.max_xls_bytes); the fork costs some 20-50 ms.
XLS_MEMORY_MB = 2000
XLS_TIMEOUT = 300.0


def _xls_isolated(func, path: Path, *args):
    from addin.files.isolate import run_isolated
    return run_isolated(func, path, *args, memory_mb=XLS_MEMORY_MB, timeout=XLS_TIMEOUT, file=path)


def _xls_names(path: Path) -> list[str]:
    from python_calamine import CalamineWorkbook
    with native_reader(path, capture=False):    # in the child: its stderr is already a file
        return list(CalamineWorkbook.from_path(str(path)).sheet_names)


def _xls_rows(path: Path, sheet: str | None, sheet_index: int) -> tuple[str, list[str], list[list]]:
    from python_calamine import CalamineWorkbook
    with native_reader(path, capture=False):
        book = CalamineWorkbook.from_path(str(path))
        names = list(book.sheet_names)
        name = _pick_sheet(path, names, sheet, sheet_index)
        return name, names, book.get_sheet_by_name(name).to_python(skip_empty_area=False)


def load_grid(path: Path, sheet: str | None = None, *, sheet_index: int = 0) -> Grid:
    path = Path(path)
    info = _inspect(path, deep=False)
    kind = info.kind
    if kind == "xlsx" and not _verified(info):
        if _has_fastexcel():
            return _load_isolated(path, info, sheet, sheet_index)
        info = _inspect(path, deep=True)     # no fastexcel: the in-process reader needs the scan
    if kind == "csv":
        if sheet not in (None, path.stem):
            raise InputError(f"{path.name}: a CSV file has no sheet '{sheet}'", file=str(path))
        rows = read_csv_rows(path, info.encoding)
        notes = []
        if info.encoding not in (None, "utf-8", "utf-8-sig"):
            from addin.files.guard import encoding_name
            notes.append(f"read as {encoding_name(info.encoding)} text — if letters look wrong, save the"
                         f" file as 'CSV UTF-8' and try again")
        return Grid(path, path.stem, rows, [path.stem], encoding=info.encoding, notes=notes)
    if kind == "xlsx" and _has_fastexcel():
        return _load_fastexcel(path, sheet, sheet_index)
    if kind == "xls" and _CAN_ISOLATE:
        name, names, rows = _xls_isolated(_xls_rows, path, sheet, sheet_index)
        return Grid(path, name, rows, names)
    from python_calamine import CalamineWorkbook
    with native_reader(path):
        book = CalamineWorkbook.from_path(str(path))
        names = list(book.sheet_names)
        name = _pick_sheet(path, names, sheet, sheet_index)
        cal_sheet = book.get_sheet_by_name(name)
        rows = cal_sheet.to_python(skip_empty_area=False)
    return Grid(path, name, rows, names)


def _has_fastexcel() -> bool:
    import importlib.util
    return importlib.util.find_spec("fastexcel") is not None and importlib.util.find_spec("pyarrow") is not None


def _load_fastexcel(path: Path, sheet: str | None, sheet_index: int) -> Grid:
    """One parse of the sheet (fastexcel, calamine underneath) into Arrow text columns.
    Every cell as text: the header and title rows above the data would make a typed read
    string-typed anyway, and one parse is what a million-line sheet can afford; the reader
    parses the columns it needs vectorised (``values``)."""
    import fastexcel
    with native_reader(path):
        reader = fastexcel.read_excel(str(path))
        names = list(reader.sheet_names)
        name = _pick_sheet(path, names, sheet, sheet_index)
        # skip_rows=0 keeps leading empty rows: batch row r is worksheet row r+1
        xsheet = reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string")
        offset = min((c.absolute_index for c in xsheet.available_columns()), default=0)
        batch = xsheet.to_arrow()
        del xsheet, reader   # frees calamine's cell range before the reader works on the batch
    return Grid(path, name, ArrowRows(batch, offset), names, batch, offset)


def _load_isolated(path: Path, info, sheet: str | None, sheet_index: int) -> Grid:
    """A large xlsx not scanned by the guard: fastexcel parses it in a forked child with a memory
    cap and a time limit; the Arrow batch comes back through an Arrow IPC file that this process
    memory-maps (no copy, no pickling). If the child dies, the full guard scan says what is
    wrong with the file when it can; otherwise the child's failure is the message."""
    import os
    import tempfile
    import pyarrow as pa
    from addin.files.limits import MB
    from addin.files.isolate import run_isolated
    names = [s.name for s in info.sheets]
    name = _pick_sheet(path, names, sheet, sheet_index)
    member = next((s.part for s in info.sheets if s.name == name), None)
    declared = 0
    try:
        import zipfile
        with zipfile.ZipFile(path) as zf:
            declared = sum(i.file_size for i in zf.infolist())
    except (OSError, zipfile.BadZipFile):
        pass
    # calamine holds every cell (~1.5x the XML) while Arrow is built: room for both, within RAM
    memory_mb = int(min(max(3000, 3 * declared / MB), _ram_mb() * 0.8))
    if not _parts_allowed():
        member = None
    from addin.files.atomic import lock_fd, sweep_leftovers
    sweep_leftovers()                        # Arrow files of killed runs
    try:
        fd, ipc = tempfile.mkstemp(prefix=".orderdesk-", suffix=".arrow", dir=None)
    except OSError as exc:
        raise FileError(f"{path.name}: could not be read — no file can be made in the temporary folder"
                        f" {tempfile.gettempdir()} ({exc.strerror or exc}); point TMPDIR at a folder"
                        f" you can write to", file=str(path)) from None
    lock_fd(fd)                              # held while in use: a sweep leaves it alone
    try:
        try:
            offset = run_isolated(_fastexcel_to_ipc, path, name, ipc, member, memory_mb=memory_mb,
                                  timeout=ISOLATED_TIMEOUT, file=path)
        except FileError:
            from addin.files.guard import inspect_input
            inspect_input(path)              # the exact reason, when the scan can name it
            raise
        mapping = _map_file(ipc)
        reader = pa.ipc.open_file(pa.py_buffer(mapping) if mapping is not None else pa.memory_map(ipc, "r"))
        # a sheet parsed in parts comes as one batch per part: a table of them (no copy)
        batch = reader.get_batch(0) if reader.num_record_batches == 1 else reader.read_all()
        del reader
    finally:
        import glob
        for made in [ipc] + glob.glob(_part_name(glob.escape(ipc), "*")):   # and a killed child's parts
            try:
                os.unlink(made)              # the mapping stays valid until the batch is freed
            except OSError:
                pass
        os.close(fd)
    return Grid(path, name, ArrowRows(batch, offset), names, batch, offset, mapping=mapping)


def _map_file(name: str):
    """The file mapped read-only (Python's mmap: it can give pages back, ``Grid.release_pages``),
    or None where that is not available."""
    import mmap
    try:
        with open(name, "rb") as fh:
            return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError, AttributeError):
        return None


ISOLATED_TIMEOUT = 900.0


def _fastexcel_to_ipc(path: Path, name: str, ipc: str, member: str | None = None):
    """In the child: parse one sheet as text columns, write the batch as an Arrow IPC file.
    A sheet whose XML is larger than two parts is parsed part by part on several threads
    (``_parts_to_ipc``: 1.5x faster on 2 cores at 1M lines, and calamine holds the cells of the
    parts being parsed, not of the whole sheet); a sheet that cannot be cut is parsed whole."""
    import fastexcel
    import pyarrow as pa
    if member is not None and PART_XML_BYTES:
        try:
            parts = _parts_to_ipc(path, name, member, ipc)
        except (_NotSplittable, FileError):   # parsed whole: the child's failure, if any, is its own
            parts = None
        if parts is not None:
            return parts
    with native_reader(path, capture=False):   # the child's stderr is already a file
        reader = fastexcel.read_excel(str(path))
        xsheet = reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string")
        offset = min((c.absolute_index for c in xsheet.available_columns()), default=0)
        batch = xsheet.to_arrow()
        # calamine's cells are not freed here: the child exits right after writing the batch
        # (freeing them first costs 0.3 s at 1M lines and lowers no peak: both exist already)
    try:
        with pa.OSFile(ipc, "wb") as sink, pa.ipc.new_file(sink, batch.schema) as writer:
            writer.write_batch(batch)
    except OSError as exc:   # the temp folder is full or not writable
        folder = str(Path(ipc).parent)
        raise FileError(f"{path.name}: could not be read — the temporary folder {folder} has no room for"
                        f" its {batch.nbytes / 2**20:,.0f} MB of cells ({exc.strerror or exc}); free some"
                        f" space there or point TMPDIR at a folder with room", file=str(path)) from None
    return offset


# --- a large sheet parsed part by part ----------------------------------------------------------

PART_XML_BYTES = 8 << 20     # sheet XML per part (0: always whole); at least 4x the shared strings
# the members calamine needs to read one sheet's values: the workbook, its relationships and
# content types, styles (date formats), shared strings, theme; other worksheets become empty stubs
_PART_KEEP = ("[Content_Types].xml", "xl/workbook.xml", "xl/styles.xml", "xl/sharedStrings.xml")
_EMPTY_SHEET = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns='
                b'"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>')


def _parts_allowed() -> bool:
    """A large sheet is parsed in parts on several threads unless ``ORDERDESK_READ_PARTS=0``
    (the whole parse on one thread: a bench's comparison, or a way around a suspected bug)."""
    import os
    return os.environ.get("ORDERDESK_READ_PARTS", "").strip() != "0"


class _NotSplittable(Exception):
    """The sheet's XML is not in the plain form the parts need: it is parsed whole."""


def _row_number(xml, at: int) -> int:
    """The ``r`` of the ``<row`` element that starts at ``at`` (``_NotSplittable`` if none)."""
    m = _ROW_R.match(xml, at)
    if m is None:
        raise _NotSplittable("row without r")
    return int(m.group(1))


_ROW_R = re.compile(rb'<row\b[^>]*?\sr="(\d+)"')
_ROW_START = re.compile(rb"<row[\s>/]")


def _parts_to_ipc(path: Path, name: str, member: str, ipc: str) -> int | None:
    """In the child: the sheet's XML read as a stream and cut at row starts into parts of about
    ``PART_XML_BYTES``; each part is a small workbook in memory (the part's rows, the styles and
    shared strings) parsed by fastexcel (``_parse_part``: its batch's rows start at the part's
    first row with a value, its ``absolute_index`` columns are the worksheet's). ``part_workers()``
    threads parse the parts (fastexcel parses without the interpreter lock) while this thread
    inflates and cuts the next ones; each part parsed goes to a file of its own at once
    (``_Spilled``), and ``ipc`` gets one batch per part, every column of the sheet in each, in the
    rows' order (``_padded_batches``).
    Returned: the column offset; None when the sheet is small (parse it whole).
    ``_NotSplittable`` when the XML is not in the plain form or a part fails."""
    import zipfile
    from concurrent.futures import ThreadPoolExecutor
    import fastexcel  # noqa: F401 - imported once here, not in every thread
    with zipfile.ZipFile(path) as zf:
        infos = {i.filename: i for i in zf.infolist()}
        sheet_info = infos.get(member)
        if sheet_info is None:
            raise _NotSplittable("no sheet part")
        sst = infos.get("xl/sharedStrings.xml")
        part_bytes = max(PART_XML_BYTES, 4 * (sst.file_size if sst is not None else 0))
        if sheet_info.file_size <= 2 * part_bytes:
            return None
        keep: list[tuple[str, bytes]] = []
        for n, i in infos.items():
            if n == member:
                continue
            if n in _PART_KEEP or n.endswith(".rels") or n.startswith("xl/theme/"):
                keep.append((n, zf.read(i)))
            elif n.startswith("xl/worksheets/") and n.endswith(".xml"):
                keep.append((n, _EMPTY_SHEET))
        from addin.files.allocator import keep_freed_memory
        keep_freed_memory()          # each part's cells reuse the memory of the ones before
        workers = part_workers()
        pending: list = []                    # per part with values: (first row - 1, its future)
        spilled = _Spilled(ipc)               # the parts parsed so far, each in a file of its own
        pool = ThreadPoolExecutor(workers, thread_name_prefix="orderdesk-part")
        try:
            with zf.open(sheet_info) as fh:
                for prolog, rows, values in _split_rows(fh, part_bytes):
                    if values is None:
                        continue          # no value in these rows: they add nothing to the batch
                    # the first part is read from the sheet's first row; any other from its first
                    # row with a value (skip_rows=None: fastexcel would otherwise make every empty
                    # row above the part, a cost that grows with the part's place in the sheet)
                    skip = (values[0] - 1, values[1] - values[0] + 1) if pending or spilled.parts else (0, None)
                    # at most two parts waiting per thread: the cutting never runs far ahead
                    if len(pending) >= 2 * workers:
                        spilled.add(pending.pop(0))
                    pending.append((skip, pool.submit(_parse_part, path, name, member, prolog, rows, keep, skip)))
                    del rows
                    while pending and pending[0][1].done():    # a part's cells leave memory once parsed
                        spilled.add(pending.pop(0))
            while pending:
                spilled.add(pending.pop(0))
        except BaseException:
            spilled.remove()
            raise
        finally:
            for _, future in pending:
                future.cancel()
            pool.shutdown(wait=True)
    return spilled.join()


class _Spilled:
    """In the child: each part's batch written to a file of its own as soon as it is parsed (the
    child holds the parts being parsed, not the sheet's cells), then joined into ``ipc`` with
    every column of the sheet (known only once every part is parsed), one file at a time."""

    def __init__(self, ipc: str) -> None:
        self.ipc = ipc
        self.parts: list[tuple[int, list[int], str]] = []    # (first row, absolute columns, file)

    def add(self, item) -> None:
        (first, _), future = item
        cols, batch = _part_result(future)
        name = _part_name(self.ipc, len(self.parts))
        self.parts.append((first, cols, name))
        _write_ipc(name, batch)          # as parsed: _padded_batches makes every column text

    def join(self) -> int:
        import pyarrow as pa
        lo = min((min(cols, default=0) for _, cols, _ in self.parts), default=0)
        hi = max((max(cols, default=-1) for _, cols, _ in self.parts), default=-1)
        schema = pa.schema([(f"__UNNAMED__{j}", pa.string()) for j in range(hi - lo + 1)])
        try:
            with pa.OSFile(self.ipc, "wb") as sink, pa.ipc.new_file(sink, schema) as writer:
                for batch in _padded_batches(self._batches(), lo, schema):
                    writer.write_batch(batch)
        finally:
            self.remove()
        return lo

    def _batches(self):
        """(first row, absolute columns, batch) per part, each mapped from its file and dropped
        (file and all) once the next is asked for."""
        import os
        import pyarrow as pa
        for first, cols, name in self.parts:
            source = pa.memory_map(name, "r")
            try:
                yield first, cols, pa.ipc.open_file(source).get_batch(0)
            finally:
                source.close()
                os.unlink(name)

    def remove(self) -> None:
        import os
        for _, _, name in self.parts:
            try:
                os.unlink(name)
            except OSError:
                pass


def _part_name(ipc: str, k) -> str:
    """The file of part ``k`` of the batch file ``ipc`` (``*``: a glob of them all); named like the
    batch's file, so a killed run's parts are swept with it."""
    return f"{ipc[:-len('.arrow')] if ipc.endswith('.arrow') else ipc}-p{k}.arrow"


def _write_ipc(name: str, batch) -> None:
    import pyarrow as pa
    with pa.OSFile(name, "wb") as sink, pa.ipc.new_file(sink, batch.schema) as writer:
        writer.write_batch(batch)


def _part_result(future):
    try:
        return future.result()
    except Exception as exc:   # the caller falls back to a whole parse
        raise _NotSplittable(f"a part's parse failed: {exc}") from None


def part_workers() -> int:
    """Threads that parse parts at once: the cores this process may use (at most 8)."""
    import os
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, PART_WORKERS_MAX))


PART_WORKERS_MAX = 8


def _split_rows(fh, part_bytes: int):
    """(prolog, rows, value rows) per part of the sheet XML read from ``fh``: the prolog up to
    ``<sheetData>`` (its ``<dimension>`` removed), whole ``<row>`` elements of about
    ``part_bytes`` (a memoryview; rows numbered (``r``) and in order), and the numbers of the
    part's first and last rows holding a value (None: no value in the part)."""
    prolog: bytes | None = None
    blocks: list[bytes] = []
    held = 0
    last_row = 0
    done = False
    tail = b""
    while not done:
        block = fh.read(min(4 << 20, max(part_bytes // 4, 1 << 14)))
        if not block:
            done = True
        if prolog is None:
            tail += block
            at = tail.find(b"<sheetData")
            end = tail.find(b">", at) if at >= 0 else -1
            if end < 0:
                if done or len(tail) > (16 << 20):
                    raise _NotSplittable("no <sheetData>")
                continue
            if tail[end - 1:end] == b"/":
                raise _NotSplittable("empty sheet")
            prolog = re.sub(rb"<dimension\b[^>]*/>", b"", tail[:end + 1])
            block, tail = tail[end + 1:], b""
        # '</sheetData>' may straddle two blocks: the last 12 bytes of the one before are looked at too
        edge = blocks[-1][-12:] if blocks else b""
        stop = (edge + block).find(b"</sheetData>")
        if block:
            blocks.append(block)
            held += len(block)
        if stop >= 0:
            joined = b"".join(blocks)
            rows, done = memoryview(joined)[:len(joined) - len(block) - len(edge) + stop], True
            blocks = []
        elif done:
            raise _NotSplittable("no </sheetData>")
        elif held >= part_bytes:
            joined = b"".join(blocks)
            cut = _last_row_start(joined)
            if cut <= 0:
                blocks, held = [joined], len(joined)
                continue
            rows = memoryview(joined)[:cut]
            blocks = [joined[cut:]]
            held = len(blocks[0])
        else:
            continue
        first_at = joined.find(b"<row", 0, len(rows))
        if first_at < 0 or bytes(rows[:first_at]).strip():
            if bytes(rows).strip():
                raise _NotSplittable("text between rows")
            continue
        first = _row_number(joined, first_at)
        last = _row_number(joined, _last_row_start(joined, len(rows)))
        if first <= last_row or last < first:
            raise _NotSplittable("rows out of order")
        last_row = last
        yield prolog, rows, _value_rows(joined, len(rows))
        del rows, joined


def _value_rows(buf: bytes, end: int) -> tuple[int, int] | None:
    """The numbers of the first and last rows of ``buf[:end]`` holding a value (``<v>`` or an
    inline ``<is>``), or None when no row does."""
    found = [at for at in (buf.find(b"<v>", 0, end), buf.find(b"<is>", 0, end)) if at >= 0]
    if not found:
        return None
    last = max(buf.rfind(b"<v>", 0, end), buf.rfind(b"<is>", 0, end))
    return (_row_number(buf, _last_row_start(buf, min(found))),
            _row_number(buf, _last_row_start(buf, last)))


def _last_row_start(buf: bytes, end: int | None = None) -> int:
    """Where the last ``<row`` element of ``buf[:end]`` starts (-1 when none)."""
    at = len(buf) if end is None else end
    while True:
        at = buf.rfind(b"<row", 0, at)
        if at < 0 or _ROW_START.match(buf, at):
            return at


def _parse_part(path: Path, name: str, member: str, prolog: bytes, rows, keep: list,
                skip: tuple[int, int | None]):
    """In a thread: one part as a workbook in memory, parsed by fastexcel. ``skip``: the index of
    the part's first row in the sheet and its number of rows (None: the first part, read from
    the sheet's first row). Returned: the absolute index of each of its batch's columns, the batch."""
    import io
    import zipfile
    import fastexcel
    book = io.BytesIO()
    with zipfile.ZipFile(book, "w", zipfile.ZIP_STORED) as zw:
        for n, data in keep:
            zw.writestr(n, data)
        zw.writestr(member, b"".join((prolog, rows, b"</sheetData></worksheet>")))
    del rows
    first, n_rows = skip
    with native_reader(path, capture=False):
        reader = fastexcel.read_excel(book.getvalue())
        del book
        xsheet = reader.load_sheet(name, header_row=None, skip_rows=None if n_rows else 0, dtypes="string")
        if n_rows is not None and xsheet.height != n_rows:
            # its first or last value is none to fastexcel (an empty <v></v>, an empty inline
            # string): read from the sheet's first row, skipping up to the part's (exact, slower)
            xsheet = reader.load_sheet(name, header_row=None, skip_rows=first, dtypes="string")
        cols = [c.absolute_index for c in xsheet.available_columns()]
        batch = xsheet.to_arrow()
    return cols, batch


def _padded_batches(got, lo: int, schema):
    """The batches of ``schema`` (worksheet columns ``lo``, ``lo + 1``, ...) that make the whole
    sheet's rows from its parts' ((first row, absolute columns, batch) each, in order): a column
    a part lacks as nulls, null rows between parts."""
    import pyarrow as pa
    at = 0
    for first, cols, batch in got:
        if first > at:
            yield pa.RecordBatch.from_arrays([pa.nulls(first - at, pa.string()) for _ in schema.names],
                                             schema=schema)
        elif first < at:
            raise FileError("the sheet's parts overlap")
        where = {c: i for i, c in enumerate(cols)}
        yield pa.RecordBatch.from_arrays(
            [batch.column(where[c]).cast(pa.string()) if c in where else pa.nulls(batch.num_rows, pa.string())
             for c in range(lo, lo + len(schema.names))], schema=schema)
        at = first + batch.num_rows
        del batch


def _ram_mb() -> float:
    import os
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / (1024 * 1024)
    except (ValueError, OSError, AttributeError):
        return 16_384.0


def _pick_sheet(path: Path, names: list[str], sheet: str | None, index: int) -> str:
    if not names:
        raise InputError(f"{path.name}: the workbook has no sheets", file=str(path))
    if sheet is None:
        return names[min(index, len(names) - 1)]
    if sheet in names:
        return sheet
    # sheet names with trailing spaces are common in hand-kept workbooks
    stripped = {n.strip().casefold(): n for n in names}
    if sheet.strip().casefold() in stripped:
        return stripped[sheet.strip().casefold()]
    listed = ", ".join(f"'{n}'" for n in names)
    raise InputError(f"{path.name}: no sheet named '{sheet}' (sheets: {listed})", file=str(path))


@contextlib.contextmanager
def native_reader(path: Path, *, capture: bool = True) -> Iterator[None]:
    """Around a call into a native spreadsheet parser (calamine, fastexcel): its errors, and its
    panics (a Rust panic arrives as ``PanicException``, a ``BaseException``), become one
    ``FileError`` naming the file and what to do. The page of backtrace a panic prints on
    stderr is kept off the terminal (on the error's ``detail``)."""
    with _stderr_to_file(capture) as captured:
        try:
            yield
        except (InputError, FileError):
            raise
        except Exception as exc:      # calamine/fastexcel raise their own error types for damaged files
            err = FileError(f"{path.name}: cannot be read as a workbook ({_short(exc)}) — open it in Excel,"
                            f" save a fresh copy and try again", file=str(path))
            err.detail = captured()
            raise err from None
        except BaseException as exc:
            if not is_panic(exc):
                raise
            err = FileError(f"{path.name}: cannot be read — the spreadsheet reader failed on damaged or"
                            f" out-of-range data (such as a date far outside the years 1900-9999); open it"
                            f" in Excel, check such cells, save a fresh copy and try again", file=str(path))
            err.detail = f"{type(exc).__name__}: {exc}\n{captured()}"
            raise err from None


def is_panic(exc: BaseException) -> bool:
    """A Rust panic raised through pyo3 (``pyo3_runtime.PanicException``)."""
    return type(exc).__name__ == "PanicException" or type(exc).__module__.startswith("pyo3")


@contextlib.contextmanager
def _stderr_to_file(capture: bool) -> Iterator[Callable[[], str]]:
    """fd 2 pointed at a temporary file for the duration; what was written is given back to the
    real stderr afterwards unless a panic's backtrace was in it."""
    if not capture:
        yield lambda: ""
        return
    import os
    import sys
    import tempfile
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):   # no usable fd 2 (some embedded hosts)
        yield lambda: ""
        return
    text = ""
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)

        def captured() -> str:
            sink.flush()
            sink.seek(0)
            return sink.read(8000).decode("utf-8", "replace")
        try:
            yield captured
        except BaseException:
            raise
        else:
            text = captured()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
    if text and "panicked at" not in text:
        sys.stderr.write(text)


def _short(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]
