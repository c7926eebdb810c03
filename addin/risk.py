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
"""
from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from addin.otd import _as_timestamp, _date_column, _number_column, _text_column, due_dates
from addin.schema import MILESTONES

if TYPE_CHECKING:
    from addin.calendar import WorkingCalendar

RISKS: tuple[str, ...] = ("overdue", "at_risk", "on_track", "done", "cancelled")

MILESTONE_LABELS = {
    "en": {"scheduled": "production start", "material": "material issue", "first_article": "first article",
           "qc": "QC", "warehouse": "warehousing"},
    "zh": {"scheduled": "排产", "material": "领料", "first_article": "首件", "qc": "质检", "warehouse": "入库"},
}

_TEXT = {
    "en": {"overdue": "overdue by {n} days", "horizon": "due {date}, within {h} working days",
           "milestone": "{m} planned {date} not done", "projected": "projected finish {date} after due date",
           "no_due": "no due date"},
    "zh": {"overdue": "逾期{n}天", "horizon": "{date}到期，{h}个工作日内", "milestone": "{m}计划{date}未完成",
           "projected": "预计完成{date}晚于交期", "no_due": "无交期"},
}


def _fmt(dates: pd.Series) -> pd.Series:
    return dates.dt.strftime("%Y-%m-%d").astype(object)


def _join(acc: pd.Series, part: pd.Series, sep: str = "; ") -> pd.Series:
    """Reasons joined with '; ' where both are present (object Series, None = no reason)."""
    a, b = acc.to_numpy(dtype=object), part.to_numpy(dtype=object)
    has_a, has_b = pd.notna(a), pd.notna(b)
    out = np.where(has_a, a, b)
    both = has_a & has_b
    if both.any():   # positional, so duplicate index labels cannot misalign
        out[both] = a[both] + sep + b[both]
    return pd.Series(out, index=acc.index, dtype=object)


def assess_risk(ledger: pd.DataFrame, as_of: _dt.date, calendar: WorkingCalendar | None = None,
                horizon: int = 3, projected_finish: pd.Series | None = None, basis: str = "promised",
                lang: str = "en") -> pd.DataFrame:
    """``risk`` (one of :data:`RISKS`) and ``risk_reason`` (short text in ``lang``, None for
    on_track, done and cancelled) per line, with the ledger's index. ``projected_finish`` is an
    optional date Series aligned with the ledger (e.g. from capacity planning)."""
    if calendar is None:
        from addin.calendar import WorkingCalendar
        calendar = WorkingCalendar.cn()
    text = _TEXT.get(lang, _TEXT["en"])
    labels = MILESTONE_LABELS.get(lang, MILESTONE_LABELS["en"])
    sep = "；" if lang == "zh" else "; "
    day = _as_timestamp(as_of)
    index = ledger.index
    due = due_dates(ledger, basis)
    status = _text_column(ledger, "status")
    ship = _date_column(ledger, "ship_date")
    qty, shipped_qty = _number_column(ledger, "qty"), _number_column(ledger, "shipped_qty")

    cancelled = (status == "cancelled").to_numpy(dtype=bool)
    closed_status = status.isin(["shipped", "closed"]).to_numpy(dtype=bool)
    partial = (shipped_qty < qty).to_numpy(dtype=bool)
    shipped = (ship.notna() & (ship <= day)).to_numpy(dtype=bool)
    done = ~cancelled & (closed_status | (shipped & ~partial))
    open_ = ~cancelled & ~done

    overdue = open_ & (due < day).to_numpy(dtype=bool)
    limit = pd.Timestamp(calendar.workday(day.date(), int(horizon)))
    candidate = open_ & ~overdue
    reasons = pd.Series(None, index=index, dtype=object)

    near = candidate & (due <= limit).to_numpy(dtype=bool)
    if near.any():
        part = pd.Series(None, index=index, dtype=object)
        before, after = text["horizon"].replace("{h}", str(int(horizon))).split("{date}")
        part[near] = before + _fmt(due[near]) + after
        reasons = _join(reasons, part, sep)
    for milestone in MILESTONES:
        planned = _date_column(ledger, f"planned_{milestone}_date")
        actual = _date_column(ledger, f"actual_{milestone}_date")
        missed = candidate & (planned < day).to_numpy(dtype=bool) & actual.isna().to_numpy(dtype=bool)
        if missed.any():
            before, after = text["milestone"].replace("{m}", labels[milestone]).split("{date}")
            part = pd.Series(None, index=index, dtype=object)
            part[missed] = before + _fmt(planned[missed]) + after
            reasons = _join(reasons, part, sep)
    if projected_finish is not None:
        projected = pd.to_datetime(pd.Series(projected_finish).set_axis(index)).dt.normalize()
        behind = candidate & (projected > due).to_numpy(dtype=bool)
        if behind.any():
            before, after = text["projected"].split("{date}")
            part = pd.Series(None, index=index, dtype=object)
            part[behind] = before + _fmt(projected[behind]) + after
            reasons = _join(reasons, part, sep)
    no_due = candidate & due.isna().to_numpy(dtype=bool)
    if no_due.any():
        part = pd.Series(None, index=index, dtype=object)
        part[no_due] = text["no_due"]
        reasons = _join(reasons, part, sep)
    at_risk = candidate & reasons.notna().to_numpy(dtype=bool)

    if overdue.any():
        days = (day - due[overdue]).dt.days.astype("int64")
        before, after = text["overdue"].split("{n}")
        if lang != "zh":   # "1 day", "2 days"
            after = pd.Series(np.where(days == 1, after.replace("days", "day"), after), index=days.index)
        reasons[overdue] = before + days.astype(str).astype(object) + after

    code = np.select([cancelled, done, overdue, at_risk], [4, 3, 0, 1], default=2)
    risk = pd.Series(np.asarray(RISKS, dtype=object)[code], index=index, dtype=object)
    reasons = reasons.where(pd.Series(overdue | at_risk, index=index), None)
    return pd.DataFrame({"risk": risk, "risk_reason": reasons.astype(object)}, index=index)
