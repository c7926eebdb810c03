"""Where a button may write columns into the user's sheet, and which conditional-formatting rules
are OrderDesk's own (SPEC 7: a button writes only into empty cells or into OrderDesk's own columns,
found by their header, and never deletes a user's rule).

Pure: grids of cell values in, decisions out. The books (``addin.excel.book``) read and write.

The placement rule (:func:`place_columns`), one for every button that writes columns beside the
user's table (Refresh risk colours, Promise date):

1. the header block is the readers' (the rows from the first header row to the header row the
   readers found: a title row above is not part of it, a two-row header with merged cells is);
2. an OrderDesk column is found by its header text — any of the texts OrderDesk writes, in either
   language, case and spacing aside — on any row of the header block; its cells are OrderDesk's
   (a column headed like one of ours but holding values OrderDesk never writes is not ours);
3. otherwise the columns right after the last column used in *any* row of the sheet (title rows,
   header block, data, notes below the table), merged areas over the written rows counting as used;
4. a column of the place that is neither OrderDesk's nor empty in every row written is *taken*:
   the button says which cell and writes nothing.

OrderDesk's conditional-formatting rules carry a marker in their formula (:func:`marked`):
``=("OrderDesk"<>"")*(<condition>)``. The marker uses only a text constant and operators — no
function names and no argument separators, which Excel's ``FormatConditions.Add`` reads in the
user's locale — so the rule is accepted as it is by Excel (any language) and LibreOffice, and is
true exactly when the condition is. Rules without the marker are the user's and are never touched.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Sequence

MAX_COLUMNS = 16384            # Excel's last column, XFD

RULE_MARKER = '"OrderDesk"<>""'
_MARKED = re.compile(r'^=?\s*\(\s*"OrderDesk"\s*<>\s*""\s*\)\s*\*\s*\((.*)\)\s*$', re.S)


def marked(formula: str) -> str:
    """``=$K4="overdue"`` -> ``=("OrderDesk"<>"")*($K4="overdue")``: an OrderDesk rule, found again
    by :func:`is_own_formula`."""
    body = formula[1:] if formula.startswith("=") else formula
    return f"=({RULE_MARKER})*({body})"


def unmarked(formula: str) -> str:
    """The condition inside a marked formula (``=$K4="overdue"``); any other formula as it is."""
    m = _MARKED.match(formula or "")
    return f"={m.group(1)}" if m else formula


def is_own_formula(formula: Any) -> bool:
    """True for a conditional-formatting formula OrderDesk wrote (with or without the ``=``, as
    openpyxl, Excel's COM ``Formula1`` and the file's XML give it, ``&quot;`` decoded)."""
    return isinstance(formula, str) and _MARKED.match(formula) is not None


# ---------------------------------------------------------------- own columns

def header_key(text: Any) -> str:
    """A header cell's text compared case and spacing aside ('' for an empty cell)."""
    if text is None:
        return ""
    return " ".join(str(text).split()).casefold()


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value == "") or (isinstance(value, float) and value != value)


@dataclass(frozen=True)
class OwnColumn:
    """A column OrderDesk writes into the user's sheet."""
    header: str                                   # the header OrderDesk writes
    texts: tuple[str, ...] = ()                   # further headers it is recognised by (both languages)
    holds: Callable[[Any], bool] | None = None    # a data cell OrderDesk could have written (None: any)

    def recognises(self, text: Any) -> bool:
        key = header_key(text)
        return bool(key) and key in {header_key(t) for t in (self.header, *self.texts)}

    def exact(self, text: Any) -> bool:
        """Headed with the very text the button writes: OrderDesk's whatever it holds (the user
        may edit it); a column headed with one of ``texts`` is ours only holding what we write."""
        return header_key(text) == header_key(self.header)

    def could_hold(self, value: Any) -> bool:
        return is_empty(value) or self.holds is None or self.holds(value)


@dataclass(frozen=True)
class Place:
    """Where the columns go (``column``: 1-based first column) or why they cannot (``taken``:
    the (row, column, value) of the first user cell in the way; value None with column past XFD
    or a merged area)."""
    column: int | None
    header_row: int                   # the row the headers are written on
    own: bool = False                 # OrderDesk's columns of an earlier run, reused
    taken: tuple[int, int, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.column is not None


Merged = tuple[int, int, int, int]     # (first row, first column, last row, last column), 1-based


def last_used_column(grid: Sequence[Sequence[Any]], rows: tuple[int, int] | None = None,
                     merged: Sequence[Merged] = ()) -> int:
    """The rightmost column (1-based, 0 for none) holding a value in any row of ``grid``, or a
    merged area crossing ``rows`` (first, last; 1-based)."""
    last = 0
    for row in grid:
        for c in range(len(row) - 1, last - 1, -1):
            if not is_empty(row[c]):
                last = c + 1
                break
    if rows is not None:
        for r1, c1, r2, c2 in merged:
            if r1 <= rows[1] and r2 >= rows[0]:
                last = max(last, c2)
    return last


def _cell(grid: Sequence[Sequence[Any]], row: int, col: int) -> Any:
    """1-based; None outside the grid."""
    if row - 1 >= len(grid) or row < 1:
        return None
    r = grid[row - 1]
    return r[col - 1] if 0 < col <= len(r) else None


def place_columns(grid: Sequence[Sequence[Any]], header_first: int, header_row: int,
                  columns: Sequence[OwnColumn], *, last_row: int | None = None,
                  merged: Sequence[Merged] = ()) -> Place:
    """Where the block of ``columns`` (written side by side, headers on the header block, data
    below down to ``last_row``, default the grid's last row) goes in ``grid`` (a sheet's values,
    row 1 first); see the module's text for the rule."""
    last_row = max(last_row if last_row is not None else len(grid), header_row)
    block = range(header_first, header_row + 1)
    width = max((len(grid[r - 1]) for r in block if r - 1 < len(grid)), default=0)
    first = columns[0]
    for col in range(1, width + 1):
        found = [r for r in block if first.recognises(_cell(grid, r, col))]
        if not found:
            continue
        if not _is_own(grid, col, block, last_row, first):
            continue     # headed like ours but holding the user's values: the user's column
        return _check(grid, col, found[0], block, last_row, columns, merged, own=True)
    col = last_used_column(grid, (header_row, last_row), merged) + 1
    return _check(grid, col, header_row, block, last_row, columns, merged, own=False)


def _is_own(grid, col: int, block: range, last_row: int, spec: OwnColumn) -> bool:
    if any(spec.exact(_cell(grid, r, col)) for r in block):
        return True
    return all(spec.could_hold(_cell(grid, r, col)) for r in range(block.stop, last_row + 1))


def _check(grid, col: int, header_at: int, block: range, last_row: int, columns: Sequence[OwnColumn],
           merged: Sequence[Merged], *, own: bool) -> Place:
    """``col`` .. as the place when every cell written there is empty or OrderDesk's."""
    end = col + len(columns) - 1
    if end > MAX_COLUMNS:
        return Place(None, header_at, own, (header_at, MAX_COLUMNS + 1, None))
    for r1, c1, r2, c2 in merged:   # a merged area cannot be written in part
        if r1 <= last_row and r2 >= header_at and c1 <= end and c2 >= col:
            return Place(None, header_at, own, (max(r1, header_at), max(c1, col), None))
    for i, spec in enumerate(columns):
        c = col + i
        headers = [r for r in block if not is_empty(_cell(grid, r, c))]
        ours = bool(headers) and all(spec.recognises(_cell(grid, r, c)) for r in headers)
        if headers and not ours:
            r = headers[0]
            return Place(None, header_at, own, (r, c, _cell(grid, r, c)))
        if ours and _is_own(grid, c, block, last_row, spec):
            continue
        for r in range(block.stop, last_row + 1):
            v = _cell(grid, r, c)
            if not is_empty(v):
                return Place(None, header_at, own, (r, c, v))
    return Place(col, header_at, own)


# ---------------------------------------------------------------- static fills (macOS)

@dataclass(frozen=True)
class Painted:
    """Cells OrderDesk filled with a colour (macOS, where it cannot add conditional formatting):
    ``address`` (``A4:L6``) on ``sheet``, in ``fill`` (RRGGBB)."""
    sheet: str
    address: str
    fill: str


def static_fills(values: Sequence[Any], conditions: Sequence[tuple[str, str]], top: int,
                 first_col: str, last_col: str) -> list[tuple[str, str]]:
    """(address, fill) per run of consecutive rows whose value (``values``: the rule column from
    row ``top`` down) equals a rule's text (``conditions``: (text, fill), first match wins), each
    address spanning ``first_col``..``last_col``."""
    out: list[tuple[str, str]] = []
    run: tuple[int, int, str] | None = None
    for i, v in enumerate(values):
        fill = next((f for text, f in conditions if v == text), None)
        row = top + i
        if run is not None and fill == run[2] and row == run[1] + 1:
            run = (run[0], row, fill)
            continue
        if run is not None:
            out.append((f"{first_col}{run[0]}:{last_col}{run[1]}", run[2]))
        run = (row, row, fill) if fill else None
    if run is not None:
        out.append((f"{first_col}{run[0]}:{last_col}{run[1]}", run[2]))
    return out


_STATIC = re.compile(r'^=\$([A-Z]{1,3})\$?(\d+)="(.*)"$')


def static_conditions(formulas_fills: Sequence[tuple[str, str]]) -> tuple[str | None, list[tuple[str, str]]]:
    """(the column the rules look at, [(text, fill)]) for rules of the form ``=$K4="overdue"``;
    (None, []) when any rule is of another form."""
    col, out = None, []
    for formula, fill in formulas_fills:
        m = _STATIC.match(unmarked(formula))
        if not m or (col is not None and m.group(1) != col):
            return None, []
        col = m.group(1)
        out.append((m.group(3), fill))
    return col, out


def to_clear(painted: Sequence[Painted], sheet: str, colour_of: Callable[[str], str | None]) -> list[str]:
    """The addresses on ``sheet`` OrderDesk painted before and still carrying exactly that fill
    (``colour_of(address)``: RRGGBB, None when mixed or none): a fill the user changed since is
    the user's and stays."""
    return [p.address for p in painted if p.sheet == sheet and (colour_of(p.address) or "").upper() == p.fill.upper()]
