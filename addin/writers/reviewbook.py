"""The review workbook (SPEC section 5): one row per PO line with every check, its reason, the
verdict and the capable-to-promise date, coloured, with the review record that ISO 9001 8.2.3
asks for (who reviewed, when, sign-off by sales, PMC, purchasing and engineering)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from addin.compute.review import CHECKS
from addin.i18n import LANGS, t, table
from addin.writers.xlsx import (FONT, Styles, is_blank, open_workbook, print_setup, set_widths, text_width,
                                write_value)

__all__ = ["write_review_book", "calendar_note", "LABELS", "SHEET"]

SHEET = {lang: t("reviewbook.sheet", lang) for lang in LANGS}

LABELS: dict[str, dict[str, str]] = table("reviewbook")

_PO_COLUMNS = ["order_no", "line_no", "customer", "part_no", "revision", "qty", "unit_price", "currency",
               "order_date", "requested_date", "quote_no"]
_SIGN = ["sign_sales", "sign_pmc", "sign_purchasing", "sign_engineering", "comment"]
HEADER_ROW = 8  # 0-based row of the table header; one row lower when the calendar note is shown


def write_text(ws, row: int, col: int, value: Any, fmt=None) -> None:
    """User text as text, never a formula or link (``writers.xlsx.write_text``: control
    characters removed, Excel's length limit, text shaped like rich-text XML kept plain)."""
    from addin.writers.xlsx import write_text as write_user_text
    write_user_text(ws, row, col, value, fmt)


def split_text(split: Any, lang: str) -> str:
    """``[{"qty", "date"}, ...]`` as ``300 by 2026-11-28; 200 by 2026-12-04`` (zh: ``2026-11-28 前 300``)."""
    if not isinstance(split, (list, tuple)) or not split:
        return ""
    parts = []
    for part in split:
        qty = float(part["qty"])
        qty_text = f"{int(qty)}" if qty.is_integer() else f"{qty:g}"
        day = pd.Timestamp(part["date"]).date().isoformat()
        parts.append(f"{day} 前 {qty_text}" if lang == "zh" else f"{qty_text} by {day}")
    return "; ".join(parts)


_WRAP_CHARS = 32  # what one line of a reason column (36 wide) holds in a proportional font


def _wrapped_lines(value: Any) -> int:
    if not isinstance(value, str) or not value:
        return 1
    width = len(value) if value.isascii() else text_width(value)
    return -(-int(width) // _WRAP_CHARS)


def calendar_note(review: pd.DataFrame, lang: str) -> str | None:
    """The workbook's note line when some line's dates ran through a year the working calendar
    has no holiday data for (``calendar_note`` / ``calendar_years`` of :func:`addin.compute.review.review_lines`),
    else None."""
    from addin.i18n import t
    if "calendar_note" not in review.columns:
        return None
    notes = review["calendar_note"].tolist()
    years = (review["calendar_years"].tolist() if "calendar_years" in review.columns else [()] * len(notes))
    affected = [(note, set(y) if isinstance(y, tuple) else set()) for note, y in zip(notes, years)
                if isinstance(note, str) and note]
    if not affected:
        return None
    every = set().union(*(y for _, y in affected))
    # one line usually met every year there is: its note says it all; else name each distinct note
    whole = [note for note, y in affected if y == every]
    text = whole[0] if whole else "; ".join(dict.fromkeys(note for note, _ in affected))
    return t("review.calendar_note", lang, lines=len(affected), total=len(review), note=text)


def write_review_book(path: Path, review: pd.DataFrame, *, lang: str = "en", reviewer: str | None = None,
                      review_date: dt.date, sources: Iterable[str] = (), inputs: Iterable[Path] = ()) -> Path:
    """Write the review workbook for the frame :func:`addin.compute.review.review_lines` returned.
    Written atomically; refuses to overwrite one of ``inputs``."""
    from addin.files.atomic import atomic_write
    if lang not in LABELS:
        raise ValueError(f"lang must be one of {sorted(LABELS)}, not {lang!r}")
    sources = list(sources)
    return atomic_write(Path(path), lambda tmp: _write(tmp, review, lang, reviewer, review_date, sources),
                        inputs=[Path(p) for p in inputs])


def _write(target: Path, review: pd.DataFrame, lang: str, reviewer: str | None, review_date: dt.date,
           sources: list[str]) -> None:
    L = LABELS[lang]
    checks = [c for c in CHECKS if f"{c}_result" in review.columns]
    wb = open_workbook(str(target))
    st = Styles(wb)
    ws = wb.add_worksheet(SHEET[lang])
    words = {"pass": L["pass"], "warn": L["warn"], "fail": L["fail"]}

    # columns: (header, values, format name)
    columns: list[tuple[str, list, str]] = []
    for field in _PO_COLUMNS:
        values = review[field].tolist() if field in review.columns else [None] * len(review)
        kind = ("date" if field.endswith("_date") else "num" if field in ("qty", "unit_price") else "text")
        columns.append((L[field], values, kind))
    # the verdict and the promise right after the PO, where a reader looks first; then each check
    result_cols = [len(columns)]
    columns.append((L["verdict"], [words.get(v, "") if isinstance(v, str) else "" for v in review["verdict"]],
                    "result"))
    for field in ("promise_date", "earliest_date"):
        if field in review.columns:
            columns.append((L[field], review[field].tolist(), "date"))
    if "split" in review.columns:
        columns.append((L["split"], [split_text(s, lang) for s in review["split"]], "text"))
    for check in checks:
        result_cols.append(len(columns))
        name = L.get(f"check_{check}", L[check])
        columns.append((f"{name} {L['result']}",
                        [words.get(v, "") if isinstance(v, str) else "" for v in review[f"{check}_result"]],
                        "result"))
        columns.append((f"{name} {L['reason']}", review[f"{check}_reason"].tolist(), "wrap"))
    columns.append((L["reviewer"], [reviewer] * len(review), "text"))
    columns.append((L["review_date"], [pd.Timestamp(review_date)] * len(review), "date"))
    for field in _SIGN:
        columns.append((L[field], [None] * len(review), "sign"))

    # title and summary block
    write_text(ws, 0, 0, L["title"], st["title"])
    write_text(ws, 1, 0, f"{L['reviewer']}: {reviewer or ''}    {L['review_date']}: {review_date.isoformat()}",
               st["subtitle"])
    write_text(ws, 2, 0, f"{L['sources']}: {', '.join(sources)}" if sources else "", st["subtitle"])
    counts = review["verdict"].value_counts()
    summary = [(L["lines"], len(review), None), (L["pass"], int(counts.get("pass", 0)), "green"),
               (L["warn"], int(counts.get("warn", 0)), "amber"), (L["fail"], int(counts.get("fail", 0)), "red")]
    for offset, (label, value, colour) in enumerate(summary):
        write_text(ws, 3 + offset, 0, label, st["label_bold"])
        ws.write_number(3 + offset, 1, value, st["int"])
        if colour:
            ws.write_blank(3 + offset, 2, None, st[colour])
    note = calendar_note(review, lang)
    header_row = HEADER_ROW + (1 if note else 0)
    if note:  # where the reader looks before the table: the dates below may be too early
        write_text(ws, HEADER_ROW - 1, 0, note,
                   wb.add_format({"bold": True, "font_color": "#9C5700", "font_name": FONT}))
    write_text(ws, header_row - 1, 0, L["note"], st["note"])

    fmt = {"text": st["text"], "wrap": st["text_wrap"], "num": st["num1"], "date": st["date"],
           "result": st["label"], "sign": st["text"]}
    qty_fmt = wb.add_format({"num_format": "#,##0.####", "border": 1, "border_color": "#D9D9D9",
                             "font_name": "Microsoft YaHei"})
    for col, (header, values, kind) in enumerate(columns):
        write_text(ws, header_row, col, header, st["header"])
        cell_fmt = qty_fmt if kind == "num" else fmt[kind]
        for offset, value in enumerate(values):
            row = header_row + 1 + offset
            if kind in ("text", "wrap", "result", "sign"):
                write_text(ws, row, col, None if is_blank(value) else value, cell_fmt)
            else:
                write_value(ws, row, col, value, cell_fmt, st["date"])
    last_row = header_row + max(len(review), 1)
    last_col = len(columns) - 1

    # colours by result: conditional formats so an edited result recolours itself
    for col in result_cols:
        for word, colour in (("pass", "green"), ("warn", "amber"), ("fail", "red")):
            ws.conditional_format(header_row + 1, col, last_row, col,
                                  {"type": "cell", "criteria": "==", "value": f'"{words[word]}"',
                                   "format": st[colour]})

    ws.freeze_panes(header_row + 1, 4)
    ws.autofilter(header_row, 0, last_row, last_col)
    widths = []
    for header, values, kind in columns:
        if kind == "wrap":
            widths.append([header[:20], "x" * 34])
        elif kind == "sign":
            widths.append([header, "x" * 14])
        else:
            widths.append([header[:18]] + values[:500])
    set_widths(ws, widths)
    ws.set_row(header_row, 32)
    # room for the longest reason of the row wrapped in its column: two lines at least, more when a
    # reason carries the calendar note (a fixed two-line row would hide the how-to-fix part)
    wrapped = [values for _, values, kind in columns if kind == "wrap"]
    for offset in range(len(review)):
        lines = max([2] + [_wrapped_lines(values[offset]) for values in wrapped])
        ws.set_row(header_row + 1 + offset, 15 * min(lines, 12))
    print_setup(ws, repeat_rows=(header_row, header_row))
    ws.set_paper(8)                      # A3: one row per PO line with every check is wide
    ws.fit_to_pages(2, 0)
    wb.close()
