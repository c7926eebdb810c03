"""Risk of each open line at the as-of date (SPEC section 3), with a short reason.

``cancelled`` > ``done`` > ``overdue`` > ``at_risk`` > ``on_track``, first that applies:

* done: shipped on or before the as-of date, or status ``shipped``/``closed``. A partial
  shipment (shipped qty < qty) whose status is still open/in progress is not done: the rest
  of the quantity is still to go. (For risk, unlike OTD, a closed status without a ship date
  is done: the coordinator closed it, and colouring it red would be noise.)
* overdue: not done and the due date is before the as-of date.
* at_risk: not done and any of: due within ``horizon`` working days of the as-of date (due on or
  before ``WORKDAY(as_of, horizon)``); a planned milestone date (planned_*_date) before the as-of
  date without its actual date; a projected finish after the due date; no due date at all
  (nobody can tell whether it is on track, so somebody must look).
* on_track: the rest.

Only the horizon counts working days: milestone dates and a projected finish are compared with
the as-of date and the due date as calendar dates. When ``WORKDAY(as_of, horizon)`` runs through
a year the calendar has no holiday data for (``cn`` beyond chinesecalendar's last year), that
year counts Mon–Fri, the horizon ends too early and a line due just after a holiday shows
on_track. The risk stays as computed (the calendar file is the fix); :func:`horizon_gap` says so,
for every front end to show.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from addin.defaults import RISK_HORIZON
from addin.compute.columns import as_timestamp, date_column, number_column, text_column
from addin.compute.otd import codes_of, due_dates
from addin.i18n import table
from addin.schema import MILESTONES, STATUS_WORDS

if TYPE_CHECKING:
    from addin.compute.calendar import WorkingCalendar

__all__ = ["assess_risk", "horizon_gap", "horizon_note", "HorizonGap", "RISKS", "MILESTONE_LABELS", "RISK_FIELDS"]

RISKS: tuple[str, ...] = ("overdue", "at_risk", "on_track", "done", "cancelled")

# the ledger fields assess_risk reads (the due date under every basis: ladder_dates): a reader
# asked for only these gives the same risks (tests/test_risk_copy_memory.py holds it to that)
RISK_FIELDS: tuple[str, ...] = ("requested_date", "promised_date", "first_promised_date", "agreed_date", "status",
                                "ship_date", "qty", "shipped_qty",
                                *(f"{kind}_{m}_date" for m in MILESTONES for kind in ("planned", "actual")))

MILESTONE_LABELS: dict[str, dict[str, str]] = table("milestone")

_TEXT: dict[str, dict[str, str]] = table("riskwhy")

_BLOCK = 1 << 17      # lines per block of assess_risk (a million lines' working arrays: ~60 MB at once)


def _texts(values: np.ndarray, make) -> np.ndarray:
    """``make(value)`` once per distinct value (a date or a day count), broadcast to the lines:
    reasons repeat, and formatting a million dates one by one is what makes risk slow."""
    codes, uniques = pd.factorize(values)
    return np.array([make(u) for u in uniques], dtype=object)[codes]


def _join(acc: np.ndarray, mask: np.ndarray, texts: np.ndarray, sep: str) -> None:
    """Add ``texts`` (one per True in ``mask``) to the reasons in ``acc``, in place."""
    current = acc[mask]
    has = pd.notna(current)
    joined = texts.astype(object).copy()
    joined[has] = current[has] + sep + joined[has]       # object arrays add element-wise
    acc[mask] = joined


def assess_risk(ledger: pd.DataFrame, as_of: _dt.date, calendar: WorkingCalendar | None = None,
                horizon: int = RISK_HORIZON, projected_finish: pd.Series | None = None, basis: str = "promised",
                lang: str = "en", reasons: bool = True) -> pd.DataFrame:
    """``risk`` (one of :data:`RISKS`) and ``risk_reason`` (short text in ``lang``, None for
    on_track, done and cancelled) per line, with the ledger's index. ``projected_finish`` is an
    optional date Series aligned with the ledger (e.g. from capacity planning). ``reasons``
    False: the ``risk`` column alone (the risk copy shows no reason; a million lines' texts
    take 16 MB)."""
    if calendar is None:
        from addin.compute.calendar import WorkingCalendar
        calendar = WorkingCalendar.cn()
    if len(ledger) > _BLOCK:
        # each line's risk is its own: a block at a time, the working arrays stay a block's size
        projected = None if projected_finish is None else pd.Series(projected_finish)   # by position
        return pd.concat([assess_risk(ledger.iloc[i:i + _BLOCK], as_of, calendar, horizon,
                                      None if projected is None else projected.iloc[i:i + _BLOCK],
                                      basis, lang, reasons) for i in range(0, len(ledger), _BLOCK)])
    text = _TEXT.get(lang, _TEXT["en"])
    labels = MILESTONE_LABELS.get(lang, MILESTONE_LABELS["en"])
    sep = "；" if lang == "zh" else "; "
    day = as_timestamp(as_of)
    due = due_dates(ledger, basis)
    due_values = due.to_numpy()
    status = codes_of(text_column(ledger, "status"), STATUS_WORDS)
    ship = date_column(ledger, "ship_date")
    qty, shipped_qty = number_column(ledger, "qty").to_numpy(), number_column(ledger, "shipped_qty").to_numpy()

    cancelled = status == STATUS_WORDS.index("cancelled")
    closed_status = (status == STATUS_WORDS.index("shipped")) | (status == STATUS_WORDS.index("closed"))
    partial = shipped_qty < qty                                     # NaN compares False
    shipped = (ship <= day).to_numpy()
    done = ~cancelled & (closed_status | (shipped & ~partial))
    open_ = ~cancelled & ~done

    overdue = open_ & (due < day).to_numpy()
    limit = pd.Timestamp(calendar.workday(day.date(), int(horizon)))
    candidate = open_ & ~overdue
    why = np.full(len(ledger), None, dtype=object) if reasons else None
    at_risk = np.zeros(len(ledger), dtype=bool)

    def iso(value) -> str:
        return pd.Timestamp(value).strftime("%Y-%m-%d")

    def flag(mask: np.ndarray, texts) -> None:
        """The lines of ``mask`` at risk, with ``texts()`` (one per line of the mask) as a reason."""
        at_risk[mask] = True
        if why is not None:
            _join(why, mask, texts(), sep)

    near = candidate & (due <= limit).to_numpy()
    if near.any():
        template = text["horizon"].replace("{h}", str(int(horizon)))
        flag(near, lambda: _texts(due_values[near], lambda d: template.replace("{date}", iso(d))))
    for milestone in MILESTONES:
        planned = date_column(ledger, f"planned_{milestone}_date")
        missed = candidate & (planned < day).to_numpy() & date_column(ledger, f"actual_{milestone}_date").isna().to_numpy()
        if missed.any():
            template = text["milestone"].replace("{m}", labels[milestone])
            flag(missed, lambda: _texts(planned.to_numpy()[missed], lambda d: template.replace("{date}", iso(d))))
    if projected_finish is not None:
        projected = pd.to_datetime(pd.Series(projected_finish)).dt.normalize().to_numpy()
        behind = candidate & (projected > due_values)
        if behind.any():
            flag(behind, lambda: _texts(projected[behind], lambda d: text["projected"].replace("{date}", iso(d))))
    no_due = candidate & due.isna().to_numpy()
    if no_due.any():
        flag(no_due, lambda: np.full(int(no_due.sum()), text["no_due"], dtype=object))

    code = np.full(len(ledger), 2, dtype=np.int8)      # the first that applies wins: set it last
    for mask, value in ((at_risk, 1), (overdue, 0), (done, 3), (cancelled, 4)):
        code[mask] = value
    risk = pd.Series(np.asarray(RISKS, dtype=object)[code], dtype=object, copy=False)
    if why is None:
        return pd.DataFrame({"risk": risk}, copy=False).set_axis(ledger.index)
    if overdue.any():
        days = ((day - due[overdue]).dt.days).to_numpy(dtype="int64")

        def overdue_text(n: int) -> str:
            words = text["overdue"].replace("{n}", str(n))
            return words.replace("days", "day") if n == 1 and lang != "zh" else words
        why[overdue] = _texts(days, overdue_text)
    return pd.DataFrame({"risk": risk, "risk_reason": pd.Series(np.where(overdue | at_risk, why, None), dtype=object,
                                                                copy=False)}, copy=False).set_axis(ledger.index)


# ---------------------------------------------------------------------- calendar coverage


@dataclass(frozen=True)
class HorizonGap:
    """The risk horizon ran through years the calendar has no holiday data for."""
    calendar: str                # the calendar's name (cn, cn+factory.xlsx, ...)
    as_of: _dt.date
    end: _dt.date                # WORKDAY(as_of, horizon): lines due on or before it are at risk
    horizon: int
    years: tuple[int, ...]       # uncovered years in as_of .. end

    def note(self, lang: str = "en") -> str:
        """One line in ``lang``: ``risk.calendar_note`` around the review's ``review.calendar_gap``."""
        from addin.i18n import t
        from addin.compute.coverage import year_list
        gap = t("review.calendar_gap", lang, name=self.calendar, years=year_list(list(self.years)))
        return t("risk.calendar_note", lang, h=self.horizon, start=self.as_of.isoformat(),
                 end=self.end.isoformat(), note=gap)


def horizon_gap(as_of: _dt.date, calendar: WorkingCalendar | None = None, horizon: int = RISK_HORIZON) -> HorizonGap | None:
    """:class:`HorizonGap` when the horizon of :func:`assess_risk` (as_of .. WORKDAY(as_of, horizon))
    touches a year ``calendar`` (default ``cn``) has no holiday data for, else None. A horizon of 0
    counts no working days (WORKDAY(d, 0) is d), so it never has a gap."""
    if calendar is None:
        from addin.compute.calendar import WorkingCalendar
        calendar = WorkingCalendar.cn()
    steps = int(horizon)
    if steps == 0:
        return None
    day = as_timestamp(as_of).date()
    end = calendar.workday(day, steps)
    first, last = min(day, end), max(day, end)
    # one lookup per year of the window (one or two years), not per line
    years = tuple(y for y in range(first.year, last.year + 1) if not calendar.covers(_dt.date(y, 1, 1)))
    if not years:
        return None
    return HorizonGap(calendar=calendar.name, as_of=day, end=end, horizon=steps, years=years)


def horizon_note(as_of: _dt.date, calendar: WorkingCalendar | None = None, horizon: int = RISK_HORIZON,
                 lang: str = "en") -> str | None:
    """The note line of :func:`horizon_gap` in ``lang``, None when the horizon has no gap."""
    gap = horizon_gap(as_of, calendar, horizon)
    return None if gap is None else gap.note(lang)
