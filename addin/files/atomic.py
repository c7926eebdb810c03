"""Atomic output: a file is the complete new one or the previous one, never half-written."""
from __future__ import annotations

import os
import secrets
import shutil
import time
import zipfile
from pathlib import Path
from typing import Any, Callable


from addin.errors import FileError, OrderDeskError


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


