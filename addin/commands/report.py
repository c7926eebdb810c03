"""`orderdesk report LEDGER --month YYYY-MM --out FILE`: the monthly on-time-delivery workbook."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from addin.commands.common import DAYS, Command, echo as safe_echo

from addin.commands.caching import no_cache_option
from addin.commands.common import (as_of_option, basis_option, calendar_option, config_option, default_lang,
                                   early_tol_option, existing_file, lang_option, late_tol_option, map_option,
                                   month_option, progress, quiet_option, settings_from, sheet_option)
from addin.commands.select import filter_options, with_filters


@click.command(cls=Command)
@click.argument("ledger", type=existing_file)
@month_option
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Workbook to write (.xlsx); never the ledger itself.")
@lang_option
@as_of_option
@basis_option
@late_tol_option
@early_tol_option
@click.option("--major-days", type=DAYS, default=3, show_default=True,
              help="A late line is major when this many days late or more.")
@filter_options
@sheet_option
@map_option
@click.option("--purchases", "purchases", type=existing_file, default=None, metavar="FILE",
              help="A purchase ledger (supplier order lines): adds the Suppliers sheet, a scorecard per "
                   "supplier. Default: [purchases] path of --config.")
@click.option("--deliveries", "deliveries", type=existing_file, default=None, metavar="FILE",
              help="Delivery or receipt export, one row per delivery (order, line, date, quantity): each line "
                   "is measured from its deliveries. Default: [ledger] deliveries of --config.")
@calendar_option("the at-risk horizon", "a horizon counted through a later year is noted on the About sheet")
@config_option
@no_cache_option
@quiet_option
def report(ledger: Path, month: dt.date | None, out: Path, lang: str | None, as_of: dt.date | None,
           basis: str, late_tolerance: int, early_tolerance: int | None, major_days: int, customers: tuple,
           parts: tuple, owners: tuple, suppliers: tuple, sheet: str | None,
           map_file: Path | None, purchases: Path | None, calendar_spec: str, config_file: Path | None,
           quiet: bool, deliveries: Path | None = None) -> None:
    """Write the monthly on-time-delivery workbook for LEDGER: summary with the previous month and
    the same month last year, the OTD ladder, OTD by customer, part and owner over 12 months,
    trend and root-cause Pareto charts, late and at-risk lines, the exception log, the data as
    an Excel table, data-quality issues and the definitions. Pivots are live formulas.
    --config takes the settings from orderdesk.toml (as the monthly job does); options given
    here win.

    \b
    Example:
      orderdesk report ledger.xlsx --month 2026-03 --out OTD-2026-03.xlsx --lang zh
      orderdesk report ledger.xlsx --month 2026-03 --purchases po-ledger.xlsx --out OTD-2026-03.xlsx
      orderdesk report ledger.xlsx --month 2026-03 --customer ACME --out OTD-ACME-2026-03.xlsx
      orderdesk report ledger.xlsx --month 2026-03 --deliveries deliveries.xlsx --out OTD-2026-03.xlsx
    """
    from addin.i18n import t
    from addin.jobs.report import monthly_report

    settings = settings_from(click.get_current_context(), config_file, basis=basis, late_tolerance=late_tolerance,
                             early_tolerance=early_tolerance, major_days=major_days, calendar_spec=calendar_spec,
                             lang=lang)
    settings = with_filters(settings, customers, parts, owners, suppliers)
    lang = settings.lang or default_lang()
    as_of = as_of or dt.date.today()
    if month is None:
        raise click.UsageError(t("msg.no_month", lang))
    progress(f"Reading {ledger.name} ...")
    sources = [ledger] + ([map_file] if map_file else [])
    bought_sheet = bought_map = None
    if purchases is None and config_file is not None:
        from addin.jobs.report import purchases_from_config
        purchases, bought_sheet, bought_map = purchases_from_config(config_file) or (None, None, None)
    d_sheet = d_map = None
    if deliveries is None:       # [ledger] deliveries of orderdesk.toml (SPEC 13)
        from addin.jobs.deliveries import deliveries_from_config
        deliveries, d_sheet, d_map = deliveries_from_config(config_file) or (None, None, None)
    from addin.files.guard import refuse_output_over_inputs   # the config's files are inputs too (SPEC 12)
    refuse_output_over_inputs([("--out", out)], [(what, Path(path)) for what, path in (
        ("[purchases] path", purchases), ("[purchases] map", bought_map), ("[ledger] deliveries", deliveries),
        ("[ledger] deliveries map", d_map)) if isinstance(path, (str, Path))])
    summary = monthly_report(ledger, settings, month=month, as_of=as_of, lang=lang, out=out, sheet=sheet,
                             mapping=map_file, sources=sources, purchases=purchases, purchases_sheet=bought_sheet,
                             purchases_map=bought_map, deliveries=deliveries, deliveries_sheet=d_sheet,
                             deliveries_map=d_map)
    if not quiet:
        otd = "—" if summary.otd is None else f"{summary.otd:.1%}"
        safe_echo(t("msg.report_written", lang, out=out, month=summary.month, lines=summary.lines, otd=otd))
