"""The risk-formatted ledger (SPEC section 5): a copy of the user's own workbook with a risk
column after their last column and conditional formatting over their rows (red overdue, amber
at risk, grey done), their layout, formats and other sheets kept.

openpyxl re-saves a workbook without the parts it does not understand (charts, drawings and
shapes, images without Pillow, form controls, sparklines, x14 data bars, slicers, pivot
caches, timelines, embedded objects). The zip is inspected first and the copy refused, naming
what would be lost; ``separate=True`` writes the risk sheet into a new workbook instead. A
.csv or .xls ledger always gets a new workbook.
"""
from __future__ import annotations

import datetime as dt
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from addin.defaults import RISK_HORIZON
from addin.errors import FileError, InputError
from addin.i18n import risk_label, t

__all__ = ["write_risk_copy", "RiskCopySummary", "lost_parts"]

RISK_STYLE = {"overdue": ("FFC7CE", "9C0006"), "at_risk": ("FFEB9C", "9C5700"), "done": ("E7E6E6", "7F7F7F")}

# zip member prefixes openpyxl does not carry over -> what the user would lose
_LOST_PREFIXES = (
    ("xl/charts/", "charts"), ("xl/chartsheets/", "charts"), ("xl/media/", "images"),
    ("xl/ctrlProps/", "controls"), ("xl/activeX/", "controls"), ("xl/slicers/", "slicers"),
    ("xl/slicerCaches/", "slicers"), ("xl/pivotTables/", "pivots"), ("xl/pivotCache/", "pivots"),
    ("xl/timelines/", "timelines"), ("xl/timelineCaches/", "timelines"), ("xl/embeddings/", "ole"),
)
# markers inside worksheet / drawing XML
_SHEET_MARKERS = ((b"sparklineGroup", "sparklines"), (b"x14:dataBar", "databars"),
                  (b"x14:conditionalFormatting", "databars"))
_SHAPE_MARKERS = (b"<xdr:sp>", b"<xdr:sp ", b"<xdr:grpSp", b"<xdr:cxnSp")
_ORDER = ("charts", "drawings", "images", "controls", "sparklines", "databars", "slicers", "pivots",
          "timelines", "ole")
_SCAN_LIMIT = 64 * 1024 * 1024   # bytes of XML read per part when looking for markers


def _has_pillow() -> bool:
    try:
        import PIL  # noqa: F401
    except ImportError:
        return False
    return True


def _contains(zf: zipfile.ZipFile, name: str, needles: tuple[bytes, ...]) -> bool:
    tail = b""
    read = 0
    with zf.open(name) as f:
        while read < _SCAN_LIMIT:
            block = f.read(1 << 20)
            if not block:
                return False
            read += len(block)
            chunk = tail + block
            if any(n in chunk for n in needles):
                return True
            tail = chunk[-64:]
    return False


def lost_parts(path: Path) -> dict[str, list[str]]:
    """What an openpyxl re-save of ``path`` would drop: kind -> zip members that hold it."""
    found: dict[str, list[str]] = {}
    pillow = _has_pillow()
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        for name in names:
            for prefix, kind in _LOST_PREFIXES:
                if name.startswith(prefix) and not name.endswith("/"):
                    if kind == "images" and pillow:
                        continue
                    found.setdefault(kind, []).append(name)
            if name.startswith("xl/drawings/") and name.endswith(".xml") and "/_rels/" not in name \
                    and not name.startswith("xl/drawings/vmlDrawing"):
                if _contains(zf, name, _SHAPE_MARKERS):
                    found.setdefault("drawings", []).append(name)
            if name.startswith("xl/drawings/vmlDrawing"):
                # legacy form controls live in VML beside comments; comments alone survive
                if _contains(zf, name, (b'ObjectType="Button"', b'ObjectType="Checkbox"', b'ObjectType="Drop"',
                                        b'ObjectType="List"', b'ObjectType="Radio"', b'ObjectType="Spin"',
                                        b'ObjectType="Scroll"', b'ObjectType="GBox"', b'ObjectType="Label"')):
                    found.setdefault("controls", []).append(name)
            if name.startswith("xl/worksheets/") and name.endswith(".xml") and "/_rels/" not in name:
                for needle, kind in _SHEET_MARKERS:
                    if _contains(zf, name, (needle,)):
                        if name not in found.get(kind, []):
                            found.setdefault(kind, []).append(name)
    return {k: sorted(set(found[k])) for k in _ORDER if k in found}


def _refusal(path: Path, lost: dict[str, list[str]], lang: str) -> FileError:
    parts = [f"{t('part.' + kind, lang)} ({', '.join(members[:2])}{', …' if len(members) > 2 else ''})"
             for kind, members in lost.items()]
    joined = ("、" if lang == "zh" else ", ").join(parts)
    return FileError(t("msg.would_lose", lang, file=path.name, parts=joined), file=str(path))


@dataclass(frozen=True)
class RiskCopySummary:
    out: Path
    rows: int            # ledger lines given a risk
    overdue: int
    at_risk: int
    on_track: int
    done: int
    cancelled: int
    separate: bool       # True: a new workbook, not a copy of the user's
    # the horizon ran through a year without holiday data (addin.compute.risk.horizon_gap): the note line
    # the sheet shows, None when there is none
    calendar_note: str | None = None


def _risk_frame(ledger_result: Any, as_of: dt.date, calendar: Any, horizon: int, basis: str,
                lang: str) -> pd.DataFrame:
    from addin.compute.risk import assess_risk
    data: pd.DataFrame = ledger_result.data
    risk = assess_risk(data, as_of, calendar, horizon, basis=basis, lang=lang)
    return pd.concat([data, risk], axis=1)


def _counts(frame: pd.DataFrame) -> dict[str, int]:
    counts = frame["risk"].value_counts()
    return {k: int(counts.get(k, 0)) for k in ("overdue", "at_risk", "on_track", "done", "cancelled")}


def write_risk_copy(ledger_result: Any, *, out: Path | str, as_of: dt.date | None = None, calendar: Any = None,
                    horizon: int = RISK_HORIZON, basis: str = "promised", separate: bool = False,
                    lang: str = "en") -> RiskCopySummary:
    """Write the risk-formatted ledger and return the counts per risk.

    ``ledger_result``: ``addin.readers.read(path, kind="ledger")`` (its ``.path``, ``.sheet``,
    ``.header_row`` and each line's ``source_row`` place the risk column). ``separate`` (or a
    .csv/.xls ledger): a new workbook with the risk sheet. Otherwise a copy of the user's workbook;
    raises ``FileError`` naming what the copy would lose (charts, images, ...) and saying to use
    ``--separate``. The input file is never written.

    When the horizon runs through a year ``calendar`` has no holiday data for, the sheet carries the
    note line (beside the risk header in a copy, above the table in a new workbook) and the
    summary's ``calendar_note`` holds it."""
    from addin.compute.risk import horizon_note
    from addin.files.atomic import atomic_write

    out = Path(out)
    if getattr(ledger_result, "path", None) is None:
        raise InputError("the risk copy needs the ledger read from a file (addin.readers.read)",
                         expected="a ReadResult with .path")
    source = Path(ledger_result.path)
    as_of = as_of or dt.date.today()
    if out.suffix.lower() not in (".xlsx", ".xlsm"):
        raise InputError(f"{out.name}: the output must be an .xlsx workbook", value=str(out), expected=".xlsx")
    frame = _risk_frame(ledger_result, as_of, calendar, horizon, basis, lang)
    note = horizon_note(as_of, calendar, horizon, lang)
    own_copy = not separate and source.suffix.lower() in (".xlsx", ".xlsm")
    if own_copy:
        lost = lost_parts(source)
        if lost:
            raise _refusal(source, lost, lang)
        if source.suffix.lower() == ".xlsm" and out.suffix.lower() != ".xlsm":
            raise InputError(f"{out.name}: the ledger has macros (.xlsm) — name the copy .xlsm so they are kept",
                             value=str(out), expected=".xlsm")
        write = lambda tmp: _write_copy(source, tmp, ledger_result, frame, lang, note)  # noqa: E731
    else:
        write = lambda tmp: _write_separate(tmp, ledger_result, frame, as_of, lang, note)  # noqa: E731
    atomic_write(out, write, inputs=[source])
    return RiskCopySummary(out=out, rows=len(frame), separate=not own_copy, calendar_note=note, **_counts(frame))


# --------------------------------------------------------------------------- copy (openpyxl)

def _last_used_column(ws) -> int:
    """The rightmost column holding a value in any row (formatting alone does not count)."""
    last = 0
    for row in ws.iter_rows():
        for c in reversed(row):
            if c.value is not None and c.value != "":
                last = max(last, c.column)
                break
    return last


def _write_copy(source: Path, tmp: Path, ledger_result: Any, frame: pd.DataFrame, lang: str,
                note: str | None = None) -> None:
    import copy
    import warnings

    from openpyxl.formatting.rule import FormulaRule
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    from addin.files.atomic import load_openpyxl

    keep_vba = source.suffix.lower() == ".xlsm"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        wb = load_openpyxl(source, keep_vba=keep_vba, rich_text=True)
    # openpyxl says "... will be removed" for extensions it drops: refuse rather than lose them
    dropped = sorted({str(w.message) for w in caught if "removed" in str(w.message) or "not supported" in str(w.message)})
    lost_areas = _restore_print_areas(wb, [str(w.message) for w in caught])
    dropped += [f"{t('part.print_area', lang)} {area}" for area in lost_areas]
    if dropped:
        raise FileError(t("msg.would_lose", lang, file=source.name, parts="; ".join(dropped)), file=str(source))
    ws = wb[ledger_result.sheet]
    header_row = int(ledger_result.header_row)
    col = _last_used_column(ws) + 1
    letter = get_column_letter(col)

    header = ws.cell(row=header_row, column=col, value=t("col.risk", lang))
    header.data_type = "s"
    left = ws.cell(row=header_row, column=col - 1) if col > 1 else None
    if left is not None and left.has_style:   # look like the user's own header
        for attr in ("font", "fill", "border", "alignment", "protection"):
            setattr(header, attr, copy.copy(getattr(left, attr)))
        header.number_format = "General"
    ws.column_dimensions[letter].width = max(10, (ws.column_dimensions[get_column_letter(col - 1)].width or 10)
                                             if col > 1 else 10)
    if note:
        # beside the risk header: the user's rows stay where they are, and the header row is what
        # stays in view (frozen panes, printed titles); the text runs on over the empty cells
        c = ws.cell(row=header_row, column=col + 1, value=note)
        c.data_type = "s"
        c.font = Font(name=header.font.name, sz=header.font.sz, bold=True, color=RISK_STYLE["at_risk"][1])

    rows = frame["source_row"].astype(int).tolist() if "source_row" in frame else []
    for row, risk in zip(rows, frame["risk"].tolist()):
        c = ws.cell(row=row, column=col, value=risk_label(risk, lang))
        c.data_type = "s"
    if rows:
        first, last = header_row + 1, max(rows)
        last_col = get_column_letter(col)
        area = f"A{first}:{last_col}{last}"
        for risk, (fill, font) in RISK_STYLE.items():
            label = risk_label(risk, lang).replace('"', '""')
            ws.conditional_formatting.add(area, FormulaRule(
                formula=[f'${letter}{first}="{label}"'], stopIfTrue=True,
                fill=PatternFill(start_color=fill, end_color=fill, fill_type="solid"),
                font=Font(color=font)))
    from openpyxl.utils import range_boundaries
    if ws.auto_filter.ref:   # widen the user's filter over the new column
        min_col, min_row, max_col, max_row = range_boundaries(ws.auto_filter.ref)
        if max_col == col - 1:
            ws.auto_filter.ref = f"{get_column_letter(min_col)}{min_row}:{letter}{max_row}"
    _print_area_with_risk(ws, col, last_row=ws.max_row, note=bool(note))
    from addin.files.atomic import save_openpyxl
    save_openpyxl(wb, tmp)


_LOST_PRINT_AREA = re.compile(r"Print area cannot be set to Defined name: (.*)\.$", re.S)
_SHEET_AREA = re.compile(r"(?:'((?:[^']|'')+)'|([^'!,]+))!(\$?[A-Z]{1,3}:\$?[A-Z]{1,3}|\$?\d+:\$?\d+"
                         r"|\$?[A-Z]{1,3}\$?\d+:\$?[A-Z]{1,3}\$?\d+)(?:,|$)")


def _restore_print_areas(wb: Any, messages: list[str]) -> list[str]:
    """openpyxl drops a print area of whole columns (``$A:$F``) or rows (``$1:$40``) when it loads,
    with a warning: set the same area as a range over the used rows / columns. Returns the areas
    that could not be restored (the copy is then refused, as for other parts openpyxl drops)."""
    from openpyxl.utils import get_column_letter
    lost = []
    for message in messages:
        match = _LOST_PRINT_AREA.match(message)
        if not match:
            continue
        value = match.group(1)
        parts = list(_SHEET_AREA.finditer(value))
        if not parts or "".join(p.group(0) for p in parts) != value:
            lost.append(value)
            continue
        for part in parts:
            title = (part.group(1) or "").replace("''", "'") or part.group(2)
            if title not in wb.sheetnames:
                lost.append(value)
                break
            ws = wb[title]
            first, last = part.group(3).replace("$", "").split(":")
            if first.isdigit():     # whole rows
                area = f"A{first}:{get_column_letter(max(ws.max_column, 1))}{last}"
            elif first.isalpha():   # whole columns
                area = f"{first}1:{last}{max(ws.max_row, 1)}"
            else:                   # a range beside them
                area = f"{first}:{last}"
            ws.print_area = [*_areas(ws), area]
    return lost


def _areas(ws: Any) -> list[str]:
    """The sheet's print area as plain ranges (``A1:V99``); openpyxl gives
    "'Sheet'!$A$1:$V$99,'Sheet'!$X$1:$X$9" (a sheet name may hold commas)."""
    return [a.replace("$", "") for a in re.findall(r"!(\$?[A-Z]{1,3}\$?\d*:\$?[A-Z]{1,3}\$?\d*)(?=,|$)",
                                                   str(ws.print_area or ""))]


def _print_area_with_risk(ws: Any, col: int, *, last_row: int, note: bool) -> None:
    """The user's print area, each range that ended at the last column widened over the risk
    column (other ranges as they were; openpyxl drops whole-column areas when it loads).
    Without one, a note beside the header would print its overflow on pages of its own, so the
    area is then the sheet up to the risk column."""
    from openpyxl.utils import get_column_letter, range_boundaries
    letter = get_column_letter(col)
    if not ws.print_area:
        if note:
            ws.print_area = f"A1:{letter}{last_row}"
        return
    areas = _areas(ws)
    if not areas:
        return
    widened = []
    for ref in areas:
        if re.fullmatch(r"[A-Z]{1,3}\d+:[A-Z]{1,3}\d+", ref):
            min_col, min_row, max_col, max_row = range_boundaries(ref)
            if max_col == col - 1:
                ref = f"{get_column_letter(min_col)}{min_row}:{letter}{max_row}"
        widened.append(ref)
    ws.print_area = widened


# --------------------------------------------------------------------------- separate workbook

_SEPARATE_COLUMNS = ("order_no", "line_no", "customer", "part_no", "qty", "requested_date", "promised_date",
                     "ship_date", "status", "owner")


def _write_separate(tmp: Path, ledger_result: Any, frame: pd.DataFrame, as_of: dt.date, lang: str,
                    note: str | None = None) -> None:
    from addin.writers.xlsx import FONT, Styles, open_workbook, print_setup, set_widths, write_text, write_value

    wb = open_workbook(str(tmp))
    s = Styles(wb)
    ws = wb.add_worksheet(t("sheet.risk", lang))
    fields = [f for f in _SEPARATE_COLUMNS if f in frame.columns and
              (f in (ledger_result.columns or {}) or f in ("order_no", "customer", "part_no", "qty"))]
    headers = [(ledger_result.columns or {}).get(f, f) for f in fields] + \
        [t("col.risk", lang), t("col.reason", lang), t("col.source_row", lang)]
    title = f"{ledger_result.file} · {ledger_result.sheet} · {t('about.as_of', lang)} {as_of.isoformat()}"
    write_text(ws, 0, 0, title, s["subtitle"])
    top = 1
    if note:  # where the reader looks before the table: the horizon may end too early
        write_text(ws, 1, 0, note, wb.add_format({"bold": True, "font_color": "#" + RISK_STYLE["at_risk"][1],
                                                  "font_name": FONT}))
        top = 2
    for c, h in enumerate(headers):
        write_text(ws, top, c, h, s["header_left"])
    records = frame.to_dict("records")
    for i, rec in enumerate(records):
        r = top + 1 + i
        for c, f in enumerate(fields):
            value = rec.get(f)
            if f.endswith("_date"):
                write_value(ws, r, c, value, s["date"])
            elif f == "qty":
                write_value(ws, r, c, value, s["num1"])
            else:
                write_text(ws, r, c, value, s["text"])
        write_text(ws, r, len(fields), risk_label(rec.get("risk"), lang), s["text"])
        write_text(ws, r, len(fields) + 1, rec.get("risk_reason"), s["text"])
        write_value(ws, r, len(fields) + 2, rec.get("source_row"), s["int"])
    last = top + max(len(records), 1)
    risk_col = len(fields)
    from xlsxwriter.utility import xl_col_to_name
    letter = xl_col_to_name(risk_col)
    for risk, style in (("overdue", "red"), ("at_risk", "amber"), ("done", "grey")):
        label = risk_label(risk, lang).replace('"', '""')
        ws.conditional_format(top + 1, 0, last, len(headers) - 1, {
            "type": "formula", "criteria": f'=${letter}{top + 2}="{label}"', "format": s[style]})
    ws.autofilter(top, 0, last, len(headers) - 1)
    ws.freeze_panes(top + 1, 0)
    set_widths(ws, [[h] + [rec.get(f) for rec in records[:2000]] for h, f in
                    zip(headers, list(fields) + ["risk", "risk_reason", "source_row"])], maximum=40)
    print_setup(ws, repeat_rows=(top, top))
    wb.close()
