"""The risk job: the risk of every open line at the as-of date (SPEC section 3: overdue, at risk
within the horizon in working days, on track, done, cancelled). ``orderdesk risk`` writes it into
a copy of the ledger, the Refresh risk colours button beside the ledger in the open workbook,
``OD_RISK`` into cells: one horizon, basis and calendar from the settings."""
from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any

import pandas as pd

from addin.config import Settings
from addin.jobs.inputs import Source, frame, read_ledger, working_calendar


def line_risk(ledger: Source, settings: Settings, as_of: _dt.date, lang: str = "en") -> pd.DataFrame:
    """``risk`` and ``risk_reason`` per ledger line (the ledger's index)."""
    from addin.compute.risk import assess_risk
    return assess_risk(frame(ledger), as_of, working_calendar(settings), settings.otd.risk_horizon,
                       basis=settings.otd.basis, lang=lang)


def horizon_gap(settings: Settings, as_of: _dt.date):
    """The horizon's ``HorizonGap`` (a year without holiday data in it), or None."""
    from addin.compute.risk import horizon_gap as gap
    return gap(as_of, working_calendar(settings), settings.otd.risk_horizon)


def risk_copy(ledger: Source, settings: Settings, *, as_of: _dt.date, lang: str, out: Path, separate: bool = False,
              sheet: str | None = None, mapping: Any = None):
    """Write the ledger's copy with the risk column; returns the writer's ``RiskCopySummary``."""
    from addin.writers.riskcopy import write_risk_copy
    result = read_ledger(ledger, sheet=sheet, mapping=mapping)
    return write_risk_copy(result, out=out, as_of=as_of, calendar=working_calendar(settings),
                           horizon=settings.otd.risk_horizon, basis=settings.otd.basis, separate=separate, lang=lang)
