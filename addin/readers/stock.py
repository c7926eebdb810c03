"""Stock rules (SPEC section 2): on hand, safety stock, allocated. More allocated than on hand
is a real shortage, not a typo: a warning, the row stays."""
from __future__ import annotations

from addin.readers import _rules, table
from addin.readers.grid import Grid


def finish(result: table.ReadResult, grid: Grid, match: table.HeaderMatch) -> None:
    d = result.data
    new: list[table.Issue] = []
    over = d["allocated"].notna() & (d["allocated"] > d["on_hand"])
    for _, r in d[over].iterrows():
        new.append(table.Issue(
            _rules.cell_of(result, grid, match, "allocated", r["source_row"]), "allocated", r["allocated"],
            f"is more than the {_rules.fmt(r['on_hand'])} on hand: "
            f"{_rules.fmt(r['allocated'] - r['on_hand'])} short already", "warning"))
    repeated = d["part_no"].str.casefold().duplicated(keep=False)
    if repeated.any():
        parts = list(dict.fromkeys(d.loc[repeated, "part_no"]))
        shown = ", ".join(parts[:5]) + (", ..." if len(parts) > 5 else "")
        result.notes.append(f"{len(parts)} part(s) listed on more than one row ({shown}): "
                            f"each row is kept (one per warehouse or lot); netting adds them up per part")
    _rules.apply(result, new)
