"""The reader core shared by every input kind: find the header row, match headers to canonical
fields, account for every row, parse values column by column and name every bad cell."""
from __future__ import annotations

import functools
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from addin import schema
from addin.errors import ConfigError, InputError
from addin.readers import values
from addin.readers.grid import Grid, load_grid
from addin.files.guard import check_option_file

HEADER_SCAN_ROWS = 40


# --- results ------------------------------------------------------------------------------

@dataclass
class Issue:
    cell: str
    field: str
    value: Any
    message: str
    severity: str = "error"   # "error" rejects the row; "warning" keeps it

    def as_dict(self) -> dict:
        value = self.value
        if hasattr(value, "isoformat"):
            value = value.isoformat()
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        return {"cell": self.cell, "field": self.field, "value": value, "message": self.message,
                **({"severity": self.severity} if self.severity != "error" else {})}

    def __str__(self) -> str:
        value = self.value
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        shown = "" if value in (None, "") else f" '{value}'"
        return f"{self.cell}: {self.field}{shown}: {self.message}"


@dataclass
class RowCount:
    read: int = 0
    valid: int = 0
    issues: int = 0
    blank_or_total: int = 0

    def as_dict(self) -> dict:
        return {"read": self.read, "valid": self.valid, "issues": self.issues,
                "blank_or_total": self.blank_or_total}


@dataclass
class ReadResult:
    kind: str
    file: str
    sheet: str
    header_row: int                      # 1-based; the lower row of a two-row header
    columns: dict[str, str]              # field -> header text as found
    data: pd.DataFrame
    issues: list[Issue] = field(default_factory=list)
    rows: RowCount = field(default_factory=RowCount)
    notes: list[str] = field(default_factory=list)
    path: Path | None = None
    column_letters: dict[str, str] = field(default_factory=dict)   # field -> its column (A, B, …)

    @property
    def fields(self) -> list[str]:
        return list(self.columns)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    def as_dict(self) -> dict:
        return {"file": self.file, "sheet": self.sheet, "kind": self.kind, "header_row": self.header_row,
                "columns": dict(self.columns), "rows": self.rows.as_dict(),
                "issues": [i.as_dict() for i in self.issues], "notes": list(self.notes)}


# --- mapping files --------------------------------------------------------------------------

@dataclass(frozen=True)
class Mapping:
    sheet: str | None = None
    header_row: int | None = None
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    date_order: str | None = None      # "dmy" | "mdy"
    defaults: dict[str, Any] = field(default_factory=dict)   # field -> value when the file has no column

    @classmethod
    def load(cls, path: Path | str | None) -> "Mapping":
        if path is None:
            return cls()
        path = Path(path)
        check_option_file(path, "mapping file")   # a pipe or /dev/zero: refused before reading
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
        except FileNotFoundError:
            raise ConfigError(f"{path.name}: mapping file not found") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path.name}: not a valid TOML mapping file ({exc})") from None
        return cls.from_dict(raw, path.name)

    @classmethod
    def from_dict(cls, raw: dict, name: str = "mapping") -> "Mapping":
        known = {"sheet", "header_row", "columns", "values", "date_order", "defaults"}
        for key in raw:
            if key not in known:
                raise ConfigError(f"{name}: unknown key '{key}' (expected: {', '.join(sorted(known))})")
        all_fields = set().union(*schema.KINDS.values())
        columns = {}
        for fld, headers in (raw.get("columns") or {}).items():
            if fld not in all_fields:
                raise ConfigError(f"{name}: [columns] '{fld}' is not a field OrderDesk knows")
            if isinstance(headers, str):
                headers = [headers]
            if not isinstance(headers, list) or not all(isinstance(h, str) for h in headers):
                raise ConfigError(f"{name}: [columns] {fld} must be a header text or a list of them")
            columns[fld] = tuple(headers)
        header_row = raw.get("header_row")
        if header_row is not None and (not isinstance(header_row, int) or header_row < 1):
            raise ConfigError(f"{name}: header_row must be a row number (1 or more)")
        date_order = raw.get("date_order")
        if date_order not in (None, "dmy", "mdy"):
            raise ConfigError(f"{name}: date_order must be 'dmy' or 'mdy'")
        vals = raw.get("values") or {}
        if not isinstance(vals, dict) or not all(isinstance(v, dict) for v in vals.values()):
            raise ConfigError(f"{name}: [values.<field>] tables map raw values to canonical ones")
        defaults = raw.get("defaults") or {}
        for fld, v in defaults.items():
            if fld not in all_fields or not isinstance(v, (str, int, float)):
                raise ConfigError(f"{name}: [defaults] {fld} must be a field OrderDesk knows, given one value "
                                  f"(qty = 1 for a file of one item per line)")
        return cls(raw.get("sheet"), header_row, columns, {k: dict(v) for k, v in vals.items()}, date_order,
                   dict(defaults))


# --- header matching ------------------------------------------------------------------------

def header_key(text: Any) -> str:
    """Headers compare without case, spaces, line breaks, full-width forms or punctuation."""
    if text is None:
        return ""
    # a header scan keys the same few texts again and again: cached for str only (1, 1.0
    # and True hash alike but key differently)
    return _text_key(text) if type(text) is str else _text_key.__wrapped__(str(text))


@functools.lru_cache(maxsize=8192)
def _text_key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\s_\-.:：()（）\[\]【】#/\\'\"*]+", "", text)


@functools.cache
def alias_lists() -> dict[str, dict[str, list[str]]]:
    """kind -> field -> aliases, as written in data/aliases.toml (read once)."""
    with resources.files("addin.data").joinpath("aliases.toml").open("rb") as fh:
        return tomllib.load(fh)


@functools.cache
def aliases() -> dict[str, dict[str, str]]:
    """kind -> {header key: field}; earlier aliases in the list win (rank kept in _alias_rank)."""
    raw = alias_lists()
    out: dict[str, dict[str, str]] = {}
    for kind, fields in raw.items():
        table: dict[str, str] = {}
        for fld, words in fields.items():
            table.setdefault(header_key(fld), fld)
            for w in words:
                table.setdefault(header_key(w), fld)
        out[kind] = table
    return out


@functools.cache
def _alias_rank() -> dict[tuple[str, str], int]:
    raw = alias_lists()
    return {(kind, header_key(w)): i for kind, fields in raw.items()
            for f, words in fields.items() for i, w in enumerate(words)}


@dataclass
class HeaderMatch:
    header_index: int                  # 0-based grid row of the (lower) header row
    first_index: int                   # 0-based first header row (== header_index for one row)
    columns: dict[str, int]            # field -> 0-based column
    texts: dict[str, str]              # field -> header text found
    score: int
    duplicates: list[tuple[str, str, list[int]]] = field(default_factory=list)


def _cell_text(v: Any) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    return str(v).strip()


def _match_row(kind: str, texts: list[str], mapping: Mapping) -> tuple[dict[str, int], dict[str, str], list]:
    table = aliases()[kind]
    rank = _alias_rank()
    kind_fields = schema.KINDS[kind]
    user = {header_key(h): (f, i) for f, hs in mapping.columns.items() if f in kind_fields
            for i, h in enumerate(hs)}
    chosen: dict[str, tuple[tuple, int]] = {}
    seen: dict[str, list[int]] = {}
    for col, text in enumerate(texts):
        key = header_key(text)
        if not key:
            continue
        seen.setdefault(key, []).append(col)
        if key not in user and key not in table:
            key = _bilingual_key(text, user, table) or key
        if key in user:
            fld, order = user[key]
            priority = (0, order)
        elif key in table:
            fld = table[key]
            if fld in mapping.columns:   # the user named this field's column: aliases step aside
                continue
            priority = (1, rank.get((kind, key), -1))
        else:
            continue
        if fld not in chosen or priority < chosen[fld][0]:
            chosen[fld] = (priority, col)
    # one column may serve two fields the user named (Olist's order id is also the part)
    for f, hs in mapping.columns.items():
        if f in kind_fields and f not in chosen:
            found = next(((i, seen[header_key(h)][0]) for i, h in enumerate(hs) if header_key(h) in seen), None)
            if found:
                chosen[f] = ((0, found[0]), found[1])
    columns = {f: c for f, (_, c) in chosen.items()}
    dups = [(texts[cols[0]], f, cols) for f, c in columns.items()
            for key in [header_key(texts[c])] for cols in [seen[key]] if len(cols) > 1]
    return columns, {f: texts[c] for f, c in columns.items()}, dups


_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")


def _bilingual_key(text: str, *tables: dict) -> str | None:
    """'用量 Qty Per' or '客户交期\nRequested Date': try the Chinese and the English part alone."""
    cjk = "".join(_CJK.findall(text))
    latin = _CJK.sub(" ", text)
    for part in (cjk, latin):
        key = header_key(part)
        if key and any(key in t for t in tables):
            return key
    return None


def _requirement_met(kind: str, columns: dict[str, int], mapping: Mapping | None = None) -> bool:
    req = schema.REQUIRED[kind]
    have = set(columns) | set(mapping.defaults if mapping else ())
    return all(f in have for f in req.fields) and (not req.any_of or any(f in have for f in req.any_of))


def _header_texts(rows: list[list], index: int, width: int) -> list[str]:
    row = rows[index] if index < len(rows) else []
    return [_cell_text(row[c]) if c < len(row) else "" for c in range(width)]


def find_header(grid: Grid, kind: str, mapping: Mapping) -> HeaderMatch | None:
    """Best header among single rows and pairs of rows (a group header over sub-headers, or
    cells merged down two rows), within the first rows of the sheet."""
    rows = grid.rows
    width = max((len(r) for r in rows[:HEADER_SCAN_ROWS]), default=0)
    candidates = range(len(rows)) if mapping.header_row is None else [mapping.header_row - 1]
    best: HeaderMatch | None = None
    for i in candidates:
        if i >= min(len(rows), HEADER_SCAN_ROWS if mapping.header_row is None else len(rows)):
            break
        lower = _header_texts(rows, i, width)
        if not any(lower):
            continue
        options = [(i, lower)]
        if i > 0:
            upper = _header_texts(rows, i - 1, width)
            if any(upper):
                options.append((i - 1, _combine(upper, lower)))
        for first, texts in options:
            cols, found, dups = _match_row(kind, texts, mapping)
            score = len(cols) + (100 if _requirement_met(kind, cols, mapping) else 0)
            if best is None or score > best.score:
                best = HeaderMatch(i, first, cols, found, score, dups)
    return best


def _combine(upper: list[str], lower: list[str]) -> list[str]:
    """Two header rows read as one: the sub-header where there is one (客户交期 under 交期),
    else the cell merged down from the row above (订单号). Where a sub-header alone is not a
    field (计划 under 入库日期), the group's text is prefixed; the caller matches both."""
    out, group = [], ""
    for up, low in zip(upper, lower):
        if up:
            group = up
        if not low:
            out.append(up)
        elif header_key(low) in _all_alias_keys():
            out.append(low)
        else:
            out.append(f"{low}{group}" if group and header_key(f"{low}{group}") in _all_alias_keys()
                       else f"{group}{low}" if group else low)
    return out


@functools.cache
def _all_alias_keys() -> frozenset[str]:
    return frozenset(k for table in aliases().values() for k in table)


# --- cell names -----------------------------------------------------------------------------

def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def sheet_ref(sheet: str) -> str:
    return f"'{sheet}'" if re.search(r"[^\w\u4e00-\u9fff]", sheet) else sheet


def cell_name(sheet: str, col: int, row1: int) -> str:
    return f"{sheet_ref(sheet)}!{column_letter(col)}{row1}"


# --- reading --------------------------------------------------------------------------------

def read_grid(grid: Grid, kind: str, mapping: Mapping | None = None, *, strict: bool = True) -> ReadResult:
    """Turn a grid into a ReadResult of ``kind``: every row accounted for."""
    mapping = mapping or Mapping()
    name = grid.file.name
    if not any(any(_cell_text(v) for v in r) for r in grid.rows[:HEADER_SCAN_ROWS * 10]):
        raise InputError(f"{name}: sheet '{grid.sheet}' is empty", file=str(grid.file), sheet=grid.sheet)
    match = find_header(grid, kind, mapping)
    if match is None or not _requirement_met(kind, match.columns, mapping):
        raise _missing_columns(grid, kind, match)
    for text, fld, cols in match.duplicates:
        if fld in _kind_module_attr(kind, "DUPLICATE_HEADERS_OK", ()):
            continue   # the kind's finish reads every such column (a BOM's part-number columns)
        cells = " and ".join(cell_name(grid.sheet, c, match.header_index + 1) for c in cols)
        raise InputError(f"{name}: the header '{text}' appears twice ({cells}) — rename one so "
                         f"'{fld}' is unambiguous", file=str(grid.file), sheet=grid.sheet)
    return _read_rows(grid, kind, match, mapping)


def _missing_columns(grid: Grid, kind: str, match: HeaderMatch | None) -> InputError:
    req = schema.REQUIRED[kind]
    found = match.columns if match else {}
    missing = [f for f in req.fields if f not in found]
    raw = alias_lists()[kind]

    def examples(words: list[str]) -> str:  # two Chinese and two English names
        zh = [w for w in words if _CJK.search(w)][:2]
        return ", ".join(zh + [w for w in words if not _CJK.search(w)][:2])
    parts = [f"'{f}' (a column such as {examples(raw[f])})" for f in missing]
    if req.any_of and not any(f in found for f in req.any_of):
        what = "a due date" if kind == "ledger" else "one of " + ", ".join(f"'{f}'" for f in req.any_of)
        parts.append(what + " (" + " or ".join(raw[f][0] + "/" + raw[f][-1] if f in raw else f
                                                for f in req.any_of) + ")")
    where = f"row {match.header_index + 1}" if match and match.columns else "the first rows"
    return InputError(f"{grid.file.name}: sheet '{grid.sheet}': no column for required "
                      f"{'field' if len(parts) == 1 else 'fields'} {'; '.join(parts)} "
                      f"in the header ({where}) — add the column or name it in a --map file",
                      file=str(grid.file), sheet=grid.sheet)


class _LazyBody:
    """``body[i]``: worksheet row ``start + i`` made on demand from a lazy row view."""

    def __init__(self, rows, start: int) -> None:
        self.rows, self.start = rows, start

    def __getitem__(self, i: int) -> list:
        return self.rows[self.start + i]


def _column(rows: list[list], col: int) -> list:
    return [r[col] if col < len(r) else None for r in rows]


def _read_rows(grid: Grid, kind: str, match: HeaderMatch, mapping: Mapping) -> ReadResult:
    fields = schema.KINDS[kind]
    start = match.header_index + 1
    raw: dict[str, pd.Series] = {}        # field -> the cells per row (issue values)
    src: dict[str, values.Coded] = {}     # field -> the cells as entries and per-row codes
    if grid.batch is not None:
        # Arrow text columns (xlsx): each column's distinct texts are parsed once and the rows
        # are numpy takes; Python rows are made only for the few blank/total candidates. A
        # column that serves two fields is encoded once.
        n = max(len(grid.rows) - start, 0)
        index = pd.RangeIndex(n)
        by_col: dict[int, tuple[pd.Series, values.Coded]] = {}
        for f, c in match.columns.items():
            if c not in by_col:
                cells = values.text_series(grid.text_column(c, start, n), index)
                by_col[c] = (cells, values.distinct(cells))
            raw[f], src[f] = by_col[c]
        body = _LazyBody(grid.rows, start)
    else:
        body = grid.rows[start:]
        n = len(body)
        index = pd.RangeIndex(n)
        for f, c in match.columns.items():
            raw[f] = pd.Series(_column(body, c), index=index, dtype=object)
            src[f] = values.Coded(raw[f])
    source_row = np.arange(start + 1, start + 1 + n)

    # blank and total rows: decided on the mapped columns, confirmed on the whole row
    empty: dict[str, np.ndarray] = {}     # field -> empty per entry
    by_src: dict[int, np.ndarray] = {}
    maybe_blank = np.arange(n)
    for f, col in src.items():
        if id(col) not in by_src:
            by_src[id(col)] = e = values.is_empty(col.values).to_numpy(dtype=bool)
            # narrowed column by column: only the rows still empty are looked up
            maybe_blank = maybe_blank[e[maybe_blank] if col.codes is None else e[col.codes[maybe_blank]]]
        empty[f] = by_src[id(col)]
    blank = np.zeros(n, bool)
    blank[maybe_blank] = True
    if len(maybe_blank):
        blank[maybe_blank[_filled(grid, body, start, n, maybe_blank)]] = False
    totals = _total_rows(body, src, empty, kind, blank)
    skipped = blank | totals
    keep = ~skipped
    # a field the file has no column for, one value for every line from the mapping's [defaults]
    for f, v in mapping.defaults.items():
        if f in fields and f not in raw:
            raw[f] = pd.Series([v] * n, index=index, dtype=object)
            src[f] = values.Coded(pd.Series([v], dtype=object), np.zeros(n, np.intp))
            empty[f] = np.zeros(1, bool)

    problems: dict[str, values.Coded] = {}
    parsed: dict[str, values.Coded] = {}
    notes: list[str] = list(grid.notes)   # e.g. the text encoding a CSV was read in
    warnings: list[Issue] = []   # kept rows with a note (text cut to Excel's cell limit)
    order_dates = None
    if "order_date" in src:  # parsed first: it gives '4月30' its year
        order_dates, problems["order_date"], _ = values.date_coded(src["order_date"])
        parsed["order_date"] = order_dates
    day_first = {"dmy": True, "mdy": False}.get(mapping.date_order)
    for f, col in src.items():
        if f in parsed:
            continue
        kind_of = fields[f]
        cells = col.values
        if kind_of == schema.DATE:
            parsed[f], problems[f], n_ = values.date_coded(col, year_hint=order_dates, day_first=day_first)
            if "ambiguous_day_month" in n_ and mapping.date_order is None:
                order = "day/month" if n_["day_first"] else "month/day"
                notes.append(f"{match.texts[f]}: dates such as '{n_['ambiguous_day_month']}' are ambiguous; "
                             f"read as {order} — set date_order = \"dmy\" or \"mdy\" in a --map file to change")
        elif kind_of == schema.NUMBER:
            nums, bad = values.number_column(cells)
            parsed[f], problems[f] = col.like(nums), col.like(bad)
        elif kind_of == schema.STATUS:
            words, bad = values.status_column(cells, mapping.values.get(f))
            parsed[f], problems[f] = col.like(words), col.like(bad)
        elif kind_of == schema.BOOL:
            flags, bad = values.bool_column(cells)
            parsed[f], problems[f] = col.like(flags), col.like(bad)
        elif kind_of == schema.LIST:
            parsed[f] = col.like(values.list_column(cells))
        else:
            text = values.text_column(cells)
            text, too_long = _excel_text(text, values.arrow_text(cells))
            for i in np.flatnonzero((col.per_row(too_long) > 0) & keep):
                e = i if col.codes is None else col.codes[i]
                warnings.append(Issue(cell_name(grid.sheet, match.columns[f], int(source_row[i])), f,
                                      text.iat[e][:40] + "…", f"text of {too_long[e]:,} characters is longer than"
                                      f" Excel's 32,767 per cell: the workbooks OrderDesk writes keep the first"
                                      f" 32,767", "warning"))
            if f in mapping.values:
                table = {values.norm_key(k): v for k, v in mapping.values[f].items()}
                # per row: pandas infers the mapped column's dtype from the rows' values
                parsed[f] = values.Coded(col.like(text).series(index).map(
                    lambda v: table.get(values.norm_key(v), v) if v is not None else None))
            else:
                parsed[f] = col.like(text)

    # required values and signs, set on the entries (an entry's rows share its message)
    req = schema.REQUIRED[kind]
    for f in req.fields:
        missing = np.flatnonzero(src[f].per_row(empty[f]) & keep)
        if len(missing):
            p = problems.get(f)
            if p is None:
                p = problems[f] = src[f].like(pd.Series(None, index=src[f].values.index, dtype=object))
            at = missing if p.codes is None else p.codes[missing]
            p.values.iloc[at[p.values.isna().to_numpy()[at]]] = "is empty (a value is required)"
    for f in schema.NON_NEGATIVE.get(kind, ()):
        if f in parsed:
            neg = (parsed[f].values < 0).to_numpy()
            if neg.any():
                p = problems[f].values
                p[neg & p.isna().to_numpy()] = "must not be negative"
    for f in schema.POSITIVE.get(kind, ()):
        if f in parsed:
            zero = (parsed[f].values == 0).to_numpy()
            if zero.any():
                p = problems[f].values
                p[zero & p.isna().to_numpy()] = "must be more than 0"

    issues: list[Issue] = []
    rejected = np.zeros(n, bool)
    for f, p in problems.items():
        flagged = p.values.notna().to_numpy()
        if not flagged.any():
            continue
        bad = p.per_row(flagged) & keep
        if not bad.any():
            continue
        rejected |= bad
        bad_rows = np.flatnonzero(bad)
        message = p.values.to_numpy()[bad_rows if p.codes is None else p.codes[bad_rows]]
        col = match.columns.get(f)
        if col is None:
            raise ConfigError(f"mapping: [defaults] {f} = {raw[f].iat[0]!r}: {message[0]}")
        for i, text in zip(bad_rows, message):
            value = values.cell_value(raw[f], i)
            issues.append(Issue(cell_name(grid.sheet, col, int(source_row[i])), f,
                                None if values.is_empty(pd.Series([value], dtype=object)).iat[0] else value,
                                text))
    issues += warnings
    issues.sort(key=lambda it: (_row_of(it.cell), it.cell))

    valid = keep & ~rejected
    n_valid = int(valid.sum())
    rows_kept = np.flatnonzero(valid)

    def kept(c: values.Coded) -> pd.Series:   # one numpy take of the kept rows' entries
        return pd.Series(c.rows(rows_kept), dtype=c.values.dtype, copy=False)

    data = pd.DataFrame({f: kept(parsed[f]) if f in parsed else _empty_column(t, n_valid)
                         for f, t in fields.items()}, copy=False)
    for f, c in parsed.items():
        if f not in fields:
            data[f] = kept(c)
    data["source_row"] = source_row[valid]
    result = ReadResult(kind, grid.file.name, grid.sheet, match.header_index + 1, dict(match.texts), data,
                        issues, RowCount(n, n_valid, int(rejected.sum()), int(skipped.sum())),
                        notes, grid.file)
    # where each field is, so a line's issue found later (by the engine) can name its cell
    result.column_letters = {f: column_letter(c) for f, c in match.columns.items() if isinstance(c, (int, np.integer))}
    _finish(kind, result, grid, match)
    assert result.rows.read == result.rows.valid + result.rows.issues + result.rows.blank_or_total
    return result


def _filled(grid: Grid, body, start: int, n: int, rows: np.ndarray) -> np.ndarray:
    """Per row of ``rows`` (0-based from ``start``): whether any cell of the whole row holds
    something. An Arrow grid is asked column by column for just these rows (a cell's text is
    empty exactly when its typed value's text is)."""
    if grid.batch is None:
        return np.array([any(_cell_text(v) for v in body[int(i)]) for i in rows], dtype=bool)
    import pyarrow as pa
    width = len(body[int(rows[0])])
    at = pa.array(rows)
    filled = np.zeros(len(rows), bool)
    for c in range(width):
        cells = grid.text_column(c, start, n)
        if cells.null_count == len(cells):
            continue
        filled |= np.array([v is not None and bool(v.strip()) for v in cells.take(at).to_pylist()], dtype=bool)
    return filled


def _finish(kind: str, result: ReadResult, grid: Grid, match: HeaderMatch) -> None:
    """Kind-specific rules (designator counts in a BOM, shifts x hours in capacity, ...) live in
    ``addin/readers/<kind>.py`` as ``finish(result, grid, match)``; they may move rows from
    valid to issues but must keep the row accounting."""
    import importlib
    import importlib.util
    module = f"addin.readers.{kind}"
    if importlib.util.find_spec(module) is not None:
        importlib.import_module(module).finish(result, grid, match)


def _kind_module_attr(kind: str, name: str, default):
    import importlib
    import importlib.util
    module = f"addin.readers.{kind}"
    if importlib.util.find_spec(module) is None:
        return default
    return getattr(importlib.import_module(module), name, default)


def _row_of(cell: str) -> int:
    m = re.search(r"(\d+)$", cell)
    return int(m.group(1)) if m else 0


_CONTROL = "[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]"


def _may_need_cleaning(arr, max_chars: int) -> bool:
    """False when no cell of an Arrow string array can hold a control character (a byte below
    0x20 other than tab/LF/CR, or U+FFFE/U+FFFF) or more than ``max_chars`` characters: one
    numpy pass over the UTF-8 bytes instead of a regex per cell."""
    import pyarrow.compute as pc
    if len(arr) == 0 or arr.null_count == len(arr):
        return False
    if (pc.max(pc.binary_length(arr)).as_py() or 0) > max_chars:
        return True
    data = arr.buffers()[2]
    if data is None:
        return False
    b = np.frombuffer(data, dtype=np.uint8)
    if ((b < 0x20) & (b != 0x09) & (b != 0x0A) & (b != 0x0D)).any():
        return True
    ef = np.flatnonzero(b[:-2] == 0xEF)
    return bool(((b[ef + 1] == 0xBF) & ((b[ef + 2] == 0xBE) | (b[ef + 2] == 0xBF))).any())


def _excel_text(text: pd.Series, scan=None) -> tuple[pd.Series, np.ndarray]:
    """Text as Excel can store it: control characters removed (an XML part cannot hold them),
    at most 32,767 UTF-16 units. Returns the text and, per row, the original length of a text
    that was cut (0 elsewhere). The scan runs in Arrow; only the rare hits are rebuilt.
    ``scan``: the cells' Arrow text the column was made from (trimming and date text add no
    control character and no length, so its hits cover the text's), scanned as it is."""
    from addin.files.limits import EXCEL_MAX_TEXT
    from addin.files.text import clean_cell_text
    import pyarrow as pa
    import pyarrow.compute as pc
    too_long = np.zeros(len(text), dtype=np.int64)
    if scan is not None and not _may_need_cleaning(scan, EXCEL_MAX_TEXT // 2):
        return text, too_long
    try:
        arr = scan if scan is not None else pa.array(text.to_numpy(dtype=object), type=pa.large_string(),
                                                     from_pandas=True)
        hit = pc.or_(pc.match_substring_regex(arr, _CONTROL),
                     pc.greater(pc.utf8_length(arr), EXCEL_MAX_TEXT // 2))  # UTF-16 checked below
        hits = np.flatnonzero(pc.fill_null(hit, False).to_numpy(zero_copy_only=False))
    except (pa.ArrowException, UnicodeError, TypeError):   # lone surrogates: scan in Python
        rx = re.compile(_CONTROL)
        hits = np.array([i for i, v in enumerate(text.to_numpy(dtype=object)) if isinstance(v, str)
                         and (rx.search(v) or len(v) > EXCEL_MAX_TEXT // 2)], dtype=np.int64)
    if not len(hits):
        return text, too_long
    text = text.copy()
    for i in hits:
        original = text.iat[i]
        if original is None:
            continue
        cleaned, cut = clean_cell_text(original)
        text.iat[i] = cleaned.strip() or None
        if cut:
            too_long[i] = len(original)
    return text, too_long


def _empty_column(kind_of: str, n: int) -> pd.Series:
    if kind_of == schema.DATE:
        a = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    elif kind_of == schema.NUMBER:
        a = np.full(n, np.nan)
    elif kind_of == schema.BOOL:
        a = np.zeros(n, dtype=bool)
    else:
        a = np.empty(n, dtype=object)      # None in every cell
        if kind_of == schema.LIST:
            a.fill(())
    return pd.Series(a, copy=False)


def _total_rows(body, src: dict[str, values.Coded], empty: dict[str, np.ndarray], kind: str,
                blank: np.ndarray) -> np.ndarray:
    """A total row says 合计/小计/Total somewhere and has no key of its own (no order number)."""
    words = values.total_words()
    key_fields = [f for f in schema.REQUIRED[kind].fields if f in src][:1]
    candidates = ~blank
    if key_fields:
        k = key_fields[0]
        cells = src[k].values
        key_text = np.zeros(len(cells), bool)
        maybe = _maybe_total_word(cells)
        if maybe.any():
            key_text[maybe] = values._objects(cells[maybe]).map(lambda v: _is_total_word(v, words)).to_numpy(bool)
        candidates &= src[k].per_row(empty[k] | key_text)
    out = np.zeros(len(blank), bool)
    for i in np.flatnonzero(candidates):
        if any(_is_total_word(v, words) for v in body[i][:40]):
            out[i] = True
    return out


# Every total word (合计, 小计, total, sum, ...) holds 计, t or s once normalised. A cell of
# plain ASCII and CJK ideographs without any of them cannot be one (NFKC changes neither);
# the per-cell check runs on the rest (full-width, compatibility forms, ...).
_TOTAL_HINT = "[计tTsS]|[^\\x00-\\x7f\u4e00-\u9fff]"


def _maybe_total_word(s: pd.Series) -> np.ndarray:
    arr = values.arrow_text(s)
    hint_ok = all(re.search("[计ts]", w) for w in values.total_words())
    if arr is None or not hint_ok:
        return s.map(lambda v: isinstance(v, str)).to_numpy(bool)
    import pyarrow.compute as pc
    return values._mask(pc.match_substring_regex(arr, _TOTAL_HINT))


def _is_total_word(v: Any, words: frozenset[str]) -> bool:
    if not isinstance(v, str):
        return False
    key = values.norm_key(v).replace(" ", "").rstrip(":：")
    if key in words:
        return True
    return bool(re.match(r"^(合计|小计|总计|总合计)", key)) or bool(re.match(r"^(grand)?(sub)?totals?[:：(（]", key))


# --- entry points ---------------------------------------------------------------------------

def read(path: Path | str, kind: str | None = None, *, sheet: str | None = None,
         mapping: Mapping | Path | str | None = None) -> ReadResult:
    """Read an input file of a kind (found from the headers when None)."""
    from addin.readers.grid import sheet_names
    path = Path(path)
    if not isinstance(mapping, Mapping):
        mapping = Mapping.load(mapping)
    sheet = sheet or mapping.sheet
    if kind is not None and kind not in schema.KINDS:
        raise InputError(f"unknown kind '{kind}' (expected one of: {', '.join(schema.KINDS)})")
    if sheet is not None:
        grid = load_grid(path, sheet)
        return read_grid(grid, kind or detect_kind(grid, mapping), mapping)
    # no sheet named: the first sheet whose header fits the kind
    names = sheet_names(path)
    first_error: InputError | None = None
    for i, _ in enumerate(names):
        grid = load_grid(path, names[i])
        try:
            return read_grid(grid, kind or detect_kind(grid, mapping), mapping)
        except InputError as exc:
            first_error = first_error or exc
    assert first_error is not None
    raise first_error


KIND_ORDER = ("ledger", "quotes", "bom", "purchases", "stock", "routing", "capacity", "calendar")


def detect_kind(grid: Grid, mapping: Mapping | None = None) -> str:
    """The kind whose required columns the header holds, preferring the richest match."""
    mapping = mapping or Mapping()
    best, best_score = None, -1
    for kind in KIND_ORDER:
        match = find_header(grid, kind, mapping)
        if match is None or not _requirement_met(kind, match.columns, mapping):
            continue
        score = len(match.columns) * 10 + len(schema.REQUIRED[kind].fields)
        if score > best_score:
            best, best_score = kind, score
    if best is None:
        raise InputError(f"{grid.file.name}: sheet '{grid.sheet}': cannot tell what this file is — no header "
                         f"row with the columns of a ledger, quote book, BOM, stock, capacity or calendar; "
                         f"give --kind and a --map file", file=str(grid.file), sheet=grid.sheet)
    return best
