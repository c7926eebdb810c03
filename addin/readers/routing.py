"""Routing rules (SPEC section 2): which line makes a part and its standard hours per unit.
A part may run on several lines (alternatives), but once per line; zero hours per unit would
make the capacity check meaningless."""
from __future__ import annotations

import numpy as np

from addin.readers import _rules, table
from addin.readers.grid import Grid


def finish(result: table.ReadResult, grid: Grid, match: table.HeaderMatch) -> None:
    d = result.data
    new: list[table.Issue] = []
    for i in np.flatnonzero((d["hours_per_unit"] == 0).to_numpy()):
        new.append(table.Issue(_rules.cell_of(result, grid, match, "hours_per_unit", d["source_row"].iat[i]),
                               "hours_per_unit", 0.0, "must be more than 0"))
    for row, first in _rules.duplicates(d, ["part_no", "line"]):
        new.append(table.Issue(_rules.cell_of(result, grid, match, "line", row), "line",
                               d.loc[d["source_row"] == row, "line"].iat[0],
                               f"repeats row {first} (same part on the same line) — keep one row"))
    _rules.apply(result, new)
