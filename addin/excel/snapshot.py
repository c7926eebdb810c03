"""The snapshot behind the "Compare with last snapshot" button (SPEC section 11): a copy of the
ledger sheet's values as they were at the last comparison, kept **beside the workbook, never in
it** — ``.<workbook name>.orderdesk-snapshot.xlsx`` in the workbook's folder (a dot file: hidden on
macOS and Linux), or, when that folder cannot be written or the workbook has none (not saved yet,
or opened from a web address), in the user's cache folder (``addin.readers.cache.cache_dir``)
under ``snapshots/``, named after a hash of the workbook's full path.

Written atomically (``addin.files.atomic.atomic_write``: a temp file in the same folder, checked,
then moved over the previous snapshot), so a crash leaves the last snapshot whole.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
from pathlib import Path
from typing import Any, Sequence

from addin.errors import FileError

__all__ = ["SUFFIX", "workbook_path", "beside", "in_cache", "find_snapshot", "write_snapshot"]

SUFFIX = ".orderdesk-snapshot.xlsx"


def workbook_path(book: Any) -> Path | None:
    """The workbook's file: a ``FileBook``'s path, the open workbook's ``FullName`` in Excel;
    None for a workbook never saved or opened from a web address (OneDrive, SharePoint)."""
    path = getattr(book, "path", None)
    if path is None:
        xl_book = getattr(book, "book", None)
        path = getattr(xl_book, "fullname", None) if xl_book is not None else None
    if not path or "://" in str(path):
        return None
    path = Path(path)
    return path if path.parent != Path("") and path.is_absolute() else None


def beside(path: Path) -> Path:
    """``.<name>.orderdesk-snapshot.xlsx`` in the workbook's folder."""
    return path.with_name(f".{path.name}{SUFFIX}")


def in_cache(path: Path | None, name: str) -> Path:
    """The snapshot in the user's cache folder: one per workbook path (its hash), the name readable."""
    from addin.readers.cache import cache_dir
    key = hashlib.sha256(str(path if path is not None else name).encode("utf-8")).hexdigest()[:16]
    return cache_dir() / "snapshots" / f"{key}-{Path(name).name}{SUFFIX}"


def find_snapshot(book: Any) -> Path | None:
    """The snapshot kept at the last comparison: beside the workbook, else in the cache folder."""
    path = workbook_path(book)
    for candidate in ([beside(path)] if path is not None else []) + [in_cache(path, book.name)]:
        if candidate.is_file():
            return candidate
    return None


def _write_values(target: Path, sheet: str, rows: Sequence[Sequence[Any]]) -> None:
    import xlsxwriter
    wb = xlsxwriter.Workbook(str(target), {"strings_to_formulas": False, "strings_to_urls": False,
                                           "strings_to_numbers": False, "nan_inf_to_errors": True})
    try:
        from addin.files.text import clean_cell_text, safe_sheet_name
        ws = wb.add_worksheet(safe_sheet_name(sheet, set()))
        dates = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, _dt.datetime):
                    ws.write_datetime(r, c, value, dates)
                elif isinstance(value, _dt.date):
                    ws.write_datetime(r, c, _dt.datetime(value.year, value.month, value.day), dates)
                elif isinstance(value, bool):
                    ws.write_boolean(r, c, value)
                elif isinstance(value, (int, float)):
                    ws.write_number(r, c, value)
                else:
                    ws.write_string(r, c, clean_cell_text(str(value))[0])
    finally:
        wb.close()


def write_snapshot(book: Any, sheet: str, rows: Sequence[Sequence[Any]]) -> Path:
    """The ledger sheet's values (``rows``) as the new snapshot, atomically; beside the workbook
    when its folder takes it, else in the cache folder. Returns where it was written."""
    from addin.files.atomic import atomic_write
    path = workbook_path(book)
    targets = ([beside(path)] if path is not None else []) + [in_cache(path, book.name)]
    error: FileError | None = None
    for target in targets:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(target, lambda tmp: _write_values(tmp, sheet, rows), backup=False)
        except (FileError, OSError) as exc:
            error = exc if isinstance(exc, FileError) else FileError(f"{target}: {exc}", file=str(target))
            continue
        stale = in_cache(path, book.name)
        if target != stale and stale.is_file():   # beside the workbook again: the cache copy is old
            stale.unlink(missing_ok=True)
        return target
    assert error is not None
    raise error
