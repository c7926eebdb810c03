"""The reader core shared by every input kind: find the header row, match headers to canonical
fields, account for every row, parse values column by column and name every bad cell."""
from __future__ import annotations

import functools
import gc
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Collection

import numpy as np
import pandas as pd

from addin import schema
from addin.errors import ConfigError, InputError
from addin.tomlcompat import tomllib
from addin.readers import headers, rows, values
from addin.readers.grid import Grid, load_grid, take as grid_take
from addin.files.guard import check_option_file
from addin.files.text import sheet_ref

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
    placeholders: dict[str, int] = field(default_factory=dict)   # field -> cells read as 'no date'
    ledger_kind: str | None = None       # sales, purchases, work_orders, shipments (a ledger only)
    other_sheets: list[str] = field(default_factory=list)   # the workbook's sheets not read
    proposal: dict = field(default_factory=dict)           # field -> headers.FieldChoice
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
                "issues": [i.as_dict() for i in self.issues], "notes": list(self.notes),
                "placeholders": dict(self.placeholders),
                **({"ledger_kind": self.ledger_kind} if self.ledger_kind else {}),
                "other_sheets": list(self.other_sheets),
                "proposal": [choice_dict(c) for c in self.proposal.values() if c.chosen is not None]}


def choice_dict(choice) -> dict:
    """A field's column as check --format json shows it: header, column letter, confidence,
    how it was found (mapping, alias, parts) and the runner-up."""
    def cand(c):
        return None if c is None else {"header": c.header, "column": column_letter(c.column),
                                       "confidence": c.score, "how": c.how}
    return {"field": choice.field, "column": cand(choice.chosen), "runner_up": cand(choice.runner_up)}


# --- mapping files --------------------------------------------------------------------------

@dataclass(frozen=True)
class Derived:
    """A date the file has no column for, computed per row: the date in column ``start`` plus
    the day count in column ``plus_days`` (calendar days, or working days of ``calendar``).
    Each of ``start`` and ``plus_days`` is a header text or a canonical field name."""
    start: str
    plus_days: str
    days: str = "calendar"          # "calendar" | "working"
    calendar: str = "cn"            # for working days: "cn" | "mon-fri"

    def describe(self) -> str:
        unit = "" if self.days == "calendar" else f" ({self.days} days, {self.calendar})"
        return f"{self.start} + {self.plus_days}{unit}"


@dataclass(frozen=True)
class Mapping:
    sheet: str | None = None
    header_row: int | None = None
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    date_order: str | None = None      # "dmy" | "mdy"
    defaults: dict[str, Any] = field(default_factory=dict)   # field -> value when the file has no column
    date_format: dict[str, tuple[str, ...]] = field(default_factory=dict)   # field (or "*") -> strptime formats
    derived: dict[str, Derived] = field(default_factory=dict)  # field -> computed from two columns
    name: str = "mapping"              # the file it came from, for messages

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

    def formats_for(self, fld: str) -> tuple[str, ...]:
        return self.date_format.get(fld, self.date_format.get("*", ()))

    @classmethod
    def from_dict(cls, raw: dict, name: str = "mapping") -> "Mapping":
        known = {"sheet", "header_row", "columns", "values", "date_order", "defaults", "date_format"}
        for key in raw:
            if key not in known:
                raise ConfigError(f"{name}: unknown key '{key}' (expected: {', '.join(sorted(known))})")
        all_fields = set().union(*schema.KINDS.values())
        date_fields = {f for kind in schema.KINDS.values() for f, t in kind.items() if t == schema.DATE}
        columns, derived = {}, {}
        for key, hint in (("columns", "field = \"header\""), ("defaults", "field = value"), ("values", "[values.<field>]"),
                          ("date_format", None)):
            if key in raw and hint is not None and not isinstance(raw[key], dict):
                raise ConfigError(f"{name}: {key} must be a table ({hint}), not {_kind(raw[key])}")
        if "sheet" in raw and not isinstance(raw["sheet"], str):
            raise ConfigError(f"{name}: sheet must be a sheet name in quotes, not {_kind(raw['sheet'])}")
        for fld, headers in (raw.get("columns") or {}).items():
            if fld not in all_fields:
                raise ConfigError(f"{name}: [columns] '{fld}' is not a field OrderDesk knows")
            if isinstance(headers, dict) or (isinstance(headers, str) and " + " in headers):
                if fld not in date_fields:
                    raise ConfigError(f"{name}: [columns] {fld}: only a date can be computed from a date "
                                      f"and a number of days")
                derived[fld] = _derived(headers, fld, name)
                continue
            if isinstance(headers, str):
                headers = [headers]
            if not isinstance(headers, list) or not all(isinstance(h, str) for h in headers):
                raise ConfigError(f"{name}: [columns] {fld} must be a header text or a list of them")
            columns[fld] = tuple(headers)
        header_row = raw.get("header_row")
        if header_row is not None and (isinstance(header_row, bool) or not isinstance(header_row, int) or header_row < 1):
            raise ConfigError(f"{name}: header_row must be a row number (1 or more)")
        date_order = raw.get("date_order")
        if date_order not in (None, "dmy", "mdy"):
            raise ConfigError(f"{name}: date_order must be 'dmy' or 'mdy'")
        vals = raw.get("values") or {}
        for fld, table in vals.items():
            if not isinstance(table, dict):
                raise ConfigError(f"{name}: [values] {fld} must be a table [values.{fld}] of raw value = canonical"
                                  f" value, not {_kind(table)}")
            for raw_value, canonical in table.items():
                if isinstance(canonical, (dict, list)):
                    raise ConfigError(f"{name}: [values.{fld}] {raw_value!r} must be one value (the canonical"
                                      f" value), not {_kind(canonical)}")
        defaults = raw.get("defaults") or {}
        for fld, v in defaults.items():
            if fld not in all_fields or not isinstance(v, (str, int, float)):
                raise ConfigError(f"{name}: [defaults] {fld} must be a field OrderDesk knows, given one value "
                                  f"(qty = 1 for a file of one item per line)")
        return cls(raw.get("sheet"), header_row, columns, {k: dict(v) for k, v in vals.items()}, date_order,
                   dict(defaults), _date_formats(raw.get("date_format"), date_fields, name), derived, name)


def _kind(value: Any) -> str:
    """What a TOML value is, for a message: 'a table', 'a string ('x')'."""
    kind = {bool: "true/false", int: "a whole number", float: "a number", str: "a string", list: "a list",
            dict: "a table"}.get(type(value), type(value).__name__)
    return kind if isinstance(value, (list, dict)) else f"{kind} ({value!r})"


def _formats(value: Any, where: str) -> tuple[str, ...]:
    import datetime as _dt
    found = [value] if isinstance(value, str) else value
    if not isinstance(found, list) or not found or not all(isinstance(f, str) and "%" in f for f in found):
        raise ConfigError(f"{where} must be a strptime format such as \"%d/%m/%Y\" or a list of them")
    for f in found:
        try:
            sample = _dt.datetime(2026, 4, 30, 9, 30).strftime(f)
            if "%d" not in f and "%j" not in f:
                raise ValueError("no day (%d)")
            try:   # the parser compiles it: '%d%d%d' defines a group twice (re.error, not ValueError)
                _dt.datetime.strptime(sample, f)
            except ValueError:
                pass
            except re.error:
                raise ValueError("a directive such as %d appears twice") from None
        except ValueError as exc:
            raise ConfigError(f"{where}: '{f}' is not a date format ({exc})") from None
    return tuple(found)


def _date_formats(raw: Any, date_fields: set[str], name: str) -> dict[str, tuple[str, ...]]:
    """``date_format = "%d/%m/%Y"`` for every date column, or a ``[date_format]`` table per field."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        return {"*": _formats(raw, f"{name}: date_format")}
    out = {}
    for fld, value in raw.items():
        if fld not in date_fields and fld != "*":
            raise ConfigError(f"{name}: [date_format] '{fld}' is not a date field OrderDesk knows")
        out[fld] = _formats(value, f"{name}: [date_format] {fld}")
    return out


def _derived(spec: Any, fld: str, name: str) -> Derived:
    """``"Order Date + Days for shipment (scheduled)"`` (calendar days) or
    ``{from = "Order Date", plus_days = "Days for shipment (scheduled)", days = "working"}``."""
    where = f"{name}: [columns] {fld}"
    if isinstance(spec, str):
        start, _, plus = spec.partition(" + ")
        spec = {"from": start.strip(), "plus_days": plus.strip()}
    unknown = set(spec) - {"from", "plus_days", "days", "calendar"}
    if unknown:
        raise ConfigError(f"{where}: unknown key '{sorted(unknown)[0]}' (expected: from, plus_days, days, calendar)")
    start, plus = spec.get("from"), spec.get("plus_days")
    if not isinstance(start, str) or not start.strip() or not isinstance(plus, str) or not plus.strip():
        raise ConfigError(f"{where}: give the date column and the day-count column, e.g. "
                          f"{{from = \"Order Date\", plus_days = \"Days for shipment (scheduled)\"}}")
    days = spec.get("days", "calendar")
    if days not in ("calendar", "working"):
        raise ConfigError(f"{where}: days must be \"calendar\" or \"working\"")
    calendar = spec.get("calendar", "cn")
    if calendar not in ("cn", "mon-fri"):
        raise ConfigError(f"{where}: calendar must be \"cn\" or \"mon-fri\"")
    return Derived(start.strip(), plus.strip(), days, calendar)


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
    # NFKC, Traditional -> Simplified, case, spaces, punctuation, units in brackets (headers.py)
    return headers.key(text)


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


@functools.cache
def _kind_rank(kind: str) -> dict[str, int]:
    return {k: i for (knd, k), i in _alias_rank().items() if knd == kind}


@dataclass
class HeaderMatch:
    header_index: int                  # 0-based grid row of the (lower) header row
    first_index: int                   # 0-based first header row (== header_index for one row)
    columns: dict[str, int]            # field -> 0-based column
    texts: dict[str, str]              # field -> header text found
    score: float
    duplicates: list[tuple[str, str, list[int]]] = field(default_factory=list)
    proposal: dict = field(default_factory=dict)       # field -> headers.FieldChoice
    row_texts: list[str] = field(default_factory=list)  # every header cell of the row
    notes: list[str] = field(default_factory=list)      # stand-ins (a planned finish as due date)
    ledger_kind: str | None = None                      # sales, purchases, work_orders, shipments


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


def requirement_met(kind: str, columns: dict[str, int], mapping: Mapping | None = None,
                     ledger_kind: str | None = None) -> bool:
    req = schema.REQUIRED[kind]
    have = set(columns) | set(mapping.defaults if mapping else ()) | set(mapping.derived if mapping else ())
    fields = required_fields(kind, ledger_kind)
    return all(f in have for f in fields) and (not req.any_of or any(f in have for f in req.any_of))


def required_fields(kind: str, ledger_kind: str | None = None) -> tuple[str, ...]:
    """The fields a kind needs a column for. Purchase, work-order and shipment lines are
    measured without a customer (the supplier or line stands there, or sits on the document's
    header in the ERP) and without a part number (a PO line is measured as a line)."""
    fields = schema.REQUIRED[kind].fields
    if kind == "ledger" and ledger_kind not in (None, "sales"):
        fields = tuple(f for f in fields if f not in ("customer", "part_no"))
    return fields


def _match(kind: str, texts: list[str], mapping: Mapping, samples: dict[int, list] | None = None):
    """Columns of one header row: (columns, texts, duplicates, proposal, notes, ledger kind).
    Order-line ledgers are scored by header parts (headers.py); other kinds match aliases."""
    if kind != "ledger":
        cols, found, dups = _match_row(kind, texts, mapping)
        proposal = {f: headers.FieldChoice(f, headers.Candidate(c, texts[c], 1.0,
                                                                "mapping" if f in mapping.columns else "alias"))
                    for f, c in cols.items()}
        return cols, found, dups, proposal, [], None
    fields = schema.KINDS[kind]
    table = aliases()[kind]
    exact = table
    for text in texts:       # '客户交期\nRequested Date': the Chinese or the English part alone
        k = header_key(text)
        if k and k not in table:
            b = _bilingual_key(text, table)
            if b:
                exact = dict(exact) if exact is table else exact
                exact[k] = table[b]
    user = {f: hs for f, hs in mapping.columns.items() if f in fields}
    rank = _kind_rank(kind)
    proposal = headers.propose(texts, fields, exact=exact, user=user, samples=samples, rank=rank)
    order = list(fields)       # columns left to right (as an alias scan finds them), then field order
    cols = dict(sorted(((f, c.chosen.column) for f, c in proposal.items() if c.chosen is not None),
                       key=lambda fc: (fc[1], order.index(fc[0]))))
    found = {f: texts[c] for f, c in cols.items()}
    seen: dict[str, list[int]] = {}
    for col, text in enumerate(texts):
        k = header_key(text)
        if k:
            seen.setdefault(k, []).append(col)
    dups = [(texts[c], f, seen[header_key(texts[c])]) for f, c in cols.items()
            if len(seen[header_key(texts[c])]) > 1 and f not in mapping.columns]
    notes = headers.stand_ins(cols, found)
    return cols, found, dups, proposal, notes, headers.ledger_kind(texts, cols)


def _header_texts(rows: list[list], index: int, width: int) -> list[str]:
    row = rows[index] if index < len(rows) else []
    return [_cell_text(row[c]) if c < len(row) else "" for c in range(width)]


def find_header(grid: Grid, kind: str, mapping: Mapping, *, ledger_kind: str | None = None) -> HeaderMatch | None:
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
        if not any(lower) or (mapping.header_row is None and _looks_like_data(rows[i], kind)):
            continue
        options = [(i, lower)]
        if i > 0:
            upper = _header_texts(rows, i - 1, width)
            if any(upper):
                options.append((i - 1, _combine(upper, lower)))
        for first, texts in options:
            cols, found, dups, proposal, notes, lk = _match(kind, texts, mapping)
            # rows compete on one footing (the customer not yet asked for: a row's own words
            # must not make it the header by relaxing what it needs)
            score = sum(c.chosen.score for c in proposal.values() if c.chosen is not None) \
                + (100 if requirement_met(kind, cols, mapping, "any") else 0)
            if best is None or score > best.score:
                best = HeaderMatch(i, first, cols, found, score, dups, proposal, texts, notes, lk)
    if best is not None and kind == "ledger":
        # confirmed by values: a sample of the rows below (a date field holds dates)
        samples = _samples(rows, best.header_index + 1, len(best.row_texts))
        cols, found, dups, proposal, notes, lk = _match(kind, best.row_texts, mapping, samples)
        score = sum(c.chosen.score for c in proposal.values() if c.chosen is not None) \
            + (100 if requirement_met(kind, cols, mapping, lk) else 0)
        best = HeaderMatch(best.header_index, best.first_index, cols, found, score, dups, proposal,
                           best.row_texts, notes, ledger_kind or lk)
    return best


def _looks_like_data(row: list, kind: str) -> bool:
    """A row most of whose cells are numbers or dates, or (an order ledger) holding a date cell,
    is data, not a header (header cells are text): it keeps a data row under the header from
    being read as a second header row whose values happen to look like field names."""
    import datetime as _dt
    filled = [v for v in row if v is not None and v != ""]
    dates = sum(1 for v in filled if isinstance(v, (_dt.date, _dt.datetime))
                or isinstance(v, str) and _DATE_TEXT.match(v.strip()))
    typed = dates + sum(1 for v in filled if isinstance(v, (int, float))
                        or isinstance(v, str) and _NUMBER_TEXT.match(v.strip()))
    if kind == "ledger" and dates:
        return True
    return bool(filled) and typed * 2 > len(filled)


# a CSV's cells are text: '2026-01-05', '1,200' in a row say it is data all the same
_DATE_TEXT = re.compile(r"^(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})([ T]\d{1,2}:\d{2}.*)?$")
_NUMBER_TEXT = re.compile(r"^[-+]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")


def _samples(rows, start: int, width: int) -> dict[int, list]:
    """A few values per column below the header (never every cell: the value check is cheap)."""
    out: dict[int, list] = {c: [] for c in range(width)}
    for i in range(start, min(len(rows), start + headers.SAMPLE_ROWS)):
        row = rows[i]
        for c in range(min(width, len(row))):
            v = row[c]
            if v is not None and v != "":
                out[c].append(v)
    return out


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
    # a delivery export's words (序号, 单号, Delivery Date …) re-label the ledger's: they do not
    # decide how a ledger's two header rows combine
    return frozenset(k for kind, table in aliases().items() if kind != "deliveries" for k in table)


# --- cell names -----------------------------------------------------------------------------

def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell_name(sheet: str, col: int, row1: int) -> str:
    return f"{sheet_ref(sheet)}!{column_letter(col)}{row1}"


# --- reading --------------------------------------------------------------------------------

def read_grid(grid: Grid, kind: str, mapping: Mapping | None = None, *, strict: bool = True,
              ledger_kind: str | None = None, fields: Collection[str] | None = None) -> ReadResult:
    """Turn a grid into a ReadResult of ``kind``: every row accounted for. ``fields``: the
    canonical fields the caller reads (:func:`read`)."""
    mapping = mapping or Mapping()
    name = grid.file.name
    grid = unpasted(grid)
    if not any(any(_cell_text(v) for v in r) for r in grid.rows[:HEADER_SCAN_ROWS * 10]):
        raise InputError(f"{name}: sheet '{grid.sheet}' is empty", file=str(grid.file), sheet=grid.sheet)
    match = find_header(grid, kind, mapping, ledger_kind=ledger_kind)
    if match is not None:
        _check_mapping_found(grid, kind, match, mapping)
    if match is None or not requirement_met(kind, match.columns, mapping, match.ledger_kind):
        raise _missing_columns(grid, kind, match)
    notes = list(match.notes)
    required = set(schema.REQUIRED[kind].fields) | set(schema.REQUIRED[kind].any_of)
    for text, fld, cols in match.duplicates:
        if fld in _kind_module_attr(kind, "DUPLICATE_HEADERS_OK", ()):
            continue   # the kind's finish reads every such column (a BOM's part-number columns)
        cells = " and ".join(cell_name(grid.sheet, c, match.header_index + 1) for c in cols)
        times = "twice" if len(cols) == 2 else f"{len(cols)} times"
        if fld not in required:   # a header no required field needs may repeat: the first is read
            notes.append(f"the header '{text}' appears {times} ({cells}): {fld} is read from "
                         f"{cell_name(grid.sheet, match.columns[fld], match.header_index + 1)}")
            continue
        raise InputError(f"{name}: the header '{text}' appears {times} ({cells}) — rename one so "
                         f"'{fld}' is unambiguous", file=str(grid.file), sheet=grid.sheet)
    # not sure is said, never silent: a needed column found with little confidence is named
    needed = set(required_fields(kind, match.ledger_kind)) | set(schema.REQUIRED[kind].any_of) | {"ship_date"}
    for fld, choice in match.proposal.items():
        c = choice.chosen
        if fld in needed and fld in match.columns and c is not None and c.how == "parts" \
                and c.score < UNSURE:
            runner = f"; runner-up '{choice.runner_up.header}'" if choice.runner_up is not None else ""
            notes.append(f"{fld} is read from '{c.header}' with confidence {c.score:.2f}{runner} — "
                         f"orderdesk map shows the choice; a --map file fixes it")
    result = _read_rows(grid, kind, match, mapping, None if fields is None else frozenset(fields))
    result.notes[len(grid.notes):len(grid.notes)] = notes    # after the file's own (encoding, pasted CSV)
    result.proposal = match.proposal
    if kind == "ledger":
        result.ledger_kind = match.ledger_kind
        # the party a line is measured against (customer, supplier or production line), for
        # every kind of ledger alike; compute/otd.py may group by it
        party = headers.counterparty_field(match.ledger_kind or "sales", match.columns)
        if fields is None or "counterparty" in fields:
            result.data["counterparty"] = result.data[party] if party else pd.Series(
                np.full(len(result.data), None, dtype=object), index=result.data.index)
    return result


UNSURE = 0.75     # below this a needed column's choice is reported in the notes


def _check_mapping_found(grid: Grid, kind: str, match: HeaderMatch, mapping: Mapping) -> None:
    """A --map entry whose header is nowhere in the header row is a mistake worth naming."""
    keys = {header_key(t) for t in match.row_texts if t}
    wrong = []       # every entry that matches nothing, so one run names them all
    for fld, hs in mapping.columns.items():
        if fld not in schema.KINDS[kind] or any(header_key(h) in keys for h in hs):
            continue
        near = headers.closest(match.row_texts, hs)
        hint = f" (closest: {', '.join(repr(t) for t in near)})" if near else ""
        wrong.append((f"{fld} = " + " or ".join(f"'{h}'" for h in hs), hint))
    where = f"{grid.file.name} sheet '{grid.sheet}' row {match.header_index + 1}"
    if len(wrong) == 1:
        (entry, hint), = wrong
        raise ConfigError(f"{mapping.name}: [columns] {entry}: no such header in {where}{hint} — "
                          f"fix the header text in the mapping")
    if wrong:
        raise ConfigError(f"{mapping.name}: [columns] {'; '.join(e + h for e, h in wrong)}: no such headers in "
                          f"{where} — fix the header texts in the mapping")


def _repeated_header_rows(src: dict[str, values.Coded], match: HeaderMatch, n: int) -> np.ndarray:
    """Rows whose every mapped cell repeats its header text: a header pasted inside the data.
    One vectorised comparison per mapped column, narrowed by the first."""
    out: np.ndarray | None = None
    columns = set()
    for f, text in match.texts.items():
        c = match.columns.get(f)
        if f not in src or c in columns or not text:
            continue
        columns.add(c)
        entries = src[f].values.to_numpy(dtype=object, na_value=None)
        row_eq = src[f].per_row(entries == text)
        out = row_eq if out is None else out & row_eq
        if not out.any():
            return np.zeros(n, bool)
    if out is None or len(columns) < 2:
        return np.zeros(n, bool)
    return out


def _missing_columns(grid: Grid, kind: str, match: HeaderMatch | None) -> InputError:
    req = schema.REQUIRED[kind]
    found = match.columns if match else {}
    missing = [f for f in required_fields(kind, match.ledger_kind if match else None) if f not in found]
    raw = alias_lists()[kind]
    texts = match.row_texts if match else []

    def examples(words: list[str]) -> str:  # two Chinese and two English names
        zh = [w for w in words if _CJK.search(w)][:2]
        return ", ".join(zh + [w for w in words if not _CJK.search(w)][:2])

    def near(*fields: str, similar: bool = True) -> str:   # the headers of this row closest to the fields
        if kind != "ledger":
            return ""
        close: list[str] = []
        why: dict[str, str] = {}      # a header that named the field but whose values did not fit
        for f in fields:
            choice = match.proposal.get(f) if match else None
            if choice is not None and choice.runner_up is not None and choice.runner_up.header not in close:
                close.append(choice.runner_up.header)
            for c, reason in (choice.rejected if choice is not None else []):
                why.setdefault(c.header, reason)
        if similar:
            close += [t for f in fields for t in headers.closest(texts, raw[f]) if t not in close]
        shown = [repr(t) + (f" ({why[t]})" if t in why else "") for t in close[:3]]
        return f"; closest here: {', '.join(shown)}" if close else ""
    parts = [f"'{f}' (a column such as {examples(raw[f])}{near(f)})" for f in missing]
    if req.any_of and not any(f in found for f in req.any_of):
        what = "a due date" if kind == "ledger" else "one of " + ", ".join(f"'{f}'" for f in req.any_of)
        parts.append(what + " (" + " or ".join(raw[f][0] + "/" + raw[f][-1] if f in raw else f
                                                for f in req.any_of) + near(*req.any_of, similar=False) + ")")
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


def _read_rows(grid: Grid, kind: str, match: HeaderMatch, mapping: Mapping,
               wanted: frozenset[str] | None = None) -> ReadResult:
    fields = schema.KINDS[kind]
    # the fields the frame holds; every column is parsed and checked all the same (the rows
    # accepted, the issues, the totals and the notes are the same whatever the caller reads)
    framed = {f: t for f, t in fields.items() if wanted is None or f in wanted}
    start = match.header_index + 1
    raw: dict[str, pd.Series] = {}        # field -> the cells per row (issue values)
    src: dict[str, values.Coded] = {}     # field -> the cells as entries and per-row codes
    cols_of: dict[str, int] = dict(match.columns)   # field -> column of its issues
    loaded: dict[int, tuple[pd.Series, values.Coded]] = {}   # column -> its cells, encoded (load)
    if grid.batch is not None:
        # Arrow text columns (xlsx): each column's distinct texts are parsed once and the rows
        # are numpy takes; Python rows are made only for the few blank/total candidates. A
        # column that serves two fields is encoded once.
        n = max(len(grid.rows) - start, 0)
        index = pd.RangeIndex(n)

        def load(c: int) -> tuple[pd.Series, values.Coded]:
            if c not in loaded:
                cells = values.text_series(grid.text_column(c, start, n), index)
                loaded[c] = (cells, values.distinct(cells))
                grid.release_pages()     # the column is encoded: its mapped pages may go
            return loaded[c]
        body = _LazyBody(grid.rows, start)
    else:
        body = grid.rows[start:]
        n = len(body)
        index = pd.RangeIndex(n)

        def load(c: int) -> tuple[pd.Series, values.Coded]:
            if c not in loaded:
                cells = pd.Series(_column(body, c), index=index, dtype=object)
                loaded[c] = (cells, values.distinct(cells))
            return loaded[c]
    for f, c in match.columns.items():
        raw[f], src[f] = load(c)
    source_row = np.arange(start + 1, start + 1 + n)
    derived = _derived_sources(grid, match, mapping, fields)

    # blank rows: decided on the mapped columns, confirmed on the whole row (a row holding
    # only a prefilled sequence number, 序号 1..N, is blank too)
    width = max(len(grid.rows[i]) for i in range(match.first_index, match.header_index + 1))
    header_rows = [_header_texts(grid.rows, i, width) for i in range(match.first_index, match.header_index + 1)]
    sequence_cols = {c for f, c in match.columns.items()
                     if rows.is_sequence_header("".join(h[c] for h in header_rows))}
    empty: dict[str, np.ndarray] = {}     # field -> empty per entry
    by_src: dict[int, np.ndarray] = {}
    maybe_blank = np.arange(n)
    for f, col in src.items():
        if id(col) not in by_src:
            by_src[id(col)] = e = values.is_empty(col.values).to_numpy(dtype=bool)
            if match.columns[f] not in sequence_cols:
                # narrowed column by column: only the rows still empty are looked up
                maybe_blank = maybe_blank[e[maybe_blank] if col.codes is None else e[col.codes[maybe_blank]]]
        empty[f] = by_src[id(col)]
    blank = rows.blank_rows(grid, body, start, n, maybe_blank, header_rows)
    repeated = _repeated_header_rows(src, match, n) & ~blank   # exports pasted together
    blank |= repeated
    # a field the file has no column for, one value for every line from the mapping's [defaults]
    for f, v in mapping.defaults.items():
        if f in fields and f not in raw and f not in derived:
            raw[f] = pd.Series([v] * n, index=index, dtype=object)
            src[f] = values.Coded(pd.Series([v], dtype=object), np.zeros(n, np.uint8))
            empty[f] = np.zeros(1, bool)

    problems: dict[str, values.Coded] = {}
    parsed: dict[str, values.Coded] = {}
    notes: list[str] = list(grid.notes)   # e.g. the text encoding a CSV was read in
    if repeated.any():
        at = ", ".join(str(int(r)) for r in source_row[repeated][:5]) + (", …" if repeated.sum() > 5 else "")
        notes.append(f"{int(repeated.sum())} header row{'s' if repeated.sum() > 1 else ''} repeated inside "
                     f"the data (row {at}) skipped, counted as blank")
    warnings: list[Issue] = []   # kept rows with a note (text cut to Excel's cell limit)
    day_first = {"dmy": True, "mdy": False}.get(mapping.date_order)
    no_year: dict[str, list] = {}
    placeholders: dict[str, np.ndarray] = {}
    for f, col in src.items():
        kind_of = fields[f]
        cells = col.values
        if kind_of == schema.DATE:
            parsed[f], problems[f], n_ = values.date_coded(col, day_first=day_first, defer_years=True,
                                                           formats=mapping.formats_for(f))
            if n_.get("no_year"):
                no_year[f] = n_["no_year"]
            if n_.get("placeholder") is not None and n_["placeholder"].any():
                placeholders[f] = n_["placeholder"]
            if "ambiguous_day_month" in n_ and mapping.date_order is None and not mapping.formats_for(f):
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
            for i in np.flatnonzero((col.per_row(too_long) > 0) & ~blank):
                e = i if col.codes is None else col.codes[i]
                warnings.append(Issue(cell_name(grid.sheet, match.columns[f], int(source_row[i])), f,
                                      text.iat[e][:40] + "…", f"text of {too_long[e]:,} characters is longer than"
                                      f" Excel's 32,767 per cell: the workbooks OrderDesk writes keep the first"
                                      f" 32,767", "warning"))
            if f not in framed:
                continue           # checked; text is needed by nothing but the frame
            if f in mapping.values:
                table = {values.norm_key(k): v for k, v in mapping.values[f].items()}
                done = text.map(lambda v: table.get(values.norm_key(v), v) if v is not None else None)
                parsed[f] = values.Coded(col.like(done).series(index))   # per row: pandas infers the dtype
            else:
                parsed[f] = col.like(text)
    _place_years(parsed, problems, no_year)
    for f, d in derived.items():
        parsed[f], problems[f], raw[f], cols_of[f] = _derive(d, load, mapping, day_first, n, index)
        empty[f] = parsed[f].values.isna().to_numpy()
        src[f] = parsed[f]

    # required values and signs, set on the entries (an entry's rows share its message)
    req = schema.REQUIRED[kind]
    for f in req.fields:
        if f not in src:      # the customer of a purchase, work-order or shipment ledger
            continue
        missing = np.flatnonzero(src[f].per_row(empty[f]) & ~blank)
        if len(missing):
            p = problems.get(f)
            if p is None:
                p = problems[f] = src[f].like(pd.Series(None, index=src[f].values.index, dtype=object))
            at = missing if p.codes is None else p.codes[missing]
            p.values.iloc[at[p.values.isna().to_numpy()[at]]] = "is empty (a value is required)"
        if f in placeholders:     # 'TBD' in a date the row cannot do without
            entries = np.zeros(len(parsed[f].values), bool)
            entries[:len(placeholders[f])] = placeholders[f]
            p = problems[f].values
            p[entries & p.isna().to_numpy()] = "holds no date (a date is required here)"
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

    # totals: rows with no key of their own, or that would be rejected, holding a total word,
    # a SUM formula, or only sums of the columns above
    flagged_rows = np.zeros(n, bool)
    for f, p in problems.items():
        flagged = p.values.notna().to_numpy()
        if flagged.any():
            flagged_rows |= p.per_row(flagged)
    key = [f for f in req.fields if f in src][:1]
    key_empty = src[key[0]].per_row(empty[key[0]]) if key else np.zeros(n, bool)
    unlabelled = ~blank & key_empty
    for f, t in fields.items():
        if f in src and t not in (schema.NUMBER,) and f in match.columns:
            unlabelled &= src[f].per_row(empty[f])
    # per field, its rows' numbers and whether filled, made when the sums are checked (one at a time)
    numbers = {f: functools.partial(_number_rows, parsed[f], src[f], empty[f]) for f, t in fields.items()
               if t == schema.NUMBER and f in match.columns and f in parsed}
    key_label = np.zeros(n, bool)
    if key:
        words = rows.total_label_entries(src[key[0]].values)
        if words.any():
            key_label = src[key[0]].per_row(words)
    dateless = np.ones(n, bool)
    for f, t in fields.items():
        if t == schema.DATE and f in match.columns:
            dateless &= src[f].per_row(empty[f])
    totals = rows.total_rows(grid, body, start, n, ~blank & (key_empty | key_label), unlabelled, numbers,
                             ~blank & ~key_empty & ~key_label, dateless)
    skipped = blank | totals
    keep = ~skipped

    issues = _issues(grid.sheet, problems, raw, cols_of, keep, source_row,
                     [w for w in warnings if keep[_row_of(w.cell) - start - 1]])
    rejected = flagged_rows & keep
    ph_notes, ph_counts = _placeholder_notes(grid.sheet, placeholders, parsed, raw, cols_of, match, keep,
                                             source_row)
    notes += ph_notes
    if grid.batch is not None:
        grid.release_pages()       # the flagged cells' pages, touched for the issues' values

    valid = keep & ~rejected
    n_valid = int(valid.sum())
    rows_kept = np.flatnonzero(valid)
    source_row = source_row[valid]
    # the cells and the checks are done with: only the framed fields' values are kept while the
    # frame is made (a million lines: ~150 MB of codes, entries and numbers let go first)
    for done_with in (loaded, src, raw, problems, numbers, empty, by_src):
        done_with.clear()
    for f in [f for f in parsed if f in fields and f not in framed]:
        del parsed[f]
    if wanted is not None:         # a caller that reads some fields: the memory let go is given back
        from addin.files.allocator import give_back_freed_memory
        give_back_freed_memory()

    empty_columns = values.Filled(n_valid)       # the fields the file does not fill share one array per kind
    # each field's entries taken for the kept rows, its codes let go as soon as it is taken
    columns_ = {f: _kept(parsed.pop(f), rows_kept) if f in parsed else
                empty_columns.column(t, functools.partial(_empty_array, t)) for f, t in framed.items()}
    columns_.update((f, _kept(c, rows_kept)) for f, c in parsed.items() if f not in fields)
    columns_["source_row"] = source_row
    del rows_kept, parsed
    data = pd.DataFrame(columns_, copy=False)
    del columns_
    columns = dict(match.texts)
    for f, (d, _, _) in derived.items():
        columns[f] = d.describe()
    result = ReadResult(kind, grid.file.name, grid.sheet, match.header_index + 1, columns, data,
                        issues, RowCount(n, n_valid, int(rejected.sum()), int(skipped.sum())),
                        notes, grid.file)
    result.placeholders = ph_counts
    # where each field is, so a line's issue found later (by the engine) can name its cell
    result.column_letters = {f: column_letter(c) for f, c in match.columns.items() if isinstance(c, (int, np.integer))}
    _finish(kind, result, grid, match)
    assert result.rows.read == result.rows.valid + result.rows.issues + result.rows.blank_or_total
    return result


def _kept(c: values.Coded, rows: np.ndarray) -> pd.Series:
    """The entries of ``rows`` (one numpy take) as a column."""
    return pd.Series(c.rows(rows), dtype=c.values.dtype, copy=False)


def _number_rows(parsed: values.Coded, cells: values.Coded, empty: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A number column's value per row and whether its cell is filled."""
    return parsed.rows().astype("float64", copy=False), ~cells.per_row(empty)


def _issues(sheet: str, problems: dict[str, values.Coded], raw: dict[str, pd.Series], cols_of: dict[str, Any],
            keep: np.ndarray, source_row: np.ndarray, more: list[Issue] = ()) -> list[Issue]:
    """One issue per flagged cell of a kept row, with ``more`` issues (warnings) merged in, by
    row, then by cell name, as a reader reads them. Built column by column and sorted on
    integer keys before any Python object is made: each distinct value is typed once, the
    cell names and ``Issue`` objects are made once, in their final order, with the cyclic
    garbage collector paused (an all-bad file of 100k rows makes 225k issues; with the grid's
    rows alive, the collections the allocations trigger cost more than the objects)."""
    row_parts: list[np.ndarray] = []     # per issue: its row, its sheet!column, field, value, message
    cell_parts: list[np.ndarray] = []    # index into ``cell_names``
    cell_names: list[str] = []
    cell_id: dict[str, int] = {}
    fields: list[str] = []
    field_parts: list[np.ndarray] = []
    found: list = []
    message_parts: list[np.ndarray] = []
    prefix = sheet_ref(sheet) + "!"

    def cell_of(name: str) -> int:
        if name not in cell_id:
            cell_id[name] = len(cell_names)
            cell_names.append(name)
        return cell_id[name]

    for f, p in problems.items():
        flagged = p.values.notna().to_numpy()
        if not flagged.any():
            continue
        bad_rows = np.flatnonzero(p.per_row(flagged) & keep)
        if not len(bad_rows):
            continue
        col = cols_of.get(f)
        if col is None:
            message = p.values.to_numpy()[bad_rows[0] if p.codes is None else p.codes[bad_rows[0]]]
            raise ConfigError(f"mapping: [defaults] {f} = {raw[f].iat[0]!r}: {message}")
        message_parts.append(p.values.to_numpy(dtype=object)[bad_rows if p.codes is None else p.codes[bad_rows]])
        cells = raw[f]
        seen: dict = {}          # each distinct cell text typed once
        chunks = values.arrow_chunks(cells)
        if chunks is not None:
            found += [seen[v] if v in seen else seen.setdefault(v, _issue_value(values.typed_cell(v)))
                      for v in grid_take(chunks, bad_rows).to_pylist()]
        else:
            found += [seen[v] if v in seen else seen.setdefault(v, _issue_value(v))
                      for v in cells.to_numpy()[bad_rows].tolist()]
        if isinstance(col, np.ndarray):
            letters = {int(c): cell_of(prefix + column_letter(int(c))) for c in np.unique(col[bad_rows])}
            cell_parts.append(np.array([letters[int(c)] for c in col[bad_rows]], np.int64))
        else:
            cell_parts.append(np.full(len(bad_rows), cell_of(prefix + column_letter(col)), np.int64))
        row_parts.append(source_row[bad_rows])
        field_parts.append(np.full(len(bad_rows), len(fields), np.int64))
        fields.append(f)
    n_made = len(found)
    for it in more:              # already made: merged by their cells
        head, bang, tail = it.cell.rpartition("!")
        letters_ = tail.rstrip("0123456789")
        row_parts.append(np.array([int(tail[len(letters_):] or 0)], np.int64))
        cell_parts.append(np.array([cell_of(head + bang + letters_)], np.int64))
    total = n_made + len(more)
    if not total:
        return []
    at_rows = np.concatenate(row_parts).astype(np.int64, copy=False)
    at_cells = np.concatenate(cell_parts)
    rank = np.empty(len(cell_names), np.int64)
    rank[sorted(range(len(cell_names)), key=cell_names.__getitem__)] = np.arange(len(cell_names))
    order = np.lexsort((np.arange(total), rank[at_cells], at_rows))
    made = order[order < n_made]
    names = [f"{cell_names[c]}{r}" for c, r in zip(at_cells[made].tolist(), at_rows[made].tolist())]
    field_of = np.array(fields, dtype=object)[np.concatenate(field_parts)[made]] if n_made else []
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        out = list(map(Issue, names, field_of.tolist() if n_made else [], [found[i] for i in made.tolist()],
                       np.concatenate(message_parts)[made].tolist() if n_made else []))
        if more:
            made_at = iter(out)
            out = [next(made_at) if i < n_made else more[i - n_made] for i in order.tolist()]
    finally:
        if was_enabled:
            gc.enable()
    return out


def _issue_value(v: Any) -> Any:
    """A cell's value as an issue shows it: None for an empty cell."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and v != v:
        return None
    if isinstance(v, str) and not v.strip():
        return None
    return v


DATE_REFERENCE_ORDER = ("order_date", "requested_date", "promised_date", "first_promised_date", "ship_date")


def _place_years(parsed: dict[str, values.Coded], problems: dict[str, values.Coded], no_year: dict[str, list]) -> None:
    """Dates without a year ('4月30', '6/14') take the year that puts them closest to their
    own row's other dates: the order date for the others, the first of the due and ship
    dates for the order date; a row with none takes the file's year."""
    if not no_year:
        return
    dates = {f: c for f, c in parsed.items() if c.values.dtype.kind == "M"}
    fallback = values.file_year(*dates.values())
    for f, pending in no_year.items():
        others = [g for g in DATE_REFERENCE_ORDER if g != f and g in dates]
        others += [g for g in dates if g != f and g not in others]
        reference = None
        for g in others:
            ref = dates[g].rows().astype("datetime64[ns]")
            reference = ref if reference is None else np.where(np.isnat(reference), ref, reference)
        parsed[f], problems[f] = values.place_years(parsed[f], problems[f], pending, reference, fallback)
        dates[f] = parsed[f]


def _derived_sources(grid: Grid, match: HeaderMatch, mapping: Mapping, fields: dict[str, str]) -> dict:
    """field -> (Derived, date column, day-count column) for the mapping's computed dates."""
    out = {}
    if not mapping.derived:
        return out
    width = max(len(grid.rows[i]) for i in range(match.first_index, match.header_index + 1))
    texts = ["".join(t) for t in zip(*(_header_texts(grid.rows, i, width)
                                       for i in range(match.first_index, match.header_index + 1)))]
    keys = [header_key(t) for t in texts]
    for f, d in mapping.derived.items():
        if f not in fields:
            continue
        found = []
        for name in (d.start, d.plus_days):
            col = _column_named(name, texts, keys, match)
            if col is None:
                import difflib
                near = difflib.get_close_matches(name, [t for t in texts if t], n=3, cutoff=0.4)
                hint = f" (closest: {', '.join(repr(t) for t in near)})" if near else ""
                raise ConfigError(f"mapping: [columns] {f} = {d.describe()!r}: no column '{name}' in the header "
                                  f"of sheet '{grid.sheet}' (row {match.header_index + 1}){hint}")
            found.append(col)
        out[f] = (d, found[0], found[1])
    return out


def _column_named(name: str, texts: list[str], keys: list[str], match: HeaderMatch) -> int | None:
    if name in match.columns:                       # a canonical field: its column
        return match.columns[name]
    key = header_key(name)
    if key in keys:
        return keys.index(key)
    field_of = next((table[key] for table in aliases().values() if key in table), None)
    if field_of in match.columns:                   # 'order date' names the order_date column
        return match.columns[field_of]
    starts = [i for i, k in enumerate(keys) if k and k.startswith(key)]
    return starts[0] if len(starts) == 1 else None


def _derive(spec: tuple, load, mapping: Mapping, day_first: bool | None, n: int,
            index: pd.Index) -> tuple[values.Coded, values.Coded, pd.Series, np.ndarray]:
    """Per row: the date column plus the day count. A bad date or day count is an issue on
    its own cell (the row's column for this field is the one that was wrong)."""
    d, date_col, days_col = spec
    date_raw, date_src = load(date_col)
    days_raw, days_src = load(days_col)
    dates, date_bad, _ = values.date_coded(date_src, day_first=day_first, formats=mapping.formats_for("*"))
    nums, num_bad = values.number_column(days_src.values)
    start = dates.rows().astype("datetime64[ns]")
    days = days_src.like(nums).rows().astype("float64")
    date_msg = date_bad.rows()
    days_msg = days_src.like(num_bad).rows()
    whole = np.isnan(days) | (days == np.round(days))
    ok = ~np.isnat(start) & ~np.isnan(days) & whole & (days >= 0)
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    if ok.any():
        if d.days == "calendar":
            out[ok] = start[ok] + days[ok].astype("int64").astype("timedelta64[D]")
        else:
            from addin.compute.calendar import WorkingCalendar
            cal = WorkingCalendar.cn() if d.calendar == "cn" else WorkingCalendar.mon_fri()
            got = cal.workday_many(pd.Series(start[ok]), pd.Series(days[ok].astype("int64")))
            out[ok] = pd.to_datetime(got).to_numpy(dtype="datetime64[ns]")
    problems = np.full(n, None, dtype=object)
    col = np.full(n, date_col, dtype=np.int64)
    bad_days = pd.notna(days_msg) | (~np.isnan(days) & (~whole | (days < 0)))
    problems[bad_days] = np.where(pd.notna(days_msg[bad_days]), "not a number of days",
                                  "not a whole number of days (0 or more)")
    col[bad_days] = days_col
    bad_date = pd.notna(date_msg) & ~bad_days
    problems[bad_date] = date_msg[bad_date]
    cells = pd.Series(np.where(bad_days, values.objects_of(days_raw), values.objects_of(date_raw)), index=index,
                      dtype=object)
    return (values.Coded(pd.Series(out, index=index)), values.Coded(pd.Series(problems, index=index, dtype=object)),
            cells, col)


def _placeholder_notes(sheet: str, placeholders: dict[str, np.ndarray], parsed: dict[str, values.Coded],
                       raw: dict[str, pd.Series], cols_of: dict[str, Any], match: HeaderMatch,
                       keep: np.ndarray, source_row: np.ndarray) -> tuple[list[str], dict[str, int]]:
    """Per date column, the cells whose text means 'no date' (N/A, TBD, 待定, 9999-12-31...):
    read as empty and kept, counted here so none goes unseen."""
    from collections import Counter
    notes, counts = [], {}
    for f, mask in placeholders.items():
        c = parsed[f]
        entries = np.zeros(len(c.values), bool)
        entries[:len(mask)] = mask
        at = np.flatnonzero(c.per_row(entries) & keep)
        if not len(at):
            continue
        texts = Counter(str(_issue_value(v)) for v in values.objects_of(raw[f].iloc[at]))
        shown = ", ".join(f"'{t}' ×{k:,}" for t, k in texts.most_common(3))
        more = f" and {len(texts) - 3} other texts" if len(texts) > 3 else ""
        first = cell_name(sheet, cols_of[f], int(source_row[at[0]]))
        notes.append(f"{match.texts.get(f, f)}: {len(at):,} {'cells hold' if len(at) > 1 else 'cell holds'} no date "
                     f"({shown}{more}; first at {first}) — read as empty, the lines kept")
        counts[f] = len(at)
    return notes, counts


def _finish(kind: str, result: ReadResult, grid: Grid, match: HeaderMatch) -> None:
    """Kind-specific rules (designator counts in a BOM, shifts x hours in capacity, ...) live in
    ``addin/readers/<kind>.py`` as ``finish(result, grid, match)``; they may move rows from
    valid to issues but must keep the row accounting."""
    import importlib
    import importlib.util
    module = f"addin.readers.{kind}"
    if importlib.util.find_spec(module) is not None:
        finish = getattr(importlib.import_module(module), "finish", None)
        if finish is not None:
            finish(result, grid, match)


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


def _empty_array(kind_of: str, n: int) -> np.ndarray:
    if kind_of == schema.DATE:
        return np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    if kind_of == schema.NUMBER:
        return np.full(n, np.nan)
    if kind_of == schema.BOOL:
        return np.zeros(n, dtype=bool)
    a = np.empty(n, dtype=object)      # None in every cell
    if kind_of == schema.LIST:
        a.fill(())
    return a


# --- entry points ---------------------------------------------------------------------------

ALL_SHEETS = "all"


def read(path: Path | str, kind: str | None = None, *, sheet: str | None = None,
         mapping: Mapping | Path | str | None = None, fields: Collection[str] | None = None) -> ReadResult:
    """Read an input file of a kind (found from the headers when None). Every sheet is scored
    and the best table read, the others named in ``other_sheets``; ``sheet="all"`` reads the
    sheets that share the best one's header together (one sheet per month).

    ``fields``: the canonical fields the caller reads (None: all). The frame holds only those
    (and ``source_row``); every column is still parsed and checked, so the rows, the issues and
    the notes are those of a whole read. A million-line ledger's risk copy reads ten of 43."""
    from addin.readers.grid import sheet_names
    path = Path(path)
    if not isinstance(mapping, Mapping):
        mapping = Mapping.load(mapping)
    sheet = sheet or mapping.sheet
    kind, as_ledger = ledger_alias(kind)
    if kind is not None and kind not in schema.KINDS:
        raise InputError(f"unknown kind '{kind}' (expected one of: {', '.join([*schema.KINDS, *LEDGER_ALIASES])})")
    lk = {"ledger_kind": as_ledger, "fields": fields}
    if sheet is not None and sheet != ALL_SHEETS:
        grid = unpasted(load_grid(path, sheet))
        result = read_grid(grid, kind or detect_kind(grid, mapping), mapping, **lk)
        result.other_sheets = [n for n in grid.sheet_names if n != grid.sheet]
        return result
    names = sheet_names(path)
    if len(names) == 1:
        grid = unpasted(load_grid(path, names[0]))
        return read_grid(grid, kind or detect_kind(grid, mapping), mapping, **lk)
    scored: list[tuple[float, int, Grid, str, HeaderMatch]] = []
    first_error: InputError | None = None
    for i, name in enumerate(names):
        grid = unpasted(load_grid(path, name))
        try:
            k = kind or detect_kind(grid, mapping)
        except InputError as exc:
            first_error = first_error or exc
            continue
        match = find_header(grid, k, mapping, ledger_kind=as_ledger)
        if match is None or not requirement_met(k, match.columns, mapping, match.ledger_kind):
            if first_error is None:
                try:
                    read_grid(grid, k, mapping, **lk)
                except InputError as exc:
                    first_error = exc
            continue
        scored.append((header_fit(match), -i, grid, k, match))
    if not scored:
        assert first_error is not None
        raise first_error
    best = max(scored, key=lambda t: (t[0], t[1]))
    _, _, grid, k, match = best
    same = [t for t in sorted(scored, key=lambda t: -t[1]) if t[3] == k and _same_header(t[4], match)]
    if sheet == ALL_SHEETS and len(same) > 1:
        results = [read_grid(t[2], k, mapping, **lk) for t in same]
        read_names = {r.sheet for r in results}
        return _together(results, [n for n in names if n not in read_names])
    result = read_grid(grid, k, mapping, **lk)
    result.other_sheets = [n for n in names if n != grid.sheet]
    twins = [t[2].sheet for t in same if t[2].sheet != grid.sheet]
    if twins:
        result.notes.append(f"sheet{'s' if len(twins) > 1 else ''} {', '.join(repr(t) for t in twins)} "
                            f"{'have' if len(twins) > 1 else 'has'} the same header: read them together "
                            f"with --sheet all")
    return result


def header_fit(match: HeaderMatch) -> float:
    """How well a sheet's header fits: the fields found (by confidence), weighed by the share
    of its header cells they explain (an order sheet read as purchase lines explains few)."""
    found = sum(c.chosen.score for c in match.proposal.values() if c.chosen is not None)
    cells = sum(1 for t in match.row_texts if t) or 1
    return found * (0.5 + 0.5 * min(len(match.columns) / cells, 1.0))


# --kind sales|purchase_orders|work_orders|shipments: an order-line ledger of that kind
# (`purchases` stays the open purchase lines that supply a plan, SPEC section 2)
LEDGER_ALIASES = {"sales": "sales", "purchase_orders": "purchases", "work_orders": "work_orders",
                  "shipments": "shipments"}


def ledger_alias(kind: str | None) -> tuple[str | None, str | None]:
    """(input kind, forced kind of ledger) for a --kind value."""
    if kind in LEDGER_ALIASES:
        return "ledger", LEDGER_ALIASES[kind]
    return kind, None


def unpasted(grid: Grid) -> Grid:
    """A CSV pasted into one column (A1 = 'PO_ID,Supplier,Order_Date,...', every line one
    cell): the rows split on commas, as the CSV they were. Any other grid as it is."""
    if getattr(grid, "_unpasted", False):
        return grid
    head = [r for r in grid.rows[:HEADER_SCAN_ROWS] if any(_cell_text(v) for v in r)]

    def one_csv_cell(r: list) -> bool:
        filled = [v for v in r if _cell_text(v)]
        return len(filled) == 1 and isinstance(r[0], str) and r[0].count(",") >= 2
    if not head or not all(one_csv_cell(r) for r in head[:10]):
        return grid
    import csv
    import dataclasses
    rows = [next(csv.reader([r[0]])) if r and isinstance(r[0], str) and "," in r[0] else list(r)
            for r in grid.rows]
    out = dataclasses.replace(grid, rows=rows, batch=None, col_offset=0,
                              notes=[*grid.notes, f"sheet '{grid.sheet}' holds each line as one cell of "
                                                  f"comma-separated text (a CSV pasted into column A): "
                                                  f"split on the commas"])
    out._unpasted = True
    return out


def _same_header(a: HeaderMatch, b: HeaderMatch) -> bool:
    return {f: header_key(t) for f, t in a.texts.items()} == {f: header_key(t) for f, t in b.texts.items()}


def _together(results: list[ReadResult], others: list[str]) -> ReadResult:
    """Sheets with one header read as one table: rows and issues add up, each issue's cell
    names its sheet, each line keeps its sheet in a ``sheet`` column."""
    first = results[0]
    data = pd.concat([r.data.assign(sheet=r.sheet) for r in results], ignore_index=True)
    rows = RowCount(*(sum(getattr(r.rows, a) for r in results) for a in ("read", "valid", "issues", "blank_or_total")))
    notes = [f"sheet '{r.sheet}': {n}" for r in results for n in r.notes]
    placeholders: dict[str, int] = {}
    for r in results:
        for f, c in r.placeholders.items():
            placeholders[f] = placeholders.get(f, 0) + c
    out = ReadResult(first.kind, first.file, ", ".join(r.sheet for r in results), first.header_row,
                     dict(first.columns), data, [i for r in results for i in r.issues], rows, notes, first.path)
    out.placeholders = placeholders
    out.column_letters = dict(first.column_letters)
    out.ledger_kind, out.proposal, out.other_sheets = first.ledger_kind, first.proposal, others
    assert out.rows.read == out.rows.valid + out.rows.issues + out.rows.blank_or_total
    return out


KIND_ORDER = ("ledger", "quotes", "bom", "purchases", "stock", "routing", "capacity", "calendar")


def detect_kind(grid: Grid, mapping: Mapping | None = None) -> str:
    """The kind whose required columns the header holds, preferring the richest match."""
    mapping = mapping or Mapping()
    grid = unpasted(grid)
    best, best_score = None, -1
    nearest: tuple[int, str, HeaderMatch | None] = (-1, "ledger", None)
    for kind in KIND_ORDER:
        if not set(mapping.columns) <= set(schema.KINDS[kind]):
            continue          # a mapping written for another kind of file
        match = find_header(grid, kind, mapping)
        if match is not None and mapping.columns:
            _check_mapping_found(grid, kind, match, mapping)
        if match is None or not requirement_met(kind, match.columns, mapping, match.ledger_kind):
            if match is not None and len(match.columns) > nearest[0]:
                nearest = (len(match.columns), kind, match)
            continue
        score = len(match.columns) * 10 + len(schema.REQUIRED[kind].fields)
        if score > best_score:
            best, best_score = kind, score
    if best is None:
        _, kind, match = nearest
        what = str(_missing_columns(grid, kind, match))
        missing = what.split(": no column for ", 1)[1] if ": no column for " in what else what
        raise InputError(f"{grid.file.name}: sheet '{grid.sheet}': cannot tell what this file is — the header "
                         f"looks most like {_KIND_NAMES.get(kind, kind)} but has no column for {missing}; "
                         f"or give --kind", file=str(grid.file), sheet=grid.sheet)
    return best


_KIND_NAMES = {"ledger": "an order ledger", "quotes": "a quote book", "bom": "a BOM", "purchases":
               "open purchase lines", "stock": "a stock list", "routing": "a routing", "capacity":
               "a capacity table", "calendar": "a calendar"}
