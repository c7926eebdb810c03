"""Helpers for the kind-specific ``finish`` rules: name a cell of a valid row, move rows from
valid to issues while keeping read = valid + issues + blank_or_total."""
from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd

from addin.readers import table
from addin.readers.grid import Grid


def cell_of(result: table.ReadResult, grid: Grid, match: table.HeaderMatch, fld: str, row: int) -> str:
    """The worksheet cell of ``fld`` on worksheet row ``row`` (its column when the field was
    found, else the row's first column)."""
    return table.cell_name(grid.sheet, match.columns.get(fld, 0), int(row))


def apply(result: table.ReadResult, new: Iterable[table.Issue]) -> None:
    """Add issues found by a finish rule; rows with a new error leave the valid data."""
    new = list(new)
    if not new:
        return
    bad_rows = {table._row_of(i.cell) for i in new if i.severity == "error"}
    already = {table._row_of(i.cell) for i in result.issues if i.severity == "error"}
    result.issues.extend(new)
    result.issues.sort(key=lambda it: (table._row_of(it.cell), it.cell))
    leaving = result.data["source_row"].isin(bad_rows - already)
    moved = int(leaving.sum())
    if moved:
        result.data = result.data[~leaving].reset_index(drop=True)
        result.rows.valid -= moved
        result.rows.issues += moved


def duplicates(frame: pd.DataFrame, key: list[str]) -> list[tuple[int, int]]:
    """(row, first row) for every line whose key repeats an earlier line's, by source_row.
    Empty key parts compare equal to each other."""
    if frame.empty:
        return []
    k = frame[key].astype(object).where(frame[key].notna(), "\x00")
    k = k.map(lambda v: v.casefold() if isinstance(v, str) else v)
    dup = k.duplicated(keep="first").to_numpy()
    if not dup.any():
        return []
    first = k.drop_duplicates(keep="first")
    firsts = {tuple(r): int(s) for r, s in zip(first.itertuples(index=False), frame.loc[first.index, "source_row"])}
    return [(int(frame["source_row"].iat[i]), firsts[tuple(k.iloc[i])]) for i in np.flatnonzero(dup)]


def fmt(value: float) -> str:
    """A number as a planner writes it: 16, 7.5."""
    return f"{value:g}"
