"""Load the raw cell grid of one sheet (xlsx/xlsm/xls via python-calamine, csv via the csv
module), after the safety checks. Cells come back as Python values with their absolute
position: row 0 of the grid is worksheet row 1, column 0 is column A."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from addin.errors import FileError, InputError

CSV_ENCODINGS = ("utf-8-sig", "gb18030")


@dataclass
class Grid:
    file: Path
    sheet: str
    rows: list[list]          # absolute: rows[r][c] is the cell at row r+1, column c+1
    sheet_names: list[str]


def _inspect(path: Path):
    """Run the input guards when the safe-I/O module is there (it checks zip bombs, sparse
    coordinates, DTDs, encryption and renamed files before any native parser sees the file)."""
    try:
        from addin.safeio import inspect_input
    except ImportError:  # pragma: no cover - only while the module is being written
        return _fallback_kind(path)
    return inspect_input(path).kind


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


def decode_text(data: bytes, name: str) -> str:
    for enc in CSV_ENCODINGS:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise FileError(f"{name}: the text is neither UTF-8 nor GB18030 — save it as 'CSV UTF-8'", file=name)


def read_csv_rows(path: Path) -> list[list]:
    text = decode_text(path.read_bytes(), path.name)
    sample = text[:65536]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    # newline="" lets the csv module take LF, CRLF and CR-only line ends, and line breaks in quotes
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return [row for row in reader]
    except csv.Error as exc:
        raise InputError(f"{path.name}: line {reader.line_num}: {exc}", file=str(path)) from None


def sheet_names(path: Path) -> list[str]:
    kind = _inspect(path)
    if kind == "csv":
        return [path.stem]
    from python_calamine import CalamineWorkbook
    return list(CalamineWorkbook.from_path(str(path)).sheet_names)


def load_grid(path: Path, sheet: str | None = None, *, sheet_index: int = 0) -> Grid:
    path = Path(path)
    kind = _inspect(path)
    if kind == "csv":
        if sheet not in (None, path.stem):
            raise InputError(f"{path.name}: a CSV file has no sheet '{sheet}'", file=str(path))
        return Grid(path, path.stem, read_csv_rows(path), [path.stem])
    from python_calamine import CalamineWorkbook
    try:
        book = CalamineWorkbook.from_path(str(path))
        names = list(book.sheet_names)
        name = _pick_sheet(path, names, sheet, sheet_index)
        cal_sheet = book.get_sheet_by_name(name)
        rows = cal_sheet.to_python(skip_empty_area=False)
    except (InputError, FileError):
        raise
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise FileError(f"{path.name}: cannot be read as a workbook ({_short(exc)})", file=str(path)) from None
    return Grid(path, name, rows, names)


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


def _short(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]
