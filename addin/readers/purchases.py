"""Open purchase lines (SPEC section 2): part, open quantity, due date. A line that repeats an
earlier one exactly (same PO, part, quantity and due date) is most likely pasted twice: it
would double the supply, so it is an issue."""
from __future__ import annotations

from addin.readers import _rules, table
from addin.readers.grid import Grid


def finish(result: table.ReadResult, grid: Grid, match: table.HeaderMatch) -> None:
    d = result.data
    if "po_no" not in match.columns:
        return          # without PO numbers two equal lines may be two real orders
    new = [table.Issue(_rules.cell_of(result, grid, match, "po_no", row), "po_no",
                       d.loc[d["source_row"] == row, "po_no"].iat[0],
                       f"repeats row {first} (same PO, part, quantity and due date) — delete one")
           for row, first in _rules.duplicates(d, ["po_no", "part_no", "qty", "due_date"])]
    _rules.apply(result, new)
