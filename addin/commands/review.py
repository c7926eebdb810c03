"""`orderdesk review ORDERS --quotes FILE --out FILE`: contract review and capable-to-promise
(SPEC sections 4 and 6)."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import click

from addin.commands.common import (calendar_option, apply, as_of_option, default_lang, existing_file, format_option, lang_option,
                                   map_option, progress, quiet_option, sheet_option)


@click.command()
@click.argument("orders", type=existing_file)
@click.option("--quotes", "quotes_file", type=existing_file, required=True,
              help="The quote book (one row per price break; charge rows named by Charge Type).")
@click.option("--bom", "bom_file", type=existing_file, help="BOM (multi-level; KiCad/Altium/KiBoM exports load).")
@click.option("--bom-parent", metavar="PART", help="The product a BOM without a parent column builds.")
@click.option("--stock", "stock_file", type=existing_file,
              help="Stock workbook. Its other sheets are searched for open purchase lines, capacity and "
                   "routing when those options are not given.")
@click.option("--purchases", "purchases_file", type=existing_file, help="Open purchase lines (part, qty, due date).")
@click.option("--capacity", "capacity_file", type=existing_file,
              help="Capacity: hours per working day per line (its other sheets are searched for routing).")
@click.option("--routing", "routing_file", type=existing_file, help="Routing: part, line, hours per unit.")
@click.option("--history", "history_file", type=existing_file,
              help="The order ledger: tooling paid on its earlier POs counts, and its open lines claim "
                   "stock and capacity ahead of later-due lines.")
@calendar_option("lead times and capacity", "a check counted through a later year is a warning")
@click.option("--inspection-days", type=click.IntRange(min=0), default=1, show_default=True,
              help="Outgoing inspection, working days after production.")
@click.option("--transport-days", type=click.IntRange(min=0), default=0, show_default=True,
              help="Transport to the customer, working days.")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The review workbook to write (.xlsx).")
@click.option("--reviewer", metavar="NAME", help="Who reviewed (written in the review record).")
@apply(sheet_option, map_option, as_of_option, lang_option, format_option(("table", "json")), quiet_option)
def review(orders: Path, quotes_file: Path, bom_file: Path | None, bom_parent: str | None,
           stock_file: Path | None, purchases_file: Path | None, capacity_file: Path | None,
           routing_file: Path | None, history_file: Path | None, calendar_spec: str, inspection_days: int,
           transport_days: int, out_file: Path, reviewer: str | None, sheet: str | None, map_file: Path | None,
           as_of: dt.date | None, lang: str | None, fmt: str, quiet: bool) -> None:
    """Review the PO lines in ORDERS against the quote book: quote, revision, price, lead time,
    MOQ and tooling; with --stock also material, with --capacity and --routing also capacity,
    and then the capable-to-promise date (split when part can ship earlier). Writes the review
    workbook with the review record (reviewer, date, sign-off by sales, PMC, purchasing,
    engineering).

    Stock, open purchases, capacity and routing may be sheets of one workbook: give it as
    --stock (and --capacity) and each kind is found by its headers; a separate file given with
    --purchases, --capacity or --routing wins. --sheet and --map apply to ORDERS.

    \b
    Example:
      orderdesk review po.xlsx --quotes quotes.xlsx --out review.xlsx
      orderdesk review po.xlsx --quotes quotes.xlsx --bom bom.xlsx --stock stock.xlsx \\
          --capacity capacity.xlsx --history ledger.xlsx --reviewer 张三 --format json --out review.xlsx
    """
    from addin.compute.calendar import load_calendar
    from addin.errors import InputError
    from addin.compute.promise import Plan
    from addin.readers import read
    from addin.compute.review import review_lines
    from addin.writers.reviewbook import write_review_book

    lang = lang or default_lang()
    as_of = as_of or dt.date.today()
    calendar = load_calendar(calendar_spec)
    progress(f"reading {orders.name}")
    order_data = read(orders, "ledger", sheet=sheet, mapping=map_file).data
    quote_data = read(quotes_file, "quotes").data

    def optional(path: Path | None, kind: str, *fallbacks: Path | None) -> Any:
        if path is not None:
            return read(path, kind).data
        for other in fallbacks:
            if other is None:
                continue
            try:
                return read(other, kind).data
            except InputError:
                continue  # that workbook has no sheet of this kind
        return None

    history = read(history_file, "ledger").data if history_file is not None else None
    plan = None
    if any(p is not None for p in (bom_file, stock_file, capacity_file)):
        plan = Plan(
            bom=read(bom_file, "bom").data if bom_file is not None else None,
            stock=optional(None, "stock", stock_file),
            purchases=optional(purchases_file, "purchases", stock_file),
            capacity=optional(None, "capacity", capacity_file, stock_file),
            routing=optional(routing_file, "routing", capacity_file, stock_file),
            open_orders=history, inspection_days=inspection_days, transport_days=transport_days,
            bom_parent=bom_parent)
    progress(f"reviewing {len(order_data)} PO lines")
    result = review_lines(order_data, quote_data, calendar=calendar, lang=lang, history=history,
                          as_of=as_of, plan=plan)
    inputs = [p for p in (orders, quotes_file, bom_file, stock_file, purchases_file, capacity_file,
                          routing_file, history_file) if p is not None]
    write_review_book(out_file, result, lang=lang, reviewer=reviewer, review_date=as_of,
                      sources=[p.name for p in inputs], inputs=inputs)
    if fmt == "json":
        click.echo(json.dumps(review_json(result), ensure_ascii=False, indent=1))
    elif not quiet:
        click.echo(review_table(result, lang))
        click.echo(f"wrote {out_file}")


def _day(value: Any) -> str | None:
    import pandas as pd
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date().isoformat()


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(float(value), 4)


def review_json(result) -> dict:
    """SPEC section 6: one object per PO line, checks that ran only; ``split`` lists the part
    that can ship before ``promise_date`` (empty when the line ships in one go)."""
    from addin.compute.review import CHECKS
    lines = []
    for _, row in result.iterrows():
        checks = {}
        for check in CHECKS:
            column = f"{check}_result"
            if column in result.columns and isinstance(row[column], str):
                checks[check] = {"result": row[column], "reason": row[f"{check}_reason"]}
        split = row["split"] if "split" in result.columns else None
        lines.append({
            "order_no": row.get("order_no"), "line_no": row.get("line_no"), "part_no": row.get("part_no"),
            "verdict": row["verdict"], "checks": checks,
            "promise_date": _day(row["promise_date"]) if "promise_date" in result.columns else None,
            "split": [{"qty": _number(p["qty"]), "date": _day(p["date"])} for p in split[:-1]]
            if isinstance(split, list) else [],
        })
    counts = result["verdict"].value_counts()
    return {"lines": lines, "summary": {k: int(counts.get(k, 0)) for k in ("pass", "warn", "fail")}}


def review_table(result, lang: str = "en") -> str:
    """A short text view: one line per PO line, then the reason of every check not passed, and
    the calendar note when some line's dates ran through a year without holiday data."""
    from addin.compute.review import CHECKS
    from addin.writers.reviewbook import calendar_note
    out = []
    for _, row in result.iterrows():
        promise = _day(row["promise_date"]) if "promise_date" in result.columns else None
        head = f"{row.get('order_no') or ''} / {row.get('line_no') or ''}  {row.get('part_no') or ''}  " \
               f"{(row['verdict'] or '').upper()}"
        if promise:
            head += f"  promise {promise}"
        out.append(head)
        for check in CHECKS:
            column = f"{check}_result"
            if column in result.columns and row[column] in ("warn", "fail"):
                out.append(f"    {check:<9} {row[column]:<4}  {row[f'{check}_reason']}")
    counts = result["verdict"].value_counts()
    out.append(" ".join(f"{k} {int(counts.get(k, 0))}" for k in ("pass", "warn", "fail")))
    note = calendar_note(result, lang)
    if note:
        out.append(note)
    return "\n".join(out)
