"""`orderdesk review ORDERS --quotes FILE --out FILE`: contract review and capable-to-promise
(SPEC sections 4 and 6)."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from addin.commands.common import DAYS, Command, echo as safe_echo

from addin.commands.common import (apply, as_of_option, calendar_option, config_option, default_lang, existing_file,
                                   format_option, lang_option, map_option, progress, quiet_option, settings_from,
                                   sheet_option)
from addin.config import INSPECTION_DAYS, TRANSPORT_DAYS
from addin.jobs.review import day_text as _day
from addin.jobs.review import review_json


@click.command(cls=Command)
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
@click.option("--inspection-days", type=DAYS, default=INSPECTION_DAYS, show_default=True,
              help="Outgoing inspection, working days after production.")
@click.option("--transport-days", type=DAYS, default=TRANSPORT_DAYS, show_default=True,
              help="Transport to the customer, working days.")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The review workbook to write (.xlsx).")
@click.option("--reviewer", metavar="NAME", help="Who reviewed (written in the review record).")
@apply(sheet_option, map_option, as_of_option, lang_option, format_option(("table", "json")), config_option,
       quiet_option)
def review(orders: Path, quotes_file: Path, bom_file: Path | None, bom_parent: str | None,
           stock_file: Path | None, purchases_file: Path | None, capacity_file: Path | None,
           routing_file: Path | None, history_file: Path | None, calendar_spec: str, inspection_days: int,
           transport_days: int, out_file: Path, reviewer: str | None, sheet: str | None, map_file: Path | None,
           as_of: dt.date | None, lang: str | None, fmt: str, config_file: Path | None, quiet: bool) -> None:
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
    from addin.jobs.review import contract_review, read_review_files, write_review

    settings = settings_from(click.get_current_context(), config_file, calendar_spec=calendar_spec, lang=lang,
                             inspection_days=inspection_days, transport_days=transport_days)
    lang = settings.lang or default_lang()
    as_of = as_of or dt.date.today()
    progress(f"reading {orders.name}")
    inputs = read_review_files(orders, quotes_file, bom=bom_file, stock=stock_file, purchases=purchases_file,
                               capacity=capacity_file, routing=routing_file, history=history_file,
                               bom_parent=bom_parent, sheet=sheet, mapping=map_file)
    progress(f"reviewing {len(inputs.orders.data)} PO lines")
    result = contract_review(inputs, settings, as_of, lang)
    write_review(out_file, result, inputs, lang=lang, as_of=as_of, reviewer=reviewer)
    if fmt == "json":
        safe_echo(json.dumps(review_json(result), ensure_ascii=False, indent=1))
    elif not quiet:
        from addin.i18n import t
        safe_echo(review_table(result, lang))
        safe_echo(t("review.wrote", lang, out=out_file))


def review_table(result, lang: str = "en") -> str:
    """A short text view: one line per PO line, then the reason of every check not passed, and
    the calendar note when some line's dates ran through a year without holiday data."""
    from addin.compute.review import CHECKS
    from addin.i18n import t
    from addin.writers.reviewbook import calendar_note
    out = []
    for _, row in result.iterrows():
        promise = _day(row["promise_date"]) if "promise_date" in result.columns else None
        verdict = t(f"review.verdict_word.{row['verdict']}", lang) if row["verdict"] else ""
        head = f"{row.get('order_no') or ''} / {row.get('line_no') or ''}  {row.get('part_no') or ''}  {verdict}"
        if promise:
            head += "  " + t("review.promise_on", lang, date=promise)
        out.append(head)
        for check in CHECKS:
            column = f"{check}_result"
            if column in result.columns and row[column] in ("warn", "fail"):
                out.append(f"    {check:<9} {row[column]:<4}  {row[f'{check}_reason']}")
    counts = result["verdict"].value_counts()
    out.append(" ".join(t(f"excel.verdict.{k}", lang, n=int(counts.get(k, 0))) for k in ("pass", "warn", "fail")))
    note = calendar_note(result, lang)
    if note:
        out.append(note)
    return "\n".join(out)
