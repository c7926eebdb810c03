"""The customer's weekly progress notice (SPEC section 11): one printable sheet — who it is for,
the summary, the lines at risk or late with cause, action and new date, what shipped since the
last notice, and every open line with its status and milestone progress. It is sent outside the
company: nothing but the notice's own lines is written (no source file names, no other sheet)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from addin.i18n import LANGS, t
from addin.writers.changebook import cell_formats
from addin.writers.xlsx import Styles, is_blank, open_workbook, print_setup, wrapped_height, write_text, write_value

__all__ = ["write_notice_book", "write_text_file"]

_WIDTH = 11   # columns of the widest table (open lines)
_WIDTHS = [14, 6, 14, 20, 10, 10, 16, 18, 14, 12, 30]


def write_notice_book(path: Path, notice: Any, *, inputs: Iterable[Path] = ()) -> Path:
    """Write the notice workbook for a ``CustomerNotice``; atomic, never over one of ``inputs``."""
    from addin.files.atomic import atomic_write
    if notice.lang not in LANGS:
        raise ValueError(f"lang must be one of {sorted(LANGS)}, not {notice.lang!r}")
    return atomic_write(Path(path), lambda tmp: _write(tmp, notice), inputs=[Path(p) for p in inputs])


def write_text_file(path: Path, text: str, *, inputs: Iterable[Path] = ()) -> Path:
    """A UTF-8 text file (the e-mail body), written atomically, never over one of ``inputs``."""
    from addin.files.atomic import atomic_write
    return atomic_write(Path(path), lambda tmp: Path(tmp).write_text(text, encoding="utf-8"),
                        inputs=[Path(p) for p in inputs])


def _table(ws, st, row: int, headers: list[str], rows: list[list[Any]], kinds: list[str], empty: str) -> int:
    for col, header in enumerate(headers):
        write_text(ws, row, col, header, st["header"])
    if not rows:
        write_text(ws, row + 1, 0, empty, st["note"])
        return row + 2
    fmt = st.cells
    for r, values in enumerate(rows, start=row + 1):
        for col, (value, kind) in enumerate(zip(values, kinds)):
            if kind in ("text", "wrap"):
                write_text(ws, r, col, None if is_blank(value) else value, fmt[kind])
            else:
                write_value(ws, r, col, value, fmt[kind], fmt["date"])
        heights = [wrapped_height(v, _WIDTHS[c]) for c, (v, k) in enumerate(zip(values, kinds)) if k == "wrap"]
        heights = [h for h in heights if h]
        if heights:
            ws.set_row(r, min(max(heights), 300))
    return row + 1 + len(rows)


def _write(target: Path, notice: Any) -> None:
    lang = notice.lang
    wb = open_workbook(str(target))
    st = Styles(wb)
    st.cells = cell_formats(wb)
    ws = wb.add_worksheet(t("notice.sheet", lang))
    for col, width in enumerate(_WIDTHS):
        ws.set_column(col, col, width)

    red = wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006", "border": 1, "border_color": "#D9D9D9",
                         "valign": "vcenter", "font_name": "Microsoft YaHei"})
    amber = wb.add_format({"bg_color": "#FFEB9C", "font_color": "#9C5700", "border": 1, "border_color": "#D9D9D9",
                           "valign": "vcenter", "font_name": "Microsoft YaHei"})
    write_text(ws, 0, 0, t("notice.title", lang), st["title"])
    write_text(ws, 1, 0, t("notice.to", lang, customer=notice.customer), st["section"])
    write_text(ws, 2, 0, t("notice.period", lang, as_of=notice.as_of.isoformat(), since=notice.since.isoformat()),
               st["subtitle"])
    c = notice.counts
    write_text(ws, 3, 0, t("notice.summary", lang, open=c["open"], on_track=c["on_track"], at_risk=c["at_risk"],
                           overdue=c["overdue"], shipped=c["shipped"], since=notice.since.isoformat()), st["subtitle"])
    r = 5

    write_text(ws, r, 0, t("notice.risk_title", lang), st["section"])
    r += 1
    headers = [t("notice.order_no", lang), t("notice.line_no", lang), t("notice.part_no", lang),
               t("notice.risk", lang), t("notice.promised_date", lang), t("notice.delay", lang),
               t("notice.cause", lang), t("notice.action", lang), t("notice.new_date", lang), t("notice.message", lang)]
    rows = [[x.order_no, x.line_no, x.part_no, x.risk_label, x.due_date, x.days or None, x.cause_label
             or t("notice.cause_unknown", lang), x.action or t("notice.action_unknown", lang),
             x.new_date if not is_blank(x.new_date) else t("notice.date_unknown", lang), x.message]
            for x in notice.at_risk.itertuples(index=False)]
    first = r + 1
    r = _table(ws, st, r, headers, rows, ["text", "text", "text", "text", "date", "num", "wrap", "wrap", "date",
                                         "wrap"], t("notice.none_risk", lang))
    for i, x in enumerate(notice.at_risk.itertuples(index=False)):
        write_text(ws, first + i, 3, x.risk_label, red if x.risk == "overdue" else amber)
        ws.merge_range(first + i, 9, first + i, _WIDTH - 1, "", st.cells["wrap"])
        write_text(ws, first + i, 9, x.message, st.cells["wrap"])
        heights = [wrapped_height(v, w) for v, w in ((x.message, _WIDTHS[9] + _WIDTHS[10]),
                                                      (x.action, _WIDTHS[7]), (x.cause_label, _WIDTHS[6]))]
        ws.set_row(first + i, max([15.0] + [h for h in heights if h]))
    if rows:
        ws.merge_range(first - 1, 9, first - 1, _WIDTH - 1, "", st["header"])
        write_text(ws, first - 1, 9, headers[9], st["header"])
    r += 1

    write_text(ws, r, 0, t("notice.shipped_title", lang, since=notice.since.isoformat()), st["section"])
    r += 1
    headers = [t("notice.order_no", lang), t("notice.line_no", lang), t("notice.part_no", lang),
               t("notice.description", lang), t("notice.ship_date", lang), t("notice.ship_qty", lang)]
    rows = [[x.order_no, x.line_no, x.part_no, x.description, x.ship_date, x.qty]
            for x in notice.shipped.itertuples(index=False)]
    r = _table(ws, st, r, headers, rows, ["text", "text", "text", "wrap", "date", "num"], t("notice.none_shipped", lang))
    r += 1

    write_text(ws, r, 0, t("notice.open_title", lang), st["section"])
    r += 1
    head = r
    headers = [t("notice.order_no", lang), t("notice.line_no", lang), t("notice.part_no", lang),
               t("notice.description", lang), t("notice.qty", lang), t("notice.shipped_qty", lang),
               t("notice.requested_date", lang), t("notice.promised_date", lang), t("notice.status", lang),
               t("notice.risk", lang), t("notice.progress", lang)]
    rows = [[x.order_no, x.line_no, x.part_no, x.description, x.qty, x.shipped_qty, x.requested_date,
             x.promised_date, x.status, x.risk_label, x.progress] for x in notice.open_lines.itertuples(index=False)]
    r = _table(ws, st, r, headers, rows, ["text", "text", "text", "wrap", "num", "num", "date", "date", "text",
                                         "text", "wrap"], t("notice.none_open", lang))
    for i, x in enumerate(notice.open_lines.itertuples(index=False)):
        if x.risk in ("overdue", "at_risk"):
            write_text(ws, head + 1 + i, 9, x.risk_label, red if x.risk == "overdue" else amber)
    r += 1
    write_text(ws, r, 0, t("notice.footer", lang), st["note"])

    print_setup(ws, area=(0, 0, r, _WIDTH - 1))
    ws.set_margins(left=0.4, right=0.4, top=0.8, bottom=0.6)   # room for the page header above the title
    ws.set_header(f"&L{t('notice.title', lang)}&R{notice.as_of.isoformat()}")
    wb.close()
