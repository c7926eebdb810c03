"""`orderdesk backlog LEDGER`: the open order book — quantity and value still to deliver per
customer, part and due month, overdue first (SPEC section 13)."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from addin.commands.common import Command, aligned_table, echo as safe_echo

from addin.commands.common import (as_of_option, basis_option, config_option, default_lang, existing_file,
                                   format_option, lang_option, late_tol_option, map_option, progress, quiet_option,
                                   settings_from, sheet_option)
from addin.commands.select import filter_options, with_filters
from addin.i18n import table

LABELS = table("backlog_cli")
SHOWN = ("open_lines", "overdue_qty", "overdue_value", "open_qty", "open_value")   # overdue first


def _by_callback(ctx, param, value: str | None) -> list[str]:
    from addin.compute.backlog import BACKLOG_FIELDS, DEFAULT_BY
    if value is None:
        return list(DEFAULT_BY)
    fields = [v.strip() for v in value.split(",") if v.strip()]
    wrong = [f for f in fields if f not in BACKLOG_FIELDS]
    if wrong:
        raise click.BadParameter(f"'{wrong[0]}' cannot be grouped by (use any of {', '.join(BACKLOG_FIELDS)}, "
                                 f"comma-separated)")
    if len(set(fields)) != len(fields):
        raise click.BadParameter("a field is named twice")
    return fields


@click.command(cls=Command)
@click.argument("ledger", type=existing_file)
@click.option("--by", "by", callback=_by_callback, metavar="FIELDS",
              help="Group by any of customer, part_no, month (the due month), owner, priority, supplier, currency "
                   "(comma-separated; default customer,part_no,month).")
@click.option("--deliveries", "deliveries", type=existing_file, metavar="FILE",
              help="Delivery export, one row per delivery (order, line, date, quantity), joined to the ledger. "
                   "Default: [ledger] deliveries of --config.")
@as_of_option
@basis_option
@late_tol_option
@filter_options
@format_option(("table", "json", "csv"))
@sheet_option
@map_option
@lang_option
@config_option
@quiet_option
def backlog(ledger: Path, by: list[str], deliveries: Path | None, as_of: dt.date | None, basis: str,
            late_tolerance: int, customers: tuple, parts: tuple, owners: tuple, suppliers: tuple, fmt: str,
            sheet: str | None, map_file: Path | None, lang: str | None, config_file: Path | None, quiet: bool) -> None:
    """Print the open order book of LEDGER: per group, the open lines, the quantity and value still
    to deliver and the part of it already overdue (past due + tolerance). Cancelled and closed
    lines are not open; a line's delivered quantity is its shipped quantity (all of it once
    shipped when no quantity is given). Value is unknown, not partial, when a price is missing.

    \b
    Example:
      orderdesk backlog ledger.xlsx
      orderdesk backlog ledger.xlsx --by customer --format json
      orderdesk backlog ledger.xlsx --customer ACME --format csv > acme-backlog.csv
    """
    from addin.jobs.backlog import backlog_figures, backlog_table

    settings = settings_from(click.get_current_context(), config_file, basis=basis, late_tolerance=late_tolerance,
                             lang=lang)
    settings = with_filters(settings, customers, parts, owners, suppliers)
    lang = settings.lang or default_lang()
    as_of = as_of or dt.date.today()
    progress(f"reading {ledger.name}")
    if deliveries is None:       # [ledger] deliveries of orderdesk.toml (SPEC 13)
        from addin.jobs.deliveries import deliveries_from_config
        deliveries = (deliveries_from_config(config_file) or (None,))[0]
    if fmt == "json":
        safe_echo(json.dumps(backlog_figures(ledger, settings, as_of, by=by, sheet=sheet, mapping=map_file,
                                              deliveries=deliveries), ensure_ascii=False))
        return
    result = backlog_table(ledger, settings, as_of, by=by, sheet=sheet, mapping=map_file, deliveries=deliveries)
    if fmt == "csv":
        safe_echo(_csv(result, by, lang), nl=False)
        return
    if quiet:
        return
    text = LABELS[lang]
    safe_echo(text["title"].format(as_of=as_of.isoformat(), basis=settings.otd.basis))
    safe_echo(_table(result, by, lang))
    total = result.iloc[-1]
    if total["unpriced_lines"]:
        safe_echo(text["unpriced"].format(n=int(total["unpriced_lines"])))
    currencies = result.attrs.get("mixed_currencies", [])
    if len(currencies) > 1 and "currency" not in by:
        safe_echo(text["mixed_currency"].format(currencies=", ".join(currencies)))


def _number(value, unknown: str) -> str:
    if value is None or value != value:
        return unknown
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _table(result, by: list[str], lang: str) -> str:
    from addin.files.text import terminal_safe
    text = LABELS[lang]
    header = [text[b] for b in by] + [text[c] for c in SHOWN]
    rows = []
    for r in result.to_dict("records"):
        keys = ([text["total"]] + [""] * (len(by) - 1) if by else []) if r["is_total"] else \
            [text["none"] if r[b] is None else terminal_safe(str(r[b])) for b in by]
        rows.append(keys + [_number(r[c], text["unknown"]) for c in SHOWN])
    return "\n".join(aligned_table(header, rows, len(by)))


def _csv(result, by: list[str], lang: str) -> str:
    """Field names as headers; numbers stay numbers; empty = unknown; every text cell safe to open
    in a spreadsheet (files.text.csv_text)."""
    from addin.compute.backlog import COUNTS
    from addin.files.text import csv_text
    rows = [by + list(COUNTS)]
    for r in result.to_dict("records"):
        keys = ([LABELS[lang]["total"]] + [""] * (len(by) - 1) if by else []) if r["is_total"] else \
            ["" if r[b] is None else r[b] for b in by]
        rows.append(keys + ["" if r[c] is None or r[c] != r[c] else
                            (int(r[c]) if c.endswith("_lines") else round(float(r[c]), 4)) for c in COUNTS])
    return csv_text(rows)
