"""`orderdesk plan ORDERS --bom B --stock S --out FILE`: the PMC plan (SPEC section 10)."""
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


@click.command(cls=Command)
@click.argument("orders", type=existing_file)
@click.option("--bom", "bom_files", type=existing_file, multiple=True,
              help="BOM file; give it again for each file of a multi-level BOM (a top level and the BOMs of "
                   "its sub-assemblies). KiCad/Altium/KiBoM exports load.")
@click.option("--bom-parent", "bom_parents", metavar="[FILE=]PART", multiple=True,
              help="The part a BOM without a parent column builds: PART for the first --bom file, FILE=PART "
                   "for another. A later file whose name names one sub-assembly of the others is that "
                   "sub-assembly's BOM (said in the output); otherwise a file builds its file name.")
@click.option("--stock", "stock_file", type=existing_file,
              help="Stock workbook (on hand, safety stock, allocated, purchase lead time, inspection days, MOQ). "
                   "Its other sheets are searched for open purchase lines, capacity and routing.")
@click.option("--purchases", "purchases_file", type=existing_file,
              help="Open purchase lines: PO number, supplier, part, open qty, due date.")
@click.option("--capacity", "capacity_file", type=existing_file,
              help="Capacity: hours per working day per line (its other sheets are searched for routing).")
@click.option("--routing", "routing_file", type=existing_file, help="Routing: part, line, hours per unit.")
@calendar_option("lead times, order-by dates and the hours of each week",
                 "a date counted through a later year may be too early")
@click.option("--inspection-days", type=DAYS, default=INSPECTION_DAYS, show_default=True,
              help="Outgoing inspection, working days after production (the need date is before the due date).")
@click.option("--transport-days", type=DAYS, default=TRANSPORT_DAYS, show_default=True,
              help="Transport to the customer, working days.")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The PMC workbook to write (.xlsx).")
@apply(sheet_option, map_option, as_of_option, lang_option, format_option(("table", "json")), config_option,
       quiet_option)
def plan(orders: Path, bom_files: tuple[Path, ...], bom_parents: tuple[str, ...], stock_file: Path | None,
         purchases_file: Path | None, capacity_file: Path | None, routing_file: Path | None, calendar_spec: str,
         inspection_days: int, transport_days: int, out_file: Path, sheet: str | None, map_file: Path | None,
         as_of: dt.date | None, lang: str | None, fmt: str, config_file: Path | None, quiet: bool) -> None:
    """Plan material and capacity for the open lines of the order ledger ORDERS and write the PMC
    workbook: Shortages (what to buy, how much after MOQ, the latest order date; what to
    expedite), Capacity load (hours per line and ISO week against the hours there are,
    overloads highlighted), Blocked orders (each line that cannot ship on its due date and what
    holds it: the purchase line and supplier to expedite, the part to buy, or the overloaded
    line) and Late purchases (with the customer lines each one holds).

    Scarce stock goes to the earliest due date first, then to the higher customer priority
    (客户等级: S/A/B, 1/2/3, VIP/高/中/低). The netting is the one the contract review uses.

    \b
    Example:
      orderdesk plan ledger.xlsx --bom bom.xlsx --stock stock.xlsx --out plan.xlsx
      orderdesk plan ledger.xlsx --bom top.csv --bom mobo-bom.csv --bom-parent PNP-1 \\
          --bom-parent mobo-bom.csv=motherboard --stock stock.xlsx --purchases po.xlsx \\
          --capacity capacity.xlsx --as-of 2026-11-20 --format json --out plan.xlsx
    """
    from addin.jobs.plan import plan_json, pmc_plan, read_plan_files, write_plan

    settings = settings_from(click.get_current_context(), config_file, calendar_spec=calendar_spec, lang=lang,
                             inspection_days=inspection_days, transport_days=transport_days)
    lang = settings.lang or default_lang()
    as_of = as_of or dt.date.today()
    progress(f"reading {orders.name}")
    inputs = read_plan_files(orders, boms=bom_files, bom_parents=bom_parents, stock=stock_file,
                             purchases=purchases_file, capacity=capacity_file, routing=routing_file, sheet=sheet,
                             mapping=map_file)
    progress("planning")
    job = pmc_plan(inputs, settings, as_of)
    write_plan(out_file, job, inputs, lang=lang)
    if fmt == "json":
        safe_echo(json.dumps(plan_json(job, lang), ensure_ascii=False, indent=1))
    elif not quiet:
        safe_echo(plan_table(job, lang))
        safe_echo(f"wrote {out_file}")


def plan_table(job, lang: str = "en") -> str:
    """A short text view: the notes, the counts, the buy list's first lines and the blocked lines."""
    import pandas as pd
    from addin.writers.planbook import LABELS, blocker_text
    L = LABELS[lang]
    p = job.plan
    out = list(job.notes(lang))
    late_buys = int(p.shortages["order_late"].sum()) if len(p.shortages) else 0
    overloaded = int(p.capacity["overloaded"].sum()) if len(p.capacity) else 0
    out.append(L["summary"].format(lines=p.open_lines, parts=len(p.shortages), late=late_buys, blocked=len(p.blocked),
                                   purchases=len(p.late_purchases), weeks=overloaded))
    for r in p.shortages.head(20).itertuples(index=False):
        order_by = "" if pd.isna(r.order_by) else f"  {L['order_by']} {r.order_by.date()}"
        out.append(f"  {r.part_no}  {L['short_qty']} {r.short_qty:g}  {L['buy_qty']} {r.buy_qty:g}{order_by}")
    for r in p.blocked.head(20).itertuples(index=False):
        out.append(f"  {r.order_no} / {r.line_no or ''}  {r.part_no}  {L['due_date']} {_date(r.due_date)}: "
                   + "; ".join(blocker_text(b, lang) for b in r.blocked_by))
    return "\n".join(out)


def _date(value) -> str:
    import pandas as pd
    return "" if value is None or pd.isna(value) else pd.Timestamp(value).date().isoformat()
