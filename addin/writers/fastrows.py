"""Body rows of a large XlsxWriter worksheet, written column-wise as one block of XML (issue 7).

XlsxWriter keeps every cell as a tuple in a dict of dicts and writes it back with several Python
calls per cell; at 50,000 rows x 45 columns that is most of the monthly report's time. Here a
column is handled once per *distinct* value (text cleaned and put in the shared-string table,
number formatted) and the cells are assembled with numpy ``take`` and one ``str.join`` per chunk
of rows, emitted inside ``<sheetData>`` when the workbook closes. XlsxWriter still writes the
rest of the sheet (header row, rows below the block such as a total, table, formats, widths,
panes) and the shared strings.

Text goes through the same rule as the cell-by-cell path (``cell_text``: never a formula or a
link, XML-illegal control characters removed, at most 32,767 UTF-16 units) and through
XlsxWriter's own shared-string writer, so its XML escaping is XlsxWriter's. Numbers are written
with Python's shortest round-trip repr (XlsxWriter's ``%.16G`` can lose the 17th digit).

The hook uses private XlsxWriter API (``Worksheet._write_rows``, ``_write_row``,
``_check_dimensions``, ``str_table``, ``table``, ``row_info``, ``dim_rowmax``), read against
XlsxWriter 3.3.1. ``fast_path_available`` checks the version is in ``TESTED_VERSIONS`` and the
attributes exist; otherwise ``write_columns`` writes cell by cell through the public API.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import Any, Literal, Sequence

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

__all__ = ["Column", "write_columns", "fast_path_available", "cell_text", "add_table"]

# [low, high) XlsxWriter versions whose private worksheet API the hook was read against.
TESTED_VERSIONS = ((3, 3), (3, 4))

CHUNK_ROWS = 2048  # rows joined into one string at a time: bounded memory on big sheets

_NO_CELL = -1
_BLANK = "\x00blank"  # payload of a blank cell that carries a format (no value)
_SHARED = "\x00text:"  # a number column's payload that is text: the shared-string index follows


@dataclass(frozen=True)
class Column:
    """One worksheet column of body rows.

    ``kind="number"``: ``values`` convertible to float64, NaN = no cell (dates are numbers: Excel
    serials with a date ``fmt``). ``kind="text"``: any objects, written with ``cell_text``."""
    kind: Literal["number", "text"]
    values: Any
    fmt: Any = None
    # blank values still get a cell carrying ``fmt`` (borders), as ``write_blank(.., fmt)`` does
    styled_blanks: bool = False
    # ``kind="number"``: the text written (with ``fmt``) where a value is missing, e.g. "unknown"
    missing_text: str | None = None


def cell_text(value: Any) -> str | None:
    """The text a cell shows for ``value``, or None for no cell (blank or "")."""
    from addin.writers.xlsx import clean_text, is_blank
    if is_blank(value) or (isinstance(value, str) and value == ""):
        return None
    if isinstance(value, tuple):
        value = ", ".join(str(v) for v in value)
    return clean_text(str(value))


def _version() -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in xlsxwriter.__version__.split(".")[:2])
    except (AttributeError, ValueError):
        return (0,)


def fast_path_available(ws) -> bool:
    """Whether ``ws`` can take the block-of-XML hook (XlsxWriter version and internals known)."""
    low, high = TESTED_VERSIONS
    if not (low <= _version() < high) or getattr(ws, "constant_memory", True):
        return False
    needed = ("_write_rows", "_write_row", "_check_dimensions", "str_table", "table", "row_info",
              "comments", "col_info", "dim_rowmax", "dim_rowmin", "tables")
    return all(hasattr(ws, name) for name in needed) and \
        hasattr(ws.str_table, "_get_shared_string_index") and hasattr(ws.str_table, "count")


# --------------------------------------------------------------------------- cell by cell

def _write_slow(ws, first_row: int, columns: Sequence[Column]) -> None:
    """The public-API path (and the reference the fast path is tested against): column by
    column, or row by row in constant-memory mode, which drops cells above its current row."""
    cells = []
    for column in columns:
        if column.kind == "number":
            values = np.asarray(column.values, dtype="float64")
            missing = [] if column.missing_text is None else \
                [(int(i), column.missing_text) for i in np.flatnonzero(np.isnan(values))]
            cells.append(sorted([(int(i), float(values[i])) for i in np.flatnonzero(~np.isnan(values))] + missing))
        else:
            texts = (cell_text(v) for v in _objects(column.values))
            cells.append([(i, text) for i, text in enumerate(texts) if text is not None])
    for j, column in enumerate(columns):
        if column.styled_blanks and column.fmt is not None:
            filled = {i for i, _ in cells[j]}
            cells[j].extend((i, None) for i in range(len(column.values)) if i not in filled)
    order = [(j, i, v) for j, col in enumerate(cells) for i, v in col]
    if getattr(ws, "constant_memory", False):
        order.sort(key=lambda cell: (cell[1], cell[0]))
    from addin.writers.xlsx import write_text   # it keeps '<r>..</r>'-shaped text plain
    for j, i, value in order:
        if value is None:
            ws.write_blank(first_row + i, j, None, columns[j].fmt)
        elif isinstance(value, str):
            write_text(ws, first_row + i, j, value, columns[j].fmt)
        else:
            ws.write_number(first_row + i, j, value, columns[j].fmt)


def _objects(values: Any) -> np.ndarray:
    if isinstance(values, (pd.Series, pd.Index, pd.api.extensions.ExtensionArray)):
        return np.asarray(values.to_numpy(dtype=object, na_value=None), dtype=object)
    return np.asarray(values, dtype=object)


# --------------------------------------------------------------------------- column-wise

@dataclass
class _Coded:
    """A column as codes into its distinct values (-1 = no cell) and each value's XML payload."""
    codes: np.ndarray
    # text: the shared-string index, or the escaped inline text after "<is>"; number: the <v>
    # text or "inf"/"-inf"
    payloads: list[str]
    kind: str
    fmt: Any


def _code_text(values: Any, fmt, str_table) -> _Coded:
    objects = _objects(values)
    if pd.api.types.infer_dtype(objects, skipna=True) in ("string", "empty"):
        codes, uniques = pd.factorize(objects, use_na_sentinel=True)
        texts = [cell_text(u) for u in uniques]
    else:
        # mixed types: 1, 1.0 and True are one key to a hash table but three different texts
        codes, uniques = pd.factorize(np.array([cell_text(v) for v in objects], dtype=object),
                                      use_na_sentinel=True)
        texts = list(uniques)
    codes = np.asarray(codes, dtype=np.int64)
    counts = np.bincount(codes[codes >= 0], minlength=len(texts))
    payloads: list[str] = []
    remap = np.full(len(texts), _NO_CELL, dtype=np.int64)
    # Registered in order of first appearance, as the cell-by-cell path would; the table's
    # reference count is kept exact (it is written in sharedStrings.xml).
    for k, text in enumerate(texts):
        if text is None:
            continue
        remap[k] = len(payloads)
        if text.startswith("<r>") and text.endswith("</r>"):
            # XlsxWriter's shared-string writer takes such text for its own rich-string XML and
            # writes it unescaped (the cell reads back empty or altered): write it inline
            payloads.append(_inline(text))
            continue
        payloads.append(_text_code(text, int(counts[k]), str_table))
    remap = np.append(remap, _NO_CELL)  # code -1 (blank) picks the last entry
    codes = remap[codes]
    return _Coded(codes, payloads, "text", fmt)


def _text_code(text: str, uses: int, str_table) -> str:
    """The shared-string index of ``text``, written in ``uses`` cells (the table's count is exact)."""
    index = str_table._get_shared_string_index(text)
    str_table.count += uses - 1
    return str(index)


def _inline(text: str) -> str:
    """``<t>`` of an inline string, escaped as XlsxWriter escapes shared strings."""
    from xlsxwriter.utility import _preserve_whitespace
    from xlsxwriter.xmlwriter import XMLwriter
    text = XMLwriter._escape_control_characters(text)   # "_x0041_" and CR survive the round trip
    space = ' xml:space="preserve"' if _preserve_whitespace(text) else ""
    return f"<t{space}>" + text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") + "</t>"


def _number_text(x: float) -> str:
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x.is_integer() and abs(x) < 1e16:
        return str(int(x))
    return repr(x)  # shortest text that reads back as the same double


def _code_numbers(values: Any, fmt) -> _Coded:
    numbers = np.asarray(values, dtype="float64")
    codes, uniques = pd.factorize(numbers, use_na_sentinel=True)
    return _Coded(np.asarray(codes, dtype=np.int64), [_number_text(float(u)) for u in uniques], "number", fmt)


class _Plan:
    """What the hook writes at close: the coded columns and the rows they cover."""

    def __init__(self, first_row: int, coded: list[_Coded]):
        self.first_row = first_row
        self.coded = coded
        self.n = len(coded[0].codes) if coded else 0


def _tails(ws, plan: _Plan, j: int) -> np.ndarray:
    """Each distinct value's cell XML after ``<c r="A2``, plus "" (no cell) at the end.

    Formats' xf indices are taken now, at close, when XlsxWriter numbers them."""
    c = plan.coded[j]
    fmt = c.fmt
    if fmt is None and j in ws.col_info:  # XlsxWriter falls back to the column's format
        fmt = getattr(ws.col_info[j], "column_format", None)
    style = f' s="{fmt._get_xf_index()}"' if fmt is not None and (c.codes >= 0).any() else ""
    tail = _text_tail if c.kind == "text" else _number_tail
    return np.array([tail(p, style) for p in c.payloads] + [""], dtype=object)


def _text_tail(p: str, style: str) -> str:
    if p == _BLANK:
        return f'"{style}/>'
    if p.startswith("<t"):
        return f'"{style} t="inlineStr"><is>{p}</is></c>'
    return f'"{style} t="s"><v>{p}</v></c>'


def _number_tail(p: str, style: str) -> str:
    if p == _BLANK:
        return f'"{style}/>'
    if p.startswith(_SHARED):  # a number column's missing text (``Column.missing_text``)
        return _text_tail(p[len(_SHARED):], style)
    if p in ("inf", "-inf"):  # what write_number does with nan_inf_to_errors
        sign = "-" if p == "-inf" else ""
        return f'"{style} t="e"><f>{sign}1/0</f><v>#DIV/0!</v></c>'
    return f'"{style}><v>{p}</v></c>'


def _row_template(ws) -> tuple[str, str, str]:
    """XlsxWriter's own ``<row>`` start tag split around the row number and the spans."""
    saved = ws.fh
    ws.fh = io.StringIO()
    try:
        ws._write_row(1048574, "@SPANS@")
        tag = ws.fh.getvalue()
    finally:
        ws.fh = saved
    head, rest = tag.split("1048575", 1)
    middle, tail = rest.split("@SPANS@", 1)
    return head, middle, tail


def _emit(ws, plan: _Plan) -> None:
    n, ncol = plan.n, len(plan.coded)
    if n == 0 or ncol == 0:
        return
    codes = np.column_stack([c.codes for c in plan.coded])          # n x ncol
    present = codes >= 0
    has_cells = present.any(axis=1)
    first_col = np.where(has_cells, present.argmax(axis=1), ncol)
    last_col = np.where(has_cells, ncol - 1 - present[:, ::-1].argmax(axis=1), -1)
    # spans: the columns used in each block of 16 rows, as XlsxWriter writes them
    block = (plan.first_row + np.arange(n)) // 16
    spans_lo = pd.Series(first_col).groupby(block).transform("min").to_numpy().copy()
    spans_hi = pd.Series(last_col).groupby(block).transform("max").to_numpy().copy()
    # XlsxWriter's own rows (the header above, a total row below) in the block's first or last 16
    end = plan.first_row + n
    for edge in {plan.first_row // 16, (end - 1) // 16}:
        own = [c for r, cells in ws.table.items() if not plan.first_row <= r < end and r // 16 == edge
               for c in cells]
        if own:
            shared = block == edge
            spans_lo[shared] = np.minimum(spans_lo[shared], min(own))
            spans_hi[shared] = np.maximum(spans_hi[shared], max(own))
    head, middle, tail = _row_template(ws)
    numbers = np.arange(plan.first_row + 1, plan.first_row + n + 1).astype(str).astype(object)
    span_text = np.char.add(np.char.add((spans_lo + 1).astype(str), ":"), (spans_hi + 1).astype(str)).astype(object)
    row_open = np.where(has_cells, head + numbers + middle + span_text + tail, "")
    row_close = np.where(has_cells, "</row>", "")
    starts = [f'<c r="{xl_col_to_name(j)}' for j in range(ncol)]
    tails = [_tails(ws, plan, j) for j in range(ncol)]
    width = 2 + 3 * ncol
    fh = ws.fh
    for lo in range(0, n, CHUNK_ROWS):
        hi = min(n, lo + CHUNK_ROWS)
        block_codes, block_present = codes[lo:hi], present[lo:hi]
        parts = np.empty((hi - lo, width), dtype=object)
        parts[:, 0] = row_open[lo:hi]
        parts[:, -1] = row_close[lo:hi]
        for j in range(ncol):
            here = block_present[:, j]
            parts[:, 1 + 3 * j] = np.where(here, starts[j], "")
            parts[:, 2 + 3 * j] = np.where(here, numbers[lo:hi], "")
            parts[:, 3 + 3 * j] = tails[j][block_codes[:, j]]  # -1 picks the trailing ""
        fh.write("".join(parts.ravel().tolist()))


def _install(ws, plan: _Plan) -> None:
    original = ws._write_rows
    first = plan.first_row

    def write_rows() -> None:
        end = first + plan.n
        # nothing else may have been written into the block's rows (it would be lost)
        for store in (ws.table, ws.row_info, ws.comments):
            if any(first <= r < end and store[r] for r in list(store.keys())):
                raise RuntimeError(f"fastrows: {ws.name} has cells or row settings in rows {first + 1} to "
                                   f"{end}, which the column-wise block owns")
        low, high = ws.dim_rowmin, ws.dim_rowmax
        try:
            if low is not None and low < first:
                ws.dim_rowmax = min(high, first - 1)  # XlsxWriter writes its own rows above (the header)
                original()
            _emit(ws, plan)
            if high is not None and high >= end:      # and below (a total row)
                ws.dim_rowmin, ws.dim_rowmax = max(low, end), high
                original()
        finally:
            ws.dim_rowmin, ws.dim_rowmax = low, high

    ws._write_rows = write_rows


def write_columns(ws, first_row: int, columns: Sequence[Column], *, fast: bool | None = None) -> bool:
    """Write ``columns`` (column 0, 1, ...) into rows ``first_row``, ``first_row + 1``, ...

    ``fast=None`` takes the column-wise path when ``fast_path_available(ws)``; ``False`` forces
    cell by cell; ``True`` requires the fast path. Nothing else may be written into the block's
    rows on the fast path; rows below it (a total row) are written by XlsxWriter as usual.
    Returns whether the fast path was taken."""
    if fast is None:
        fast = fast_path_available(ws)
    elif fast and not fast_path_available(ws):
        raise RuntimeError(f"fastrows: the column-wise writer needs XlsxWriter in {TESTED_VERSIONS} "
                           f"(found {xlsxwriter.__version__}) and a worksheet not in constant-memory mode")
    if not fast:
        _write_slow(ws, first_row, columns)
        return False
    coded = [_code_text(c.values, c.fmt, ws.str_table) if c.kind == "text" else _code_numbers(c.values, c.fmt)
             for c in columns]
    for c, column in zip(coded, columns):
        if c.kind == "number" and column.missing_text is not None and (c.codes < 0).any():
            c.codes = np.where(c.codes < 0, len(c.payloads), c.codes)
            c.payloads.append(_SHARED + _text_code(cell_text(column.missing_text) or "",
                                                   int((c.codes == len(c.payloads)).sum()), ws.str_table))
        if column.styled_blanks and column.fmt is not None and (c.codes < 0).any():
            c.codes = np.where(c.codes < 0, len(c.payloads), c.codes)
            c.payloads.append(_BLANK)
    lengths = {len(c.codes) for c in coded}
    if len(lengths) > 1:
        raise ValueError(f"fastrows: columns of different lengths {sorted(lengths)}")
    plan = _Plan(first_row, coded)
    if plan.n and coded:
        present = np.column_stack([c.codes >= 0 for c in coded])
        rows = np.flatnonzero(present.any(axis=1))
        cols = np.flatnonzero(present.any(axis=0))
        if len(rows):  # the sheet's <dimension> covers the block, as cell-by-cell writing would
            ws._check_dimensions(first_row + int(rows[0]), int(cols[0]))
            ws._check_dimensions(first_row + int(rows[-1]), int(cols[-1]))
    if hasattr(ws, "_fastrows_plan"):
        raise RuntimeError(f"fastrows: {ws.name} already has a column-wise block")
    ws._fastrows_plan = plan
    _install(ws, plan)
    return True


def add_table(ws, first_row: int, first_col: int, last_row: int, last_col: int, options: dict,
              *, fast: bool | None = None) -> None:
    """``ws.add_table`` without its per-cell overlap bookkeeping over a big range.

    XlsxWriter checks and records every cell of a table's range in a dict (2 million entries for
    the monthly Data table of a 1M-line ledger). On the fast path a table with a header row and
    no data, formulas or total row is added over its header and first row, then its ranges are
    widened to the real ones (the overlap check then covers those two rows only)."""
    from xlsxwriter.utility import xl_range
    if fast is None:
        fast = fast_path_available(ws)
    simple = options.get("header_row", True) and not options.get("total_row") and "data" not in options \
        and not any(c.get("formula") for c in options.get("columns", []))
    if not (fast and simple) or last_row <= first_row + 1:
        ws.add_table(first_row, first_col, last_row, last_col, options)
        return
    small = first_row + 1
    before = len(ws.tables)
    if ws.add_table(first_row, first_col, small, last_col, options) != 0 or len(ws.tables) != before + 1:
        raise RuntimeError(f"fastrows: XlsxWriter did not add table {options.get('name')!r} to {ws.name}")
    table = ws.tables[-1]
    if table.get("range") != xl_range(first_row, first_col, small, last_col) or "a_range" not in table:
        raise RuntimeError("fastrows: XlsxWriter's table layout is not the one checked")
    table["range"] = table["a_range"] = xl_range(first_row, first_col, last_row, last_col)
    if table.get("autofilter"):
        table["autofilter"] = table["a_range"]
