"""`orderdesk otd LEDGER`: OTD/OTIF by the groups asked for (SPEC section 6)."""
from __future__ import annotations

import calendar as _calendar
import datetime as dt
import json
import math
from pathlib import Path

import click

from addin.commands.common import Command, aligned_table, echo as safe_echo

from addin.commands.caching import no_cache_option
from addin.commands.common import (as_of_option, basis_option, calendar_option, config_option, default_lang,
                                   early_tol_option, existing_file, format_option, lang_option, late_tol_option,
                                   map_option, month_option, parse_date_option, progress, quiet_option, settings_from,
                                   sheet_option)
from addin.commands.select import filter_options, with_filters
from addin.i18n import table
from addin.jobs.otd import GROUP_FIELDS

LABELS = table("otd_cli")   # {lang: {key: template}}: the words of the table and the text lines
METRICS = ("lines", "on_time", "late", "early", "pending", "otd", "otif", "avg_days_late")


def _by_callback(ctx, param, value: str | None) -> list[str]:
    if not value:
        return []
    fields = [v.strip() for v in value.split(",") if v.strip()]
    wrong = [f for f in fields if f not in GROUP_FIELDS]
    if wrong:
        raise click.BadParameter(f"'{wrong[0]}' cannot be grouped by (use any of {', '.join(GROUP_FIELDS)}, "
                                 f"comma-separated)")
    if len(set(fields)) != len(fields):
        raise click.BadParameter("a field is named twice")
    return fields


def _period(month: dt.date | None, start: dt.date | None, end: dt.date | None) -> tuple[dt.date | None, dt.date | None]:
    if month is not None:
        if start is not None or end is not None:
            raise click.UsageError("give either --month or --from/--to, not both")
        last = _calendar.monthrange(month.year, month.month)[1]
        return month.replace(day=1), month.replace(day=last)
    if start is not None and end is not None and start > end:
        raise click.UsageError(f"--from {start.isoformat()} is after --to {end.isoformat()}")
    return start, end


@click.command(cls=Command)
@click.argument("ledger", type=existing_file)
@click.option("--by", "by", callback=_by_callback, metavar="FIELDS",
              help=f"Group by any of {', '.join(GROUP_FIELDS)} (comma-separated); default: the total only.")
@basis_option
@as_of_option
@month_option
@click.option("--from", "start", callback=lambda c, p, v: parse_date_option(v), metavar="DATE",
              help="First due date of the period, YYYY-MM-DD.")
@click.option("--to", "end", callback=lambda c, p, v: parse_date_option(v), metavar="DATE",
              help="Last due date of the period, YYYY-MM-DD.")
@late_tol_option
@early_tol_option
@click.option("--weight", type=click.Choice(["lines", "qty", "value"]), default="lines", show_default=True,
              help="Weight of each line in the rates: lines, quantity or value (qty × unit price).")
@click.option("--level", type=click.Choice(["line", "order"]), default="line", show_default=True,
              help="Measure order lines, or whole orders (an order is on time and in full only when all its "
                   "lines are).")
@filter_options
@click.option("--deliveries", "deliveries", type=existing_file, default=None, metavar="FILE",
              help="Delivery or receipt export, one row per delivery (order, line, date, quantity): each line "
                   "is measured from its deliveries. Default: [ledger] deliveries of --config.")
@click.option("--lead-times", "lead_times", is_flag=True,
              help="Also print lead times (order date to completion: median and 90th percentile) by customer "
                   "and part.")
@click.option("--quotes", "quotes", type=existing_file, default=None, metavar="FILE",
              help="Quote book: lead times against the quoted lead time (with --lead-times).")
@format_option(("table", "json", "csv"))
@sheet_option
@map_option
@calendar_option("the at-risk count of open lines", "a horizon counted through a later year is noted")
@lang_option
@config_option
@no_cache_option
@quiet_option
def otd(ledger: Path, by: list[str], basis: str, as_of: dt.date | None, month: dt.date | None,
        start: dt.date | None, end: dt.date | None, late_tolerance: int, early_tolerance: int | None,
        weight: str, level: str, customers: tuple, parts: tuple, owners: tuple, suppliers: tuple, fmt: str,
        sheet: str | None, map_file: Path | None, calendar_spec: str, lang: str | None, config_file: Path | None,
        quiet: bool, deliveries: Path | None = None, lead_times: bool = False, quotes: Path | None = None) -> None:
    """Print on-time delivery (OTD) and on-time-in-full (OTIF) of LEDGER, by the groups asked for.

    The cohort is the lines not cancelled whose due date is in the period and on or before the
    as-of date; open overdue lines count as late. JSON output is the object of SPEC section 6.
    --config takes the basis, tolerances (per customer too), weight, risk horizon and calendar
    from orderdesk.toml; options given here win.

    \b
    Example:
      orderdesk otd ledger.xlsx --by customer,month
      orderdesk otd ledger.xlsx --month 2026-10 --by owner --format json
      orderdesk otd ledger.xlsx --basis requested --late-tolerance 2 --weight value
      orderdesk otd ledger.xlsx --config orderdesk.toml --by customer
      orderdesk otd ledger.xlsx --level order --customer ACME --by month
      orderdesk otd ledger.xlsx --deliveries deliveries.xlsx --by customer
      orderdesk otd ledger.xlsx --lead-times --quotes quotes.xlsx
    """
    from addin.jobs.inputs import read_ledger
    from addin.jobs.otd import open_risk, otd_figures, otd_summary

    settings = settings_from(click.get_current_context(), config_file, basis=basis, late_tolerance=late_tolerance,
                             early_tolerance=early_tolerance, weight=weight, calendar_spec=calendar_spec, lang=lang)
    settings = with_filters(settings, customers, parts, owners, suppliers)
    start, end = _period(month, start, end)
    as_of = as_of or dt.date.today()
    lang = settings.lang or default_lang()
    progress(f"reading {ledger.name}")
    from addin.jobs.selection import selected
    from addin.jobs.deliveries import deliveries_from_config
    from addin.jobs.otd import delivered_lines, lead_time_table
    d_sheet = d_map = None
    if deliveries is None:       # [ledger] deliveries of orderdesk.toml (SPEC 13)
        deliveries, d_sheet, d_map = deliveries_from_config(config_file) or (None, None, None)
    delivered = delivered_lines(ledger, settings, as_of, sheet=sheet, mapping=map_file, deliveries=deliveries,
                                deliveries_sheet=d_sheet, deliveries_map=d_map)
    result = selected(delivered.ledger, settings)
    progress(f"measuring {len(result.data)} lines")
    leads = lead_time_table(result, settings, as_of, quotes=quotes) if lead_times else None
    if fmt == "json":
        figures = otd_figures(result, settings, as_of, by=by, start=start, end=end, level=level, delivered=delivered)
        if leads is not None:
            from addin.compute.leadtimes import LEAD_BY, lead_time_json
            figures["lead_times"] = lead_time_json(leads, LEAD_BY)
        safe_echo(json.dumps(figures, ensure_ascii=False))
        return
    _, summary, excluded = otd_summary(result, settings, as_of, by=by, start=start, end=end, level=level, lines=False)
    if fmt == "csv":
        safe_echo(_csv(summary, by, lang), nl=False)
        return
    if quiet:
        return
    from addin.compute.otd import headline_facts
    from addin.i18n import measured_headline
    risk = open_risk(result, settings, as_of, lang)
    safe_echo(_title(settings.otd, as_of, start, end, lang))
    if level == "order" or settings.filters:
        safe_echo(_scope(level, settings.filters, lang))
    safe_echo(_table(summary, by, lang))
    text = LABELS[lang]
    safe_echo(text["excluded"].format(**excluded))
    if level == "order":   # the headline counts lines measured, not orders
        _, summary, excluded = otd_summary(result, settings, as_of, by=(), start=start, end=end, lines=False)
    safe_echo(measured_headline(**headline_facts(summary, excluded), lang=lang))  # measured, and what was not
    safe_echo(text["risk"].format(as_of=as_of.isoformat(), overdue=risk.overdue, at_risk=risk.at_risk,
                                   h=risk.horizon, cal=risk.calendar))
    if risk.note:  # the at-risk count above may be too low: say why and how to fix it
        safe_echo(risk.note)
    safe_echo(text["rows"].format(**result.rows.as_dict()))
    if delivered.counts:     # SPEC 13: what the deliveries gave, and their data issues
        safe_echo(text["deliveries"].format(**delivered.counts))
        for issue in delivered.issues[:10]:
            safe_echo(f"  {issue.cell}: {issue.message}")
        if len(delivered.issues) > 10:
            safe_echo(text["delivery_more"].format(n=len(delivered.issues) - 10))
    if leads is not None:
        safe_echo("")
        safe_echo(_lead_table(leads, lang))


def _lead_table(leads, lang: str) -> str:
    """Lead times by customer and part (SPEC 13), a total row and what was not counted."""
    from addin.compute.leadtimes import COLUMNS, LEAD_BY
    from addin.i18n import t
    keys = list(LEAD_BY)
    quoted = bool(len(leads)) and int(leads["quoted_lines"].iloc[-1] or 0) > 0
    shown = [c for c in COLUMNS if quoted or c in ("lines", "median_days", "p90_days")]   # quotes: --quotes
    header = [t(f"lead.{k}", lang) for k in keys + shown]
    rows = []
    for r in leads.to_dict("records"):
        names = ([t("lead.total", lang)] + [""] * (len(keys) - 1)) if r["is_total"] else \
            [t("lead.none", lang) if r[k] is None else str(r[k]) for k in keys]
        cells = []
        for c in shown:
            v = r[c]
            if v is None or (isinstance(v, float) and math.isnan(v)):
                cells.append("")
            elif c == "within_quote":
                cells.append(f"{v * 100:.1f}%")
            elif c in ("lines", "quoted_lines"):
                cells.append(str(int(v)))
            else:
                cells.append(f"{v:.1f}")
        rows.append(names + cells)
    out = [t("lead.title", lang)] + aligned_table(header, rows, max(len(keys), 1))
    out.append(t("lead.excluded", lang, **leads.attrs.get("excluded", {"no_order_date": 0, "before_order_date": 0})))
    return "\n".join(out)


def _title(otd, as_of: dt.date, start: dt.date | None, end: dt.date | None, lang: str) -> str:
    text = LABELS[lang]
    early = "" if otd.early_tolerance is None else text["early_window"].format(n=otd.early_tolerance)
    span = "" if start is None and end is None else text["period"].format(
        start=start.isoformat() if start else "…", end=end.isoformat() if end else "…")
    w = "" if otd.weight == "lines" else text["weight"].format(w=text[f"weight_{otd.weight}"])
    return text["title"].format(as_of=as_of.isoformat(), basis=otd.basis, late=otd.late_tolerance,
                                early=early, period=span, weight=w)


def _scope(level: str, filters, lang: str) -> str:
    """What the figures are about: whole orders, the lines selected (SPEC 13)."""
    text = LABELS[lang]
    parts = [text["level_order"]] if level == "order" else []
    if filters:
        parts.append(text["filter"].format(filters=filters.describe()))
    return "\n".join(parts)


def _percent(value, unknown: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return unknown
    return f"{value * 100:.1f}%"


def _cells(summary, by: list[str], lang: str) -> list[list[str]]:
    text = LABELS[lang]
    rows = []
    for record in summary.to_dict("records"):
        if record["is_total"]:
            keys = [text["total"]] + [""] * (len(by) - 1) if by else []
        else:
            keys = [text["none"] if record[b] is None else str(record[b]) for b in by]
        avg = record["avg_days_late"]
        rows.append(keys + [str(record[c]) for c in ("lines", "on_time", "late", "early", "pending")] +
                    [_percent(record["otd"], text["unknown"]), _percent(record["otif"], text["unknown"]),
                     "" if avg is None or math.isnan(avg) else f"{avg:.1f}"])
    return rows


def _table(summary, by: list[str], lang: str) -> str:
    text = LABELS[lang]
    header = [text[b] for b in by] + [text[m] for m in METRICS]
    rows = _cells(summary, by, lang)
    return "\n".join(aligned_table(header, rows, len(by)))


def _csv(summary, by: list[str], lang: str) -> str:
    """Machine-readable: field names as headers, rates as fractions (4 decimals), empty = unknown;
    every text cell safe to open in a spreadsheet (files.text.csv_text, SPEC 12)."""
    from addin.files.text import csv_text
    rows = [by + list(METRICS)]
    for record in summary.to_dict("records"):
        if record["is_total"]:
            keys = [LABELS[lang]["total"]] + [""] * (len(by) - 1) if by else []
        else:
            keys = ["" if record[b] is None else record[b] for b in by]
        values = [record[c] for c in ("lines", "on_time", "late", "early", "pending")]
        for c, digits in (("otd", 4), ("otif", 4), ("avg_days_late", 2)):
            v = record[c]
            values.append("" if v is None or (isinstance(v, float) and math.isnan(v)) else round(float(v), digits))
        rows.append(keys + values)
    return csv_text(rows)
