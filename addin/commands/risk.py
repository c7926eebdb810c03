"""`orderdesk risk LEDGER --out FILE`: a copy of the ledger with a risk column and colours."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from addin.commands.common import DAYS, Command, echo as safe_echo

from addin.commands.caching import no_cache_option
from addin.commands.common import (as_of_option, basis_option, calendar_option, config_option, default_lang,
                                   existing_file, lang_option, map_option, quiet_option, settings_from, sheet_option)
from addin.commands.select import filter_options, with_filters
from addin.defaults import RISK_HORIZON


@click.command(cls=Command)
@click.argument("ledger", type=existing_file)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Workbook to write (.xlsx, or .xlsm for a macro ledger); never the ledger itself.")
@as_of_option
@basis_option
@sheet_option
@map_option
@click.option("--separate", is_flag=True,
              help="Write the risk sheet into a new workbook instead of a copy of the ledger "
                   "(for ledgers with charts, images or controls a copy would lose).")
@click.option("--horizon", type=DAYS, default=RISK_HORIZON, show_default=True,
              help="Working days ahead within which an open line is at risk.")
@calendar_option("the horizon", "a horizon counted through a later year is noted on the sheet")
@click.option("--deliveries", "deliveries", type=existing_file, default=None, metavar="FILE",
              help="Delivery or receipt export, one row per delivery (order, line, date, quantity): a line is "
                   "done once its deliveries complete it. Default: [ledger] deliveries of --config.")
@filter_options
@lang_option
@config_option
@no_cache_option
@quiet_option
def risk(ledger: Path, out: Path, as_of: dt.date | None, basis: str, sheet: str | None, map_file: Path | None,
         separate: bool, horizon: int, calendar_spec: str, customers: tuple, parts: tuple, owners: tuple,
         suppliers: tuple, lang: str | None, config_file: Path | None, quiet: bool,
         deliveries: Path | None = None) -> None:
    """Write a copy of LEDGER with a risk column after its last column and its rows coloured:
    red overdue, amber at risk, grey done. The ledger's own layout, formats and other sheets are
    kept; the ledger itself is never modified. A .csv or .xls ledger, or --separate, gives a new
    workbook with the risk sheet. --config takes the basis, risk horizon and calendar from
    orderdesk.toml; options given here win.

    \b
    Example:
      orderdesk risk ledger.xlsx --out ledger-risk.xlsx --as-of 2026-04-05
      orderdesk risk ledger.xlsx --owner 张敏 --out my-lines-risk.xlsx
      orderdesk risk ledger.xlsx --deliveries deliveries.xlsx --out ledger-risk.xlsx
    """
    from addin.i18n import t
    from addin.jobs.risk import risk_copy

    settings = settings_from(click.get_current_context(), config_file, basis=basis, horizon=horizon,
                             calendar_spec=calendar_spec, lang=lang)
    settings = with_filters(settings, customers, parts, owners, suppliers)
    lang = settings.lang or default_lang()
    d_sheet = d_map = None
    if deliveries is None:       # [ledger] deliveries of orderdesk.toml (SPEC 13)
        from addin.jobs.deliveries import deliveries_from_config
        deliveries, d_sheet, d_map = deliveries_from_config(config_file) or (None, None, None)
        from addin.files.guard import refuse_output_over_inputs   # the config's files are inputs too (SPEC 12)
        refuse_output_over_inputs([("--out", out)], [(what, Path(path)) for what, path in (
            ("[ledger] deliveries", deliveries), ("[ledger] deliveries map", d_map)) if isinstance(path, (str, Path))])
    summary = risk_copy(ledger, settings, as_of=as_of or dt.date.today(), lang=lang, out=out, separate=separate,
                        sheet=sheet, mapping=map_file, deliveries=deliveries, deliveries_sheet=d_sheet,
                        deliveries_map=d_map)
    if not quiet:
        safe_echo(t("msg.risk_written", lang, out=out, rows=summary.rows, overdue=summary.overdue,
                     at_risk=summary.at_risk))
        if summary.calendar_note:
            safe_echo(summary.calendar_note)
