"""The Backlog sheet of the monthly workbook (SPEC section 13): the open order book at the as-of
date per customer, part and due month, overdue first — the table ``orderdesk backlog`` prints,
from the report's model (``ReportModel.backlog``), written as values."""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from addin.i18n import t
from addin.writers.fastrows import Column, write_columns
from addin.writers.xlsx import print_setup, set_widths, write_text, write_value

COLUMNS = ("open_lines", "overdue_qty", "overdue_value", "open_qty", "open_value")   # overdue first


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def write_backlog(book) -> None:
    """The open order book: one row per group, a total row; the overdue rows in red."""
    m, s, lang = book.model, book.s, book.lang
    ws = book.ws["backlog"]
    table = m.backlog
    book.title(ws, t("backlog.sheet_title", lang, as_of=m.as_of.isoformat()), t("backlog.sheet_note", lang))
    if table is None:
        return
    keys = [c for c in table.columns if c not in COLUMNS and c not in ("is_total", "overdue_lines",
                                                                       "unpriced_lines")]
    top = 3
    headers = [t(f"backlog_cli.{k}", lang) for k in keys] + [t(f"backlog_cli.{c}", lang) for c in COLUMNS]
    book.header_row(ws, top)
    for c, h in enumerate(headers):
        write_text(ws, top, c, h, s["header_left"] if c < len(keys) else s["header"])
    none, unknown = t("backlog_cli.none", lang), t("backlog_cli.unknown", lang)
    # the groups (tens of thousands at a million lines) as one column-wise block, the total below
    body = table.loc[~table["is_total"].to_numpy(dtype=bool)]
    columns = []
    for k in keys:
        values = body[k].to_numpy(dtype=object, na_value=None).copy()
        values[pd.isna(values)] = none
        columns.append(Column("text", values, s["text"], styled_blanks=True))
    columns += [Column("number", pd.to_numeric(body[name], errors="coerce").to_numpy(dtype="float64", na_value=np.nan),
                       s["int"], missing_text=unknown) for name in COLUMNS]
    write_columns(ws, top + 1, columns)
    r = top + len(body)
    for rec in table.loc[table["is_total"].to_numpy(dtype=bool)].to_dict("records"):
        r += 1
        for c in range(len(keys)):
            write_text(ws, r, c, t("backlog_cli.total", lang) if c == 0 else "", s["label_bold"])
        for c, name in enumerate(COLUMNS, start=len(keys)):
            v = rec[name]
            if _blank(v):
                ws.write_string(r, c, unknown, s["text"])
            elif isinstance(v, (int, float)) and math.isfinite(v):
                ws.write_number(r, c, v, s["int"])       # the counts and sums of compute.backlog
            else:
                write_value(ws, r, c, v, s["int"])
    if r > top:
        first_value = len(keys)
        ws.conditional_format(top + 1, first_value + 1, r - 1, first_value + 1,
                              {"type": "cell", "criteria": ">", "value": 0, "format": book.wb.add_format(
                                  {"bg_color": "#FFC7CE", "font_color": "#9C0006"})})
    # each distinct value measured once (a part number recurs in every month it is due)
    set_widths(ws, [[h, *table[k].drop_duplicates().tolist()] for h, k in zip(headers, keys + list(COLUMNS))])
    ws.freeze_panes(top + 1, len(keys))
    print_setup(ws, repeat_rows=(top, top), fit_width=True)
