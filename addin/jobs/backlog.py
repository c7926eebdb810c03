"""The backlog job: the open order book at the as-of date (SPEC section 13), of the lines the
settings' filters select. ``orderdesk backlog`` prints it; the monthly workbook's Backlog sheet
shows the same table."""
from __future__ import annotations

import datetime as _dt
from typing import Any, Sequence

import pandas as pd

from addin.config import Settings
from addin.jobs.inputs import Source, frame, read_ledger
from addin.jobs.selection import selected


def backlog_table(ledger: Source, settings: Settings, as_of: _dt.date, *, by: Sequence[str],
                  sheet: str | None = None, mapping: Any = None, deliveries: Source | None = None) -> pd.DataFrame:
    """Open quantity and value per group with a total row (``addin.compute.backlog.backlog``)."""
    from addin.compute.backlog import backlog
    return backlog(frame(_lines(ledger, settings, as_of, sheet, mapping, deliveries)), as_of, settings.otd, by)


def backlog_figures(ledger: Source, settings: Settings, as_of: _dt.date, *, by: Sequence[str],
                    sheet: str | None = None, mapping: Any = None, deliveries: Source | None = None) -> dict:
    """The object of ``orderdesk backlog --format json``."""
    from addin.compute.backlog import backlog_json
    out = backlog_json(frame(_lines(ledger, settings, as_of, sheet, mapping, deliveries)), as_of, settings.otd, by)
    if settings.filters:
        out["filter"] = settings.filters.as_dict()
    return out


def _lines(ledger, settings, as_of, sheet, mapping, deliveries, deliveries_sheet=None, deliveries_map=None):
    """The selected lines, measured from their deliveries (an export, or the ledger's own rows
    when it holds one row per delivery: SPEC 13)."""
    from addin.jobs.deliveries import with_deliveries
    result = read_ledger(ledger, sheet=sheet, mapping=mapping)
    result = with_deliveries(result, deliveries, as_of, settings, sheet=deliveries_sheet,
                             mapping=deliveries_map).ledger
    return selected(result, settings)
