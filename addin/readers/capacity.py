"""Capacity rules (SPEC section 2): hours per working day of each line, given directly or as
shifts x hours per shift (one shift when only the hours per shift are given)."""
from __future__ import annotations

import numpy as np

from addin.readers import _rules, table
from addin.readers.grid import Grid


def finish(result: table.ReadResult, grid: Grid, match: table.HeaderMatch) -> None:
    d = result.data
    new: list[table.Issue] = []
    shifts = d["shifts"].where(d["shifts"].notna() | d["hours_per_shift"].isna(), 1.0)
    per_shift = shifts * d["hours_per_shift"]
    given = d["hours_per_day"]
    for i in np.flatnonzero((given.notna() & per_shift.notna() & (given != per_shift)).to_numpy()):
        r = d.iloc[i]
        new.append(table.Issue(
            _rules.cell_of(result, grid, match, "hours_per_day", r["source_row"]), "hours_per_day", given.iat[i],
            f"differs from {_rules.fmt(shifts.iat[i])} shift(s) x {_rules.fmt(r['hours_per_shift'])} hours = "
            f"{_rules.fmt(per_shift.iat[i])}; {_rules.fmt(given.iat[i])} is used", "warning"))
    d["shifts"] = shifts
    d["hours_per_day"] = given.fillna(per_shift)
    for i in np.flatnonzero(d["hours_per_day"].isna().to_numpy()):
        r = d.iloc[i]
        fld = "hours_per_day" if "hours_per_day" in match.columns else "hours_per_shift"
        new.append(table.Issue(
            _rules.cell_of(result, grid, match, fld, r["source_row"]), fld, None,
            "is empty (give the hours per day, or the shifts and hours per shift)"))
    for i in np.flatnonzero((d["hours_per_day"] > 24 * 7).to_numpy()):
        r = d.iloc[i]
        new.append(table.Issue(
            _rules.cell_of(result, grid, match, "hours_per_day", r["source_row"]), "hours_per_day",
            r["hours_per_day"], "is more than a week of hours for one day — hours per day expected"))
    for row, first in _rules.duplicates(d, ["line"]):
        new.append(table.Issue(_rules.cell_of(result, grid, match, "line", row), "line",
                               d.loc[d["source_row"] == row, "line"].iat[0],
                               f"already has its hours in row {first} — keep one row per line"))
    _rules.apply(result, new)
