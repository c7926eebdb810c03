"""Escalation (SPEC section 11, seed 004 二(三)): what goes up to the department head.

Two reasons, either or both per line, from a ledger classified by ``addin.compute.otd.classify``:

* ``major``: a **major exception** — a line still open and late by ``major_days`` or more at the
  as-of date (SPEC 3's severity). A line that has shipped is no longer chased: the monthly
  workbook's exception log keeps it.
* ``action_overdue``: an **action past its deadline** — the line's ``action_deadline`` is before
  the as-of date and the line is not done (not shipped, closed or cancelled). An exception with no
  action written and no deadline is listed as a major one with an empty action: that is exactly
  what the head must see.

Each row carries owner, problem, action and deadline. Pure: no file, clock or mail.
"""
from __future__ import annotations

import datetime as _dt
from typing import Any

import numpy as np
import pandas as pd

from addin.compute.columns import as_timestamp, date_column, text_column
from addin.schema import STATUS_WORDS

__all__ = ["ESCALATION_COLUMNS", "escalations", "counts"]

ESCALATION_COLUMNS = ("reason", "order_no", "line_no", "customer", "part_no", "qty", "due_date", "days_late",
                      "owner", "problem", "root_cause", "action", "action_deadline", "days_past_deadline",
                      "source_row")


def _problem(frame: pd.DataFrame) -> pd.Series:
    note, kind = text_column(frame, "exception_note"), text_column(frame, "exception_type")
    blank = note.isna() | (note.astype(str).str.strip() == "")
    return note.where(~blank, kind).astype(object)


def _causes(rows: pd.DataFrame, keywords: Any) -> np.ndarray:
    """The root cause of each line: classify's for late lines, else from its exception type and
    note the same way (an overdue action on a line not yet late still has a cause)."""
    from addin.compute.rootcause import classify_causes
    causes = text_column(rows, "root_cause").to_numpy(dtype=object).copy()
    missing = pd.isna(causes)
    if missing.any():
        causes[missing] = classify_causes(text_column(rows, "exception_type")[missing],
                                          text_column(rows, "exception_note")[missing], keywords or {}).to_numpy()
    return causes


def escalations(classified: pd.DataFrame, as_of: _dt.date, major_days: int,
                cause_keywords: Any = None) -> pd.DataFrame:
    """The lines to escalate at ``as_of``, most days late first (then most days past the
    deadline), as :data:`ESCALATION_COLUMNS`; ``reason`` is ``major``, ``action_overdue`` or
    ``major+action_overdue``."""
    day = as_timestamp(as_of)
    outcome = classified["outcome"].to_numpy(dtype=object)
    ship = date_column(classified, "ship_date")
    received = (ship <= day).to_numpy()
    days_late = pd.to_numeric(classified["days_late"], errors="coerce").to_numpy(dtype="float64")
    major = (outcome == "late") & ~received & (np.nan_to_num(days_late, nan=-1) >= major_days)
    deadline = date_column(classified, "action_deadline")
    from addin.compute.otd import codes_of
    status = codes_of(text_column(classified, "status"), STATUS_WORDS)
    done = received | np.isin(status, [STATUS_WORDS.index(w) for w in ("shipped", "closed", "cancelled")])
    overdue_action = (deadline < day).to_numpy() & ~done
    keep = major | overdue_action
    rows = classified.loc[keep]
    reason = np.where(major[keep] & overdue_action[keep], "major+action_overdue",
                      np.where(major[keep], "major", "action_overdue"))
    past = (day - deadline[keep]).dt.days.to_numpy(dtype="float64")
    out = pd.DataFrame({
        "reason": reason.astype(object),
        "order_no": text_column(rows, "order_no").to_numpy(dtype=object),
        "line_no": text_column(rows, "line_no").to_numpy(dtype=object),
        "customer": text_column(rows, "customer").to_numpy(dtype=object),
        "part_no": text_column(rows, "part_no").to_numpy(dtype=object),
        "qty": pd.to_numeric(text_column(rows, "qty"), errors="coerce").to_numpy(dtype="float64"),
        "due_date": pd.to_datetime(rows["due_date"]).to_numpy(),
        "days_late": days_late[keep],
        "owner": text_column(rows, "owner").to_numpy(dtype=object),
        "problem": _problem(rows).to_numpy(dtype=object),
        "root_cause": _causes(rows, cause_keywords),
        "action": text_column(rows, "action").to_numpy(dtype=object),
        "action_deadline": deadline[keep].to_numpy(),
        "days_past_deadline": np.where(overdue_action[keep], past, np.nan),
        "source_row": text_column(rows, "source_row").to_numpy(dtype=object),
    })
    out = out.sort_values(["days_late", "days_past_deadline"], ascending=False, na_position="last", kind="stable")
    return out.reset_index(drop=True)


def counts(table: pd.DataFrame) -> dict[str, Any]:
    """Major exceptions and overdue actions in an :func:`escalations` table."""
    reasons = table["reason"].astype(str)
    return {"major": int(reasons.str.contains("major").sum()),
            "action_overdue": int(reasons.str.contains("action_overdue").sum()), "lines": len(table)}
