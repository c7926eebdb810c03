"""Row layout of a table: which rows below the header are not order lines. Blank rows, rows
that hold only a prefilled sequence number (序号 1..N down a template), and total rows (a
total word in any cell, a SUM/SUBTOTAL formula, or an unlabelled row whose numbers are the
sums of the column above) are skipped and counted as ``blank_or_total``, never rejected.

Every check is column-wise over the rows that could be such a row; a clean ledger of a
million lines makes none of these rows and pays one mask per mapped column."""
from __future__ import annotations

import functools
import re
import unicodedata
import zipfile
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from addin.readers import values
from addin.readers.grid import Grid

# headers of a sequence-number column (after header normalisation: no case, spaces, dots)
SEQUENCE_HEADERS = frozenset({"序号", "序", "序號", "no", "nr", "#", "sn", "s/n", "sno", "seq", "seqno",
                              "rowno", "row", "idx", "index", "項次", "项次", "no#", "#no"})


def _key(text: Any) -> str:
    if text is None:
        return ""
    text = unicodedata.normalize("NFKC", str(text)).casefold()
    return re.sub(r"[\s_\-.:：()（）\[\]【】]+", "", text)


# --- cells of whole rows ------------------------------------------------------------------

def is_sequence_header(text: Any) -> bool:
    """序号, No., #, S/N: a header of row numbers, not of data."""
    key = _key(text)
    return key in SEQUENCE_HEADERS or "序号" in key or "序號" in key


def _filled_cells(grid: Grid, body, start: int, n: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, list]:
    """For each of ``rows`` (0-based from ``start``): how many cells of the whole row hold
    something, the column of the last such cell and its value. An Arrow grid is asked column
    by column for just these rows; a grid of Python rows row by row."""
    count = np.zeros(len(rows), np.int64)
    last_col = np.full(len(rows), -1, np.int64)
    last_val: list = [None] * len(rows)
    if not len(rows):
        return count, last_col, last_val
    if grid.batch is None:
        for k, i in enumerate(rows):
            for c, v in enumerate(body[int(i)]):
                if v is None or (isinstance(v, float) and v != v):
                    continue
                if isinstance(v, str) and not v.strip():
                    continue
                count[k] += 1
                last_col[k], last_val[k] = c, v
        return count, last_col, last_val
    import pyarrow as pa
    import pyarrow.compute as pc
    at = pa.array(rows)
    for j in range(grid.batch.num_columns):
        c = j + grid.col_offset
        taken = grid.cells_at(c, start, n, at)
        if taken is None:
            continue
        has = values.arrow_mask(pc.not_equal(pc.utf8_trim_whitespace(taken), ""))
        if not has.any():
            continue
        count += has
        last_col[has] = c
        for k, v in zip(np.flatnonzero(has), taken.filter(pa.array(has)).to_pylist()):
            last_val[k] = v
    return count, last_col, last_val


def _int_value(v: Any) -> int | None:
    """A cell holding a whole number (1, 1.0, '12', '012'), else None."""
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return int(v) if v == v and float(v).is_integer() and 0 < v < 1e7 else None
    if isinstance(v, str):
        t = v.strip()
        if re.fullmatch(r"\d{1,7}(\.0+)?", t):
            return int(float(t)) or None
    return None


def blank_rows(grid: Grid, body, start: int, n: int, candidates: np.ndarray,
               header_rows: list[list[str]]) -> np.ndarray:
    """Of ``candidates`` (rows whose mapped columns other than a sequence column are empty):
    the rows that are blank or hold only a sequence number. A lone whole number is a
    sequence number when its column's header says so (序号, No., #) or when it steps down
    the rows with the row number (a template numbered 1..N ahead of its lines)."""
    out = np.zeros(n, bool)
    if not len(candidates):
        return out
    count, last_col, last_val = _filled_cells(grid, body, start, n, candidates)
    out[candidates[count == 0]] = True
    lone = np.flatnonzero(count == 1)
    if not len(lone):
        return out
    numbers = np.array([_int_value(last_val[k]) or -1 for k in lone], np.int64)
    lone, numbers = lone[numbers > 0], numbers[numbers > 0]
    for c in np.unique(last_col[lone]):
        mine = last_col[lone] == c
        header = "".join(str(h[c]) if c < len(h) and h[c] is not None else "" for h in header_rows)
        rows_of = candidates[lone[mine]]
        offset = numbers[mine] - rows_of
        if is_sequence_header(header) or (len(offset) >= 2 and (offset == offset[0]).all()):
            out[rows_of] = True
    return out


# --- totals -------------------------------------------------------------------------------

_TOTAL_HINT = r"(?i)total|sum|合计|合計|小计|小計|总计|總計|累计|累計"
_HINT_RX = re.compile(_TOTAL_HINT + r"|[^\x00-\x7f\u3000-\u9fff]")   # full-width forms: checked in full
_TOTAL_LABEL = re.compile(
    r"^(?:grand\s*|sub[\s\-]*|running\s*)?totals?(?:$|[\s:：(（\-–—,/])"     # Total, Grand Total, Total Inc. Combodia
    r"|(?:^|\s)(?:grand\s*|sub[\s\-]*)?totals?\s*[:：]?$"                    # Month Total, Order total:
    r"|^sum\s*[:：]?$"
    r"|^.{0,12}(?:合[计計]|小[计計]|[总總](?:合)?[计計])(?:.{0,8})$"              # 合计, 8月合计, 小计：, 合计金额
    r"|^累[计計]\s*[:：]?$")


def is_total_label(v: Any) -> bool:
    """A cell that labels a total row: 合计, 小计, 总计, Total, Grand Total, Sub-total,
    'Total Inc. Combodia', 'Month Total', Sum."""
    if not isinstance(v, str) or len(v) > 60:
        return False
    text = unicodedata.normalize("NFKC", v).casefold().strip()
    return bool(_TOTAL_LABEL.search(text))


def total_label_entries(entries: pd.Series) -> np.ndarray:
    """Per entry of a column (distinct texts): whether it is a total label."""
    arr = values.arrow_text(entries)
    if arr is not None:
        import pyarrow.compute as pc
        hint = np.flatnonzero(values.arrow_mask(pc.match_substring_regex(arr, _TOTAL_HINT)))
        out = np.zeros(len(entries), bool)
        for k in hint:
            out[k] = is_total_label(arr[int(k)].as_py())
        return out
    return np.fromiter((isinstance(v, str) and bool(_HINT_RX.search(v)) and is_total_label(v)
                        for v in entries.to_numpy(dtype=object)), bool, len(entries))


def _word_rows(grid: Grid, body, start: int, n: int, rows: np.ndarray) -> np.ndarray:
    out = np.zeros(n, bool)
    if not len(rows):
        return out
    if grid.batch is None:
        # column by column over the candidate rows: each distinct text is looked at once (one
        # list per column, not a tuple per column of every row's iterator: an all-bad file has
        # tens of thousands of candidates, and each tracked allocation feeds the collector)
        picked = [body[int(i)] for i in rows]
        for j in range(max(map(len, picked))):
            cells = [r[j] if j < len(r) else None for r in picked]
            hits = {u for u in set(cells) if isinstance(u, str) and _HINT_RX.search(u) and is_total_label(u)}
            if hits:
                out[rows[np.fromiter((c in hits for c in cells), bool, len(cells))]] = True
        return out
    import pyarrow as pa
    import pyarrow.compute as pc
    at = pa.array(rows)
    for j in range(grid.batch.num_columns):
        taken = grid.cells_at(j + grid.col_offset, start, n, at)
        if taken is None:
            continue
        hint = np.flatnonzero(values.arrow_mask(pc.match_substring_regex(taken, _TOTAL_HINT)))
        for k in hint:
            if not out[rows[k]] and is_total_label(taken[int(k)].as_py()):
                out[rows[k]] = True
    return out


def _sum_rows(numbers: dict[str, Callable[[], tuple[np.ndarray, np.ndarray]]], data: np.ndarray,
              candidates: np.ndarray) -> np.ndarray:
    """Unlabelled totals: a candidate row whose every filled number equals the sum of its
    column over the data rows above — since the previous such candidate (a subtotal) or
    since the top (a grand total) — over at least two lines. ``numbers``: per field, a
    function giving the column's (per-row value, filled): one column in memory at a time."""
    n = len(data)
    out = np.zeros(n, bool)
    if not candidates.any() or not numbers:
        return out
    at = np.flatnonzero(candidates)
    prev = np.concatenate([[0], at[:-1] + 1])          # 1 + the previous candidate row (0: none)

    def before(running: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """The running total over the rows before each of ``rows`` (``running``: np.cumsum)."""
        return np.where(rows > 0, running[np.maximum(rows - 1, 0)], 0)

    lines = np.cumsum(data, dtype=np.int64)
    lines_here, lines_prev = before(lines, at), before(lines, prev)
    del lines
    any_filled = np.zeros(len(at), bool)
    all_match = np.ones(len(at), bool)
    for column in numbers.values():
        value, filled = column()
        here, total = filled[at], value[at]
        v = np.where(data & filled, np.nan_to_num(value), 0.0)
        del value, filled
        np.cumsum(v, out=v)
        grand = before(v, at)
        segment = grand - before(v, prev)
        del v
        tol = 1e-6 * np.maximum(1.0, np.abs(total))
        ok = ((np.abs(total - segment) <= tol) & (lines_here - lines_prev >= 2)) | \
             ((np.abs(total - grand) <= tol) & (lines_here >= 2))
        any_filled |= here
        all_match &= ~here | ok
    out[at] = any_filled & all_match
    return out


def total_rows(grid: Grid, body, start: int, n: int, candidates: np.ndarray, unlabelled: np.ndarray,
               numbers: dict[str, Callable[[], tuple[np.ndarray, np.ndarray]]], data: np.ndarray,
               dateless: np.ndarray | None = None) -> np.ndarray:
    """Total rows among ``candidates`` (rows with no key of their own, or that would be
    rejected): a total word in any cell, or a SUM/SUBTOTAL formula in an .xlsx; among
    ``unlabelled`` (rows whose mapped text and date cells are empty) also the rows whose
    numbers are the sums of the column above. ``numbers``: field -> a function giving (per-row
    value, filled) of a mapped number column; ``data``: rows that are order lines for those sums;
    ``dateless``: rows whose mapped dates are empty (only those are looked up in the formulas,
    which costs a pass over the sheet's XML)."""
    at = np.flatnonzero(candidates)
    out = _word_rows(grid, body, start, n, at)
    out |= _sum_rows(numbers, data & ~out, unlabelled & ~out)
    rest = at[~out[at]]
    if dateless is not None:       # a total row carries no dates: only such rows send for the formulas
        rest = rest[dateless[rest]]
    if len(rest) and grid.file.suffix.lower() in (".xlsx", ".xlsm"):
        formula = formula_rows(grid.file, grid.sheet)
        if formula:
            rows1 = rest + start + 1
            out[rest[np.isin(rows1, np.fromiter(formula, np.int64, len(formula)))]] = True
    return out


# --- SUM / SUBTOTAL formulas in an xlsx sheet ----------------------------------------------

_SHEET_XML_MAX = 1 << 30     # a sheet part larger than this is not scanned for formulas


@functools.lru_cache(maxsize=4)
def _formula_rows_cached(path: str, size: int, mtime: int, sheet: str) -> frozenset[int]:
    try:
        with zipfile.ZipFile(path) as zf:
            part = _sheet_part(zf, sheet)
            if part is None or zf.getinfo(part).file_size > _SHEET_XML_MAX:
                return frozenset()
            rows: set[int] = set()
            tail = b""
            with zf.open(part) as fh:
                while True:
                    chunk = fh.read(1 << 22)
                    if not chunk:
                        break
                    buf = tail + chunk
                    for word in (b"SUM(", b"SUBTOTAL(", b"AGGREGATE("):
                        pos = buf.find(word)
                        while pos >= 0:
                            f_at, c_at = buf.rfind(b"<f", 0, pos), buf.rfind(b"<c ", 0, pos)
                            if f_at > c_at >= 0 and buf.rfind(b"</f>", 0, pos) < f_at:
                                m = re.search(rb'\sr="[A-Z]{1,3}(\d+)"', buf[c_at:f_at])
                                if m:
                                    rows.add(int(m.group(1)))
                            pos = buf.find(word, pos + 1)
                    tail = buf[-4096:]
            return frozenset(rows)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError):
        return frozenset()


def formula_rows(path: Path, sheet: str) -> frozenset[int]:
    """1-based rows of ``sheet`` holding a SUM, SUBTOTAL or AGGREGATE formula (the cached
    values the grid holds do not say a cell was a formula)."""
    try:
        st = Path(path).stat()
    except OSError:
        return frozenset()
    return _formula_rows_cached(str(path), st.st_size, st.st_mtime_ns, sheet)


def _sheet_part(zf: zipfile.ZipFile, sheet: str) -> str | None:
    from xml.sax.saxutils import unescape
    book = zf.read("xl/workbook.xml").decode("utf-8", "replace")
    rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    rid = None
    for m in re.finditer(r"<(?:\w+:)?sheet\b([^>]*)/?>", book):
        attrs = m.group(1)
        name = re.search(r'\sname="([^"]*)"', attrs)
        if name and unescape(name.group(1), {"&quot;": '"', "&apos;": "'"}) == sheet:
            r = re.search(r'\s(?:\w+:)?id="([^"]*)"', attrs)
            rid = r.group(1) if r else None
            break
    if rid is None:
        return None
    for m in re.finditer(r"<Relationship\b([^>]*)/?>", rels):
        attrs = m.group(1)
        if re.search(r'\sId="' + re.escape(rid) + '"', attrs):
            target = re.search(r'\sTarget="([^"]*)"', attrs).group(1)
            return target.lstrip("/") if target.startswith("/") else "xl/" + target
    return None
