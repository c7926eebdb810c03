"""Shared XlsxWriter helpers: a safe workbook, named formats, typed cell writing, widths, print setup.

Every user string goes through ``write_string`` (never ``write``), and the workbook is opened
with ``strings_to_formulas``/``strings_to_urls`` off as a second guard, so a customer note such
as ``=HYPERLINK("http://x")`` stays text (SPEC section 5, FACTS.md).
"""
from __future__ import annotations

import datetime as dt
import math
import re
from types import TracebackType
from typing import Any, BinaryIO, Iterable

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from addin.files.text import display_width

__all__ = ["open_workbook", "Styles", "write_value", "write_text", "text_width", "set_widths",
           "print_setup", "cell", "col_name", "MAX_STRING", "quote_sheet", "criterion"]

MAX_STRING = 32767  # Excel's limit for one cell

cell = xl_rowcol_to_cell
col_name = xl_col_to_name

WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "nan_inf_to_errors": True,
    "default_date_format": "yyyy-mm-dd",
    # parts assembled in memory, not in temp files: at 1M ledger lines the temp-file round trip
    # cost the monthly report 4 s of CPU and 6 s of waiting (measured), and the peak memory of
    # the command is the read, not this
    "in_memory": True,
}


class Workbook(xlsxwriter.Workbook):
    """XlsxWriter's workbook, whose ``close()`` releases what a failed close leaves open.

    When assembling the file fails midway (a part that cannot be written, the column-wise
    writer refusing a late cell), XlsxWriter leaves its zip archive and the part it was writing
    open, held only by the traceback. The garbage collector may later finalise the file before
    the archive, and the archive's own finaliser then fails ("I/O operation on closed file")
    inside some unrelated code. Here they are closed before the error goes on."""

    def close(self) -> None:
        try:
            super().close()
        except BaseException as exc:
            release_archives(exc.__traceback__)
            for ws in self.worksheets():
                fh = getattr(ws, "fh", None)
                if fh is not None and not getattr(fh, "closed", True):
                    fh.close()
            raise


def release_archives(tb: TracebackType | None) -> None:
    """Close every zip archive still open in the frames of a traceback (see :class:`Workbook`)."""
    import zipfile
    while tb is not None:
        for value in list(tb.tb_frame.f_locals.values()):
            if isinstance(value, zipfile.ZipFile) and value.fp is not None:
                try:
                    value.close()
                except Exception:  # noqa: BLE001 — a half-written archive: drop it, keep the first error
                    fp, value.fp = value.fp, None
                    if not getattr(value, "_filePassed", True):
                        fp.close()
        tb = tb.tb_next


def open_workbook(target: str | BinaryIO) -> Workbook:
    """A workbook that never turns a string into a formula, link or number."""
    return Workbook(target, dict(WORKBOOK_OPTIONS))


FONT = "Microsoft YaHei"  # reads well in zh and en; Excel falls back when absent

_STYLE_SPECS: dict[str, dict[str, Any]] = {
    "title": {"bold": True, "font_size": 20, "font_color": "#1F3864"},
    "subtitle": {"font_size": 11, "font_color": "#595959"},
    "section": {"bold": True, "font_size": 13, "font_color": "#1F3864", "bottom": 2, "bottom_color": "#1F3864"},
    "header": {"bold": True, "bg_color": "#1F3864", "font_color": "#FFFFFF", "border": 1,
               "border_color": "#BFBFBF", "text_wrap": True, "valign": "vcenter", "align": "center"},
    "header_left": {"bold": True, "bg_color": "#1F3864", "font_color": "#FFFFFF", "border": 1,
                    "border_color": "#BFBFBF", "text_wrap": True, "valign": "vcenter"},
    "header_month": {"bold": True, "bg_color": "#1F3864", "font_color": "#FFFFFF", "border": 1,
                     "border_color": "#BFBFBF", "num_format": "yyyy-mm", "align": "center"},
    "label": {"border": 1, "border_color": "#D9D9D9"},
    "label_bold": {"bold": True, "border": 1, "border_color": "#D9D9D9"},
    "text": {"border": 1, "border_color": "#D9D9D9"},
    "text_wrap": {"border": 1, "border_color": "#D9D9D9", "text_wrap": True, "valign": "top"},
    "int": {"num_format": "#,##0", "border": 1, "border_color": "#D9D9D9"},
    "num1": {"num_format": "#,##0.0", "border": 1, "border_color": "#D9D9D9"},
    "pct": {"num_format": "0.0%", "border": 1, "border_color": "#D9D9D9"},
    "pct_change": {"num_format": "+0.0%;-0.0%;0.0%", "border": 1, "border_color": "#D9D9D9"},
    "int_change": {"num_format": "+#,##0;-#,##0;0", "border": 1, "border_color": "#D9D9D9"},
    "date": {"num_format": "yyyy-mm-dd", "border": 1, "border_color": "#D9D9D9", "align": "left"},
    "month": {"num_format": "yyyy-mm", "border": 1, "border_color": "#D9D9D9", "align": "right"},
    "note": {"italic": True, "font_color": "#7F7F7F"},
    "tile_label": {"bold": True, "font_size": 11, "font_color": "#FFFFFF", "bg_color": "#2F5597",
                   "align": "center", "valign": "vcenter", "text_wrap": True},
    "tile_pct": {"bold": True, "font_size": 28, "font_color": "#1F3864", "bg_color": "#DEEBF7",
                 "num_format": "0.0%", "align": "center", "valign": "vcenter", "border": 1,
                 "border_color": "#2F5597"},
    "tile_int": {"bold": True, "font_size": 28, "font_color": "#C00000", "bg_color": "#FBE5D6",
                 "num_format": "#,##0", "align": "center", "valign": "vcenter", "border": 1,
                 "border_color": "#2F5597"},
    "tile_text": {"bold": True, "font_size": 14, "font_color": "#1F3864", "bg_color": "#DEEBF7",
                  "align": "center", "valign": "vcenter", "border": 1, "border_color": "#2F5597",
                  "text_wrap": True},
    "red": {"bg_color": "#FFC7CE", "font_color": "#9C0006"},
    "amber": {"bg_color": "#FFEB9C", "font_color": "#9C5700"},
    "grey": {"bg_color": "#E7E6E6", "font_color": "#7F7F7F"},
    "green": {"bg_color": "#C6EFCE", "font_color": "#006100"},
    "mono": {"font_name": "Consolas", "font_size": 9, "border": 1, "border_color": "#D9D9D9"},
}


class Styles:
    """Named formats of one workbook, made once on first use."""

    def __init__(self, wb: xlsxwriter.Workbook, font: str = FONT):
        self._wb, self._font, self._made = wb, font, {}

    def __getitem__(self, name: str):
        if name not in self._made:
            spec = dict(_STYLE_SPECS[name])
            spec.setdefault("font_name", self._font)
            fmt = self._wb.add_format(spec)
            self._made[name] = fmt
        return self._made[name]


def clean_text(value: str) -> str:
    """Text Excel accepts: no XML-illegal control characters, at most 32,767 UTF-16 units."""
    from addin.files.text import clean_cell_text
    return clean_cell_text(value)[0]


def is_blank(value: Any) -> bool:
    if value is None or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        return bool(pd.isna(value)) if not isinstance(value, (str, bytes, tuple, list)) else False
    except (TypeError, ValueError):
        return False


def write_text(ws, row: int, col: int, value: Any, fmt=None) -> None:
    """Write user text as text, always (never a formula, link or number)."""
    if is_blank(value):
        ws.write_blank(row, col, None, fmt)
        return
    text = clean_text(str(value))
    if text.startswith("<r>") and text.endswith("</r>"):
        # XlsxWriter copies a shared string shaped like this into the XML unescaped, as rich
        # text: '<r>x</r>' would read back empty, '<r><t>x</t></r>' as 'x', other markup could
        # corrupt the file. Unformatted runs (XlsxWriter wants three) are escaped and show as
        # the same plain text.
        ws.write_rich_string(row, col, text[:1], text[1:2], text[2:], *([fmt] if fmt is not None else []))
        return
    ws.write_string(row, col, text, fmt)


def write_value(ws, row: int, col: int, value: Any, fmt=None, date_fmt=None) -> None:
    """Write one value by its Python type: blank, bool, number, date, else text."""
    if is_blank(value):
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, (bool, np.bool_)):
        ws.write_boolean(row, col, bool(value), fmt)
    elif isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        if math.isinf(number):
            ws.write_blank(row, col, None, fmt)
        else:
            ws.write_number(row, col, number, fmt)
    elif isinstance(value, (pd.Timestamp, dt.datetime, dt.date, np.datetime64)):
        stamp = pd.Timestamp(value)
        ws.write_datetime(row, col, stamp.to_pydatetime().replace(tzinfo=None), date_fmt or fmt)
    else:
        write_text(ws, row, col, value, fmt)


def text_width(value: Any) -> float:
    """Display width in Excel character units: East Asian wide characters count two."""
    if is_blank(value):
        return 0
    if isinstance(value, (pd.Timestamp, dt.date)):
        return 10
    if isinstance(value, float):
        return min(len(f"{value:,.1f}"), 15)
    text = str(value)
    longest = max(text.split("\n"), key=len) if text else ""
    return display_width(longest)


def wrapped_height(text: Any, width: float, line_height: float = 15.0) -> float | None:
    """Row height (points) that shows ``text`` wrapped in a column ``width`` characters wide, or
    None when one line is enough. LibreOffice does not grow rows for wrapped text on its own."""
    if is_blank(text):
        return None
    lines = 0
    for part in str(text).split("\n"):
        lines += max(1, math.ceil(text_width(part) / max(width - 1, 1)))
    return None if lines <= 1 else lines * line_height


def set_widths(ws, columns: Iterable[Iterable[Any]], *, first_col: int = 0, minimum: float = 6,
               maximum: float = 50, padding: float = 2) -> list[float]:
    """Column widths from the widest value of each column (header included), within bounds."""
    widths = []
    for offset, values in enumerate(columns):
        widest = max((text_width(v) for v in values), default=0)
        width = max(minimum, min(maximum, widest + padding))
        ws.set_column(first_col + offset, first_col + offset, width)
        widths.append(width)
    return widths


def print_setup(ws, *, repeat_rows: tuple[int, int] | None = None, landscape: bool = True,
                fit_width: bool = True, area: tuple[int, int, int, int] | None = None) -> None:
    """Landscape, A4, one page wide, title rows repeated on every page."""
    if landscape:
        ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    if fit_width:
        ws.fit_to_pages(1, 0)
    if repeat_rows is not None:
        ws.repeat_rows(*repeat_rows)
    if area is not None:
        ws.print_area(*area)
    ws.set_footer("&L&A&R&P / &N")


def quote_sheet(name: str) -> str:
    """A sheet name as it must appear in a formula reference."""
    return "'" + name.replace("'", "''") + "'"


_WILDCARD = re.compile(r"[*?~]")


def criterion(ref: str, value: Any) -> str:
    """A COUNTIFS criterion that matches ``value`` (held in cell ``ref``) exactly.

    COUNTIFS reads a leading = < > as an operator and * ? ~ as wildcards, and a blank criterion
    cell as "match 0"; a customer called ``<A*`` must still match only itself."""
    if is_blank(value) or value == "":
        return '""'
    text = str(value)
    if isinstance(value, str) and (_WILDCARD.search(text) or text[:1] in "=<>"):
        escaped = f'SUBSTITUTE(SUBSTITUTE(SUBSTITUTE({ref},"~","~~"),"*","~*"),"?","~?")'
        return f'"="&{escaped}'
    return ref
