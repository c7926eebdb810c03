"""The lines a job measures: the settings' filters (``--customer``, ``--part``, ``--owner``,
``--supplier``; ``[filter]`` in orderdesk.toml; ``filter.*`` on a Config sheet) applied once,
before anything is measured (SPEC section 13). A read ledger keeps its file's row accounting."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd

from addin.config import Settings
from addin.jobs.inputs import Source, is_path, read_ledger


def selected(ledger: Source, settings: Settings, *, sheet: str | None = None, mapping: Any = None) -> Source:
    """``ledger`` (read first when it is a path) with only the lines the settings' filters select;
    ``ledger`` itself without filters. Raises ``InputError`` for a filter value no line has."""
    from addin.compute.filters import select_lines
    filters = getattr(settings, "filters", None)
    if is_path(ledger):
        ledger = read_ledger(ledger, sheet=sheet, mapping=mapping)
    if not filters:
        return ledger
    if isinstance(ledger, pd.DataFrame):
        return select_lines(ledger, filters)
    chosen = select_lines(ledger.data, filters)
    try:
        return replace(ledger, data=chosen)
    except TypeError:   # not a dataclass: a ReadResult-like object from a front end
        import copy
        out = copy.copy(ledger)
        out.data = chosen
        return out
