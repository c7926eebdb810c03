"""Sheets of the monthly workbook, one function each, written from a ``ReportModel``.

Cells that show an engine figure go through ``Book.figure``: a live formula with the engine's
value cached, or, above the size limit, the value alone.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from addin.version import __version__
from addin.compute.monthly import add_months, summary_rows
from addin.defaults import LADDER_BASES
from addin.i18n import month_label, outcome_label, risk_label, t
from addin.writers import monthly_formulas as F
from addin.writers.xlsx import (Styles, cell, col_name, open_workbook, print_setup, set_widths, wrapped_height,
                                text_width, write_text, write_value)

SHEETS = ("summary", "customer", "part", "owner", "trend", "causes", "late", "exceptions", "suppliers", "escalation",
          "backlog", "leadtimes", "data", "issues", "about")
OPTIONAL_SHEETS = {"suppliers": "suppliers"}    # sheet -> the model's attribute it needs (None: no sheet)
DIMENSIONS = (("customer", "customer"), ("part", "part_no"), ("owner", "owner"))
OUTCOMES = ("on_time", "late", "early", "pending")

# Helper columns of the OrderData table after the ledger's own fields.
COMPUTED = ("source_row", "due_date", *(f"due_{b}" for b in LADDER_BASES), "month",
            "outcome", "days_late", "severity", "in_full", "root_cause", "cause_scope", "risk",
            "risk_reason", *(f"{k}_{b}" for b in LADDER_BASES for k in ("month", "outcome")),
            "drift_count", "drift_days", "flag")

RED, YELLOW, GREEN = "#F8696B", "#FFEB84", "#63BE7B"


def _blank(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def cached(value: Any) -> Any:
    """An engine figure as a formula's cached value: a number, or "" for none/unknown."""
    if _blank(value) or (isinstance(value, str) and value == ""):  # "" = a change with no month to compare
        return ""
    return float(value)


class Book:
    def __init__(self, model, target):
        from addin.files.text import safe_sheet_name
        self.model, self.lang = model, model.lang
        self.wb = open_workbook(target)
        self.s = Styles(self.wb)
        taken: set[str] = set()
        self.names: dict[str, str] = {}
        for key in SHEETS:
            if key in OPTIONAL_SHEETS and getattr(model, OPTIONAL_SHEETS[key], None) is None:
                continue
            name = safe_sheet_name(t(f"sheet.{key}", self.lang), taken)
            taken.add(name)
            self.names[key] = name
        self.ws = {key: self.wb.add_worksheet(self.names[key]) for key in SHEETS if key in self.names}
        # no completion-date column: no rate can be measured, so none is written as a formula
        # (a COUNTIFS would show 0 %); the Summary says why (SPEC section 9)
        self.completion = bool(model.classified.attrs.get("completion", True))

    def figure(self, ws, row: int, col: int, formula: str | None, value: Any, fmt) -> None:
        """An engine figure: live formula with the value cached, or the value alone."""
        if formula is not None and self.model.live:
            ws.write_formula(row, col, "=" + formula, fmt, cached(value))
        else:
            write_value(ws, row, col, None if cached(value) == "" else value, fmt)

    def rate(self, ws, row: int, col: int, formula: str | None, value: Any, fmt) -> None:
        """An OTD or OTIF figure: blank, not a formula, when the ledger cannot measure it."""
        self.figure(ws, row, col, formula if self.completion else None, value if self.completion else None, fmt)

    def ref(self, key: str, row: int, col: int, absolute: bool = True) -> str:
        from addin.writers.xlsx import quote_sheet
        return f"{quote_sheet(self.names[key])}!{cell(row, col, absolute, absolute)}"

    def title(self, ws, text: str, subtitle: str | None = None, width: int = 8) -> None:
        ws.set_row(0, 32)
        write_text(ws, 0, 0, text, self.s["title"])
        if subtitle:
            write_text(ws, 1, 0, subtitle, self.s["subtitle"])

    def header_row(self, ws, row: int, height: float = 30) -> None:
        """Room for two lines: headers wrap instead of being cut off."""
        ws.set_row(row, height)

    def live_note(self, ws, row: int) -> None:
        m = self.model
        text = t("summary.live_note", self.lang) if m.live else \
            t("summary.values_note", self.lang, rows=f"{len(m.classified):,}")
        write_text(ws, row, 0, text, self.s["note"])


def _month_date(month: dt.date) -> dt.datetime:
    return dt.datetime(month.year, month.month, 1)


def _subtitle(model) -> str:
    basis = t(f"basis.{model.settings.basis}", model.lang)
    return t("summary.subtitle", model.lang, as_of=model.as_of.isoformat(), basis=basis)


# --------------------------------------------------------------------------- summary

def _kpi_formulas(month_ref: str, shipped_qty: bool) -> dict[str, str | None]:
    base = [("month", "=", month_ref)]
    out: dict[str, str | None] = {o: F.outcome_count(base, o) for o in OUTCOMES}
    out["lines"] = F.lines(base)
    out["otd"] = F.otd(base)
    out["otif"] = F.otif(base) if shipped_qty else None
    out["avg_days_late"] = F.average("days_late", [*base, ("outcome", "=", F.lit("late"))])
    return out


def _figure_value(fig, name: str) -> Any:
    return getattr(fig, name)


def write_summary(book: Book) -> None:
    """The Summary sheet, one step per block: title, KPI table, tiles, OTD ladder (with the
    order-level row), severity, top causes, the trend chart."""
    ws = book.ws["summary"]
    _summary_title(book, ws)
    m = book.model
    this = m.month
    figs = [m.figures(this), m.figures(_add(this, -1)), m.figures(_add(this, -12))]
    kpi_top, row_of = _summary_kpis(book, ws, figs)
    _summary_tiles(book, ws, figs, row_of)
    r = _summary_ladder(book, ws, kpi_top, row_of)
    r = _summary_severity(book, ws, kpi_top, r)
    _summary_causes(book, ws, kpi_top, row_of, r)
    chart = _trend_chart(book, width=500, height=330)   # beside the figures
    ws.insert_chart(8, 6, chart, {"x_offset": 10, "y_offset": 0})
    ws.set_column(6, 6, 2)
    ws.freeze_panes(2, 0)
    print_setup(ws, repeat_rows=(0, 1), fit_width=True)
    ws.fit_to_pages(1, 1)
    ws.activate()


def _summary_title(book: Book, ws) -> None:
    m, lang = book.model, book.lang
    ws.hide_gridlines(2)
    ws.set_column(0, 0, 26)
    ws.set_column(1, 5, 13.5)
    book.title(ws, t("summary.title", lang, month=month_label(m.month, lang)), _subtitle(m))
    book.live_note(ws, 2)
    calendar_note = m.cache.get("risk_calendar_note")
    if calendar_note:  # the empty row above the tiles, over the KPI columns: at-risk counts may be low
        from addin.writers.xlsx import FONT
        warn = book.wb.add_format({"bold": True, "font_color": "#9C5700", "text_wrap": True, "valign": "top",
                                   "font_name": FONT})
        ws.merge_range(3, 0, 3, 5, "", warn)
        write_text(ws, 3, 0, calendar_note, warn)
        ws.set_row(3, 45)


def _summary_kpis(book: Book, ws, figs: list) -> tuple[int, dict[str, int]]:
    """The KPI table (this month, the previous one, a year ago, the change); the tiles refer to
    it. Returns its first row and the row of each measure."""
    m, s, lang = book.model, book.s, book.lang
    this, prev, last_year = m.month, _add(m.month, -1), _add(m.month, -12)
    kpi_top = 10
    write_text(ws, kpi_top - 2, 0, t("summary.kpis", lang), s["section"])
    headers = [t("summary.measure", lang), t("summary.this_month", lang, month=""),
               t("summary.prev_month", lang, month=""), t("summary.last_year", lang, month=""),
               t("summary.change", lang)]
    book.header_row(ws, kpi_top - 1)
    for c, h in enumerate(headers):
        write_text(ws, kpi_top - 1, c, h.strip(), s["header"] if c else s["header_left"])
    write_text(ws, kpi_top, 0, t("trend.month", lang), s["label_bold"])
    for c, month in enumerate((this, prev, last_year), start=1):
        ws.write_datetime(kpi_top, c, _month_date(month), s["month"])
    write_text(ws, kpi_top, 4, "", s["text"])
    rows = [("lines", "m.lines", "int"), ("on_time", "m.on_time", "int"), ("late", "m.late", "int"),
            ("early", "m.early", "int"), ("pending", "m.pending", "int"), ("otd", "m.otd", "pct"),
            ("otif", "m.otif", "pct"), ("avg_days_late", "m.avg_days_late", "num1")]
    row_of: dict[str, int] = {}
    for i, (name, label, fmt) in enumerate(rows):
        r = kpi_top + 1 + i
        row_of[name] = r
        write_text(ws, r, 0, t(label, lang), s["label_bold"] if name == "otd" else s["label"])
        for c, fig in enumerate(figs, start=1):
            month_ref = cell(kpi_top, c, True, False)
            formulas = _kpi_formulas(month_ref, m.has_shipped_qty)
            if name == "otif" and not m.has_shipped_qty and book.completion:
                write_text(ws, r, c, t("otif.unknown", lang), s["text"])
                continue
            if name in ("otd", "otif") and not book.completion:
                write_text(ws, r, c, t("unknown.short", lang), s["text"])
                continue
            book.figure(ws, r, c, formulas[name], _figure_value(fig, name), s[fmt])
        # change vs previous month
        a, b = cell(r, 1), cell(r, 2)
        va, vb = _figure_value(figs[0], name), _figure_value(figs[1], name)
        change = "" if _blank(va) or _blank(vb) or (name == "otif" and not m.has_shipped_qty) else va - vb
        if (name == "otif" and not m.has_shipped_qty) or (name in ("otd", "otif") and not book.completion):
            write_text(ws, r, 4, "", s["text"])
        else:
            book.figure(ws, r, 4, f'IF(OR({a}="",{b}=""),"",{a}-{b})', change,
                        s["pct_change"] if fmt == "pct" else s["int_change"] if fmt == "int" else s["num1"])
    ws.conditional_format(row_of["otd"], 1, row_of["otd"], 3, _scale())

    return kpi_top, row_of


def _summary_tiles(book: Book, ws, figs: list, row_of: dict[str, int]) -> None:
    """Tiles at a glance: OTD, OTIF, late lines of the month (formulas pointing at the KPI table)."""
    m, s, lang = book.model, book.s, book.lang
    this = m.month
    tiles = [("summary.tile.otd", "otd", "tile_pct", 0, 0), ("summary.tile.otif", "otif", "tile_pct", 1, 2),
             ("summary.tile.late", "late", "tile_int", 3, 4)]
    ws.set_row(4, 24)
    ws.set_row(5, 44)
    for label, name, fmt, c0, c1 in tiles:
        if c0 == c1:
            write_text(ws, 4, c0, t(label, lang), s["tile_label"])
        else:
            ws.merge_range(4, c0, 4, c1, t(label, lang), s["tile_label"])
        value = _figure_value(figs[0], name)
        target = cell(row_of[name], 1)
        if name in ("otd", "otif") and not book.completion:
            _merged_text(ws, 5, c0, c1, t("unknown.short", lang), s["tile_text"])
            continue
        if name == "otif" and not m.has_shipped_qty:
            _merged_text(ws, 5, c0, c1, t("otif.unknown", lang), s["tile_text"])
            continue
        if c0 != c1:
            ws.merge_range(5, c0, 5, c1, None, s[fmt])
        book.figure(ws, 5, c0, f'IF({target}="","",{target})', value, s[fmt])
    write_text(ws, 6, 0, t("summary.this_month", lang, month=month_label(this, lang)), s["note"])
    _measured_headline(book, ws, 7, figs[0])



def _summary_ladder(book: Book, ws, kpi_top: int, row_of: dict[str, int]) -> int:
    """The OTD ladder (one rung per due-date basis) ending with the order-level row; returns its
    last row."""
    m, s, lang = book.model, book.s, book.lang
    this = m.month
    r = row_of["avg_days_late"] + 2
    write_text(ws, r, 0, t("summary.ladder", lang), s["section"])
    r += 1
    head = [t("summary.ladder.basis", lang), t("m.otd", lang), t("m.lines", lang), t("m.on_time", lang),
            t("m.late", lang), t("m.early", lang)]
    book.header_row(ws, r)
    for c, h in enumerate(head):
        write_text(ws, r, c, h, s["header"] if c else s["header_left"])
    month_ref = cell(kpi_top, 1)
    ladder_first = r + 1
    for basis in LADDER_BASES:
        r += 1
        fig = m.figures(this, basis)
        base = [(f"month_{basis}", "=", month_ref)]
        oc = f"outcome_{basis}"
        label = t(f"basis.{basis}", lang)
        write_text(ws, r, 0, label[:1].upper() + label[1:], s["label_bold" if basis == m.settings.basis else "label"])
        book.rate(ws, r, 1, F.otd(base, outcome_col=oc), fig.otd, s["pct"])
        book.figure(ws, r, 2, F.lines(base, outcome_col=oc), fig.lines, s["int"])
        for c, o in enumerate(("on_time", "late", "early"), start=3):
            book.figure(ws, r, c, F.outcome_count(base, o, outcome_col=oc), getattr(fig, o), s["int"])
    # order level (SPEC 13): an order on time only when all its lines are; Lines counts orders.
    # Values, not formulas: whole orders cannot be counted with COUNTIFS over the line table
    r += 1
    orders = m.order_figures(this)
    write_text(ws, r, 0, t("summary.order_level", lang), s["label"])
    write_value(ws, r, 1, orders.otd if book.completion else None, s["pct"])
    for c, value in enumerate((orders.lines, orders.on_time, orders.late, orders.early), start=2):
        write_value(ws, r, c, value, s["int"])
    ws.conditional_format(ladder_first, 1, r, 1, _scale())

    return r


def _summary_severity(book: Book, ws, kpi_top: int, r: int) -> int:
    """Severity of the late lines, this month and the previous one; returns the last row."""
    m, s, lang = book.model, book.s, book.lang
    this, prev = m.month, _add(m.month, -1)
    r += 2
    write_text(ws, r, 0, t("summary.severity", lang), s["section"])
    r += 1
    book.header_row(ws, r)
    for c, h in enumerate([t("col.severity", lang), t("summary.this_month", lang, month=month_label(this, lang)),
                           t("summary.prev_month", lang, month=month_label(prev, lang))]):
        write_text(ws, r, c, h, s["header"] if c else s["header_left"])
    late_rows = m.classified.loc[m.classified["outcome"] == "late"]
    for severity in ("major", "general"):
        r += 1
        write_text(ws, r, 0, t(f"severity.{severity}", lang, days=m.settings.major_days), s["label"])
        for c, month in enumerate((this, prev), start=1):
            n = int(((late_rows["month"] == _key(month)) & (late_rows["severity"] == severity)).sum())
            formula = F.count([("month", "=", cell(kpi_top, c, True, False)), ("outcome", "=", F.lit("late")),
                               ("severity", "=", F.lit(severity))])
            book.figure(ws, r, c, formula, n, s["int"])

    return r


def _summary_causes(book: Book, ws, kpi_top: int, row_of: dict[str, int], r: int) -> None:
    """The top causes of this month's late lines, with their share of them."""
    m, s, lang = book.model, book.s, book.lang
    month_ref = cell(kpi_top, 1)
    r += 2
    write_text(ws, r, 0, t("summary.top_causes", lang), s["section"])
    r += 1
    book.header_row(ws, r)
    for c, h in enumerate([t("m.cause", lang), t("m.count", lang), t("m.share", lang), t("m.scope", lang)]):
        write_text(ws, r, c, h, s["header"] if c else s["header_left"])
    if m.pareto.empty:
        write_text(ws, r + 1, 0, t("summary.no_late", lang), s["note"])
        r += 1
    late_cell = cell(row_of["late"], 1)
    for rec in m.pareto.head(5).to_dict("records"):
        r += 1
        write_text(ws, r, 0, rec["label"], s["label"])
        formula = F.count([("month", "=", month_ref), ("outcome", "=", F.lit("late")),
                           ("root_cause", "=", F.lit(rec["cause"]))])
        book.figure(ws, r, 1, formula, rec["count"], s["int"])
        book.figure(ws, r, 2, f'IFERROR({cell(r, 1)}/{late_cell},"")', rec["share"], s["pct"])
        scope = rec["scope"] if isinstance(rec["scope"], str) else None
        write_text(ws, r, 3, t(f"scope.{scope}", lang) if scope else "", s["text"])



def month_facts(model, figures) -> dict:
    """What the month measured and what it could not (SPEC section 9): ``measured``, ``pending``,
    ``unmeasurable`` (reason -> lines) and ``otd_unknown`` (a reason, or None), the arguments of
    ``addin.i18n.measured_headline`` (the Summary sheet and the e-mail say the same)."""
    from addin.compute.otd import UNMEASURABLE, unknown_reasons
    c = model.classified
    in_month = c.loc[c["month"] == model.month_key, "outcome"]
    unmeasurable = {k: int((in_month == k).sum()) for k in UNMEASURABLE}
    total = {"on_time": figures.on_time, "late": figures.late, "early": figures.early,
             "otd": figures.otd, "otif": figures.otif}
    completion = bool(c.attrs.get("completion", True))
    reason = unknown_reasons(total, unmeasurable, completion=completion).get("otd")
    if reason == "no_lines_due" and not any(unmeasurable.values()):
        reason = None          # an empty month is said by its zero lines, not as a problem
    return {"measured": figures.on_time + figures.late + figures.early, "pending": figures.pending,
            "unmeasurable": unmeasurable, "otd_unknown": reason}


def month_headline(model, figures) -> tuple[str, bool]:
    """The Summary's sentence (:func:`month_facts` in words) and whether it reports something
    unmeasured or unknown (then it is shown as a warning)."""
    from addin.i18n import measured_headline
    facts = month_facts(model, figures)
    text = measured_headline(**facts, lang=model.lang)
    return text, bool(facts["otd_unknown"] or any(facts["unmeasurable"].values()))


def _measured_headline(book: Book, ws, row: int, figures) -> None:
    from addin.writers.xlsx import FONT
    text, warn = month_headline(book.model, figures)
    fmt = book.wb.add_format({"bold": warn, "font_color": "#9C5700" if warn else "#595959", "text_wrap": True,
                              "valign": "top", "font_name": FONT, "font_size": 9})
    ws.merge_range(row, 0, row, 5, "", fmt)
    write_text(ws, row, 0, text, fmt)
    height = wrapped_height(text, 26 + 5 * 13.5)
    if height:
        ws.set_row(row, height)


def _merged_text(ws, row: int, c0: int, c1: int, text: str, fmt) -> None:
    if c0 == c1:
        write_text(ws, row, c0, text, fmt)
    else:
        ws.merge_range(row, c0, row, c1, "", fmt)
        write_text(ws, row, c0, text, fmt)


def _scale() -> dict:
    """Red below 80 %, yellow at 90 %, green at 100 % (SPEC: rates at a glance)."""
    return {"type": "3_color_scale", "min_type": "num", "min_value": 0.8, "min_color": RED,
            "mid_type": "num", "mid_value": 0.9, "mid_color": YELLOW,
            "max_type": "num", "max_value": 1, "max_color": GREEN}


def _add(month: dt.date, n: int) -> dt.date:
    return add_months(month, n)


def _key(month: dt.date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


# --------------------------------------------------------------------------- pivots

def _window(model) -> pd.DataFrame:
    """The lines due in the report's 12 months with an outcome (computed once per model)."""
    if "window" not in model.cache:
        keys = {_key(mo) for mo in model.months}
        c = model.classified
        model.cache["window"] = c.loc[c["month"].isin(keys) & c["outcome"].isin(OUTCOMES)]
    return model.cache["window"]


# Widest a name column grows (Excel character units) before its text wraps: a customer's legal
# name such as "Shenzhen Huaqiang Electronic Components Trading Co., Ltd." fits on one line.
NAME_WIDTH = 60

# The by-part sheet shows the parts with the most lines: thousands of rows of 12-month
# formulas would slow Excel down and no one reads them; every line stays in the Data table.
PIVOT_LIMIT = {"customer": None, "part_no": 100, "owner": None}


def pivot_groups(model, field: str) -> tuple[list, int]:
    """Groups with lines due in the 12 months, most lines this month first, then most lines over
    the 12 months, then by name (blank last); and how many groups there are in all."""
    cached = model.cache.get(("groups", field))
    if cached is not None:
        return cached
    window = _window(model)
    if window.empty:
        return [], 0
    # counted per distinct value (bincount over factorised codes), named as text afterwards
    codes, uniques = pd.factorize(window[field], use_na_sentinel=True)
    idx = np.where(codes < 0, len(uniques), codes)
    this = (window["month"] == model.month_key).to_numpy(dtype=np.int64)
    size = np.bincount(idx, minlength=len(uniques) + 1)
    month_lines = np.bincount(idx, weights=this, minlength=len(uniques) + 1).astype(np.int64)
    names = [str(u) for u in uniques] + ["\uffff"]
    frame = pd.DataFrame({"g": names, "sum": month_lines, "size": size})
    frame = frame.loc[frame["size"] > 0]
    agg = frame.groupby("g", sort=False)[["sum", "size"]].sum().reset_index()  # 1 and "1" are one group
    agg = agg.sort_values(["sum", "size", "g"], ascending=[False, False, True], kind="stable")
    groups = [None if g == "\uffff" else g for g in agg["g"].tolist()]
    limit = PIVOT_LIMIT.get(field)
    result = (groups if limit is None else groups[:limit]), len(groups)
    model.cache[("groups", field)] = result
    return result


PIVOT_TOP = 4  # header row (0-based) of every pivot sheet


def pivot_formulas(field: str, row: int, label: Any, exact: bool, first_month_col: int = 1) -> dict:
    """Formulas of one pivot row: per month OTD, 12-month OTD, lines and late this month."""
    ref = F.lit("") if label is None else cell(row, 0, False, True)
    group = (field, "=", ref)
    exact_cols = {field} if exact else set()
    out: dict = {"months": []}
    for j in range(12):
        month_ref = cell(PIVOT_TOP, first_month_col + j, True, False)
        out["months"].append(F.otd([group, ("month", "=", month_ref)], exact_cols))
    first = cell(PIVOT_TOP, first_month_col, True, True)
    last = cell(PIVOT_TOP, first_month_col + 11, True, True)
    out["total"] = F.otd([group, ("month", ">=", first), ("month", "<=", last)], exact_cols)
    this_ref = cell(PIVOT_TOP, first_month_col + 11, True, True)
    out["lines"] = F.lines([group, ("month", "=", this_ref)], exact_cols)
    out["late"] = F.outcome_count([group, ("month", "=", this_ref)], "late", exact_cols)
    return out


def write_pivot(book: Book, key: str, field: str) -> None:
    m, s, lang = book.model, book.s, book.lang
    ws = book.ws[key]
    book.title(ws, t(f"pivot.{key}.title", lang), _subtitle(m))
    book.live_note(ws, 2)
    write_text(ws, 3, 0, t("pivot.note", lang), s["note"])
    head = t(f"pivot.{field}", lang)
    book.header_row(ws, PIVOT_TOP)
    write_text(ws, PIVOT_TOP, 0, head, s["header_left"])
    for j, month in enumerate(m.months):
        ws.write_datetime(PIVOT_TOP, 1 + j, _month_date(month), s["header_month"])
    extra = [t("pivot.total12", lang), t("pivot.month_lines", lang), t("pivot.month_late", lang)]
    for j, h in enumerate(extra):
        write_text(ws, PIVOT_TOP, 13 + j, h, s["header"])

    window = _window(m)
    groups, total_groups = pivot_groups(m, field)
    if len(groups) < total_groups:
        write_text(ws, 3, 0, t("pivot.note", lang) + " · " + t("pivot.top", lang, n=len(groups), total=total_groups),
                   s["note"])
    by_month = summary_rows(window, [field, "month"], m.settings) if len(window) else {}
    totals = summary_rows(window, [field], m.settings) if len(window) else {}
    folded = F.casefold_counts(groups)
    labels = []
    # long names (customers' legal names) are shown whole: a wider column, wrapped beyond it
    label_width = min(max([text_width(head)] + [text_width(g) for g in groups if g is not None] + [12]) + 2,
                      NAME_WIDTH)
    for i, group in enumerate(groups):
        r = PIVOT_TOP + 1 + i
        label = t("pivot.none", lang) if group is None else group
        labels.append(label)
        height = wrapped_height(label, label_width)
        write_text(ws, r, 0, label, s["text_wrap"] if height else s["text"])
        if height:
            ws.set_row(r, height)
        formulas = pivot_formulas(field, r, group, F.needs_exact(group, folded))
        for j, month in enumerate(m.months):
            row = by_month.get((group, _key(month)))
            book.rate(ws, r, 1 + j, formulas["months"][j], None if row is None else row["otd"], s["pct"])
        total = totals.get(group)
        book.rate(ws, r, 13, formulas["total"], None if total is None else total["otd"], s["pct"])
        this = by_month.get((group, m.month_key))
        book.figure(ws, r, 14, formulas["lines"], 0 if this is None else this["lines"], s["int"])
        book.figure(ws, r, 15, formulas["late"], 0 if this is None else this["late"], s["int"])
    last = PIVOT_TOP + max(len(groups), 1)
    if groups:
        ws.conditional_format(PIVOT_TOP + 1, 1, last, 13, _scale())
        ws.conditional_format(PIVOT_TOP + 1, 15, last, 15,
                              {"type": "cell", "criteria": ">", "value": 0, "format": book.s["red"]})
    ws.autofilter(PIVOT_TOP, 0, last, 15)
    ws.freeze_panes(PIVOT_TOP + 1, 1)
    ws.set_column(0, 0, max(label_width, 14))
    ws.set_column(1, 12, 9)
    ws.set_column(13, 15, 12)
    print_setup(ws, repeat_rows=(PIVOT_TOP, PIVOT_TOP))


# --------------------------------------------------------------------------- trend

TREND_TOP = 4
CHART_OTD, CHART_OTIF = 10, 11   # hidden columns the trend chart plots


def write_trend(book: Book) -> None:
    m, s, lang = book.model, book.s, book.lang
    ws = book.ws["trend"]
    book.title(ws, t("trend.title", lang), _subtitle(m))
    book.live_note(ws, 2)
    names = ["lines", "on_time", "late", "early", "pending", "otd", "otif", "avg_days_late"]
    fmts = ["int"] * 5 + ["pct", "pct", "num1"]
    book.header_row(ws, TREND_TOP)
    write_text(ws, TREND_TOP, 0, t("trend.month", lang), s["header_left"])
    for c, name in enumerate(names, start=1):
        write_text(ws, TREND_TOP, c, t(f"m.{name}", lang), s["header"])
    for i, month in enumerate(m.months):
        r = TREND_TOP + 1 + i
        ws.write_datetime(r, 0, _month_date(month), s["month"])
        formulas = _kpi_formulas(cell(r, 0, False, True), m.has_shipped_qty)
        fig = m.figures(month)
        for c, name in enumerate(names, start=1):
            if name == "otif" and not m.has_shipped_qty:
                write_text(ws, r, c, t("otif.unknown", lang), s["text"])
                continue
            if name in ("otd", "otif"):
                book.rate(ws, r, c, formulas[name], getattr(fig, name), s[fmts[c - 1]])
                continue
            book.figure(ws, r, c, formulas[name], getattr(fig, name), s[fmts[c - 1]])
        # the chart plots these hidden copies: #N/A where a month has no lines, so the line has a
        # gap there (a "" from IFERROR would plot as 0 %)
        for src, dst in ((6, CHART_OTD), (7, CHART_OTIF)):
            value = getattr(fig, names[src - 1])
            if src == 7 and not m.has_shipped_qty:
                continue
            na = cached(value) == ""
            if m.live:
                ws.write_formula(r, dst, f'=IF({cell(r, src, False, False)}="",NA(),{cell(r, src, False, False)})',
                                 s["pct"], "#N/A" if na else float(value))
            elif not na:
                ws.write_number(r, dst, float(value), s["pct"])
    ws.set_column(CHART_OTD, CHART_OTIF, None, None, {"hidden": True})
    last = TREND_TOP + 12
    ws.conditional_format(TREND_TOP + 1, 6, last, 7, _scale())
    ws.set_column(0, 0, 12)
    ws.set_column(1, 8, 12)
    ws.freeze_panes(TREND_TOP + 1, 1)
    ws.insert_chart(last + 2, 0, _trend_chart(book, width=760, height=320))
    print_setup(ws, repeat_rows=(TREND_TOP, TREND_TOP))


def _trend_chart(book: Book, width: int, height: int):
    m, lang = book.model, book.lang
    chart = book.wb.add_chart({"type": "line"})
    name = book.names["trend"]
    first, last = TREND_TOP + 1, TREND_TOP + 12
    series = [(CHART_OTD, t("m.otd", lang), "#2F5597")]
    if m.has_shipped_qty:
        series.append((CHART_OTIF, t("m.otif", lang), "#ED7D31"))
    for col, label, colour in series:
        chart.add_series({"name": label, "categories": [name, first, 0, last, 0],
                          "values": [name, first, col, last, col],
                          "line": {"color": colour, "width": 2.25},
                          "marker": {"type": "circle", "size": 5, "fill": {"color": colour},
                                     "border": {"color": colour}}})
    chart.set_title({"name": t("trend.chart", lang), "name_font": {"size": 12}})
    chart.set_x_axis({"num_format": "yyyy-mm", "date_axis": False, "num_font": {"rotation": -45}})
    chart.set_y_axis({"num_format": "0%", "min": 0, "max": 1, "major_gridlines": {"visible": True,
                      "line": {"color": "#D9D9D9"}}})
    chart.set_legend({"position": "bottom"})
    chart.show_blanks_as("gap")
    chart.show_na_as_empty_cell()
    chart.show_hidden_data()          # the series live in hidden helper columns
    chart.set_size({"width": width, "height": height})
    return chart


# --------------------------------------------------------------------------- root causes

CAUSE_TOP = 4


def write_causes(book: Book) -> None:
    m, s, lang = book.model, book.s, book.lang
    ws = book.ws["causes"]
    book.title(ws, t("causes.title", lang, month=month_label(m.month, lang)), _subtitle(m))
    write_text(ws, 2, 0, t("trend.month", lang), s["label_bold"])
    ws.write_datetime(2, 1, _month_date(m.month), s["month"])
    month_ref = cell(2, 1, True, True)
    head = [t("m.cause", lang), "code", t("m.count", lang), t("m.share", lang), t("m.cum_pct", lang),
            t("m.scope", lang), t(f"severity.major", lang, days=m.settings.major_days),
            t(f"severity.general", lang, days=m.settings.major_days)]
    book.header_row(ws, CAUSE_TOP)
    for c, h in enumerate(head):
        write_text(ws, CAUSE_TOP, c, h, s["header"] if c else s["header_left"])
    records = m.pareto.to_dict("records")
    first, last = CAUSE_TOP + 1, CAUSE_TOP + max(len(records), 1)
    total = f"SUM({cell(first, 2)}:{cell(last, 2)})"
    for i, rec in enumerate(records):
        r = CAUSE_TOP + 1 + i
        write_text(ws, r, 0, rec["label"], s["text"])
        write_text(ws, r, 1, rec["cause"], s["mono"])
        base = [("month", "=", month_ref), ("outcome", "=", F.lit("late")),
                ("root_cause", "=", cell(r, 1, False, True))]
        book.figure(ws, r, 2, F.count(base), rec["count"], s["int"])
        book.figure(ws, r, 3, f'IFERROR({cell(r, 2)}/{total},"")', rec["share"], s["pct"])
        book.figure(ws, r, 4, f'IFERROR(SUM({cell(first, 2)}:{cell(r, 2, False, False)})/{total},"")',
                    rec["cumulative_share"], s["pct"])
        scope = rec["scope"] if isinstance(rec["scope"], str) else None
        write_text(ws, r, 5, t(f"scope.{scope}", lang) if scope else "", s["text"])
        for c, sev in ((6, "major"), (7, "general")):
            book.figure(ws, r, c, F.count([*base, ("severity", "=", F.lit(sev))]), rec[sev], s["int"])
    if not records:
        write_text(ws, first, 0, t("summary.no_late", lang), s["note"])
    ws.set_column(0, 0, 18)
    ws.set_column(1, 1, 14)
    ws.set_column(2, 7, 13)
    ws.freeze_panes(CAUSE_TOP + 1, 1)
    if records:
        name = book.names["causes"]
        bars = book.wb.add_chart({"type": "column"})
        bars.add_series({"name": t("m.count", lang), "categories": [name, first, 0, last, 0],
                         "values": [name, first, 2, last, 2], "fill": {"color": "#2F5597"},
                         "data_labels": {"value": True}, "gap": 60})
        line = book.wb.add_chart({"type": "line"})
        line.add_series({"name": t("m.cum_pct", lang), "categories": [name, first, 0, last, 0],
                         "values": [name, first, 4, last, 4], "y2_axis": True,
                         "line": {"color": "#C00000", "width": 2.25},
                         "marker": {"type": "circle", "size": 5, "fill": {"color": "#C00000"},
                                    "border": {"color": "#C00000"}}})
        bars.combine(line)
        bars.set_title({"name": t("causes.chart", lang), "name_font": {"size": 12}})
        bars.set_y_axis({"name": t("m.count", lang), "min": 0, "major_gridlines": {"visible": True,
                         "line": {"color": "#D9D9D9"}}})
        line.set_y2_axis({"name": t("m.cum_pct", lang), "num_format": "0%", "min": 0, "max": 1})
        bars.set_legend({"position": "bottom"})
        bars.set_size({"width": 720, "height": 340})
        ws.insert_chart(last + 2, 0, bars)
    print_setup(ws, repeat_rows=(CAUSE_TOP, CAUSE_TOP))


# --------------------------------------------------------------------------- line lists

def _date(value: Any) -> Any:
    return None if _blank(value) else pd.Timestamp(value)


def _list_sheet(book: Book, ws, top: int, headers: list[str], rows: list[list], kinds: list[str], *,
                columns: list | None = None) -> None:
    """A header row at ``top`` and the lines under it, given as ``rows`` or as ``columns``
    (sequences of equal length). Written column-wise (``fastrows``) when every value fits its
    kind; cell by cell otherwise."""
    s = book.s
    book.header_row(ws, top)
    for c, h in enumerate(headers):
        write_text(ws, top, c, h, s["header"] if c else s["header_left"])
    if columns is None:
        columns = [list(col) for col in zip(*rows)] if rows else [[] for _ in headers]
    n = len(columns[0]) if columns else 0
    fmt = {"text": s["text"], "int": s["int"], "date": s["date"], "wrap": s["text_wrap"], "num": s["num1"]}
    planned = _fast_columns(columns, kinds, fmt) if n else None
    if planned is not None:
        from addin.writers.fastrows import write_columns
        write_columns(ws, top + 1, planned)
    else:
        for c, (values, kind) in enumerate(zip(columns, kinds)):
            for i, value in enumerate(values):
                if kind in ("text", "wrap"):
                    write_text(book.ws_current, top + 1 + i, c, value, fmt[kind])
                else:
                    write_value(book.ws_current, top + 1 + i, c, value, fmt[kind])
    last = top + max(n, 1)
    ws.autofilter(top, 0, last, len(headers) - 1)
    ws.freeze_panes(top + 1, 0)
    set_widths(ws, [[h] + list(col[:2000]) for h, col in zip(headers, columns)], maximum=45)
    print_setup(ws, repeat_rows=(top, top))




def _name_width(ws, col: int, header: str, values: pd.Series) -> None:
    """A name column (customer) as wide as its longest name, up to :data:`NAME_WIDTH`."""
    distinct = pd.unique(values.dropna()) if len(values) else []
    widest = max([text_width(header)] + [text_width(v) for v in distinct[:5000]])
    ws.set_column(col, col, max(10, min(widest + 2, NAME_WIDTH)))


def _fast_columns(columns: list, kinds: list[str], fmt: dict) -> list | None:
    """``fastrows`` columns for a line list, or None when a value does not fit its column's
    kind (a text in a number column, say): then the cell-by-cell path writes what it is."""
    from addin.writers.fastrows import Column
    out = []
    for values, kind in zip(columns, kinds):
        series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
        series = series.reset_index(drop=True)
        if kind in ("text", "wrap"):
            out.append(Column("text", series, fmt[kind], styled_blanks=True))
            continue
        blank = series.isna().to_numpy(dtype=bool)
        filled = series[~blank]
        inferred = pd.api.types.infer_dtype(filled, skipna=True)
        if kind == "date":
            if inferred not in ("datetime64", "datetime", "date", "empty"):
                return None
            serial = _serials(series.where(~blank, None), keep_time=True)
            out.append(Column("number", serial, fmt[kind], styled_blanks=True))
        else:
            if inferred not in ("integer", "floating", "mixed-integer-float", "empty"):
                return None
            numbers = pd.to_numeric(series.where(~blank, np.nan), errors="coerce").astype("float64").to_numpy(copy=True)
            numbers[np.isinf(numbers)] = np.nan   # write_value leaves an infinite number blank
            out.append(Column("number", numbers, fmt[kind], styled_blanks=True))
    return out


def _col(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column of a line list as objects (None where blank or where the ledger has no such column)."""
    if name not in frame.columns:
        return pd.Series([None] * len(frame), dtype=object)
    values = frame[name].reset_index(drop=True)
    return values.astype(object).where(values.notna(), None)


def _dates(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame.columns:
        return pd.Series([None] * len(frame), dtype=object)
    return pd.to_datetime(frame[name].reset_index(drop=True), errors="coerce")


def _labels(frame: pd.DataFrame, name: str, label) -> pd.Series:
    """``label(value)`` per distinct non-blank value of a column (None for blanks)."""
    values = _col(frame, name)
    distinct = {v: label(v) for v in pd.unique(values[values.notna()])} if len(values) else {}
    return values.map(lambda v: None if v is None else distinct[v]).astype(object)


def _problem(frame: pd.DataFrame) -> pd.Series:
    """The exception note, else the exception type (as ``note or type`` did per record)."""
    note, kind = _col(frame, "exception_note"), _col(frame, "exception_type")
    empty = note.isna() | note.map(lambda v: isinstance(v, str) and v == "")
    return note.where(~empty, kind)


def write_late(book: Book) -> None:
    m, s, lang = book.model, book.s, book.lang
    ws = book.ws_current = book.ws["late"]
    book.title(ws, t("late.title", lang, as_of=m.as_of.isoformat()), _subtitle(m))
    c = m.classified
    late_month = (c["month"] == m.month_key) & (c["outcome"] == "late")
    risky = c["risk"].isin(["overdue", "at_risk"])
    rows = c.loc[late_month | risky].copy()
    rows["_sort"] = rows["days_late"].fillna(-1)
    rows = rows.sort_values(["_sort", "due_date"], ascending=[False, True], kind="stable")
    headers = [t(f"col.{k}", lang) for k in ("order_no", "line_no", "customer", "part_no", "qty", "due_date",
                                              "ship_date", "outcome", "days_late", "severity", "risk")] + \
        [t("col.reason", lang), t("col.root_cause", lang), t("col.owner", lang), t("col.problem", lang),
         t("col.source_row", lang)]
    kinds = ["text", "text", "text", "text", "int", "date", "date", "text", "int", "text", "text", "wrap",
             "text", "text", "wrap", "int"]
    from addin.compute.rootcause import cause_label
    major = m.settings.major_days
    columns = [_col(rows, "order_no"), _col(rows, "line_no"), _col(rows, "customer"), _col(rows, "part_no"),
               _col(rows, "qty"), _dates(rows, "due_date"), _dates(rows, "ship_date"),
               _labels(rows, "outcome", lambda v: outcome_label(v, lang)),
               _col(rows, "days_late"),
               _labels(rows, "severity", lambda v: t(f"severity.{v}", lang, days=major)),
               _labels(rows, "risk", lambda v: risk_label(v, lang)), _col(rows, "risk_reason"),
               _labels(rows, "root_cause", lambda v: cause_label(v, lang) if isinstance(v, str) else None),
               _col(rows, "owner"), _problem(rows), _col(rows, "source_row")]
    data = columns[0]
    write_text(ws, 2, 0, "" if len(data) else t("late.none", lang), s["note"])
    top = 3
    _list_sheet(book, ws, top, headers, [], kinds, columns=columns)
    _name_width(ws, 2, headers[2], columns[2])
    if len(data):
        last = top + len(data)
        risk_col = col_name(10)
        for word, style in (("overdue", "red"), ("at_risk", "amber"), ("done", "grey")):
            ws.conditional_format(top + 1, 0, last, len(headers) - 1, {
                "type": "formula", "criteria": f'=${risk_col}{top + 2}="{risk_label(word, lang)}"',
                "format": s[style]})


def write_exceptions(book: Book) -> None:
    """The exception log in four-element form: problem, owner, action, deadline."""
    m, s, lang = book.model, book.s, book.lang
    ws = book.ws_current = book.ws["exceptions"]
    book.title(ws, t("exc.title", lang), _subtitle(m))
    c = m.classified
    late = c.loc[(c["month"] == m.month_key) & (c["outcome"] == "late")]
    late = late.sort_values("days_late", ascending=False, kind="stable")
    from addin.compute.rootcause import cause_label
    headers = [t(f"col.{k}", lang) for k in ("problem", "owner", "action", "deadline", "order_no", "customer",
                                              "part_no", "due_date", "days_late", "root_cause")]
    kinds = ["wrap", "text", "wrap", "date", "text", "text", "text", "date", "int", "text"]
    columns = [_problem(late), _col(late, "owner"), _col(late, "action"), _dates(late, "action_deadline"),
               _col(late, "order_no"), _col(late, "customer"), _col(late, "part_no"), _dates(late, "due_date"),
               _col(late, "days_late"),
               _labels(late, "root_cause", lambda v: cause_label(v, lang) if isinstance(v, str) else None)]
    data = columns[0]
    write_text(ws, 2, 0, "" if len(data) else t("exc.none", lang), s["note"])
    top = 3
    _list_sheet(book, ws, top, headers, [], kinds, columns=columns)
    ws.set_column(0, 0, 40)
    ws.set_column(2, 2, 36)
    _name_width(ws, 5, headers[5], columns[5])
    if len(data):
        # an incomplete record (no problem, owner, action or deadline) stands out in amber
        ws.conditional_format(top + 1, 0, top + len(data), 3, {"type": "blanks", "format": s["amber"]})


ESCALATION = ("reason", "owner", "problem", "root_cause", "action", "deadline", "days_past_deadline", "order_no",
              "line_no", "customer", "part_no", "qty", "due_date", "days_late", "source_row")


def escalation_reason(reason: str, lang: str) -> str:
    """``major+action_overdue`` -> "重大异常；措施逾期" / "Major exception; action overdue"."""
    return t("esc.sep", lang).join(t(f"escsheet.reason.{r}", lang) for r in str(reason).split("+"))


def write_escalation(book: Book) -> None:
    """What goes up to the department head at the as-of date (SPEC 11, seed 004 二(三)): major
    exceptions (open lines late by ``major_days`` or more) and actions past their deadline, with
    owner, problem, action and deadline — ``ReportModel.escalations``, the table of
    ``addin.compute.escalation.escalations`` that the digest (``orderdesk escalate``) sends, in its
    order. A sheet of its own, not a block of the Exception log: that log is the month's late
    lines (shipped ones included), this list the open ones at the as-of date; each keeps its own
    filter. A blank owner, action or deadline is amber: what the head must see filled."""
    m, s, lang = book.model, book.s, book.lang
    ws = book.ws_current = book.ws["escalation"]
    book.title(ws, t("escsheet.title", lang, as_of=m.as_of.isoformat()), _subtitle(m))
    table = m.escalations if m.escalations is not None else pd.DataFrame(columns=["reason", *ESCALATION[1:]])
    from addin.compute.escalation import counts
    from addin.compute.rootcause import cause_label
    n = counts(table)
    note = t("escsheet.note", lang, major=n["major"], days=m.settings.major_days, actions=n["action_overdue"]) \
        if len(table) else t("esc.nothing", lang)
    write_text(ws, 2, 0, note, s["note"])
    headers = [t(f"escsheet.{k}", lang) if k in ("reason", "days_past_deadline") else t(f"col.{k}", lang)
               for k in ESCALATION]
    kinds = ["text", "text", "wrap", "text", "wrap", "date", "int", "text", "text", "text", "text", "int", "date",
             "int", "int"]
    columns = [_labels(table, "reason", lambda v: escalation_reason(v, lang)), _col(table, "owner"),
               _col(table, "problem"),
               _labels(table, "root_cause", lambda v: cause_label(v, lang) if isinstance(v, str) else None),
               _col(table, "action"), _dates(table, "action_deadline"), _col(table, "days_past_deadline"),
               _col(table, "order_no"), _col(table, "line_no"), _col(table, "customer"), _col(table, "part_no"),
               _col(table, "qty"), _dates(table, "due_date"), _col(table, "days_late"),
               pd.to_numeric(_col(table, "source_row"), errors="coerce")]
    top = 3
    _list_sheet(book, ws, top, headers, [], kinds, columns=columns)
    ws.set_column(2, 2, 36)
    ws.set_column(4, 4, 36)
    _name_width(ws, 9, headers[9], columns[9])
    if len(table):
        for c0, c1 in ((1, 1), (4, 5)):
            ws.conditional_format(top + 1, c0, top + len(table), c1, {"type": "blanks", "format": s["amber"]})


def write_suppliers(book: Book) -> None:
    """The supplier scorecard (SPEC section 10): the month's and 12 months' OTD per supplier, open
    overdue lines, quoted vs actual lead time; values from ``addin.compute.suppliers``."""
    m, s, lang = book.model, book.s, book.lang
    ws = book.ws_current = book.ws["suppliers"]
    book.title(ws, t("sup.title", lang, month=month_label(m.month, lang)), _subtitle(m))
    card = m.suppliers
    write_text(ws, 2, 0, t("sup.note", lang, as_of=m.as_of.isoformat()), s["note"])
    keys = ("supplier", "lines", "on_time", "late", "otd", "otif", "avg_days_late", "lines_12m", "otd_12m",
            "open_overdue", "quoted_lead_days", "actual_lead_days", "lead_gap_days")
    styles = ("text", "int", "int", "int", "pct", "pct", "num1", "int", "pct", "int", "num1", "num1", "num1")
    top = 3
    book.header_row(ws, top, 45)
    for c, k in enumerate(keys):
        write_text(ws, top, c, t(f"sup.{k}", lang), s["header"] if c else s["header_left"])
    r = top
    for rec in card.to_dict("records"):
        r += 1
        total = bool(rec["is_total"])
        name = t("sup.total", lang) if total else (t("otd_cli.none", lang) if _blank(rec["supplier"])
                                                   else str(rec["supplier"]))
        write_text(ws, r, 0, name, s["label_bold" if total else "label"])
        for c, (k, style) in enumerate(zip(keys[1:], styles[1:]), start=1):
            value = rec[k]
            write_value(ws, r, c, None if _blank(value) else value, s[style])
    if r > top:
        ws.conditional_format(top + 1, 4, r - 1, 4, _scale())
        ws.conditional_format(top + 1, 9, r - 1, 9, {"type": "cell", "criteria": ">", "value": 0,
                                                     "format": s["red"]})
    ws.freeze_panes(top + 1, 1)
    _name_width(ws, 0, t("sup.supplier", lang), card["supplier"])
    ws.set_column(1, len(keys) - 1, 11)
    print_setup(ws, repeat_rows=(top, top), fit_width=True)


# --------------------------------------------------------------------------- data table

def table_columns(model) -> list[str]:
    return list(model.ledger_fields) + [c for c in COMPUTED if c in model.classified.columns or
                                        c in ("month",)]


_EPOCH = np.datetime64("1899-12-30", "D")


def _serials(values: pd.Series, keep_time: bool = False) -> np.ndarray:
    """Dates as Excel serial numbers (NaN for NaT): one vectorised pass instead of a datetime per
    cell. ``keep_time``: the time of day as the fraction, by XlsxWriter's own formula (days +
    (seconds + microseconds / 1e6) / 86400), so the cells equal what ``write_datetime`` writes."""
    stamps = pd.to_datetime(values, errors="coerce")
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_localize(None)
    if not keep_time:
        days = stamps.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
        out = (days - _EPOCH).astype("float64")
        out[np.isnat(days)] = np.nan
        return out
    delta = np.array(stamps.to_numpy(dtype="datetime64[us]")) - _EPOCH.astype("datetime64[us]")
    micros = delta.astype("int64")
    days = micros // 86_400_000_000
    rest = micros - days * 86_400_000_000
    out = days.astype("float64") + ((rest // 1_000_000).astype("float64")
                                    + (rest % 1_000_000).astype("float64") / 1e6) / 86400.0
    out[np.isnat(delta)] = np.nan
    return out


def write_data(book: Book, fast: bool | None = None) -> None:
    """The OrderData table: every ledger field and the engine's helper columns, one row per line.

    ``fast``: None = the column-wise writer when XlsxWriter's internals are the known ones,
    False = cell by cell (the reference the fast path is tested against)."""
    from addin.writers.fastrows import Column, write_columns
    from addin.writers.fastrows import add_table as fast_table
    m, s = book.model, book.s
    ws = book.ws["data"]
    frame = m.classified
    if not m.live:
        # no formula reads the table: a large ledger's whole history would only make the file
        # slow to write and open; keep the lines this report is about (the notes say so)
        frame = frame.loc[(frame["month"] == m.month_key) | frame["risk"].isin(["overdue", "at_risk"])]
    columns = table_columns(m)
    n = len(frame)
    date_cols = {c for c in columns if c.endswith("_date") or c in {f"due_{b}" for b in LADDER_BASES}}
    month_cols = {"month", *(f"month_{b}" for b in LADDER_BASES)}
    number_cols = {"qty", "shipped_qty", "unit_price", "days_late", "source_row", "drift_count", "drift_days",
                   "tooling_charge", "moq_charge", "in_full"}
    date_fmt = book.wb.add_format({"num_format": "yyyy-mm-dd"})
    month_fmt = book.wb.add_format({"num_format": "yyyy-mm"})
    cells = []
    for name in columns:
        source = frame["month_start"] if name == "month" else frame[name]
        if name in date_cols or name in month_cols:
            cells.append(Column("number", _serials(source), month_fmt if name in month_cols else date_fmt))
        elif name in number_cols:
            if name == "in_full":   # 1 / 0 / blank, so COUNTIFS can tell unknown from no
                source = source.astype("boolean").astype("Float64")
            cells.append(Column("number", pd.to_numeric(source, errors="coerce").astype("float64").to_numpy()))
        else:
            cells.append(Column("text", source))
    # column-wise XML for the body (issue 7); cell by cell if XlsxWriter's internals differ
    write_columns(ws, 1, cells, fast=fast)
    fast_table(ws, 0, 0, max(n, 1), max(len(columns) - 1, 0),
               {"name": F.TABLE, "columns": [{"header": name} for name in columns],
                "style": "Table Style Light 9"}, fast=fast)
    ws.freeze_panes(1, 0)
    widths = []
    sample = frame.head(200)
    for name in columns:
        if name in date_cols:
            widths.append(11)
        elif name in month_cols:
            widths.append(10)
        else:
            values = sample[name].tolist() if name in sample.columns else []
            widths.append(min(40, max([text_width(name) + 3] + [text_width(v) + 1 for v in values])))
    for j, w in enumerate(widths):
        ws.set_column(j, j, w)
    # printing the workbook prints the report, not every data line (96 pages for 5,000 lines):
    # the table's print area is its header row; print the sheet itself by clearing it in Excel
    print_setup(ws, fit_width=True, area=(0, 0, 0, max(len(columns) - 1, 0)))


# --------------------------------------------------------------------------- issues, about

def write_issues(book: Book) -> None:
    """The readers' issues and the engine's flags, in the report's language: each names its cell
    (sheet, column letter and row), the column as the file heads it, the value and what is wrong."""
    from addin.i18n import field_label, issue_message
    m, s, lang = book.model, book.s, book.lang
    ws = book.ws_current = book.ws["issues"]
    result = None if isinstance(m.read_result, pd.DataFrame) else m.read_result
    file = getattr(result, "file", None) or ""
    book.title(ws, t("issues.title", lang, file=file))
    rows = getattr(result, "rows", None)
    if rows is not None:
        write_text(ws, 1, 0, t("issues.rows", lang, read=rows.read, valid=rows.valid, issues=rows.issues,
                               blank=rows.blank_or_total), s["subtitle"])
    headers_found = dict(getattr(result, "columns", None) or {})

    def field_name(field: Any) -> str:   # the file's own header, which the user knows
        return headers_found.get(field) or field_label(field, lang)

    issues = list(getattr(result, "issues", []) or [])
    data = [[i.cell, field_name(i.field), None if _blank(i.value) else (i.value.isoformat() if hasattr(i.value, "isoformat")
                                                                        else str(i.value)),
             issue_message(i.message, lang), t(f"severity.{i.severity}", lang)] for i in issues]
    # the engine's flags on valid lines (ship date after the as-of date, closed without a ship date),
    # at the line's ship-date cell (its status cell when the file has no ship-date column)
    from addin.files.text import sheet_ref
    sheet = getattr(result, "sheet", None) or ""
    letters = dict(getattr(result, "column_letters", None) or {})
    letter = letters.get("ship_date") or letters.get("status") or "A"
    flagged = m.classified.loc[m.classified["flag"].notna()] if "flag" in m.classified else []
    for rec in (flagged.to_dict("records") if len(flagged) else []):
        row = rec.get("source_row")
        own_sheet = rec.get("source_sheet") if isinstance(rec.get("source_sheet"), str) else sheet
        where = f"{sheet_ref(own_sheet)}!{letter}{int(row)}" if not _blank(row) and own_sheet else ""
        data.append([where, field_name("ship_date"), None if _blank(rec.get("ship_date")) else
                     pd.Timestamp(rec["ship_date"]).date().isoformat(), issue_message(rec["flag"], lang),
                     t("severity.warning", lang)])
    write_text(ws, 2, 0, "" if data else t("issues.none", lang), s["note"])
    headers = [t("col.cell", lang), t("col.field", lang), t("col.value", lang), t("col.message", lang),
               t("col.severity_issue", lang)]
    _list_sheet(book, ws, 3, headers, data, ["text", "text", "text", "wrap", "text"])
    ws.set_column(3, 3, 60)


def write_about(book: Book) -> None:
    m, s, lang = book.model, book.s, book.lang
    ws = book.ws_current = book.ws["about"]
    book.title(ws, t("about.title", lang))
    st = m.settings
    info = [("about.month", month_label(m.month, lang)), ("about.as_of", m.as_of.isoformat()),
            ("about.basis", t(f"basis.{st.basis}", lang)), ("about.late_tolerance", str(st.late_tolerance)),
            ("about.early_tolerance", t("about.early_none", lang) if st.early_tolerance is None
             else str(st.early_tolerance)),
            ("about.major_days", str(st.major_days)), ("about.version", __version__),
            ("about.live", t("def.live", lang) if m.live else
             t("def.values", lang, limit=f"{len(m.classified):,}"))]
    if m.cache.get("risk_calendar_note"):   # the horizon ran through a year without holiday data
        info.append(("about.risk_calendar", m.cache["risk_calendar_note"]))
    r = 2
    wide = 100   # column B: definitions and notes wrap inside it

    def fit(row: int, text: Any) -> None:
        height = wrapped_height(text, wide)
        if height:
            ws.set_row(row, height)
    for key, value in info:
        write_text(ws, r, 0, t(key, lang), s["label_bold"])
        write_text(ws, r, 1, value, s["text_wrap"])
        fit(r, value)
        r += 1
    r += 1
    write_text(ws, r, 0, t("about.sources", lang), s["section"])
    r += 1
    write_text(ws, r, 0, t("about.file", lang), s["header_left"])
    write_text(ws, r, 1, t("about.sha256", lang), s["header_left"])
    for name, digest in m.source_files:
        r += 1
        write_text(ws, r, 0, name, s["text"])
        write_text(ws, r, 1, digest, s["mono"])
    r += 2
    write_text(ws, r, 0, t("about.definitions", lang), s["section"])
    r += 1
    write_text(ws, r, 0, t("about.term", lang), s["header_left"])
    write_text(ws, r, 1, t("about.meaning", lang), s["header_left"])
    terms = [("col.due_date", "def.due_date"), ("m.lines", "def.cohort"), ("m.on_time", "def.on_time"),
             ("m.late", "def.late"), ("m.early", "def.early"), ("m.pending", "def.pending"),
             ("m.otd", "def.otd"), ("m.otif", "def.otif"), ("col.days_late", "def.days_late"),
             ("col.severity", "def.severity"), ("col.root_cause", "def.root_cause"), ("col.risk", "def.risk"),
             ("outcome.closed_without_date", "def.unmeasured")]
    for term, definition in terms:
        r += 1
        write_text(ws, r, 0, t(term, lang), s["label_bold"])
        meaning = t(definition, lang, days=st.major_days, horizon=st.risk_horizon)
        write_text(ws, r, 1, meaning, s["text_wrap"])
        fit(r, meaning)
    ws.set_column(0, 0, 24)
    ws.set_column(1, 1, wide)
    print_setup(ws, landscape=False)


# --------------------------------------------------------------------------- the workbook

def formula_cost(model) -> int:
    """COUNTIFS passes x data lines: the recalculation work of the live workbook."""
    per_group = 12 * 4 + 4 + 4 + 1
    groups = sum(len(pivot_groups(model, field)[0]) for _, field in DIMENSIONS)
    summary = 3 * (4 + 4 + 4 + 10 + 2) + 3 * (4 + 4 + 3) + 4 + 5
    trend = 12 * (4 + 4 + 4 + 10 + 1)
    causes = 3 * len(model.pareto)
    return (groups * per_group + summary + trend + causes) * max(len(model.classified), 1)


def write_workbook(model, target) -> None:
    book = Book(model, target)
    write_summary(book)
    for key, field in DIMENSIONS:
        write_pivot(book, key, field)
    write_trend(book)
    write_causes(book)
    write_late(book)
    write_exceptions(book)
    if "suppliers" in book.ws:
        write_suppliers(book)
    write_escalation(book)
    from addin.writers.monthly_backlog import write_backlog
    write_backlog(book)
    from addin.writers.monthly_leadtimes import write_leadtimes
    write_leadtimes(book)
    write_data(book)
    write_issues(book)
    write_about(book)
    book.wb.set_properties({"title": t("summary.title", model.lang, month=month_label(model.month, model.lang)),
                            "comments": f"OrderDesk {__version__}"})
    book.wb.close()
