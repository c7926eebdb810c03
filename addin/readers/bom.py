"""BOM rules on top of the reader core (SPEC section 2): the part number taken from the best
part-number column a line fills, compressed designator lists expanded and counted against the
quantity, alternates gathered from every alternate-source column, DNP from a DNP/DNF column, a
Fitted/Populate/Mounted column (inverted), or the text DNP; and ``read_bom`` joining several
files into one multi-level table.

Decisions a planner would make, recorded here once:
- a line whose best part-number column is empty takes the next one it fills (MPN, then LCSC,
  ..., then Value) with a warning naming the empty cell; a DNP line needs no part number;
- a quantity written as a placeholder (``-``, ``n/a``) is a reference-only line: qty_per 0, kept
  in the data, never exploded, with a warning unless the line is DNP anyway;
- a quantity that disagrees with the designator count is a warning (the quantity is kept);
- no quantity column: the designator count is the quantity.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping as TMapping

import numpy as np
import pandas as pd

from addin import schema
from addin.errors import InputError
from addin.readers import headers, table, values
from addin.readers.grid import Grid

# Part-number and alternate columns may legitimately repeat (KiBoM writes both
# 'Manufacturer Part Number' and 'Manufacturer_Part_Number'): finish reads all of them.
DUPLICATE_HEADERS_OK = frozenset({"component", "alternates"})

# Fields whose core parse finish replaces (its issues for them are re-decided here).
_OWN = ("component", "dnp", "moq", "alternates", "designators", "qty_per", "parent")

# A yes in these columns means the part IS placed.
_INVERTED_DNP = frozenset(table.header_key(h) for h in
                          ("Fitted", "Populate", "Populated", "Mounted", "Place", "Placed", "是否贴片"))
_NOT_PLACED = frozenset({"dnp", "dnf", "do not place", "do not populate", "do not fit", "not fitted",
                         "not populated", "not mounted", "no fit", "nofit", "unfitted", "不贴", "不上件",
                         "不贴片", "optional", "可选"})
_PLACED = frozenset({"fitted", "fit", "populated", "populate", "mounted", "placed", "place", "贴", "贴片", "上件"})
_YES = frozenset({"yes", "y", "true", "1", "x", "✓", "√", "是"})
_NO = frozenset({"no", "n", "false", "0", "否"})
_DNP_TOKEN = re.compile(r"(?<![A-Za-z0-9_])(DNP|DNF)(?![A-Za-z0-9_])", re.I)
_EMPTY_MARKS = frozenset({"~", "~~"})   # KiCad's 'no value'

_ALT_SPLIT = re.compile(r"[,;，；\n|]+|\s+or\s+|\s+/\s+|\s+或\s*", re.I)
_MOQ_MULT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*[\\/]\s*\d+(?:\.\d+)?\s*$")

MAX_RANGE = 1000


# --- designators -------------------------------------------------------------------------

_REF = re.compile(r"^([A-Za-z][A-Za-z_]*)(\d+)$")
_RANGE = re.compile(r"^([A-Za-z][A-Za-z_]*)(\d+)-(?:([A-Za-z][A-Za-z_]*))?(\d+)$")


def expand_designators(text: str | None) -> list[str] | None:
    """'C61,81' -> [C61, C81]; 'R1-R4' -> [R1, R2, R3, R4]; 'C1 C14' -> [C1, C14].
    None when some part is not a designator (a count would be a guess)."""
    if text is None or not str(text).strip():
        return []
    text = re.sub(r"\s*[-–~]\s*", "-", str(text).strip())
    out: list[str] = []
    prefix = None
    for token in re.split(r"[\s,;，；、]+", text):
        if not token:
            continue
        m = _REF.match(token)
        if m:
            prefix = m.group(1)
            out.append(token)
            continue
        if token.isdigit() and prefix:          # 'C61,81': the letters carry over
            out.append(f"{prefix}{token}")
            continue
        m = _RANGE.match(token)
        if m and (m.group(3) in (None, m.group(1))):
            start, end = int(m.group(2)), int(m.group(4))
            if start <= end and end - start < MAX_RANGE:
                prefix = m.group(1)
                out.extend(f"{prefix}{i}" for i in range(start, end + 1))
                continue
        return None
    return list(dict.fromkeys(out))


# --- header columns --------------------------------------------------------------------------

def _header_row(grid: Grid, match: table.HeaderMatch) -> list[str]:
    width = max((len(r) for r in grid.rows[:table.HEADER_SCAN_ROWS]), default=0)
    lower = table._header_texts(grid.rows, match.header_index, width)
    if match.first_index != match.header_index:
        return table._combine(table._header_texts(grid.rows, match.first_index, width), lower)
    return lower


def _alias_columns(texts: list[str], fld: str) -> list[int]:
    """Columns whose header is an alias of ``fld``, best alias first."""
    aliases = table.aliases()["bom"]
    rank = table._alias_rank()
    found = []
    for col, text in enumerate(texts):
        key = table.header_key(text)
        if key and aliases.get(key) == fld:
            found.append((rank.get(("bom", key), -1), col))
            continue
        halves = headers.bilingual_halves(text)     # 替代料 Alternates: both halves name the field
        if halves is not None:
            keys = [table.header_key(h) for h in halves]
            if all(k and aliases.get(k) == fld for k in keys):
                found.append((min(rank.get(("bom", k), -1) for k in keys), col))
    return [c for _, c in sorted(found)]


def _is_running_number(cells: pd.Series) -> bool:
    """KiBoM's 'Component' column is a row counter 1, 2, 3...: not a part number."""
    nums = pd.to_numeric(cells[~values.is_empty(cells)], errors="coerce")
    return len(nums) >= 2 and nums.notna().all() and bool((nums.diff().dropna() > 0).all()) \
        and bool((nums % 1 == 0).all())


_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2212\uff0d"})


def _clean_text(cells: pd.Series) -> pd.Series:
    """Part numbers as text; KiCad's '~' is empty; a typographic minus (U+2212 in a real MPN)
    is a hyphen, so the part matches the stock list."""
    text = values.text_column(cells)
    marks = values.placeholder_set()
    # built as a list: Series.map would turn the None back into NaN (pandas 3 str dtype)
    return pd.Series([v.translate(_DASHES) if isinstance(v, str) and v not in _EMPTY_MARKS
                      and values.norm_key(v) not in marks else None for v in text], index=text.index, dtype=object)


def _is_dnp_text(v: str | None) -> bool:
    return isinstance(v, str) and (values.norm_key(v) in _NOT_PLACED or bool(_DNP_TOKEN.search(v)))


# --- finish ------------------------------------------------------------------------------------

class _Finish:
    """The BOM-specific reading of the rows the core kept (SPEC section 2, BOM): DNP, designators,
    the part number from the best column the line fills, quantity (counted from designators when
    absent), alternates, MOQ and parent; then the frame rebuilt with the row accounting kept.
    One step per field, each adding its issues through :meth:`add`."""

    def __init__(self, result: table.ReadResult, grid: Grid, match: table.HeaderMatch):
        self.result, self.grid, self.match = result, grid, match
        self.start = start = match.header_index + 1
        self.n = n = result.rows.read
        self.body = body = grid.rows[start:start + n]
        self.texts = _header_row(grid, match)
        # which rows the core skipped (blank/total): every other row is valid or has issues
        valid_rows = set(int(r) for r in result.data["source_row"])
        issue_rows: dict[int, list[table.Issue]] = {}
        for it in result.issues:
            issue_rows.setdefault(table._row_of(it.cell), []).append(it)
        self.considered = [i for i in range(n) if ((start + 1 + i) in valid_rows or (start + 1 + i) in issue_rows)
                           and not _summary_line(body[i])]
        self.idx = pd.Index(self.considered)
        self.issues: list[table.Issue] = [it for it in result.issues if it.field not in _OWN]
        self.rejected = {table._row_of(it.cell) for it in self.issues if it.severity == "error"}

    def column(self, col: int) -> pd.Series:
        return pd.Series([self.body[i][col] if col < len(self.body[i]) else None for i in self.considered],
                         index=self.idx, dtype=object)

    def cell(self, col: int, i: int) -> str:
        return table.cell_name(self.grid.sheet, col, self.start + 1 + i)

    def add(self, col: int, i: int, fld: str, value, message: str, severity: str = "error") -> None:
        self.issues.append(table.Issue(self.cell(col, i), fld, value, message, severity))
        if severity == "error":
            self.rejected.add(self.start + 1 + i)

    def dnp(self) -> pd.Series:
        """Do-not-place per line: the DNP column (inverted when it says fitted/populated), or the text DNP anywhere in the line."""
        match, texts, idx, considered, body = self.match, self.texts, self.idx, self.considered, self.body
        dnp = pd.Series(False, index=idx)
        if "dnp" in match.columns:
            col = match.columns["dnp"]
            inverted = table.header_key(texts[col]) in _INVERTED_DNP
            raw = self.column(col)
            for i, v in values.text_column(raw).items():
                if v is None:
                    continue
                key = values.norm_key(v)
                if key in _NOT_PLACED:
                    dnp[i] = True
                elif key in _PLACED:
                    dnp[i] = False
                elif key in _YES:
                    dnp[i] = not inverted
                elif key in _NO:
                    dnp[i] = inverted
                else:
                    self.add(col, i, "dnp", raw[i], "not yes/no (expected DNP, yes/no or fitted/not fitted)")
        # the text DNP anywhere in the line (a Notes column, the value, the part number) means DNP
        for i in considered:
            if not dnp[i] and any(isinstance(v, str) and values.norm_key(v) in _NOT_PLACED - {"optional", "可选"}
                                  for v in body[i]):
                dnp[i] = True
        return dnp

    def designators(self, dnp: pd.Series) -> tuple[pd.Series, pd.Series, int | None]:
        """Designators expanded (R1-R4 -> R1, R2, R3, R4) and counted; a DNP marker among them sets ``dnp``."""
        match, idx = self.match, self.idx
        designators = pd.Series([None] * len(idx), index=idx, dtype=object)
        count = pd.Series(np.nan, index=idx)
        des_col = match.columns.get("designators")
        if des_col is not None:
            for i, v in values.text_column(self.column(des_col)).items():
                if v is None:
                    continue
                refs = expand_designators(v)
                if _DNP_TOKEN.search(v):
                    dnp[i] = True
                    refs = expand_designators(re.sub(r"[()\[\]（）]", " ", _DNP_TOKEN.sub(" ", v)))
                if refs is None:
                    designators[i] = v
                else:
                    designators[i] = ", ".join(refs) if refs else None
                    count[i] = len(refs)
        return designators, count, des_col

    def component(self, dnp: pd.Series) -> pd.Series:
        """The part number from the best part-number column the line fills ('DNP' there sets ``dnp``)."""
        match, texts, idx, considered = self.match, self.texts, self.idx, self.considered
        chosen = match.columns["component"]
        chain = _alias_columns(texts, "component")
        if chosen not in chain:          # named by the user's mapping: theirs alone
            chain = [chosen]
        else:
            cells = {c: self.column(c) for c in chain}
            chain = [c for c in chain if not _is_running_number(cells[c])] or chain
        component = pd.Series([None] * len(idx), index=idx, dtype=object)
        source_col = pd.Series(chain[0], index=idx)
        filled = pd.Series(False, index=idx)
        for c in chain:
            text = _clean_text(self.column(c))
            dnp_text = pd.Series([_is_dnp_text(v) for v in text], index=idx, dtype=bool)
            dnp |= dnp_text & (c == chain[0])      # 'DNP' written as the part number
            usable = pd.Series([isinstance(v, str) for v in text], index=idx) & ~dnp_text & ~filled
            component[usable] = text[usable]
            source_col[usable] = c
            filled |= usable
        primary = chain[0]
        for i in considered:
            if component[i] is None and not dnp[i]:
                others = [texts[c].replace("\n", " ") for c in chain[1:]]
                msg = ("is empty (a value is required)" if not others else
                       f"is empty, and so {'is' if len(others) == 1 else 'are'} {', '.join(others)} "
                       f"(a part number is required)")
                self.add(primary, i, "component", None, msg)
            elif component[i] is not None and source_col[i] != primary and not dnp[i]:
                self.add(primary, i, "component", None,
                    f"is empty: '{component[i]}' from {self.cell(int(source_col[i]), i)} "
                    f"({texts[int(source_col[i])].replace(chr(10), ' ')}) used as the part number", "warning")
        self.result.columns["component"] = texts[primary]
        return component

    def quantity(self, dnp: pd.Series, designators: pd.Series, count: pd.Series, des_col: int | None) -> pd.Series:
        """Quantity per assembly; counted from the designators when empty or absent."""
        match, idx, considered = self.match, self.idx, self.considered
        qty = pd.Series(np.nan, index=idx)
        q_col = match.columns.get("qty_per")
        if q_col is not None:
            raw = self.column(q_col)
            parsed, problems = values.number_column(raw)
            empty = values.is_empty(raw)
            for i in considered:
                if isinstance(problems[i], str):
                    self.add(q_col, i, "qty_per", raw[i], problems[i])
                elif parsed[i] < 0:
                    self.add(q_col, i, "qty_per", raw[i], "must not be negative")
                elif not np.isnan(parsed[i]):
                    qty[i] = parsed[i]
                    if not np.isnan(count[i]) and parsed[i] != count[i] and not dnp[i]:
                        self.add(q_col, i, "qty_per", raw[i],
                            f"does not match the {int(count[i])} designators in {self.cell(des_col, i)} "
                            f"({_short_list(designators[i])})", "warning")
                elif not empty[i]:      # '-', 'n/a': a reference-only line
                    qty[i] = 0.0
                    if not dnp[i]:
                        self.add(q_col, i, "qty_per", raw[i], "read as 0: a reference-only line, not built into "
                            "the assembly (write a quantity to include it)", "warning")
                elif not np.isnan(count[i]):
                    qty[i] = count[i]
                elif dnp[i]:
                    qty[i] = 0.0
                else:
                    self.add(q_col, i, "qty_per", None, "is empty, and there are no designators to count "
                        "(a quantity is required)")
        else:
            for i in considered:
                if not np.isnan(count[i]):
                    qty[i] = count[i]
                elif dnp[i]:
                    qty[i] = 0.0
                else:
                    raw_des = designators[i]
                    self.add(des_col, i, "designators", raw_des,
                        "cannot be counted (expected designators such as R1, R2 or R1-R4) and the file "
                        "has no quantity column" if raw_des else
                        "is empty, and the file has no quantity column (a quantity or designators are required)")
        return qty

    def alternates(self, component: pd.Series) -> pd.Series:
        """Alternate part numbers from every alternate column, the line's own part number left out."""
        texts, idx, considered = self.texts, self.idx, self.considered
        alternates = pd.Series([()] * len(idx), index=idx, dtype=object)
        alt_cols = _alias_columns(texts, "alternates")
        if alt_cols:
            found: dict[int, list[str]] = {i: [] for i in considered}
            for c in alt_cols:
                for i, v in values.text_column(self.column(c)).items():
                    if v is None:
                        continue
                    for part in _ALT_SPLIT.split(v):
                        part = part.strip().translate(_DASHES)
                        if (part and part not in _EMPTY_MARKS and not _is_dnp_text(part)
                                and values.norm_key(part) not in values.placeholder_set()):
                            found[i].append(part)
            for i in considered:
                alts = [a for a in dict.fromkeys(found[i]) if a != component[i]]
                alternates[i] = tuple(alts)
            self.result.columns["alternates"] = " + ".join(texts[c] for c in alt_cols)
        return alternates

    def moq(self) -> pd.Series:
        """Minimum order quantity (LCSC's 'Min\\Mult Order Qty' '50\\50' is minimum \\ multiple)."""
        match, idx, considered = self.match, self.idx, self.considered
        moq = pd.Series(np.nan, index=idx)
        if "moq" in match.columns:
            col = match.columns["moq"]
            raw = self.column(col)
            parsed, problems = values.number_column(raw)
            for i in considered:
                if isinstance(problems[i], str):
                    m = _MOQ_MULT.match(str(raw[i]))
                    if m:
                        moq[i] = float(m.group(1))
                    else:
                        self.add(col, i, "moq", raw[i], problems[i])
                elif parsed[i] < 0:
                    self.add(col, i, "moq", raw[i], "must not be negative")
                else:
                    moq[i] = parsed[i]
        return moq

    def parent(self) -> pd.Series:
        """The file's assembly unless a column names it (carried down the rows)."""
        match, idx = self.match, self.idx
        parent = pd.Series([self.grid.file.stem] * len(idx), index=idx, dtype=object)
        if "parent" in match.columns:
            named = _clean_text(self.column(match.columns["parent"])).ffill()
            parent = named.where(named.notna(), self.grid.file.stem).astype(object)
        return parent

    def rebuild(self, fields_found: dict) -> None:
        """The frame again: every considered row is valid or rejected; the row accounting kept."""
        result, match, body, considered = self.result, self.match, self.body, self.considered
        start, n, rejected, issues = self.start, self.n, self.rejected, self.issues
        parent, component, qty, designators = (fields_found[k] for k in ("parent", "component", "qty", "designators"))
        alternates, dnp, moq = (fields_found[k] for k in ("alternates", "dnp", "moq"))
        keep = [i for i in considered if (start + 1 + i) not in rejected]
        old = result.data.set_index("source_row")
        fields = schema.KINDS["bom"]
        rescued = [i for i in keep if (start + 1 + i) not in old.index]
        fresh = _parse_rows(body, rescued, start, match, fields) if rescued else None
        rows = []
        for i in keep:
            r = start + 1 + i
            base = old.loc[r].to_dict() if r in old.index else fresh.loc[r].to_dict()
            base.update(parent=parent[i], component=component[i], qty_per=qty[i], designators=designators[i],
                        alternates=alternates[i], dnp=bool(dnp[i]), moq=moq[i], source_row=r)
            rows.append(base)
        data = pd.DataFrame(rows, columns=list(fields) + ["source_row"])
        if not rows:
            data = result.data.iloc[0:0].copy()
        data = _typed(data, fields)
        result.data = data
        issues.sort(key=lambda it: (table._row_of(it.cell), it.cell))
        result.issues = issues
        n_rejected = len(considered) - len(keep)
        result.rows = table.RowCount(n, len(keep), n_rejected, n - len(considered))


def finish(result: table.ReadResult, grid: Grid, match: table.HeaderMatch) -> None:
    """Kind-specific reading of a BOM (called by the core reader after its own pass)."""
    step = _Finish(result, grid, match)
    dnp = step.dnp()
    designators, count, des_col = step.designators(dnp)
    component = step.component(dnp)
    qty = step.quantity(dnp, designators, count, des_col)
    step.rebuild({"parent": step.parent(), "component": component, "qty": qty, "designators": designators,
                  "alternates": step.alternates(component), "moq": step.moq(), "dnp": dnp})


def _summary_line(row: list) -> bool:
    """KiBoM and Altium end the sheet with 'Component Count: 822'-style lines: a summary,
    counted with the total rows."""
    cells = [v for v in row if not (v is None or (isinstance(v, str) and not v.strip())
                                    or (isinstance(v, float) and v != v))]
    return 0 < len(cells) <= 2 and isinstance(cells[0], str) and cells[0].strip().endswith((":", "："))


def _short_list(text: str | None, limit: int = 12) -> str:
    parts = (text or "").split(", ")
    return ", ".join(parts[:limit]) + (", ..." if len(parts) > limit else "")


def _parse_rows(body: list[list], rows: list[int], start: int, match: table.HeaderMatch,
                fields: dict[str, str]) -> pd.DataFrame:
    """Rows the core rejected only for reasons finish decides anew: parse their other fields."""
    out = pd.DataFrame(index=pd.Index([start + 1 + i for i in rows], name="source_row"))
    for f, col in match.columns.items():
        if f in _OWN:
            continue
        s = pd.Series([body[i][col] if col < len(body[i]) else None for i in rows], index=out.index, dtype=object)
        kind_of = fields[f]
        if kind_of == schema.NUMBER:
            out[f] = values.number_column(s)[0]
        elif kind_of == schema.BOOL:
            out[f] = values.bool_column(s)[0]
        elif kind_of == schema.LIST:
            out[f] = values.list_column(s)
        else:
            out[f] = values.text_column(s)
    for f in fields:
        if f not in out:
            out[f] = None
    return out


def _typed(data: pd.DataFrame, fields: dict[str, str]) -> pd.DataFrame:
    for f, kind_of in fields.items():
        if kind_of == schema.NUMBER:
            data[f] = pd.to_numeric(data[f], errors="coerce").astype("float64")
        elif kind_of == schema.BOOL:
            data[f] = data[f].fillna(False).astype(bool)
        elif kind_of == schema.LIST:
            data[f] = pd.Series([v if isinstance(v, tuple) else () for v in data[f]], index=data.index,
                                dtype=object)
        else:
            data[f] = pd.Series([v if isinstance(v, str) else None for v in data[f]], index=data.index,
                                dtype=object)
    data["source_row"] = data["source_row"].astype("int64")
    return data.reset_index(drop=True)


# --- several files, one multi-level BOM --------------------------------------------------------

EXPLODE_COLUMNS = ("parent", "component", "qty_per", "alternates", "dnp", "scrap_pct", "lead_time_days", "moq")


@dataclass
class BomSet:
    """Several BOM files read as one multi-level table."""
    results: list[table.ReadResult]
    data: pd.DataFrame           # every canonical BOM column + source_file + source_row

    @property
    def issues(self) -> list[tuple[str, table.Issue]]:
        return [(r.file, it) for r in self.results for it in r.issues]

    @property
    def top_level(self) -> list[str]:
        """Assemblies that are no other assembly's component."""
        comps = set(self.data["component"].dropna())
        return [p for p in dict.fromkeys(self.data["parent"]) if p not in comps]

    @property
    def sub_assemblies(self) -> list[str]:
        """Components that have a BOM of their own (exploded, not bought)."""
        parents = set(self.data["parent"])
        return [c for c in dict.fromkeys(self.data["component"].dropna()) if c in parents]

    def explode_frame(self) -> pd.DataFrame:
        """parent, component, qty_per, alternates, dnp, scrap_pct, lead_time_days, moq: one row per
        BOM line (DNP and reference-only lines kept, flagged), ready for a multi-level explosion."""
        return self.data[list(EXPLODE_COLUMNS)].copy()


def read_bom(files: Iterable[Path | str] | Path | str, parents: TMapping[str, str] | None = None, *,
             sheet: str | None = None, mapping: table.Mapping | Path | str | None = None) -> BomSet:
    """Read BOM files into one multi-level table. ``parents`` names the assembly each file is the
    BOM of, keyed by file name, stem or path (``{"mobo-bom.csv": "motherboard"}``); a file not
    named there, without a parent column, is the BOM of the assembly named by its file stem."""
    if isinstance(files, (str, Path)):
        files = [files]
    parents = dict(parents or {})
    files = [Path(f) for f in files]
    names = {k for f in files for k in (str(f), f.name, f.stem)}
    unknown = [k for k in parents if k not in names]
    if unknown:
        raise InputError(f"parents names {', '.join(repr(k) for k in unknown)}, which is not among the BOM "
                         f"files read ({', '.join(f.name for f in files)})")
    results, frames = [], []
    for f in files:
        path = Path(f)
        res = table.read(path, "bom", sheet=sheet, mapping=mapping)
        named = next((parents[k] for k in (str(f), path.name, path.stem) if k in parents), None)
        if named is not None:
            if "parent" in res.columns:
                raise InputError(f"{path.name}: has a parent column ({res.columns['parent']}) and is also "
                                 f"named the BOM of '{named}' — use one or the other", file=str(path))
            res.data["parent"] = named
        results.append(res)
        frame = res.data.copy()
        frame.insert(len(frame.columns) - 1, "source_file", res.file)
        frames.append(frame)
    data = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=list(schema.KINDS["bom"]) + ["source_file", "source_row"])
    _check_cycles(data)
    return BomSet(results, data)


def _check_cycles(data: pd.DataFrame) -> None:
    """A component that contains itself, directly or further down, cannot be exploded."""
    children: dict[str, set[str]] = {}
    for p, c in zip(data["parent"], data["component"]):
        if c is not None:
            children.setdefault(p, set()).add(c)
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for child in sorted(children.get(node, ())):
            if state.get(child) == 1:
                loop = path[path.index(child):] + [child] if child in path else [node, child]
                raise InputError("the BOM contains itself: " + " → ".join(loop) +
                                 " — remove the line that closes the loop")
            if state.get(child) is None and child in children:
                visit(child, path + [child])
        state[node] = 2

    for top in sorted(children):
        if state.get(top) is None:
            visit(top, [top])
