"""Calendar coverage: the years without holiday data that a row's date computations ran through.

The built-in cn calendar knows China's holidays only for the years chinesecalendar covers; outside
them it counts plain Mon–Fri, so a date computed through such a year (Spring Festival counted as
working days) is too early. A check whose dates ran through one is never a silent pass.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from addin.compute.calendar import WorkingCalendar



def calendar_gaps(calendar: WorkingCalendar, spans: list[tuple[Any, Any]]) -> tuple[np.ndarray, np.ndarray]:
    """Years without holiday data that each row's date computations ran through.

    ``spans``: (first, last) pairs of date arrays, one value per row, in either order; a row whose
    span has NaT at either end did not compute that span. Returns ``(years, hit)``: the uncovered
    years met (sorted int64) and a bool matrix rows × years, True where a span of the row touches
    that year."""
    def as_days(values: Any) -> np.ndarray:
        days = np.asarray(values)
        if days.dtype.kind != "M":  # objects / text: parse once; datetime64 of any unit is taken as is
            days = pd.to_datetime(pd.Series(days)).to_numpy()
        return days.astype("datetime64[D]")

    pairs = []
    for first, last in spans:
        a, b = as_days(first), as_days(last)
        ok = ~(np.isnat(a) | np.isnat(b))
        y_a = a.astype("datetime64[Y]").astype("int64") + 1970
        y_b = b.astype("datetime64[Y]").astype("int64") + 1970
        pairs.append((ok, np.minimum(y_a, y_b), np.maximum(y_a, y_b)))
    n = len(pairs[0][0]) if pairs else 0
    known = [(y0[ok], y1[ok]) for ok, y0, y1 in pairs if ok.any()]
    if not known:
        return np.zeros(0, dtype="int64"), np.zeros((n, 0), dtype=bool)
    low = int(min(y0.min() for y0, _ in known))
    high = int(max(y1.max() for _, y1 in known))
    years = np.arange(low, high + 1, dtype="int64")
    # one lookup per year met (a handful), not per row
    january = pd.Series(pd.to_datetime([f"{y:04d}-01-01" for y in years.tolist()]))
    years = years[~calendar.covers_many(january).to_numpy(dtype=bool)]
    hit = np.zeros((n, len(years)), dtype=bool)
    if len(years):
        for ok, y0, y1 in pairs:
            hit |= ok[:, None] & (y0[:, None] <= years[None, :]) & (years[None, :] <= y1[:, None])
    return years, hit


def year_list(years: list[int] | np.ndarray) -> str:
    """Years as people write them: ``2027``, ``2027–2029`` (a run), ``2027, 2029``."""
    runs: list[list[int]] = []
    for year in sorted(int(y) for y in years):
        if runs and year == runs[-1][1] + 1:
            runs[-1][1] = year
        else:
            runs.append([year, year])
    return ", ".join(f"{a}" if a == b else f"{a}–{b}" for a, b in runs)


def gap_notes(calendar: WorkingCalendar, years: np.ndarray, hit: np.ndarray, lang: str) -> np.ndarray:
    """Per row the one-line calendar note (``review.calendar_gap``) naming the uncovered years
    the row met, None where it met none; formatted once per distinct set of years."""
    from addin.i18n import t as text
    notes = np.full(len(hit), None, dtype=object)
    rows = hit.any(axis=1) if hit.shape[1] else np.zeros(len(hit), dtype=bool)
    if not rows.any():
        return notes
    patterns, inverse = np.unique(hit[rows], axis=0, return_inverse=True)
    texts = np.array([text("review.calendar_gap", lang, name=calendar.name, years=year_list(years[p]))
                      for p in patterns], dtype=object)
    notes[rows] = texts[np.asarray(inverse).reshape(-1)]
    return notes


def year_tuples(years: np.ndarray, hit: np.ndarray) -> np.ndarray:
    """Per row the tuple of uncovered years it met (empty tuple for none)."""
    out = np.empty(len(hit), dtype=object)
    out[:] = [()] * len(hit)
    rows = hit.any(axis=1) if hit.shape[1] else np.zeros(len(hit), dtype=bool)
    if rows.any():
        patterns, inverse = np.unique(hit[rows], axis=0, return_inverse=True)
        found = [tuple(int(y) for y in years[p]) for p in patterns]
        picked = np.empty(len(found), dtype=object)
        picked[:] = found
        out[rows] = picked[np.asarray(inverse).reshape(-1)]
    return out


def flag_gaps(results: np.ndarray, reasons: list[str | None] | np.ndarray, notes: np.ndarray,
              lang: str) -> tuple[np.ndarray, np.ndarray]:
    """A check's results and reasons with the calendar note: a ``pass`` becomes ``warn``, a warn or
    fail stays; the note follows the check's own reason. Rows where the check did not run (result
    None) are left alone."""
    results = np.asarray(results, dtype=object).copy()
    reasons = np.array(reasons, dtype=object)
    flagged = pd.notna(notes) & pd.notna(results)
    if not flagged.any():
        return results, reasons
    results[flagged & (results == "pass")] = "warn"
    sep = "；" if lang == "zh" else "; "
    own = reasons[flagged]
    has_own = np.array([isinstance(r, str) and bool(r) for r in own], dtype=bool)
    joined = notes[flagged].copy()
    joined[has_own] = own[has_own] + sep + joined[has_own]   # object arrays add element-wise
    reasons[flagged] = joined
    return results, reasons
