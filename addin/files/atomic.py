"""Atomic output: a file is the complete new one or the previous one, never half-written."""
from __future__ import annotations

import contextlib
import errno
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
    output was made from: writing over one of them is refused. What the system refuses (disk
    full, read-only folder, name too long) is a ``FileError`` saying what to do. Temp files left
    by killed runs are removed first (``sweep_leftovers``)."""
    path = Path(path)
    sweep_leftovers(path.parent)
    try:
        return _atomic_write(path, write, validate, backup, inputs)
    except OrderDeskError:
        raise
    except OSError as exc:
        raise FileError(f"{path.name}: could not be written — {os_reason(exc, path.parent)}; the previous"
                        f" file was left unchanged", file=str(path)) from exc


def os_reason(exc: BaseException, folder: Path | None = None) -> str:
    """What the system said, as the user's reason and what to do ('the disk is full — free
    some space ...'). ``exc`` may wrap the OSError (XlsxWriter's FileCreateError does)."""
    err = _os_error(exc)
    where = f" {folder}" if folder is not None else ""
    code = getattr(err, "errno", None)
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return f"the disk is full (no space left in{where or ' the folder'}) — free some space or choose another output folder"
    if code == errno.EROFS:
        return f"the folder{where} is read-only — choose another output folder"
    if code in (errno.EACCES, errno.EPERM):
        return f"permission denied in{where or ' the folder'} — choose another output folder or check its permissions"
    if code == errno.ENAMETOOLONG:
        return "the file name or folder path is too long — choose a shorter name or a folder nearer the top"
    if code == errno.EIO:
        return "the disk reported an input/output error — check the disk or choose another output folder"
    text = getattr(err, "strerror", None) or str(err or exc) or type(exc).__name__
    return f"{text} — choose another output folder and try again"


def _os_error(exc: BaseException | None) -> OSError | None:
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OSError):
            return exc
        inner = next((a for a in getattr(exc, "args", ()) if isinstance(a, OSError)), None)
        exc = inner or exc.__cause__ or exc.__context__
        seen += 1
    return None


def _atomic_write(path: Path, write: Callable[[Path], None], validate: Callable[[Path], None] | None,
                  backup: bool, inputs: tuple[Path, ...] | list[Path]) -> Path:
    name = path.name
    folder = path.parent
    if not folder.is_dir():
        raise FileError(f"{name}: the folder {folder} does not exist — create it or choose another output folder",
                        file=str(path))
    if path.is_dir():
        raise FileError(f"{name}: is a folder — give a file name for the output", file=str(path))
    from addin.files.guard import output_over_input, same_file
    for source in inputs:
        if same_file(path, Path(source)):
            raise output_over_input(path)
    if (folder / f"~${name}").exists():
        raise FileError(f"{name} is open in Excel — close it and run again", file=str(path))
    if (folder / f".~lock.{name}#").exists():
        raise FileError(f"{name} is open in LibreOffice — close it and run again", file=str(path))

    tmp = _create_temp(folder, path)
    try:
        try:
            with _held(tmp):
                write(tmp)
        except OrderDeskError:
            raise
        except Exception as exc:
            if _os_error(exc) is None:
                raise
            raise FileError(f"{name}: could not be written — {os_reason(exc, folder)}; the previous"
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
        except OSError as exc:
            raise FileError(f"{target.name}: cannot write in {folder} — {os_reason(exc, folder)}",
                            file=str(target)) from None
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
# leftovers of killed runs
# ---------------------------------------------------------------------------------------------

STALE_AFTER = 60 * 60     # seconds: older than any run (an isolated read is stopped at 15 minutes)


@contextlib.contextmanager
def _held(tmp: Path):
    """While a temp file is being written, hold an advisory lock on it: a later run's sweep
    leaves a locked file alone, however old (a slow write on a network share)."""
    try:
        fd = os.open(tmp, os.O_RDONLY)
    except OSError:
        yield
        return
    try:
        lock_fd(fd)
        yield
    finally:
        os.close(fd)


def lock_fd(fd: int) -> None:
    """A shared advisory lock on an open temp file: ``sweep_leftovers`` never removes it."""
    try:
        import fcntl
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except (ImportError, OSError):
        pass


def _locked(path: Path) -> bool:
    """Someone holds a lock on ``path`` (a live run writing it). Windows: an open file cannot be
    deleted anyway, so False lets the delete try and fail harmlessly."""
    try:
        import fcntl
    except ImportError:
        return False
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


def _open_elsewhere(paths: list[Path]) -> set[Path]:
    """Of ``paths``, those some process has open (Linux: /proc/*/fd; elsewhere: none known)."""
    proc = Path("/proc")
    if not proc.is_dir() or not paths:
        return set()
    wanted = {os.path.realpath(p): p for p in paths}
    held: set[Path] = set()
    for fd_dir in proc.glob("[0-9]*/fd"):
        try:
            for fd in os.scandir(fd_dir):
                try:
                    target = os.readlink(fd.path)
                except OSError:
                    continue
                if target in wanted:
                    held.add(wanted[target])
        except OSError:
            continue
    return held


def sweep_leftovers(folder: Path | None = None, *, now: float | None = None, stale_after: float = STALE_AFTER) -> list[Path]:
    """Remove what killed runs left behind: ``.~orderdesk-*`` temp files in ``folder`` (beside an
    output) and ``.orderdesk-*.arrow`` and openpyxl's ``openpyxl.*`` temp files in the temp folder.
    Only names OrderDesk (or openpyxl under it) makes, only files older than ``stale_after``
    seconds, never one locked or held open by a live process. Best effort: never raises.
    Returns the files removed."""
    import tempfile
    now = time.time() if now is None else now
    candidates: list[Path] = []
    places = [(Path(tempfile.gettempdir()), (".orderdesk-*.arrow", "openpyxl.*"))]
    if folder is not None:
        places.insert(0, (Path(folder), (".~orderdesk-*",)))
    for place, patterns in places:
        for pattern in patterns:
            try:
                found = list(place.glob(pattern))
            except OSError:
                continue
            for p in found:
                try:
                    st = p.lstat()
                except OSError:
                    continue
                import stat as stat_
                mine = getattr(os, "getuid", None) is None or st.st_uid == os.getuid()
                if stat_.S_ISREG(st.st_mode) and mine and now - st.st_mtime > stale_after:
                    candidates.append(p)
    if not candidates:
        return []
    removed = []
    busy = _open_elsewhere(candidates)
    for p in candidates:
        if p in busy or _locked(p):
            continue
        try:
            p.unlink()
            removed.append(p)
        except OSError:
            pass
    return removed
