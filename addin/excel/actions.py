"""The five OrderDesk buttons. Each ``*_action(book)`` works through the :class:`Book`
interface (so tests run it on a file); each bare function is the RunPython entry point the VBA
calls (``macros/OrderDeskMacros.bas``), against the workbook open in Excel.

Each button runs the job the command line runs (``addin.jobs``) with the workbook's settings
(its Config sheet, else the SPEC defaults; its Calendar sheet) and only translates: sheets in,
sheets and a message out. Messages come from ``addin.i18n`` in the user's language
(``addin.excel.settings``). An ``OrderDeskError`` becomes a message box naming the cell to fix,
never a traceback.
"""
from __future__ import annotations

import datetime as _dt
import functools
from dataclasses import dataclass
from typing import Callable

import pandas as pd

from addin.config import Settings
from addin.errors import InputError, OrderDeskError
from addin.excel import compute
from addin.excel.book import (PAINTED_SHEET, Book, Rule, XlwingsBook, column_letter, frame_rows,
                               header_first_row, read_table)
from addin.excel.placement import OwnColumn, Place, place_columns
from addin.excel.settings import CONFIG_SHEETS, book_settings, content_lang, message_lang
from addin.i18n import STRINGS, t

ORDERS_SHEETS = ("Orders", "订单", "PO", "PO Lines")
QUOTES_SHEETS = ("Quotes", "报价", "报价单")
REVIEW_SHEET, OTD_SHEET, PARETO_SHEET = "Review", "OTD", "Pareto"
CHANGES_SHEET = "变更对比 Changes"   # the Compare button's change log (both languages: found again by name)
OUTPUT_SHEETS = (REVIEW_SHEET, OTD_SHEET, PARETO_SHEET, CHANGES_SHEET, "xlwings.conf", PAINTED_SHEET)
RISK_HEADER = "风险 Risk"
RISK_REASON_HEADER = "风险原因 Risk reason"
PROMISE_HEADER = "建议承诺交期 Promise date"


def _risk_word(value) -> bool:
    """A risk as OrderDesk writes it: the code (the button) or its label in either language (the
    command line's risk copy)."""
    return str(value).strip() in _risk_words()


@functools.cache
def _risk_words() -> frozenset[str]:
    from addin.compute.risk import RISKS
    from addin.i18n import LANGS, risk_label
    return frozenset(RISKS) | {risk_label(r, lang) for r in RISKS for lang in LANGS}


def _date_value(value) -> bool:
    return isinstance(value, (_dt.date, _dt.datetime))


# the columns the buttons write into the user's sheet, found again by their header (placement.py):
# the button's own bilingual header, or the command line's risk copy's ("风险" / "Risk")
RISK_COLUMNS = (OwnColumn(RISK_HEADER, ("risk", "风险"), _risk_word),
                OwnColumn(RISK_REASON_HEADER))
PROMISE_COLUMNS = (OwnColumn(PROMISE_HEADER, (), _date_value),)
RISK_COUNTS = ("overdue", "at_risk", "on_track", "done")
VERDICTS = ("pass", "warn", "fail")


def _today() -> _dt.date:
    return _dt.date.today()


@dataclass(frozen=True)
class Run:
    """One press of a button: the workbook, its settings, the as-of date and the language of the
    message box (``ui``)."""
    book: Book
    settings: Settings
    as_of: _dt.date
    ui: str

    @classmethod
    def of(cls, book: Book, *, working_days: bool = True) -> Run:
        """``working_days`` False: the job counts none, the Calendar sheet is not read."""
        settings = book_settings(book, with_calendar=working_days)
        return cls(book, settings, _today(), message_lang(book, settings))

    def lang(self, *results) -> str:
        """The language of what is written into the workbook (and of notes about it)."""
        return content_lang(self.settings, *results)

    def say(self, key: str, *lines: str | None, **fields) -> None:
        """The message box: ``key`` in the user's language, then each further line given."""
        self.book.message(t(key, self.ui, **fields) + "".join(f"\n{line}" for line in lines if line))


def ledger_sheet(book: Book, lang: str = "en") -> str:
    """The active sheet, unless it is one OrderDesk writes, the Calendar or the Config sheet; then
    the Orders sheet."""
    active = book.active_sheet()
    special = {n.lower() for n in compute.CALENDAR_SHEETS + CONFIG_SHEETS}
    if active not in OUTPUT_SHEETS and active.lower() not in special:
        return active
    return compute.require_sheet(book, ORDERS_SHEETS, "ledger", lang)


def _skipped(run: Run, result) -> str | None:
    """A line on rejected rows, naming the first cells to fix."""
    if not result.rows.issues:
        return None
    issues = [i for i in result.issues if getattr(i, "severity", "error") == "error"] or list(result.issues)
    cells = "; ".join(f"{i.cell}: {i.message}" for i in issues[:3])
    return t("excel.skipped", run.ui, n=result.rows.issues, cells=cells)


def place_for(run: Run, sheet: str, grid: list[list], result, columns: tuple[OwnColumn, ...],
              last_row: int | None = None) -> Place:
    """Where a button writes ``columns`` into ``sheet`` (its values ``grid``, read as ``result``):
    OrderDesk's own columns found by their header in the readers' header block, else the columns
    after the last one used in any row (``placement.place_columns``). When a user's value is in
    the way: InputError naming the cell, in the user's language, before anything is written."""
    merged = getattr(run.book, "merged_ranges", None)
    first = header_first_row(run.book, sheet, grid, result)
    place = place_columns(grid, first, result.header_row, columns, last_row=last_row,
                          merged=merged(sheet) if merged else ())
    if place.ok:
        return place
    from addin.files.text import sheet_ref
    row, col, value = place.taken
    headers = t("excel.list_sep", run.ui).join(c.header for c in columns)
    if col > MAX_COLUMN:
        raise InputError(t("excel.place_full", run.ui, sheet=sheet, headers=headers), sheet=sheet)
    cell = f"{sheet_ref(sheet)}!{column_letter(col)}{row}"
    if value is None:
        raise InputError(t("excel.place_merged", run.ui, cell=cell, headers=headers), sheet=sheet, cell=cell)
    raise InputError(t("excel.place_taken", run.ui, cell=cell, value=str(value)[:40], headers=headers),
                     sheet=sheet, cell=cell)


MAX_COLUMN = 16384


def own_sheets(run: Run, first_cells: dict[str, object]) -> None:
    """The sheets a button replaces as a whole (Review, OTD, Pareto, the plan's) are OrderDesk's:
    absent, empty, or with A1 as OrderDesk writes it (``first_cells``: sheet -> its A1; the OTD
    title in either language). A user's sheet of that name: InputError, nothing written."""
    from addin.excel.placement import header_key, is_empty
    names = set(run.book.sheet_names())
    titles = tuple(STRINGS["excel.otd_title"][lang].split("{")[0] for lang in STRINGS["excel.otd_title"])
    for sheet, first in first_cells.items():
        if sheet not in names:
            continue
        rows = run.book.read_rows(sheet)
        filled = next(((r, c, v) for r, row in enumerate(rows, 1) for c, v in enumerate(row, 1) if not is_empty(v)), None)
        if filled is None:
            continue
        a1 = rows[0][0] if rows and rows[0] else None
        if header_key(a1) == header_key(first) or (isinstance(a1, str) and a1.startswith(titles)):
            continue
        from addin.files.text import sheet_ref
        r, c, v = filled
        cell = f"{sheet_ref(sheet)}!{column_letter(c)}{r}"
        raise InputError(t("excel.sheet_taken", run.ui, sheet=sheet, cell=cell, value=str(v)[:40]), sheet=sheet, cell=cell)


def _counts(values: pd.Series, keys: tuple[str, ...], prefix: str, lang: str) -> str:
    counts = values.value_counts()
    return t("excel.list_sep", lang).join(t(f"{prefix}.{k}", lang, n=int(counts.get(k, 0))) for k in keys)


# ---------------------------------------------------------------- Contract review

def contract_review_action(book: Book) -> None:
    """Orders + Quotes sheets -> Review sheet (one row per PO line, coloured by verdict): the full
    review — with the plan from the BOM / Stock / Purchases / Capacity / Routing sheets when there
    are any, and earlier POs from a History sheet — as ``orderdesk review`` runs it."""
    from addin.jobs.review import contract_review, plan_checks_ran, verdict_counts
    run = Run.of(book)
    orders = read_table(book, compute.require_sheet(book, ORDERS_SHEETS, "orders", run.ui), "ledger")
    quotes = read_table(book, compute.require_sheet(book, QUOTES_SHEETS, "quotes", run.ui), "quotes")
    lang = run.lang(orders)
    reviewed = contract_review(compute.review_inputs(book, orders, quotes), run.settings, run.as_of, lang)
    table = _write_review_sheet(run, reviewed)
    book.save()
    counts = verdict_counts(reviewed)
    summary = t("excel.list_sep", run.ui).join(t(f"excel.verdict.{v}", run.ui, n=counts[v]) for v in VERDICTS)
    plan = compute.plan_sheets(book) if plan_checks_ran(reviewed) else {}
    run.say("excel.review_done", t("excel.review_plan", run.ui, sheets=t("excel.list_sep", run.ui).join(plan.values())) if plan else None,
            compute.review_calendar_note(reviewed, lang), _skipped(run, orders),
            lines=len(table), sheet=REVIEW_SHEET, summary=summary)


def _write_review_sheet(run: Run, reviewed: pd.DataFrame) -> pd.DataFrame:
    book = run.book
    table = compute.review_columns(reviewed)
    rows = frame_rows(table)
    own_sheets(run, {REVIEW_SHEET: rows[0][0]})
    book.write_rows(REVIEW_SHEET, rows)
    if len(rows) > 1:
        verdict = column_letter(table.columns.get_loc("verdict") + 1)
        last = column_letter(len(table.columns))
        book.apply_rules(REVIEW_SHEET, f"A2:{last}{len(rows)}",
                         [Rule(f'=${verdict}2="{v}"', fill) for v, fill in compute.VERDICT_FILL.items()])
    return table


# ---------------------------------------------------------------- Refresh risk colours

def refresh_risk_colours_action(book: Book) -> None:
    """Risk column beside the ledger table and conditional formatting on its rows: red overdue,
    amber at risk, grey done (the rules stay live when the user edits the risk column). The
    horizon and basis are the settings' (``otd.risk_horizon``, ``otd.basis``)."""
    from addin.jobs.inputs import read_ledger
    from addin.jobs.risk import line_risk
    run = Run.of(book)
    sheet = ledger_sheet(book, run.ui)
    ledger = read_ledger(read_table(book, sheet, "ledger"))
    lang = run.lang(ledger)
    risk = line_risk(ledger, run.settings, run.as_of, lang)
    letter = _write_risk_column(run, sheet, ledger, risk)
    book.save()
    run.say("excel.risk_done", compute.risk_calendar_note(run.settings, run.as_of, lang), _skipped(run, ledger),
            sheet=sheet, column=letter, summary=_counts(risk["risk"], RISK_COUNTS, "excel.risk_count", run.ui))


def _write_risk_column(run: Run, sheet: str, ledger, risk: pd.DataFrame) -> str:
    """Risk and reason columns (OrderDesk's own of an earlier run reused, else after the last used
    column) and the rules colouring the table's rows; returns the risk column's letter. Nothing
    is written when a user's value is in the way (InputError)."""
    book = run.book
    header_row = ledger.header_row
    grid = book.read_rows(sheet)   # once: in Excel each read crosses to the workbook
    last_row = max(len(grid), header_row + 1)
    place = place_for(run, sheet, grid, ledger, RISK_COLUMNS, last_row)
    top = place.header_row
    column = [[RISK_HEADER, RISK_REASON_HEADER]] + [[None, None] for _ in range(last_row - top)]
    for source_row, code, reason in zip(ledger.data["source_row"], risk["risk"], risk["risk_reason"]):
        column[int(source_row) - top] = [code, reason]
    letter = column_letter(place.column)
    book.write_rows(sheet, column, top_left=f"{letter}{top}", clear=False)
    rules = [Rule(f'=${letter}{header_row + 1}="{code}"', fill) for code, fill in compute.RISK_FILL.items()]
    book.apply_rules(sheet, f"A{header_row + 1}:{column_letter(place.column + 1)}{last_row}", rules)
    return letter


# ---------------------------------------------------------------- Refresh OTD pivot

def refresh_otd_pivot_action(book: Book) -> None:
    """OTD % by customer and month on the OTD sheet, then the counts by customer, measured with
    the settings (basis, tolerances per customer, weight) as ``orderdesk otd`` measures."""
    from addin.jobs.inputs import read_ledger
    from addin.jobs.otd import TOTAL, otd_pivot, otd_table
    run = Run.of(book, working_days=False)
    ledger = read_ledger(read_table(book, ledger_sheet(book, run.ui), "ledger"))
    pivot = otd_pivot(ledger, run.settings, run.as_of)
    counts = otd_table(ledger, ["customer"], run.settings, run.as_of)
    basis = run.settings.otd.basis
    title = t("excel.otd_title", run.ui, basis=basis if run.ui == "en" else t(f"basis.{basis}", run.ui),
              as_of=run.as_of.isoformat())
    own_sheets(run, {OTD_SHEET: title})
    book.write_rows(OTD_SHEET, [[title]] + frame_rows(pivot) + [[]] + frame_rows(counts))
    book.save()
    total = counts.loc[counts["customer"] == TOTAL, "otd"]
    shown = t("excel.unknown", run.ui) if total.empty or pd.isna(total.iloc[0]) else f"{total.iloc[0]:.1%}"
    run.say("excel.otd_done", _skipped(run, ledger), sheet=OTD_SHEET, otd=shown)


# ---------------------------------------------------------------- Root-cause summary

def root_cause_summary_action(book: Book) -> None:
    """Pareto of the root causes of late lines on the Pareto sheet (the settings' keywords)."""
    from addin.jobs.inputs import read_ledger
    from addin.jobs.otd import pareto_table
    run = Run.of(book, working_days=False)
    ledger = read_ledger(read_table(book, ledger_sheet(book, run.ui), "ledger"))
    table = pareto_table(ledger, run.settings, run.as_of, run.lang(ledger))
    rows = frame_rows(table)
    own_sheets(run, {PARETO_SHEET: rows[0][0]})
    book.write_rows(PARETO_SHEET, rows)
    book.save()
    top = t("excel.pareto_top", run.ui, label=table["label"].iloc[0], count=int(table["count"].iloc[0])) \
        if len(table) else t("excel.pareto_none", run.ui)
    run.say("excel.pareto_done", _skipped(run, ledger), sheet=PARETO_SHEET, top=top)


# ---------------------------------------------------------------- Promise date

def promise_date_action(book: Book) -> None:
    """Promise date for the selected order line: shown in a message and written beside it."""
    from addin.jobs.promise import promise_line
    run = Run.of(book)
    sheet, row = book.selected_row()
    orders, line = _selected_line(run, sheet, row)
    quotes = _quotes_if_any(book)
    lang = run.lang(orders)
    sheets = compute.plan_sheets(book)
    plannable = "stock" in sheets or {"capacity", "routing"} <= set(sheets)
    if not plannable and quotes is None:
        raise InputError(t("excel.no_promise_source", run.ui, book=book.name))
    plan = compute.review_inputs(book, line, quotes, orders_sheet=sheet) if plannable else None
    promise = promise_line(line, run.settings, run.as_of, lang, plan_inputs=plan, quotes=quotes)
    place = place_for(run, sheet, book.read_rows(sheet), orders, PROMISE_COLUMNS, row)
    col = column_letter(place.column)
    book.write_rows(sheet, [[PROMISE_HEADER]], top_left=f"{col}{place.header_row}", clear=False)
    book.write_rows(sheet, [[promise.day]], top_left=f"{col}{row}", clear=False)
    book.save()
    shown = promise.day.isoformat() if promise.day else t("excel.promise_none", run.ui)
    run.say("excel.promise_done", order=line["order_no"].iloc[0], sheet=sheet, row=row, date=shown,
            how=compute.promise_text(promise, run.ui, lang))


def _selected_line(run: Run, sheet: str, row: int):
    """(the sheet's ReadResult, the selected line as a one-row frame); InputError off a line."""
    if sheet in OUTPUT_SHEETS:
        raise InputError(t("excel.select_line", run.ui, sheet=sheet))
    orders = read_table(run.book, sheet, "ledger")
    line = orders.data[orders.data["source_row"] == row]
    if line.empty:
        first = int(orders.data["source_row"].min()) if len(orders.data) else orders.header_row + 1
        raise InputError(t("excel.not_a_line", run.ui, sheet=sheet, row=row, first=first))
    return orders, line


def _quotes_if_any(book: Book):
    from addin.excel.book import sheet_named
    sheet = sheet_named(book, QUOTES_SHEETS)
    return read_table(book, sheet, "quotes").data if sheet is not None else None


# ---------------------------------------------------------------- PMC plan

def plan_ledger_sheet(book: Book, lang: str = "en") -> str:
    """:func:`ledger_sheet`, also never one of the plan's inputs (BOM, Stock, Purchases, …) or
    its output sheets: the buttons of a workbook that holds the plan's sheets beside the ledger."""
    from addin.i18n import LANGS
    from addin.writers.planbook import SHEETS
    plan_names = {n.lower() for names in compute.PLAN_SHEETS.values() for n in names}
    own = {n.lower() for lang_ in LANGS for n in SHEETS[lang_]}
    active = book.active_sheet()
    skip = plan_names | own | {n.lower() for n in compute.CALENDAR_SHEETS + CONFIG_SHEETS + OUTPUT_SHEETS}
    return active if active.lower() not in skip else compute.require_sheet(book, ORDERS_SHEETS, "ledger", lang)


def pmc_plan_action(book: Book) -> None:
    """The ledger's open lines planned against the BOM / Stock / Purchases / Capacity / Routing
    sheets, as ``orderdesk plan`` plans them: Shortages, Capacity load (overloaded weeks red),
    Blocked orders and Late purchases sheets, in the workbook's language."""
    from addin.jobs.inputs import read_ledger
    from addin.jobs.plan import PlanInputs, pmc_plan
    from addin.writers.planbook import LABELS, plan_tables
    run = Run.of(book)
    sheet = plan_ledger_sheet(book, run.ui)
    orders = read_ledger(read_table(book, sheet, "ledger"))
    frames = {field: read_table(book, name, field) for field, name in compute.plan_sheets(book).items()}
    job = pmc_plan(PlanInputs(orders=orders, **frames), run.settings, run.as_of)
    lang = run.lang(orders)
    tables = plan_tables(job.plan, lang)
    own_sheets(run, {name: table.columns[0] if len(table.columns) else None for name, table in tables.items()})
    for name, table in tables.items():
        book.write_rows(name, frame_rows(table))
    L = LABELS[lang]
    capacity, late = L["sheet_capacity"], L["sheet_late"]
    if len(job.plan.capacity):  # hours required over available red, behind on the cumulative load amber
        last = f"{column_letter(len(tables[capacity].columns))}{len(job.plan.capacity) + 1}"
        book.apply_rules(capacity, f"A2:{last}", [Rule("=AND(ISNUMBER($E2),$D2>$E2)", "F8CBAD"),
                                                   Rule("=AND(ISNUMBER($H2),$G2>$H2)", "FFE699")])
    if len(job.plan.late_purchases):
        last = f"{column_letter(len(tables[late].columns))}{len(job.plan.late_purchases) + 1}"
        book.apply_rules(late, f"A2:{last}", [Rule(f'=$F2="{L["late"]}"', "F8CBAD"),
                                               Rule(f'=$F2="{L["at_risk"]}"', "FFE699")])
    book.save()
    p = job.plan
    summary = LABELS[run.ui]["summary"].format(
        lines=p.open_lines, parts=len(p.shortages), late=int(p.shortages["order_late"].sum()) if len(p.shortages) else 0,
        blocked=len(p.blocked), purchases=len(p.late_purchases),
        weeks=int(p.capacity["overloaded"].sum()) if len(p.capacity) else 0)
    run.say("planbook.excel_done", *job.notes(run.ui), _skipped(run, orders), summary=summary,
            sheets=t("excel.list_sep", run.ui).join(tables))


# ---------------------------------------------------------------- Compare with last snapshot

def compare_snapshot_action(book: Book, chosen: str | None = None) -> None:
    """The ledger sheet compared with the snapshot OrderDesk kept at the last comparison (beside
    the workbook, never in it: ``addin.excel.snapshot``) or with a ``chosen`` file, as
    ``orderdesk changes OLD NEW`` compares (``addin.jobs.changes``; with the workbook's BOM /
    Stock / Purchases / Capacity / Routing sheets, the lines whose promise moves too). The change
    log goes on the Changes sheet (OrderDesk's own, replaced); then the sheet's values become the
    new snapshot, atomically. The first press, with no snapshot and no file: the snapshot only."""
    from pathlib import Path

    from addin.excel.snapshot import find_snapshot, write_snapshot
    from addin.jobs.changes import ChangeInputs, compare_ledgers
    from addin.jobs.inputs import read_ledger
    run = Run.of(book)
    sheet = plan_ledger_sheet(book, run.ui)
    grid = book.read_rows(sheet)
    current = read_ledger(read_table(book, sheet, "ledger"))
    old_path = Path(chosen) if chosen else find_snapshot(book)
    if old_path is None:
        kept = write_snapshot(book, sheet, grid)
        run.say("excel.snapshot_first", sheet=sheet, lines=len(current.data), path=str(kept))
        return
    old = _old_ledger(run, old_path, sheet)
    plan = {field: read_table(book, name, field) for field, name in compute.plan_sheets(book).items()}
    lang = run.lang(current)
    job = compare_ledgers(ChangeInputs(old=old, new=current, **plan), run.settings, run.as_of, lang)
    rows = _change_rows(job, old_path.name, f"{book.name} [{sheet}]", lang)
    own_sheets(run, {CHANGES_SHEET: _changes_title(book, rows[0][0])})
    book.write_rows(CHANGES_SHEET, [[None if _blank(v) else v for v in row] for row in rows])
    book.save()
    kept = write_snapshot(book, sheet, grid)
    changes = job.diff.changes
    summary = t("changes.counts", run.ui, n=len(changes), orders=changes["order_no"].nunique() if len(changes) else 0,
                notice=len(job.diff.changed_orders)) if len(changes) else t("changes.none", run.ui)
    moved = t("excel.changes_moved", run.ui, n=len(job.repromise.moved)) if job.repromise is not None else None
    run.say("excel.changes_done", moved, *job.notes, _skipped(run, current), sheet=sheet, old=str(old_path),
            summary=summary, out=CHANGES_SHEET, path=str(kept))


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value is pd.NaT


def _changes_title(book: Book, title: str) -> str:
    """The Changes sheet's A1 as OrderDesk writes it: this run's title, or an earlier run's in
    the other language (the sheet stays OrderDesk's when the Config sheet's language changes)."""
    from addin.i18n import LANGS
    if CHANGES_SHEET in book.sheet_names():
        rows = book.read_rows(CHANGES_SHEET)
        a1 = rows[0][0] if rows and rows[0] else None
        if a1 in {t("changes.title", lang) for lang in LANGS}:
            return a1
    return title


def _old_ledger(run: Run, path, sheet: str):
    """The earlier copy: the snapshot (one sheet) or the chosen file's sheet of the ledger's name,
    else the sheet its headers point to."""
    from addin.errors import FileError
    from addin.jobs.inputs import read_ledger
    from addin.readers.grid import sheet_names
    if not path.is_file():
        raise FileError(t("excel.compare_missing", run.ui, path=str(path)), file=str(path))
    return read_ledger(path, sheet=sheet if sheet in sheet_names(path) else None)


def _change_rows(job, old: str, new: str, lang: str) -> list[list]:
    """The Changes sheet: title, what was compared, the counts, the change log (as the change
    workbook's log sheet words it) and, with a plan, the lines whose promise moves."""
    from addin.writers.changebook import kind_label, value_text
    changes = job.diff.changes
    orders = changes["order_no"].nunique() if len(changes) else 0
    rows: list[list] = [[t("changes.title", lang)],
                        [t("changes.subtitle", lang, old=old, new=new, as_of=job.as_of.isoformat())],
                        [t("changes.counts", lang, n=len(changes), orders=orders, notice=len(job.diff.changed_orders))
                         if len(changes) else t("changes.none", lang)], [],
                        [t("changes.order_col", lang), t("changes.line_col", lang), t("changes.customer_col", lang),
                         t("changes.part_col", lang), t("changes.kind", lang), t("changes.old", lang),
                         t("changes.new", lang), t("changes.old_row", lang), t("changes.new_row", lang)]]
    for r in changes.itertuples(index=False):
        rows.append([r.order_no, r.line_no, r.customer, r.part_no, kind_label(r.kind, lang),
                     value_text(r.kind, r.old, lang) if r.kind != "added" else None,
                     value_text(r.kind, r.new, lang) if r.kind != "removed" else None,
                     None if pd.isna(r.old_row) else int(r.old_row), None if pd.isna(r.new_row) else int(r.new_row)])
    if job.repromise is not None and len(job.repromise.moved):
        rows += [[], [t("changes.sheet_repromise", lang)],
                 [t("changes.order_col", lang), t("changes.line_col", lang), t("excel.changes_old_promise", lang),
                  t("excel.changes_new_promise", lang)]]
        for r in job.repromise.moved.itertuples(index=False):
            rows.append([r.order_no, r.line_no, None if pd.isna(r.old_promise) else pd.Timestamp(r.old_promise).date(),
                         None if pd.isna(r.new_promise) else pd.Timestamp(r.new_promise).date()])
    return rows


# ---------------------------------------------------------------- RunPython entry points

def run(action: Callable[[Book], None], book: Book | None = None) -> None:
    """Run an action; an OrderDesk error becomes a message box (the cell to fix is in it)."""
    book = book if book is not None else XlwingsBook.caller()
    try:
        action(book)
    except OrderDeskError as exc:
        book.message(t("excel.error", _error_lang(book), error=exc), title="OrderDesk")


def _error_lang(book: Book) -> str:
    """The message language for an error: the Config sheet's, unless that sheet is the error."""
    try:
        return message_lang(book, book_settings(book, with_calendar=False))
    except OrderDeskError:
        return message_lang(book, Settings())


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


def pmc_plan() -> None:
    run(pmc_plan_action)


def compare_snapshot() -> None:
    run(compare_snapshot_action)


def compare_with_file(hex_path: str) -> None:
    """The ribbon's "Compare with a file…": the VBA passes the chosen file's path as hex UTF-16
    code units (four digits each), so no path text ever becomes Python source."""
    def action(book: Book) -> None:
        try:
            chosen = bytes.fromhex(hex_path).decode("utf-16-be")   # a pair of surrogates is one character
        except ValueError as exc:
            raise InputError(f"not a file path from the Compare with a file button: {hex_path[:40]!r}") from exc
        compare_snapshot_action(book, chosen)
    run(action)
