"""The five OrderDesk buttons. Each ``*_action(book)`` works through the :class:`Book`
interface (so tests run it on a file); each bare function is the RunPython entry point the VBA
calls (``macros/OrderDeskMacros.bas``), against the workbook open in Excel.

An ``OrderDeskError`` becomes a message box naming the cell to fix, never a traceback.
"""
from __future__ import annotations

import datetime as _dt
import re
from typing import Callable

import pandas as pd

from addin.errors import InputError, OrderDeskError
from addin.excel import compute
from addin.excel.book import Book, Rule, XlwingsBook, column_letter, frame_rows, read_table

ORDERS_SHEETS = ("Orders", "订单", "PO", "PO Lines")
QUOTES_SHEETS = ("Quotes", "报价", "报价单")
REVIEW_SHEET, OTD_SHEET, PARETO_SHEET = "Review", "OTD", "Pareto"
OUTPUT_SHEETS = (REVIEW_SHEET, OTD_SHEET, PARETO_SHEET, "xlwings.conf")
RISK_HEADER = "风险 Risk"
RISK_REASON_HEADER = "风险原因 Risk reason"
PROMISE_HEADER = "建议承诺交期 Promise date"

_CJK = re.compile(r"[\u4e00-\u9fff]")


def _today() -> _dt.date:
    return _dt.date.today()


def _find_sheet(book: Book, names: tuple[str, ...], what: str) -> str:
    lower = {s.lower(): s for s in book.sheet_names()}
    for name in names:
        if name.lower() in lower:
            return lower[name.lower()]
    raise InputError(f"{book.name}: no {what} sheet — name one of the sheets {' or '.join(names[:2])}")


def ledger_sheet(book: Book) -> str:
    """The active sheet, unless it is one OrderDesk writes or the Calendar sheet; then the Orders sheet."""
    active = book.active_sheet()
    if active not in OUTPUT_SHEETS and active.lower() not in {n.lower() for n in compute.CALENDAR_SHEETS}:
        return active
    return _find_sheet(book, ORDERS_SHEETS, "order ledger")


def _lang(result) -> str:
    texts = [result.sheet or ""] + [str(v) for v in result.columns.values()]
    return "zh" if any(_CJK.search(t) for t in texts) else "en"


def _note(text: str | None) -> str:
    """A calendar note on lines of its own after the summary line, or nothing."""
    return f"\n{text}" if text else ""


def _skipped(result) -> str:
    """A line on rejected rows, naming the first cells to fix."""
    issues = [i for i in result.issues if getattr(i, "severity", "error") == "error"] or list(result.issues)
    if not result.rows.issues:
        return ""
    cells = "; ".join(f"{i.cell}: {i.message}" for i in issues[:3])
    return f"\n{result.rows.issues} row(s) skipped — fix {cells}"


# ---------------------------------------------------------------- actions on a Book

def contract_review_action(book: Book) -> None:
    """Orders + Quotes sheets -> Review sheet (one row per PO line, coloured by verdict)."""
    orders = read_table(book, _find_sheet(book, ORDERS_SHEETS, "Orders"), "ledger")
    quotes = read_table(book, _find_sheet(book, QUOTES_SHEETS, "Quotes"), "quotes")
    lang = _lang(orders)
    reviewed = compute.review_frame(orders.data, quotes.data, _today(), lang, cal=compute.calendar(book))
    table = compute.review_columns(reviewed)
    rows = frame_rows(table)
    book.write_rows(REVIEW_SHEET, rows)
    if len(rows) > 1:
        verdict = column_letter(table.columns.get_loc("verdict") + 1)
        last = column_letter(len(table.columns))
        book.apply_rules(REVIEW_SHEET, f"A2:{last}{len(rows)}",
                         [Rule(f'=${verdict}2="{v}"', fill) for v, fill in compute.VERDICT_FILL.items()])
    book.save()
    counts = table["verdict"].value_counts()
    summary = ", ".join(f"{v} {int(counts.get(v, 0))}" for v in ("pass", "warn", "fail"))
    book.message(f"Contract review: {len(table)} line(s) on sheet {REVIEW_SHEET} ({summary})."
                 f"{_note(compute.review_calendar_note(reviewed, lang))}{_skipped(orders)}")


def refresh_risk_colours_action(book: Book) -> None:
    """Risk column beside the ledger table and conditional formatting on its rows: red overdue,
    amber at risk, grey done (the rules stay live when the user edits the risk column)."""
    sheet = ledger_sheet(book)
    ledger = read_table(book, sheet, "ledger")
    lang = _lang(ledger)
    as_of, cal = _today(), compute.calendar(book)
    risk = compute.risk_frame(ledger.data, as_of, lang, cal=cal)
    grid = book.read_rows(sheet)
    header_row = ledger.header_row
    header = grid[header_row - 1] if header_row - 1 < len(grid) else []
    texts = [str(v).strip() if v is not None else "" for v in header]
    if RISK_HEADER in texts:
        risk_col = texts.index(RISK_HEADER) + 1
    else:
        risk_col = max((i + 1 for i, t in enumerate(texts) if t), default=0) + 1
    last_row = max(len(grid), header_row + 1)
    column = [[RISK_HEADER, RISK_REASON_HEADER]] + [[None, None] for _ in range(last_row - header_row)]
    for source_row, code, reason in zip(ledger.data["source_row"], risk["risk"], risk["risk_reason"]):
        column[int(source_row) - header_row] = [code, reason]
    book.write_rows(sheet, column, top_left=f"{column_letter(risk_col)}{header_row}", clear=False)
    letter = column_letter(risk_col)
    rules = [Rule(f'=${letter}{header_row + 1}="{code}"', fill) for code, fill in compute.RISK_FILL.items()]
    book.apply_rules(sheet, f"A{header_row + 1}:{column_letter(risk_col + 1)}{last_row}", rules)
    book.save()
    counts = risk["risk"].value_counts()
    summary = ", ".join(f"{k} {int(counts.get(k, 0))}" for k in ("overdue", "at_risk", "on_track", "done"))
    book.message(f"Risk colours on sheet {sheet}, column {letter}: {summary}."
                 f"{_note(compute.risk_calendar_note(as_of, cal, lang))}{_skipped(ledger)}")


def refresh_otd_pivot_action(book: Book) -> None:
    """OTD % by customer and month on the OTD sheet, then the counts by customer."""
    sheet = ledger_sheet(book)
    ledger = read_table(book, sheet, "ledger")
    as_of = _today()
    pivot = compute.otd_pivot(ledger.data, as_of)
    counts = compute.otd_table(ledger.data, ["customer"], "promised", as_of)
    rows = [[f"OTD % by customer and month (basis: promised date, as of {as_of.isoformat()})"]]
    rows += frame_rows(pivot) + [[]] + frame_rows(counts)
    book.write_rows(OTD_SHEET, rows)
    book.save()
    total = counts.loc[counts["customer"] == "Total", "otd"]
    shown = "n/a" if total.empty or pd.isna(total.iloc[0]) else f"{total.iloc[0]:.1%}"
    book.message(f"OTD pivot on sheet {OTD_SHEET}: overall OTD {shown}.{_skipped(ledger)}")


def root_cause_summary_action(book: Book) -> None:
    """Pareto of the root causes of late lines on the Pareto sheet."""
    sheet = ledger_sheet(book)
    ledger = read_table(book, sheet, "ledger")
    table = compute.pareto_table(ledger.data, _today(), _lang(ledger))
    book.write_rows(PARETO_SHEET, frame_rows(table))
    book.save()
    top = f"top cause: {table['label'].iloc[0]} ({int(table['count'].iloc[0])})" if len(table) else "no late lines"
    book.message(f"Root-cause Pareto on sheet {PARETO_SHEET}: {top}.{_skipped(ledger)}")


def promise_date_action(book: Book) -> None:
    """Promise date for the selected order line: shown in a message and written beside it."""
    sheet, row = book.selected_row()
    if sheet in OUTPUT_SHEETS:
        raise InputError(f"select an order line on the Orders sheet first (the selection is on {sheet})")
    orders = read_table(book, sheet, "ledger")
    line = orders.data[orders.data["source_row"] == row]
    if line.empty:
        first = int(orders.data["source_row"].min()) if len(orders.data) else orders.header_row + 1
        raise InputError(f"{sheet}!A{row} is not an order line — select a cell in rows {first} and below")
    try:
        quotes = read_table(book, _find_sheet(book, QUOTES_SHEETS, "Quotes"), "quotes").data
    except InputError:
        quotes = None
    day, how = compute.promise_for_line(line, quotes, _today(), book)
    order = line["order_no"].iloc[0]
    grid = book.read_rows(sheet)
    header = grid[orders.header_row - 1]
    texts = [str(v).strip() if v is not None else "" for v in header]
    col = texts.index(PROMISE_HEADER) + 1 if PROMISE_HEADER in texts else \
        max((i + 1 for i, t in enumerate(texts) if t), default=0) + 1
    book.write_rows(sheet, [[PROMISE_HEADER]], top_left=f"{column_letter(col)}{orders.header_row}", clear=False)
    book.write_rows(sheet, [[day]], top_left=f"{column_letter(col)}{row}", clear=False)
    book.save()
    shown = day.isoformat() if day else "cannot be promised"
    book.message(f"{order} ({sheet} row {row}): promise date {shown} — {how}.")


# ---------------------------------------------------------------- RunPython entry points

def run(action: Callable[[Book], None], book: Book | None = None) -> None:
    """Run an action; an OrderDesk error becomes a message box (the cell to fix is in it)."""
    book = book if book is not None else XlwingsBook.caller()
    try:
        action(book)
    except OrderDeskError as exc:
        book.message(f"Error: {exc}", title="OrderDesk")


def contract_review() -> None:
    run(contract_review_action)


def refresh_risk_colours() -> None:
    run(refresh_risk_colours_action)


def refresh_otd_pivot() -> None:
    run(refresh_otd_pivot_action)


def root_cause_summary() -> None:
    run(root_cause_summary_action)


def promise_date() -> None:
    run(promise_date_action)
