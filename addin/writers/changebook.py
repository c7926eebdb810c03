"""The change workbook (SPEC section 11): the change log, the re-promise, how the two copies
were matched, and per changed order the two notices of seed practice — 客户订单变更通知单 (to
the customer: that order's lines only) and 生产任务通知变更单 (to production, with the other
lines the change moves) — each a printable sheet (A4 portrait, one page wide, title rows
repeated, header and footer)."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from addin.i18n import LANGS, t
from addin.writers.xlsx import (FONT, Styles, is_blank, open_workbook, print_setup, set_widths, wrapped_height,
                                write_text, write_value)

__all__ = ["write_change_book", "sheet_name", "kind_label", "value_text"]

_BAD = re.compile(r"[\[\]:*?/\\]")
_ISSUES_SHOWN = 200   # matching notes on the sheet; --format json lists every one


def sheet_name(prefix: str, order_no: str, taken: set[str]) -> str:
    """``prefix order_no`` as a sheet name Excel accepts (≤ 31 characters, none of ``[]:*?/\\``),
    unique among ``taken`` (compared without case, as Excel does); added to ``taken``."""
    base = _BAD.sub("_", f"{prefix} {order_no}".strip()).strip("'")[:31] or prefix
    name, n = base, 1
    while name.casefold() in taken:
        n += 1
        tail = f" ({n})"
        name = base[:31 - len(tail)] + tail
    taken.add(name.casefold())
    return name


def kind_label(kind: str, lang: str) -> str:
    return t(f"changes.kind.{kind}", lang)


def _number(value: Any) -> str:
    number = float(value)
    return f"{int(number):,}" if number.is_integer() else f"{number:,.4g}"


def value_text(kind: str, value: Any, lang: str) -> str:
    """A change's old or new value as a notice shows it."""
    if isinstance(value, dict):  # a whole line added or removed
        date = value.get("promised_date") or value.get("requested_date")
        return t("changes.line_summary", lang, part=value.get("part_no") or "",
                 qty="" if is_blank(value.get("qty")) else _number(value["qty"]),
                 date=date.isoformat() if date else "")
    if is_blank(value):
        return t("changes.blank", lang)
    if kind in ("status", "cancelled"):
        key = f"changes.status.{value}"
        from addin.i18n import STRINGS
        return t(key, lang) if key in STRINGS else str(value)
    if isinstance(value, (dt.date, pd.Timestamp)):
        return pd.Timestamp(value).date().isoformat()
    if isinstance(value, (int, float)):
        return _number(value)
    return str(value)


def _action(kind: str, old: Any, new: Any, lang: str) -> str:
    if kind == "qty" and not is_blank(old) and not is_blank(new):
        diff = float(new) - float(old)
        return t("changes.act.qty_up" if diff > 0 else "changes.act.qty_down", lang, n=_number(abs(diff)))
    if kind in ("requested_date", "promised_date"):
        if isinstance(old, dt.date) and isinstance(new, dt.date):
            days = (new - old).days
            return t("changes.act.later" if days > 0 else "changes.act.earlier", lang, n=abs(days))
        return t("changes.act.date", lang)
    if kind in ("added", "removed", "cancelled", "part_no", "revision"):
        return t(f"changes.act.{kind}", lang)
    return ""


def write_change_book(path: Path, job: Any, *, lang: str = "en", inputs: Iterable[Path] = ()) -> Path:
    """Write the change workbook for a ``ChangeJob`` (``addin.jobs.changes``). Atomic; refuses to
    overwrite one of ``inputs``."""
    from addin.files.atomic import atomic_write
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {sorted(LANGS)}, not {lang!r}")
    return atomic_write(Path(path), lambda tmp: _write(tmp, job, lang), inputs=[Path(p) for p in inputs])


def _write(target: Path, job: Any, lang: str) -> None:
    wb = open_workbook(str(target))
    st = Styles(wb)
    st.cells = cell_formats(wb)
    taken: set[str] = set()
    _log_sheet(wb, st, job, lang, taken)
    if job.repromise is not None:
        _repromise_sheet(wb, st, job, lang, taken)
    _notes_sheet(wb, st, job, lang, taken)
    changes = job.diff.changes
    for order in job.diff.changed_orders:
        rows = changes[(changes["order_no"] == order) & changes["kind"].isin(_notice_kinds())]
        _notice(wb, st, job, lang, taken, order, rows, production=False)
        _notice(wb, st, job, lang, taken, order, rows, production=True)
    wb.close()


def _promised(new: pd.DataFrame, index: Any) -> Any:
    """The promised (else requested) date of the new copy's line ``index``; None for a removed line."""
    if index is None or (isinstance(index, float) and pd.isna(index)) or index not in new.index:
        return None
    for name in ("promised_date", "requested_date"):
        if name in new.columns and not pd.isna(new.at[index, name]):
            return new.at[index, name]
    return None


def _notice_kinds():
    from addin.compute.changes import NOTICE_KINDS
    return NOTICE_KINDS


def _files_text(job: Any) -> tuple[str, str]:
    return tuple(f"{f['file'] or ''}" + (f" ({f['sheet']})" if f.get("sheet") else "") for f in job.files) \
        if len(job.files) == 2 else ("", "")


def cell_formats(wb) -> dict[str, Any]:
    """Table cells of one workbook, all centred vertically (a wrapped cell beside a one-line one
    must not sit on another line of the row)."""
    base = {"border": 1, "border_color": "#D9D9D9", "valign": "vcenter", "font_name": FONT}
    return {"text": wb.add_format(base), "wrap": wb.add_format({**base, "text_wrap": True}),
            "num": wb.add_format({**base, "num_format": "#,##0.####"}),
            "date": wb.add_format({**base, "num_format": "yyyy-mm-dd", "align": "left"})}


def _table(ws, st, row: int, headers: list[str], rows: list[list[Any]], kinds: list[str]) -> int:
    """A bordered table at ``row``; returns the row after it. Rows grow to show wrapped text."""
    for col, header in enumerate(headers):
        write_text(ws, row, col, header, st["header"])
    fmt = st.cells
    for r, values in enumerate(rows, start=row + 1):
        for col, (value, kind) in enumerate(zip(values, kinds)):
            if kind in ("text", "wrap"):
                write_text(ws, r, col, None if is_blank(value) else value, fmt[kind])
            else:
                write_value(ws, r, col, value, fmt[kind], fmt["date"])
        widths = getattr(ws, "od_widths", None)
        if widths:
            heights = [wrapped_height(v, widths[c]) for c, (v, k) in enumerate(zip(values, kinds))
                       if k == "wrap" and c < len(widths)]
            heights = [h for h in heights if h]
            if heights:
                ws.set_row(r, min(max(heights), 300))
    return row + 1 + len(rows)


def _log_sheet(wb, st, job, lang: str, taken: set[str]) -> None:
    ws = wb.add_worksheet(sheet_name(t("changes.sheet_log", lang), "", taken))
    old, new = _files_text(job)
    changes = job.diff.changes
    write_text(ws, 0, 0, t("changes.title", lang), st["title"])
    write_text(ws, 1, 0, t("changes.subtitle", lang, old=old, new=new, as_of=job.as_of.isoformat()), st["subtitle"])
    orders = changes["order_no"].nunique() if len(changes) else 0
    write_text(ws, 2, 0, t("changes.counts", lang, n=len(changes), orders=orders,
                           notice=len(job.diff.changed_orders)) if len(changes) else t("changes.none", lang),
               st["subtitle"])
    counts = [f"{kind_label(kind, lang)} {n}" for kind, n in job.diff.counts().items() if n]
    if counts:
        write_text(ws, 3, 0, " · ".join(counts), st["subtitle"])
    headers = [t("changes.order_col", lang), t("changes.line_col", lang), t("changes.customer_col", lang),
               t("changes.part_col", lang), t("changes.description", lang), t("changes.kind", lang),
               t("changes.old", lang), t("changes.new", lang), t("changes.old_row", lang), t("changes.new_row", lang)]
    rows = [[r.order_no, r.line_no, r.customer, r.part_no, r.description, kind_label(r.kind, lang),
             value_text(r.kind, r.old, lang) if r.kind != "added" else None,
             value_text(r.kind, r.new, lang) if r.kind != "removed" else None, r.old_row, r.new_row]
            for r in changes.itertuples(index=False)]
    head = 5
    ws.od_widths = set_widths(ws, [[h] + [r[i] for r in rows[:500]] for i, h in enumerate(headers)], maximum=40)
    end = _table(ws, st, head, headers, rows, ["text"] * 6 + ["wrap", "wrap", "num", "num"])
    if rows:
        ws.autofilter(head, 0, end - 1, len(headers) - 1)
    ws.freeze_panes(head + 1, 2)
    print_setup(ws, repeat_rows=(head, head), area=(0, 0, max(end - 1, head), len(headers) - 1))
    ws.set_header(f"&C{t('changes.title', lang)}")


def _repromise_sheet(wb, st, job, lang: str, taken: set[str]) -> None:
    ws = wb.add_worksheet(sheet_name(t("changes.sheet_repromise", lang), "", taken))
    lines = job.repromise.lines
    write_text(ws, 0, 0, t("changes.rp_title", lang, as_of=job.as_of.isoformat()), st["title"])
    write_text(ws, 1, 0, t("changes.rp_note", lang), st["subtitle"])
    write_text(ws, 2, 0, t("changes.rp_moved", lang, n=int(lines["moved"].sum())) if len(lines)
               else t("changes.rp_none", lang), st["subtitle"])
    headers = [t("changes.order_col", lang), t("changes.line_col", lang), t("changes.customer_col", lang),
               t("changes.part_col", lang), t("changes.qty_col", lang), t("changes.promised_col", lang),
               t("changes.why", lang), t("changes.shared", lang), t("changes.old_promise", lang),
               t("changes.new_promise", lang), t("changes.days", lang), t("changes.after_promise", lang),
               t("changes.reason", lang)]
    rows = [[r.order_no, r.line_no, r.customer, r.part_no, r.qty, r.promised_date, t(f"changes.why.{r.why}", lang),
             r.shared, r.old_promise, r.new_promise, r.days, t("changes.yes", lang) if r.after_promise else "",
             r.reason] for r in lines.itertuples(index=False)]
    head = 4
    widths = [[h] + [r[i] for r in rows[:500]] for i, h in enumerate(headers)]
    widths[7], widths[12] = [headers[7], "x" * 24], [headers[12], "x" * 40]
    ws.od_widths = set_widths(ws, widths, maximum=44)
    end = _table(ws, st, head, headers, rows, ["text", "text", "text", "text", "num", "date", "text", "wrap",
                                               "date", "date", "num", "text", "wrap"])
    if rows:
        ws.autofilter(head, 0, end - 1, len(headers) - 1)
        moved_col = 10
        ws.conditional_format(head + 1, 0, end - 1, len(headers) - 1,
                              {"type": "formula", "criteria": f"=${chr(65 + moved_col)}{head + 2}<>\"\"",
                               "format": st["amber"]})
    ws.freeze_panes(head + 1, 2)
    print_setup(ws, repeat_rows=(head, head), area=(0, 0, max(end - 1, head), len(headers) - 1))


def _notes_sheet(wb, st, job, lang: str, taken: set[str]) -> None:
    ws = wb.add_worksheet(sheet_name(t("changes.sheet_notes", lang), "", taken))
    write_text(ws, 0, 0, t("changes.notes_title", lang), st["title"])
    row = 2
    for f in job.files:
        rows = f.get("rows") or {}
        if rows:
            write_text(ws, row, 0, t("changes.rows", lang, label=t(f"changes.file.{f['label'].lower()}", lang),
                                     file=f["file"], sheet=f["sheet"], read=rows.get("read"),
                                     valid=rows.get("valid"), issues=rows.get("issues"),
                                     blank=rows.get("blank_or_total")), st["label"])
            row += 1
    for note in job.notes:
        write_text(ws, row, 0, note, st["label"])
        row += 1
    shown = job.diff.issues[:_ISSUES_SHOWN]
    for issue in shown:
        side = t(f"changes.file.{issue.side}", lang) if issue.side in ("old", "new") else issue.side
        if issue.kind == "no_column":
            from addin.i18n import field_label
            text = t("changes.issue.no_column", lang, file=side, field=field_label(issue.field, lang))
        else:
            text = t(f"changes.issue.{issue.kind}", lang, file=side, order=issue.order_no or "", line=issue.line_no or "",
                     count=issue.count, rows=", ".join(str(r) for r in issue.rows[:20])
                     + (" …" if len(issue.rows) > 20 else ""))
        write_text(ws, row, 0, text, st["label"])
        row += 1
    if len(job.diff.issues) > len(shown):
        write_text(ws, row, 0, t("changes.more_issues", lang, n=len(job.diff.issues) - len(shown)), st["label"])
        row += 1
    read_issues = [(f, i) for f in job.files for i in f.get("issues", [])]
    if read_issues:
        row += 1
        write_text(ws, row, 0, t("changes.rejected", lang), st["label_bold"])
        row += 1
        headers = [t("changes.file.old", lang) + "/" + t("changes.file.new", lang), t("changes.issue_cell", lang),
                   t("changes.issue_value", lang), t("changes.issue_message", lang)]
        from addin.i18n import issue_message
        rows = [[t(f"changes.file.{f['label'].lower()}", lang), i.get("cell"),
                 None if i.get("value") is None else str(i.get("value")), issue_message(i.get("message"), lang)]
                for f, i in read_issues]
        row = _table(ws, st, row, headers, rows, ["text"] * 4)
    ws.set_column(0, 0, 110)
    print_setup(ws, landscape=False)


def _notice(wb, st, job, lang: str, taken: set[str], order: str, rows: pd.DataFrame, *, production: bool) -> None:
    """One notice: title, who it is for, the order, the changed lines, (production: the other lines
    the change moves), and the sign-off block. The customer's notice names nothing but this order."""
    prefix = t("changes.sheet_production" if production else "changes.sheet_customer", lang)
    ws = wb.add_worksheet(sheet_name(prefix, order, taken))
    title = t("changes.prod_title" if production else "changes.cust_title", lang)
    width = 8
    bold = wb.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter",
                          "font_name": "Microsoft YaHei"})
    ws.merge_range(0, 0, 0, width - 1, "", bold)
    write_text(ws, 0, 0, title, bold)
    ws.set_row(0, 30)
    customer = next((c for c in rows["customer"].tolist() if isinstance(c, str) and c), "")
    stamp = job.as_of.strftime("%Y%m%d")
    number = f"{'PC' if production else 'CC'}-{order}-{stamp}"
    to = t("changes.to_production", lang) if production else customer
    label, text = st["label_bold"], st["label"]
    info = [(t("changes.to", lang), to, t("changes.notice_no", lang), number),
            (t("changes.order_col", lang), order, t("changes.notice_date", lang), job.as_of.isoformat())]
    if production:
        info.append((t("changes.customer_col", lang), customer, "", ""))
    r = 2
    for a, b, c, d in info:
        write_text(ws, r, 0, a, label)
        ws.merge_range(r, 1, r, 3, "", text)
        write_text(ws, r, 1, b, text)
        write_text(ws, r, 4, c, label if c else None)
        ws.merge_range(r, 5, r, width - 1, "", text)
        write_text(ws, r, 5, d, text)
        r += 1
    widths = [8, 14, 18, 12, 18, 18, 16, 12]
    for col, w in enumerate(widths):
        ws.set_column(col, col, w)
    ws.od_widths = widths
    r += 1
    intro = t("changes.prod_intro" if production else "changes.cust_intro", lang, order=order)
    write_text(ws, r, 0, intro, None)
    r += 1
    # with a plan the capable-to-promise date, else the date the new ledger promises
    date_header = t("changes.promise_col" if job.repromise is not None else "changes.promised_col", lang)
    promise = {}
    if job.repromise is not None:
        promise = {(x.order_no, x.line_no): x.new_promise for x in job.repromise.lines.itertuples(index=False)}
    if production:
        headers = [t("changes.line_col", lang), t("changes.part_col", lang), t("changes.description", lang),
                   t("changes.kind", lang), t("changes.old", lang), t("changes.new", lang),
                   t("changes.action", lang), date_header]
    else:
        headers = [t("changes.line_col", lang), t("changes.part_col", lang), t("changes.description", lang),
                   t("changes.kind", lang), t("changes.old", lang), t("changes.new", lang),
                   date_header, ""]
    body = []
    for x in rows.itertuples(index=False):
        old = value_text(x.kind, x.old, lang) if x.kind != "added" else None
        new = value_text(x.kind, x.new, lang) if x.kind != "removed" else None
        day = promise.get((x.order_no, x.line_no)) if job.repromise is not None else _promised(job.new, x.new_index)
        if production:
            body.append([x.line_no, x.part_no, x.description, kind_label(x.kind, lang), old, new,
                         _action(x.kind, x.old, x.new, lang), day])
        else:
            body.append([x.line_no, x.part_no, x.description, kind_label(x.kind, lang), old, new, day, None])
    head = r
    kinds = ["text", "text", "wrap", "text", "wrap", "wrap", "wrap", "date"] if production else \
        ["text", "text", "wrap", "text", "wrap", "wrap", "date", "text"]
    r = _table(ws, st, head, headers if production else headers[:7], body,
               kinds if production else kinds[:7])
    if production and job.repromise is not None:
        others = job.repromise.lines
        others = others[(others["order_no"] != order) & (others["why"] != "changed") & others["moved"]]
        if len(others):
            r += 1
            write_text(ws, r, 0, t("changes.prod_affected", lang), st["label_bold"])
            r += 1
            hs = [t("changes.order_col", lang), t("changes.line_col", lang), t("changes.customer_col", lang),
                  t("changes.part_col", lang), t("changes.shared", lang), t("changes.old_promise", lang),
                  t("changes.new_promise", lang), t("changes.days", lang)]
            rows_ = [[o.order_no, o.line_no, o.customer, o.part_no, o.shared, o.old_promise, o.new_promise, o.days]
                     for o in others.itertuples(index=False)]
            r = _table(ws, st, r, hs, rows_, ["text", "text", "text", "text", "wrap", "date", "date", "num"])
    r += 1
    if not production:
        write_text(ws, r, 0, t("changes.cust_confirm", lang), None)
        r += 2
        signs = [t("changes.sign_customer", lang), t("changes.sign_sales", lang)]
    else:
        r += 1
        signs = [t("changes.sign_sales", lang), t("changes.sign_pmc", lang), t("changes.sign_production", lang),
                 t("changes.sign_purchasing", lang), t("changes.sign_quality", lang), t("changes.sign_warehouse", lang)]
    line = wb.add_format({"bottom": 1, "font_name": "Microsoft YaHei"})
    sign = wb.add_format({"bold": True, "valign": "bottom", "font_name": FONT})
    for name in signs:
        ws.merge_range(r, 0, r, 1, "", sign)
        write_text(ws, r, 0, name, sign)
        ws.merge_range(r, 2, r, 4, "", line)
        write_text(ws, r, 5, t("changes.sign_date", lang), sign)
        ws.merge_range(r, 6, r, width - 1, "", line)
        ws.set_row(r, 30)
        r += 1
    print_setup(ws, landscape=False, area=(0, 0, r - 1, width - 1))
    ws.set_header(f"&L{number.replace('&', '&&')}&R{job.as_of.isoformat()}")
    ws.set_footer(f"&C{title}&R&P / &N")
