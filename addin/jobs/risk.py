"""The risk job: the risk of every open line at the as-of date (SPEC section 3: overdue, at risk
within the horizon in working days, on track, done, cancelled). ``orderdesk risk`` writes it into
a copy of the ledger, the Refresh risk colours button beside the ledger in the open workbook,
``OD_RISK`` into cells: one horizon, basis and calendar from the settings."""
from __future__ import annotations

import datetime as _dt
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from addin.config import Settings
from addin.jobs.inputs import Source, frame, is_path, read_ledger, working_calendar
from addin.jobs.selection import selected


def line_risk(ledger: Source, settings: Settings, as_of: _dt.date, lang: str = "en") -> pd.DataFrame:
    """``risk`` and ``risk_reason`` per ledger line (the ledger's index, every line: those the
    settings' filters leave out get None, so the result stays row for row with the ledger)."""
    from addin.compute.risk import assess_risk
    if getattr(settings, "filters", None):
        whole = frame(read_ledger(ledger) if is_path(ledger) else ledger)
        chosen = line_risk(selected(whole, settings), replace(settings, filters=None), as_of, lang)
        return chosen.reindex(whole.index).astype(object).where(lambda f: f.notna(), None)
    return assess_risk(frame(ledger), as_of, working_calendar(settings), settings.otd.risk_horizon,
                       basis=settings.otd.basis, lang=lang)


def horizon_gap(settings: Settings, as_of: _dt.date):
    """The horizon's ``HorizonGap`` (a year without holiday data in it), or None."""
    from addin.compute.risk import horizon_gap as gap
    return gap(as_of, working_calendar(settings), settings.otd.risk_horizon)


def risk_copy(ledger: Source, settings: Settings, *, as_of: _dt.date, lang: str, out: Path, separate: bool = False,
              sheet: str | None = None, mapping: Any = None, deliveries: Source | None = None,
              deliveries_sheet: str | None = None, deliveries_map: Any = None):
    """Write the ledger's copy with the risk column; returns the writer's ``RiskCopySummary``.
    ``deliveries``: a delivery export (SPEC 13): a line is done once its deliveries complete it,
    open (and so overdue or at risk) while they fall short. The ledger's own rows are never folded
    here: the copy gives each of its rows a risk."""
    from addin.writers.riskcopy import copies_workbook, write_risk_copy
    # the copy of the user's workbook needs each line's risk and row, nothing else of the ledger:
    # read only the fields the risk and the filters look at (a separate workbook shows them all)
    fields = None
    if deliveries is None and is_path(ledger) and copies_workbook(Path(ledger), separate):
        from addin.compute.filters import FILTER_FIELDS
        from addin.compute.risk import RISK_FIELDS
        fields = (*RISK_FIELDS, *(FILTER_FIELDS.values() if getattr(settings, "filters", None) else ()))
    # the read is held by the writer alone, which lets its columns go once the risk is known
    return write_risk_copy(_lines(ledger, settings, as_of, sheet, mapping, deliveries, deliveries_sheet, deliveries_map,
                                  fields),
                           out=out, as_of=as_of, calendar=working_calendar(settings),
                           horizon=settings.otd.risk_horizon, basis=settings.otd.basis, separate=separate, lang=lang)


def _lines(ledger: Source, settings: Settings, as_of: _dt.date, sheet: str | None, mapping: Any,
           deliveries: Source | None, deliveries_sheet: str | None, deliveries_map: Any,
           fields: tuple[str, ...] | None = None):
    result = read_ledger(ledger, sheet=sheet, mapping=mapping, fields=fields)
    if deliveries is not None:
        from addin.jobs.deliveries import with_deliveries
        result = with_deliveries(result, deliveries, as_of, settings, sheet=deliveries_sheet,
                                 mapping=deliveries_map).ledger
    # filtered (SPEC 13): the copy keeps every row of the ledger; only the selected lines get a risk
    return selected(result, settings)
