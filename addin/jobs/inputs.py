"""What every job does first: an input given as a path is read, one already read (a
``ReadResult`` from a workbook's sheet, a canonical DataFrame) is taken as it is; the working
calendar named by the settings is built once.

A ledger of which no row is usable is an error, not an empty result (SPEC section 9,
``addin.readers.usable``): every front end gets the same refusal."""
from __future__ import annotations

import os
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Collection

import pandas as pd

from addin.config import Settings

Source = Any   # a path, a ReadResult or a canonical DataFrame

# whether a file read here goes through the parsed-input cache (``--no-cache`` turns it off)
CACHING: ContextVar[bool] = ContextVar("orderdesk_caching", default=True)


def set_caching(enabled: bool) -> None:
    """Use the parsed-input cache (``addin.readers.cache``) for the reads that follow, or not."""
    CACHING.set(bool(enabled))


def is_path(source: Source) -> bool:
    return isinstance(source, (str, os.PathLike))


def read_input(source: Source, kind: str | None, *, sheet: str | None = None, mapping: Any = None,
               cache: bool | None = None, fields: Collection[str] | None = None):
    """``source`` read as ``kind`` (None: found from the headers) when it is a path, else
    ``source`` itself. A file read before, unchanged, with the same options and the same
    OrderDesk comes from the user's cache folder (``cache``: None = as ``set_caching`` says).
    ``fields``: the canonical fields the caller reads (``addin.readers.read``): a file's frame
    may then hold only those; a result already read is taken whole."""
    if is_path(source):
        from addin.readers import Mapping
        from addin.readers.cache import cached_read
        path = Path(source)
        if not isinstance(mapping, Mapping):
            mapping = Mapping.load(mapping)     # the key holds what it says, not its file name
        return cached_read(path, kind, sheet, mapping,
                           lambda: read_file(path, kind, sheet=sheet, mapping=mapping, fields=fields),
                           enabled=CACHING.get() if cache is None else cache, fields=fields)
    return source


def read_file(path: Path | str, kind: str | None, *, sheet: str | None = None, mapping: Any = None,
              fields: Collection[str] | None = None):
    """``path`` read as ``kind`` (no cache). Open purchases go through their reader, which takes
    a purchase ledger too (its open lines: ``addin.readers.purchases``) and reads every field."""
    if kind == "purchases":
        from addin.readers.purchases import read as read_purchases
        return read_purchases(path, sheet=sheet, mapping=mapping)
    from addin.readers import read
    return read(path, kind, sheet=sheet, mapping=mapping, fields=fields)


def read_ledger(source: Source, *, sheet: str | None = None, mapping: Any = None, cache: bool | None = None,
                fields: Collection[str] | None = None):
    """The order ledger (a ``ReadResult`` or DataFrame) with at least one usable line
    (``fields``: as :func:`read_input`)."""
    from addin.readers.usable import require_usable
    result = read_input(source, "ledger", sheet=sheet, mapping=mapping, cache=cache, fields=fields)
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
