"""What every job does first: an input given as a path is read, one already read (a
``ReadResult`` from a workbook's sheet, a canonical DataFrame) is taken as it is; the working
calendar named by the settings is built once.

A ledger of which no row is usable is an error, not an empty result (SPEC section 9,
``addin.readers.usable``): every front end gets the same refusal."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from addin.config import Settings

Source = Any   # a path, a ReadResult or a canonical DataFrame


def is_path(source: Source) -> bool:
    return isinstance(source, (str, os.PathLike))


def read_input(source: Source, kind: str, *, sheet: str | None = None, mapping: Any = None):
    """``source`` read as ``kind`` when it is a path, else ``source`` itself."""
    if is_path(source):
        from addin.readers import read
        return read(Path(source), kind, sheet=sheet, mapping=mapping)
    return source


def read_ledger(source: Source, *, sheet: str | None = None, mapping: Any = None):
    """The order ledger (a ``ReadResult`` or DataFrame) with at least one usable line."""
    from addin.readers.usable import require_usable
    result = read_input(source, "ledger", sheet=sheet, mapping=mapping)
    require_usable(result)  # nothing usable: exit 1 with the reasons, never an empty result
    return result


def frame(source: Source | None) -> pd.DataFrame | None:
    """The canonical frame of a ``ReadResult`` (or a DataFrame, or None)."""
    if source is None:
        return None
    return getattr(source, "data", source)


def working_calendar(settings: Settings):
    """The ``WorkingCalendar`` the settings name (``cn``, ``mon-fri``, a calendar workbook), or the
    one they hold already (the Excel side: cn plus the workbook's Calendar sheet)."""
    from addin.compute.calendar import WorkingCalendar
    from addin.readers.calendar import load_calendar
    if isinstance(settings.calendar, WorkingCalendar):
        return settings.calendar
    return load_calendar(settings.calendar)
