"""The PMC workbook (SPEC section 10): Shortages (what to buy, by when, what to expedite),
Capacity load (per line and ISO week, overloads highlighted by conditional formatting, so an
edited figure recolours itself), Blocked orders (what holds each customer line) and Late
purchases (and the customer lines each holds). Writes a computed ``addin.compute.plan.PmcPlan``;
computes nothing."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from addin.compute.columns import qty_text
from addin.i18n import LANGS, table
from addin.writers.xlsx import Styles, cell, is_blank, open_workbook, print_setup, set_widths, write_text, write_value

__all__ = ["write_plan_book", "plan_tables", "blocker_text", "LABELS", "SHEETS"]

LABELS: dict[str, dict[str, str]] = table("planbook")
SHEETS = {lang: [LABELS[lang][f"sheet_{k}"] for k in ("shortages", "capacity", "blocked", "late")] for lang in LANGS}
HEADER_ROW = 3   # 0-based: title, subtitle, notes, then the table


def blocker_text(blocker: dict, lang: str) -> str:
    """One blocker of a customer line in words (``planbook.why_*``)."""
    L = LABELS[lang]
    date = "" if blocker.get("date") is None or pd.isna(blocker.get("date")) else \
        pd.Timestamp(blocker["date"]).date().isoformat()
    if blocker["action"] == "capacity":
        return L["why_capacity"].format(line=blocker["line"], date=date)
    qty = qty_text(round(float(blocker["qty"]), 4))
    if blocker["action"] == "expedite":
        return L["why_expedite"].format(part=blocker["part_no"], po=blocker["po_no"] or L["no_po"],
                                        supplier=blocker["supplier"] or L["no_supplier"], date=date, qty=qty)
    if not date:
        return L["why_buy_unknown"].format(part=blocker["part_no"], qty=qty)
    return L["why_buy"].format(part=blocker["part_no"], qty=qty, date=date)


def write_plan_book(path: Path, plan: Any, *, lang: str = "en", sources: Iterable[str] = (),
                    notes: Iterable[str] = (), inputs: Iterable[Path] = ()) -> Path:
    """Write the PMC workbook for ``plan`` (``addin.compute.plan.PmcPlan``) atomically; refuses to
    overwrite one of ``inputs``."""
    from addin.files.atomic import atomic_write
    if lang not in LABELS:
        raise ValueError(f"lang must be one of {sorted(LABELS)}, not {lang!r}")
    sources, notes = list(sources), list(notes)
    return atomic_write(Path(path), lambda tmp: _write(tmp, plan, lang, sources, notes),
                        inputs=[Path(p) for p in inputs])


def _lines(pairs) -> str:
    return ", ".join(f"{o}/{n}" if not is_blank(n) else str(o) for o, n in pairs)


def _write(target: Path, plan: Any, lang: str, sources: list[str], notes: list[str]) -> None:
    L = LABELS[lang]
    wb = open_workbook(str(target))
    st = Styles(wb)
    as_of = pd.Timestamp(plan.as_of)
    subtitle = L["subtitle"].format(as_of=plan.as_of.isoformat(), lines=plan.open_lines,
                                    sources=", ".join(sources) or "-")
    red = wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
    amber = wb.add_format({"bg_color": "#FFEB9C", "font_color": "#9C5700"})
    qty = wb.add_format({"num_format": "#,##0.####", "border": 1, "border_color": "#D9D9D9"})
    hours = wb.add_format({"num_format": "#,##0.0", "border": 1, "border_color": "#D9D9D9"})
    pct = st["pct"]
    formats = {"text": st["text"], "wrap": st["text_wrap"], "qty": qty, "hours": hours, "date": st["date"],
               "pct": pct, "int": st["int"]}

    def sheet(key: str, columns: list[tuple[str, list, str]], empty: str, rows: int, note_lines: list[str] = ()):
        ws = wb.add_worksheet(L[f"sheet_{key}"])
        write_text(ws, 0, 0, L[f"title_{key}"], st["title"])
        write_text(ws, 1, 0, subtitle, st["subtitle"])
        if note_lines:
            write_text(ws, 2, 0, " · ".join(note_lines), st["note"])
        for col, (header, values, kind) in enumerate(columns):
            write_text(ws, HEADER_ROW, col, header, st["header"])
            fmt = formats[kind]
            for offset, value in enumerate(values):
                row = HEADER_ROW + 1 + offset
                if kind in ("text", "wrap"):
                    write_text(ws, row, col, None if is_blank(value) else value, fmt)
                else:
                    write_value(ws, row, col, None if is_blank(value) else value, fmt, st["date"])
        if not rows:
            write_text(ws, HEADER_ROW + 1, 0, empty, st["note"])
        last = HEADER_ROW + max(rows, 1)
        ws.freeze_panes(HEADER_ROW + 1, 1)
        ws.autofilter(HEADER_ROW, 0, last, len(columns) - 1)
        set_widths(ws, [[header[:24]] + (["x" * 40] if kind == "wrap" else list(values[:300]))
                        for header, values, kind in columns], maximum=60)
        ws.set_row(HEADER_ROW, 32)
        print_setup(ws, repeat_rows=(HEADER_ROW, HEADER_ROW))
        return ws, last

    cols = _columns(plan, lang)
    s = plan.shortages
    ws, last = sheet("shortages", cols["shortages"], L["none_shortages"] if plan.ran_material else L["no_stock"],
                     len(s), notes + ([] if plan.ran_material else [L["no_stock"]]))
    if len(s):  # an order-by date already past: order today
        ws.conditional_format(HEADER_ROW + 1, 5, last, 5, {"type": "date", "criteria": "less than",
                                                            "value": as_of.to_pydatetime(), "format": red})
    c = plan.capacity
    columns = cols["capacity"]
    ws, last = sheet("capacity", columns, L["none_capacity"] if plan.ran_capacity else L["no_capacity"], len(c),
                     [] if plan.ran_capacity else [L["no_capacity"]])
    if len(c):  # overloaded weeks red, weeks behind on the cumulative load amber
        first = HEADER_ROW + 2  # 1-based row of the first data row
        required, available = cell(first - 1, 3, row_abs=False, col_abs=True), cell(first - 1, 4, row_abs=False, col_abs=True)
        cum_req, cum_av = cell(first - 1, 6, row_abs=False, col_abs=True), cell(first - 1, 7, row_abs=False, col_abs=True)
        ws.conditional_format(HEADER_ROW + 1, 0, last, len(columns) - 1, {
            "type": "formula", "criteria": f"=AND(ISNUMBER({available}),{required}>{available})",
            "format": red, "stop_if_true": True})
        ws.conditional_format(HEADER_ROW + 1, 0, last, len(columns) - 1, {
            "type": "formula", "criteria": f"=AND(ISNUMBER({cum_av}),{cum_req}>{cum_av})", "format": amber})
    b = plan.blocked
    ws, _ = sheet("blocked", cols["blocked"], L["none_blocked"], len(b))
    why = next(values for header, values, kind in cols["blocked"] if header == L["blocked_by"])
    for offset, text in enumerate(why):
        ws.set_row(HEADER_ROW + 1 + offset, 15 * min(max(text.count("\n") + 1, 1), 12))
    p = plan.late_purchases
    ws, last = sheet("late", cols["late"], L["none_late"], len(p))
    if len(p):  # overdue red, at risk amber
        for word, fmt in (("late", red), ("at_risk", amber)):
            ws.conditional_format(HEADER_ROW + 1, 5, last, 5, {"type": "cell", "criteria": "==",
                                                                "value": f'"{L[word]}"', "format": fmt})
    wb.close()


def _po_text(entry: tuple, L: dict[str, str]) -> str:
    po, supplier, due = entry
    day = "" if due is None or pd.isna(due) else pd.Timestamp(due).date().isoformat()
    return f"{po or L['no_po']} ({supplier or L['no_supplier']}) {day}".strip()


def _columns(plan: Any, lang: str) -> dict[str, list[tuple[str, list, str]]]:
    """Each sheet's columns: (header, values, kind), in the user's language. One definition for
    the PMC workbook and the sheets the Excel button writes."""
    L = LABELS[lang]
    s, c, b, p = plan.shortages, plan.capacity, plan.blocked, plan.late_purchases
    status = [L["not_in_capacity"] if not ok else L["overloaded"] if over else L["cum_overloaded"] if behind
              else L["ok"] for ok, over, behind in zip(c["in_capacity"], c["overloaded"], c["cum_overloaded"])]
    why = ["\n".join(blocker_text(x, lang) for x in by) for by in b["blocked_by"]]
    actions = [", ".join(dict.fromkeys(L[f"act_{x['action']}"] for x in by)) for by in b["blocked_by"]]
    suppliers = [", ".join(dict.fromkeys(x["supplier"] for x in by if x.get("supplier"))) for by in b["blocked_by"]]
    pos = [", ".join(dict.fromkeys(x["po_no"] for x in by if x.get("po_no"))) for by in b["blocked_by"]]
    words = {"late": L["late"], "at_risk": L["at_risk"]}
    return {
        "shortages": [
            (L["part_no"], s["part_no"].tolist(), "text"), (L["need_date"], s["need_date"].tolist(), "date"),
            (L["short_qty"], s["short_qty"].tolist(), "qty"),
            (L["alternates_used"], [", ".join(a) for a in s["alternates_used"]], "text"),
            (L["buy_qty"], s["buy_qty"].tolist(), "qty"), (L["order_by"], s["order_by"].tolist(), "date"),
            (L["lead_time_days"], s["lead_time_days"].tolist(), "qty"), (L["free_qty"], s["free_qty"].tolist(), "qty"),
            (L["expedite"], ["; ".join(_po_text(e, L) for e in x) for x in s["expedite"]], "wrap"),
            (L["lines"], s["lines"].tolist(), "int")],
        "capacity": [
            (L["line"], c["line"].tolist(), "text"), (L["week"], c["week"].tolist(), "text"),
            (L["week_start"], c["week_start"].tolist(), "date"),
            (L["required_h"], c["required_h"].tolist(), "hours"), (L["available_h"], c["available_h"].tolist(), "hours"),
            (L["load"], c["load"].tolist(), "pct"),
            (L["cum_required_h"], c["cum_required_h"].tolist(), "hours"),
            (L["cum_available_h"], c["cum_available_h"].tolist(), "hours"), (L["status"], status, "text")],
        "blocked": [
            (L["order_no"], b["order_no"].tolist(), "text"), (L["line_no"], b["line_no"].tolist(), "text"),
            (L["customer"], b["customer"].tolist(), "text"), (L["priority"], b["priority"].tolist(), "text"),
            (L["part_no"], b["part_no"].tolist(), "text"), (L["qty"], b["qty"].tolist(), "qty"),
            (L["due_date"], b["due_date"].tolist(), "date"), (L["need_date"], b["need_date"].tolist(), "date"),
            (L["material_ready"], b["material_ready"].tolist(), "date"),
            (L["capacity_finish"], b["capacity_finish"].tolist(), "date"),
            (L["promise_date"], b["promise_date"].tolist(), "date"),
            (L["days_late"], [None if pd.isna(d) else int(d) for d in b["days_late"]], "int"),
            (L["actions"], actions, "text"), (L["blocked_by"], why, "wrap"),
            (L["suppliers"], suppliers, "text"), (L["po_no"], pos, "text")],
        "late": [
            (L["po_no"], p["po_no"].tolist(), "text"), (L["supplier"], p["supplier"].tolist(), "text"),
            (L["part_no"], p["part_no"].tolist(), "text"), (L["po_qty"], p["qty"].tolist(), "qty"),
            (L["po_due"], p["due_date"].tolist(), "date"), (L["status"], [words[x] for x in p["status"]], "text"),
            (L["days_late"], p["days_late"].tolist(), "int"), (L["first_need"], p["need_date"].tolist(), "date"),
            (L["blocks"], [_lines(x) for x in p["blocks"]], "wrap"),
            (L["waiting"], [_lines(x) for x in p["waiting"]], "wrap")],
    }


def plan_tables(plan: Any, lang: str = "en") -> dict[str, pd.DataFrame]:
    """The four sheets as tables (sheet name in ``lang`` -> frame with the workbook's headers and
    texts): what the Excel button writes into the user's workbook."""
    if lang not in LABELS:
        raise ValueError(f"lang must be one of {sorted(LABELS)}, not {lang!r}")
    L = LABELS[lang]
    return {L[f"sheet_{key}"]: pd.DataFrame({header: values for header, values, _ in columns})
            for key, columns in _columns(plan, lang).items()}
