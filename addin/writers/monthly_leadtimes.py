"""The Lead times sheet of the monthly workbook (SPEC section 13): order date to completion of the
lines completed in the 12 months ending with the report month, median and 90th percentile by
customer and part — the table ``orderdesk otd --lead-times`` prints, from the report's model
(``ReportModel.leadtimes``), written as values."""
from __future__ import annotations

import datetime as dt
from typing import Any

from addin.i18n import t
from addin.writers.xlsx import print_setup, set_widths, write_text, write_value

KEYS = ("customer", "part_no")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def write_leadtimes(book) -> None:
    """One row per customer and part, a total row; the quoted columns only when a quote matched."""
    from addin.compute.leadtimes import COLUMNS
    m, s, lang = book.model, book.s, book.lang
    ws = book.ws["leadtimes"]
    table = m.leadtimes
    start = _add_months(m.month, -11)
    end = _add_months(m.month, 1) - dt.timedelta(days=1)
    book.title(ws, t("leadtimes.sheet_title", lang, start=start.isoformat(), end=end.isoformat()),
               t("leadtimes.sheet_note", lang))
    if table is None:
        return
    keys = [k for k in KEYS if k in table.columns]
    quoted = bool(len(table)) and int(table["quoted_lines"].iloc[-1] or 0) > 0
    shown = [c for c in COLUMNS if quoted or c in ("lines", "median_days", "p90_days")]
    styles = {"lines": "int", "quoted_lines": "int", "within_quote": "pct"}
    top = 3
    headers = [t(f"lead.{k}", lang) for k in keys] + [t(f"lead.{c}", lang) for c in shown]
    book.header_row(ws, top)
    for c, h in enumerate(headers):
        write_text(ws, top, c, h, s["header_left"] if c < len(keys) else s["header"])
    records = table.to_dict("records")
    r = top
    for rec in records:
        r += 1
        total = bool(rec["is_total"])
        for c, k in enumerate(keys):
            value = (t("lead.total", lang) if c == 0 else "") if total else \
                (t("lead.none", lang) if _blank(rec[k]) else rec[k])
            write_text(ws, r, c, value, s["label_bold"] if total else s["text"])
        for c, name in enumerate(shown, start=len(keys)):
            v = rec[name]
            write_value(ws, r, c, None if _blank(v) else v, s[styles.get(name, "num1")])
    excluded = table.attrs.get("excluded", {})
    write_text(ws, r + 2, 0, t("lead.excluded", lang, no_order_date=excluded.get("no_order_date", 0),
                               before_order_date=excluded.get("before_order_date", 0)), s["note"])
    set_widths(ws, [[h] + [rec.get(k) for rec in records] for h, k in zip(headers, keys + shown)])
    ws.freeze_panes(top + 1, len(keys))
    print_setup(ws, repeat_rows=(top, top), fit_width=True)
