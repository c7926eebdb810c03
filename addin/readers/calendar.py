"""Calendar workbooks: a factory's working days and days off read from a workbook (the
``--calendar FILE`` of the command line, ``calendar = "path"`` of orderdesk.toml, the Calendar
sheet of the Excel templates), applied over a built-in calendar (``addin.compute.calendar``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from addin.compute.calendar import WorkingCalendar, base_calendar, normal_name
from addin.errors import ConfigError, FileError, InputError

__all__ = ["load_calendar", "parse_working", "overrides_from"]


# ---------------------------------------------------------------------- calendar workbooks

# Values a factory writes in the working column. 调休 here means a make-up working day
# (调休上班), as on the calendars HR posts; a day off in lieu is written 休息 or 放假.
_WORKING_WORDS = {
    "上班", "工作", "工作日", "补班", "调休", "调休上班", "班", "是", "1", "y", "yes", "true",
    "t", "working", "work", "workday", "working day", "on",
}
_RESTING_WORDS = {
    "休息", "休", "放假", "假", "节假日", "假日", "休息日", "公休", "调休休息", "调休放假", "否",
    "0", "n", "no", "false", "f", "holiday", "off", "rest", "non-working", "nonworking",
    "not working", "closed",
}
_WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")



def parse_working(value: Any) -> bool | None:
    """A working-column cell as True (working) / False (not working), None if not understood."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)) and not pd.isna(value):
        return {1: True, 0: False}.get(value) if float(value) in (0.0, 1.0) else None
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    key = " ".join(normal_name(value).split())
    if key in ("1.0", "0.0"):
        key = key[0]
    if key in _WORKING_WORDS:
        return True
    if key in _RESTING_WORDS:
        return False
    return None


def load_calendar(spec: str | Path | None, base_dir: Path | None = None,
                  base: str = "cn") -> WorkingCalendar:
    """The calendar a config or command line names: ``"cn"`` (also when None), ``"mon-fri"``, or
    the path of a calendar workbook (.xlsx/.xlsm/.xls/.csv; relative to ``base_dir`` when given)
    whose rows override ``base``."""
    if spec is None:
        return WorkingCalendar.cn()
    if not isinstance(spec, Path):
        key = normal_name(spec)
        if key in ("", "cn"):
            return WorkingCalendar.cn()
        if key in ("mon-fri", "mon_fri", "monfri"):
            return WorkingCalendar.mon_fri()
        if not key.endswith(_WORKBOOK_SUFFIXES):
            raise ConfigError(f"calendar '{spec}' is not known: use cn, mon-fri or the path of a "
                              f"calendar workbook")
    path = Path(spec).expanduser()
    if base_dir is not None and not path.is_absolute():
        path = Path(base_dir) / path
    if not path.is_file():
        raise FileError(f"calendar workbook {path} does not exist", file=str(path))
    overrides = _read_overrides(path)
    try:
        return WorkingCalendar.from_frame(overrides, base=base, name=f"{base_calendar(base).name}+{path.name}")
    except InputError as exc:  # from_frame knows rows, not the file
        raise InputError(f"{path.name}, {exc}", file=str(path), value=exc.value,
                         expected=exc.expected) from None


def _read_overrides(path: Path) -> pd.DataFrame:
    """The workbook's rows as ``date``, ``working`` (bool), ``name``, ``source_row``."""
    from addin.readers import read

    result = read(path, kind="calendar")
    return overrides_from(result, label=result.file, file=str(path),
                          working_cell=lambda row: _working_cell(path, result.sheet, row))


def overrides_from(result: Any, *, label: str, file: str, working_cell: Callable[[int], str]) -> pd.DataFrame:
    """A calendar ``ReadResult`` as override rows (``date``, ``working``, ``name``,
    ``source_row``); the first bad date or working-day value raises ``InputError`` starting with
    ``label`` and naming the cell (``working_cell(row)`` gives the working column's cell)."""
    errors = [issue for issue in result.issues if issue.severity == "error"]
    if errors:
        more = f" (and {len(errors) - 1} more rows)" if len(errors) > 1 else ""
        first = errors[0]
        raise InputError(f"{label}, {first}{more}", file=file, sheet=result.sheet,
                         cell=first.cell, value=first.value, expected="a date")
    table = result.data
    flags = [parse_working(raw) for raw in table["working"].tolist()]
    for raw, flag, row in zip(table["working"].tolist(), flags, table["source_row"].tolist()):
        if flag is None:
            cell = working_cell(int(row))
            shown = "" if raw is None or (not isinstance(raw, str) and pd.isna(raw)) else raw
            raise InputError(
                f"{label}, {cell}: working day value '{shown}' is not understood — "
                f"write 上班 or 休息 (also 1/0, Y/N, working/holiday)",
                file=file, sheet=result.sheet, cell=cell, value=raw,
                expected="上班/休息, 1/0, Y/N, working/holiday")
    out = table[["date", "source_row"]].copy()
    out["working"] = np.array(flags, dtype=bool)
    out["name"] = table["name"]
    return out


def _working_cell(path: Path, sheet: str, row: int) -> str:
    """Cell name (``Calendar!B7``) of the working column in ``row``. ReadResult names header
    texts, not columns, so the header is found again the way the reader found it (error path only)."""
    from addin.readers.grid import load_grid
    from addin.readers.table import Mapping, cell_name, find_header

    match = find_header(load_grid(path, sheet), "calendar", Mapping())
    if match is None or "working" not in match.columns:  # cannot happen after a successful read
        return f"{sheet} row {row}"
    return cell_name(sheet, match.columns["working"], row)
