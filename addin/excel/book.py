"""The workbook interface the button actions work through, and its two implementations:

- :class:`XlwingsBook`: the workbook open in Excel (``xw.Book.caller()``), used by RunPython;
- :class:`FileBook`: a workbook file on disk (openpyxl), used by tests and batch runs.

Actions see only :class:`Book`, so the same code runs in Excel and on a file.
"""
from __future__ import annotations

import datetime as _dt
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, Sequence, runtime_checkable

import pandas as pd

from addin.errors import FileError, InputError
from addin.excel import values
from addin.excel.placement import Painted, is_own_formula, marked, static_conditions, static_fills, to_clear


@dataclass(frozen=True)
class Rule:
    """A conditional-formatting rule: highlight a row where ``formula`` (relative to the top-left
    cell of the range, e.g. ``=$N2="overdue"``) is true."""
    formula: str
    fill: str            # RRGGBB
    font: str | None = None


@runtime_checkable
class Book(Protocol):
    name: str

    def sheet_names(self) -> list[str]: ...
    def active_sheet(self) -> str: ...
    def read_rows(self, sheet: str) -> list[list]: ...
    def write_rows(self, sheet: str, rows: Sequence[Sequence[Any]], *, top_left: str = "A1",
                   clear: bool = True) -> None: ...
    def apply_rules(self, sheet: str, cell_range: str, rules: Sequence[Rule]) -> None: ...
    def merged_ranges(self, sheet: str) -> list[tuple[int, int, int, int]]: ...
    def selected_row(self) -> tuple[str, int]: ...
    def message(self, text: str, title: str = "OrderDesk") -> None: ...
    def save(self) -> None: ...
    def ui_lang(self) -> str: ...


# ---------------------------------------------------------------- helpers shared by both books

def column_letter(index: int) -> str:
    """1-based column number -> letters (1 -> A, 27 -> AA)."""
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def parse_cell(ref: str) -> tuple[int, int]:
    """'B3' -> (row 3, column 2)."""
    m = re.fullmatch(r"\$?([A-Za-z]{1,3})\$?([0-9]+)", ref)
    if not m:
        raise ValueError(f"not a cell reference: {ref}")
    col = 0
    for ch in m.group(1).upper():
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)), col


def read_table(book: Book, sheet: str, kind: str):
    """A sheet's table as the readers' ReadResult: header row found as in files, issues naming
    ``Sheet!Cell`` of this workbook."""
    from addin.readers.grid import Grid
    from addin.readers.table import read_grid
    rows = book.read_rows(sheet)
    grid = Grid(Path(book.name), sheet, rows, book.sheet_names())
    if kind == "purchases":   # open purchase lines, or a purchase ledger's open lines
        from addin.readers.purchases import read_grid as read_purchases
        return read_purchases(grid)
    return read_grid(grid, kind)


def header_first_row(book: Book, sheet: str, rows: list[list], result) -> int:
    """The first row (1-based) of the header block the readers found for ``result`` (a
    ReadResult of ``sheet``'s ``rows``): the upper row of a two-row header, else the header row.
    The readers' own detection is asked again (the ReadResult keeps only the lower row)."""
    from addin.readers.grid import Grid
    from addin.readers.table import Mapping, find_header, unpasted
    match = find_header(unpasted(Grid(Path(book.name), sheet, rows, book.sheet_names())), result.kind,
                        Mapping(), ledger_kind=getattr(result, "ledger_kind", None))
    if match is not None and match.header_index + 1 == result.header_row:
        return match.first_index + 1
    return result.header_row


def frame_rows(frame: pd.DataFrame, header: Sequence[str] | None = None) -> list[list]:
    """A DataFrame as rows of plain cell values (NaN/NaT -> empty, Timestamp -> datetime)."""
    return values.frame_rows(frame, header)


def sheet_named(book: Book, names: Sequence[str]) -> str | None:
    """The first sheet of ``book`` named one of ``names`` (case-insensitive), or None."""
    lower = {s.lower(): s for s in book.sheet_names()}
    return next((lower[n.lower()] for n in names if n.lower() in lower), None)


# ---------------------------------------------------------------- a file on disk

class FileBook:
    """A workbook file opened with openpyxl (VBA kept for .xlsm/.xlam). Messages are collected
    in :attr:`messages`; :meth:`save` writes atomically to the same path or ``save_as``."""

    def __init__(self, path: str | os.PathLike, *, save_as: str | os.PathLike | None = None,
                 selection: tuple[str, int] | None = None):
        from addin.files.atomic import load_openpyxl
        self.path = Path(path)
        self.save_as = Path(save_as) if save_as else self.path
        self.name = self.path.name
        self.messages: list[str] = []
        self._selection = selection
        self._values: Any = None  # cached formula values, loaded only when a formula is read
        keep_vba = self.path.suffix.lower() in (".xlsm", ".xlam")
        try:
            self.wb = load_openpyxl(self.path, keep_vba=keep_vba)
        except FileNotFoundError as exc:
            raise FileError(f"{self.path}: file not found", file=str(self.path)) from exc
        except PermissionError as exc:
            raise FileError(f"{self.path} is open in Excel — close it and run again", file=str(self.path)) from exc

    def sheet_names(self) -> list[str]:
        return list(self.wb.sheetnames)

    def active_sheet(self) -> str:
        return self.wb.active.title

    def read_rows(self, sheet: str) -> list[list]:
        ws = self._sheet(sheet)
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        if any(isinstance(v, str) and v.startswith("=") for r in rows for v in r):
            if self._values is None:
                import openpyxl
                self._values = openpyxl.load_workbook(self.path, data_only=True)
            cached = [list(r) for r in self._values[sheet].iter_rows(values_only=True)]
            for r, row in enumerate(rows):
                for c, v in enumerate(row):
                    if isinstance(v, str) and v.startswith("=") and ws.cell(r + 1, c + 1).data_type == "f":
                        row[c] = cached[r][c] if r < len(cached) and c < len(cached[r]) else None
        return rows

    def write_rows(self, sheet: str, rows: Sequence[Sequence[Any]], *, top_left: str = "A1",
                   clear: bool = True) -> None:
        if sheet in self.wb.sheetnames:
            ws = self.wb[sheet]
            if clear:
                ws.delete_rows(1, ws.max_row)
                ws.conditional_formatting = type(ws.conditional_formatting)()
        else:
            ws = self.wb.create_sheet(sheet)
        row0, col0 = parse_cell(top_left)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                cell = ws.cell(row0 + r, col0 + c)
                if isinstance(value, str):  # openpyxl refuses control characters; Excel caps a cell
                    from addin.files.text import clean_cell_text
                    value = clean_cell_text(value)[0]
                cell.value = value
                if isinstance(value, str) and value.startswith("="):
                    cell.data_type = "s"   # user text stays text, never a formula
                elif isinstance(value, (_dt.date, _dt.datetime)):
                    cell.number_format = "yyyy-mm-dd"

    def apply_rules(self, sheet: str, cell_range: str, rules: Sequence[Rule]) -> None:
        """OrderDesk's earlier rules on the sheet (their formula carries the marker) replaced by
        ``rules`` (marked); every other rule kept as it is, in its order."""
        from openpyxl.formatting.rule import FormulaRule
        from openpyxl.styles import Font, PatternFill
        ws = self._sheet(sheet)
        kept = type(ws.conditional_formatting)()
        for cf in ws.conditional_formatting:
            for rule in cf.rules:
                if not any(is_own_formula(f) for f in (rule.formula or ())):
                    kept.add(str(cf.sqref), rule)
                    kept.max_priority = max(kept.max_priority, rule.priority or 0)
        ws.conditional_formatting = kept   # OrderDesk's rules come after the user's
        for rule in rules:
            fill = PatternFill(start_color=rule.fill, end_color=rule.fill, fill_type="solid")
            font = Font(color=rule.font) if rule.font else None
            ws.conditional_formatting.add(cell_range, FormulaRule(formula=[marked(rule.formula).lstrip("=")],
                                                                  fill=fill, font=font, stopIfTrue=True))

    def merged_ranges(self, sheet: str) -> list[tuple[int, int, int, int]]:
        """(first row, first column, last row, last column) of each merged area, 1-based."""
        ws = self._sheet(sheet)
        return [(m.min_row, m.min_col, m.max_row, m.max_col) for m in ws.merged_cells.ranges]

    def selected_row(self) -> tuple[str, int]:
        if self._selection:
            return self._selection
        ws = self.wb.active
        ref = ws.sheet_view.selection[0].activeCell if ws.sheet_view.selection else "A1"
        return ws.title, parse_cell(ref or "A1")[0]

    def message(self, text: str, title: str = "OrderDesk") -> None:
        self.messages.append(text)

    def ui_lang(self) -> str:
        """The language of the user's system (no Excel to ask)."""
        from addin.i18n import system_lang
        return system_lang()

    def save(self) -> None:
        """Atomically (temp file, reopened, then moved into place), the previous file kept as
        ``<stem>.bak<suffix>``; refused while the file is open in Excel."""
        from addin.files.atomic import atomic_write, save_openpyxl
        inputs = [self.path] if self.save_as != self.path else []  # save-as never overwrites the source
        atomic_write(self.save_as, lambda tmp: save_openpyxl(self.wb, tmp), inputs=inputs)

    def _sheet(self, sheet: str):
        if sheet not in self.wb.sheetnames:
            raise InputError(f"{self.name}: there is no sheet '{sheet}'", file=str(self.path), sheet=sheet)
        return self.wb[sheet]


# ---------------------------------------------------------------- the workbook open in Excel

XL_EXPRESSION = 2  # XlFormatConditionType.xlExpression
XL_A1, XL_R1C1 = 1, -4150   # XlReferenceStyle
PAINTED_SHEET = "OrderDesk painted"   # macOS: the fills OrderDesk painted (sheet, address, RRGGBB), hidden
MSO_LANGUAGE_ID_UI = 2   # MsoAppLanguageID.msoLanguageIDUI
LANG_CHINESE = 0x04      # primary language of every Chinese LCID (2052 zh-CN, 1028 zh-TW, 3076 zh-HK …)


def _bgr(hex_rgb: str) -> int:
    """Excel's COM colours are BGR integers."""
    r, g, b = int(hex_rgb[0:2], 16), int(hex_rgb[2:4], 16), int(hex_rgb[4:6], 16)
    return r + (g << 8) + (b << 16)


class XlwingsBook:
    """The workbook that called Python (RunPython) or a given ``xw.Book``."""

    def __init__(self, xl_book: Any):
        self.book = xl_book
        self.name = xl_book.name

    @classmethod
    def caller(cls) -> XlwingsBook:
        import xlwings as xw  # only when Excel calls in
        return cls(xw.Book.caller())

    def sheet_names(self) -> list[str]:
        return [s.name for s in self.book.sheets]

    def active_sheet(self) -> str:
        return self.book.sheets.active.name

    def read_rows(self, sheet: str) -> list[list]:
        ws = self._sheet(sheet)
        used = ws.used_range
        values = used.options(ndim=2).value or []
        # the readers expect absolute positions: pad up to the used range's first row/column
        pad_cols = [None] * (used.column - 1)
        rows = [[None] * (used.column - 1 + used.columns.count) for _ in range(used.row - 1)]
        rows += [pad_cols + list(r) for r in values]
        return rows

    def write_rows(self, sheet: str, rows: Sequence[Sequence[Any]], *, top_left: str = "A1",
                   clear: bool = True) -> None:
        names = self.sheet_names()
        if sheet in names:
            ws = self.book.sheets[sheet]
            if clear:
                ws.clear()
        else:
            ws = self.book.sheets.add(sheet, after=self.book.sheets[len(names) - 1])
        if not rows:
            return
        target = ws[top_left].resize(len(rows), max(len(r) for r in rows))
        # text that looks like a formula goes in as text: format the cells as Text first
        if any(isinstance(v, str) and v.startswith("=") for r in rows for v in r):
            target.number_format = "@"
        target.value = [list(r) for r in rows]

    def apply_rules(self, sheet: str, cell_range: str, rules: Sequence[Rule]) -> None:
        """Windows: OrderDesk's earlier rules on the sheet (marked formula) deleted one by one, the
        user's kept, ``rules`` added marked. macOS (no FormatConditions.Add over AppleScript): the
        fills OrderDesk painted before cleared (where the user has not recoloured them), the
        matching rows painted and recorded (:data:`PAINTED_SHEET`)."""
        import sys
        ws = self._sheet(sheet)
        rng = ws[cell_range]
        if sys.platform.startswith("win"):
            conditions = ws.api.Cells.FormatConditions       # every rule of the sheet
            for i in range(int(conditions.Count), 0, -1):
                cond = conditions.Item(i)
                try:
                    formula = cond.Formula1
                except Exception:   # colour scales, data bars, icon sets: no formula, not ours
                    continue
                if is_own_formula(formula):
                    cond.Delete()
            for rule in rules:
                formula = self._relative_to_active_cell(marked(rule.formula), rng.api.Cells(1, 1))
                cond = rng.api.FormatConditions.Add(Type=XL_EXPRESSION, Formula1=formula)
                cond.Interior.Color = _bgr(rule.fill)
                if rule.font:
                    cond.Font.Color = _bgr(rule.font)
                cond.StopIfTrue = True
        else:
            self._static_colours(sheet, rng, rules)

    def _relative_to_active_cell(self, formula: str, top_left: Any) -> str:
        """``formula`` written for ``top_left`` (the range's first cell) as ``FormatConditions.Add``
        reads it: relative to the *active* cell (Microsoft KB 895562), via R1C1."""
        app = self.book.app.api
        try:
            active = app.ActiveCell
            if active is None:
                return formula
            r1c1 = app.ConvertFormula(Formula=formula, FromReferenceStyle=XL_A1, ToReferenceStyle=XL_R1C1,
                                      RelativeTo=top_left)
            return app.ConvertFormula(Formula=r1c1, FromReferenceStyle=XL_R1C1, ToReferenceStyle=XL_A1,
                                      RelativeTo=active)
        except Exception:   # no active cell (a chart sheet active): as written
            return formula

    def merged_ranges(self, sheet: str) -> list[tuple[int, int, int, int]]:
        """The merged areas of the sheet's used range (found with Find by format, one call per
        area; none when the used range holds no merged cell)."""
        ws = self._sheet(sheet)
        used = ws.used_range
        try:
            if used.api.MergeCells is False:
                return []
            app = self.book.app.api
            app.FindFormat.Clear()
            app.FindFormat.MergeCells = True
            out, seen, first = [], set(), None
            found = used.api.Find(What="", SearchFormat=True)
            for _ in range(100_000):          # Find wraps around: stop at the first cell found again
                if found is None or found.Address == first:
                    break
                first = first or found.Address
                area = found.MergeArea
                if area.Address not in seen:
                    seen.add(area.Address)
                    out.append((area.Row, area.Column, area.Row + area.Rows.Count - 1,
                                area.Column + area.Columns.Count - 1))
                found = used.api.Find(What="", After=found, SearchFormat=True)
            app.FindFormat.Clear()
            return out
        except Exception:   # macOS or an Excel without FindFormat: the writes themselves fail on a merged area
            return []

    def _static_colours(self, sheet: str, rng: Any, rules: Sequence[Rule]) -> None:
        """Fills instead of rules: the earlier ones cleared where they are still OrderDesk's
        colour, the rows matching a rule filled (unless the user filled them: one colour over the
        rows; a fill on part of a row reads as none and is painted over) and recorded for the next
        refresh."""
        records = self._painted()
        ws = self._sheet(sheet)

        def colour_of(address: str) -> str | None:
            c = ws[address].color
            return None if c is None else "%02X%02X%02X" % tuple(c)[:3]
        for address in to_clear(records, sheet, colour_of):
            ws[address].color = None
        records = [p for p in records if p.sheet != sheet]
        col, conditions = static_conditions([(r.formula, r.fill) for r in rules])
        if col is not None:
            top, left, right = rng.row, rng.column, rng.column + rng.columns.count - 1
            _, c = parse_cell(col + "1")
            values = ws.range((top, c), (top + rng.rows.count - 1, c)).options(ndim=1).value or []
            for address, fill in static_fills(values, conditions, top, column_letter(left), column_letter(right)):
                if colour_of(address) is not None:
                    continue      # the user's own fill over those rows wins, as a user's rule would
                ws[address].color = "#" + fill
                records.append(Painted(sheet, address, fill))
        self._record_painted(records)

    def _painted(self) -> list[Painted]:
        if PAINTED_SHEET not in self.sheet_names():
            return []
        rows = self.book.sheets[PAINTED_SHEET].used_range.options(ndim=2).value or []
        return [Painted(str(r[0]), str(r[1]), str(r[2])) for r in rows[1:] if len(r) >= 3 and r[0] and r[1] and r[2]]

    def _record_painted(self, records: Sequence[Painted]) -> None:
        new = PAINTED_SHEET not in self.sheet_names()
        active = self.book.sheets.active            # adding a sheet activates it: go back
        self.write_rows(PAINTED_SHEET, [["sheet", "address", "fill"]] + [[p.sheet, p.address, p.fill] for p in records])
        if new:
            try:
                self.book.sheets[PAINTED_SHEET].visible = False
            except Exception:
                pass
            active.activate()

    def selected_row(self) -> tuple[str, int]:
        selection = self.book.app.selection
        return selection.sheet.name, selection.row

    def message(self, text: str, title: str = "OrderDesk") -> None:
        self.book.app.alert(text, title=title)

    def ui_lang(self) -> str:
        """Excel's user-interface language (zh for any Chinese one), else the system's."""
        from addin.i18n import system_lang
        try:   # Windows: Application.LanguageSettings.LanguageID(msoLanguageIDUI = 2)
            lcid = int(self.book.app.api.LanguageSettings.LanguageID(MSO_LANGUAGE_ID_UI))
        except Exception:   # macOS (AppleScript) or an older Excel: the system's locale
            return system_lang()
        return "zh" if lcid & 0x3FF == LANG_CHINESE else "en"

    def save(self) -> None:
        """Nothing to do: the user saves the open workbook when they choose."""

    def _sheet(self, sheet: str):
        if sheet not in self.sheet_names():
            raise InputError(f"{self.name}: there is no sheet '{sheet}'", sheet=sheet)
        return self.book.sheets[sheet]
