"""Quote book rules (SPEC section 2): one row per price break. A break whose validity ends
before it starts, or that repeats an earlier break of the same quote, part and quantity, cannot
be priced against and is an issue (the first occurrence stays)."""
from __future__ import annotations

from addin.readers import _rules, table
from addin.readers.grid import Grid

BREAK_KEY = ["quote_no", "customer", "part_no", "revision", "currency", "min_qty"]


def finish(result: table.ReadResult, grid: Grid, match: table.HeaderMatch) -> None:
    d = result.data
    new: list[table.Issue] = []
    backwards = d["valid_until"].notna() & d["valid_from"].notna() & (d["valid_until"] < d["valid_from"])
    for _, r in d[backwards].iterrows():
        new.append(table.Issue(
            _rules.cell_of(result, grid, match, "valid_until", r["source_row"]), "valid_until",
            r["valid_until"].date(),
            f"is before the valid-from date {r['valid_from'].date().isoformat()} "
            f"({_rules.cell_of(result, grid, match, 'valid_from', r['source_row'])})"))
    key = [f for f in BREAK_KEY if f in match.columns or f == "min_qty"]
    frame = d.assign(min_qty=d["min_qty"].fillna(0))
    for row, first in _rules.duplicates(frame, key):
        fld = "min_qty" if "min_qty" in match.columns else "part_no"
        value = d.loc[d["source_row"] == row, fld].iat[0]
        new.append(table.Issue(
            _rules.cell_of(result, grid, match, fld, row), fld, value,
            f"repeats the price break of row {first} (same quote, customer, part and quantity) — "
            f"delete one or change its quantity"))
    _rules.apply(result, new)
