"""`orderdesk report LEDGER --month YYYY-MM --out FILE`: the monthly on-time-delivery workbook."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from addin.commands.common import (calendar_option, as_of_option, basis_option, default_lang, early_tol_option, existing_file,
                                   lang_option, late_tol_option, map_option, month_option, progress,
                                   quiet_option, sheet_option)


@click.command()
@click.argument("ledger", type=existing_file)
@month_option
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Workbook to write (.xlsx); never the ledger itself.")
@lang_option
@as_of_option
@basis_option
@late_tol_option
@early_tol_option
@click.option("--major-days", type=click.IntRange(min=0), default=3, show_default=True,
              help="A late line is major when this many days late or more.")
@sheet_option
@map_option
@calendar_option("the at-risk horizon", "a horizon counted through a later year is noted on the About sheet")
@quiet_option
def report(ledger: Path, month: dt.date | None, out: Path, lang: str | None, as_of: dt.date | None,
           basis: str, late_tolerance: int, early_tolerance: int | None, major_days: int, sheet: str | None,
           map_file: Path | None, calendar_spec: str, quiet: bool) -> None:
    """Write the monthly on-time-delivery workbook for LEDGER: summary with the previous month and
    the same month last year, the OTD ladder, OTD by customer, part and owner over 12 months,
    trend and root-cause Pareto charts, late and at-risk lines, the exception log, the data as
    an Excel table, data-quality issues and the definitions. Pivots are live formulas.

    \b
    Example:
      orderdesk report ledger.xlsx --month 2026-03 --out OTD-2026-03.xlsx --lang zh
    """
    from addin.compute.calendar import load_calendar
    from addin.i18n import t
    from addin.compute.otd import OtdSettings
    from addin.readers import read
    from addin.readers.usable import require_usable
    from addin.writers.monthly import write_report

    lang = lang or default_lang()
    as_of = as_of or dt.date.today()
    if month is None:
        raise click.UsageError(t("msg.no_month", lang))
    settings = OtdSettings(basis=basis, late_tolerance=late_tolerance, early_tolerance=early_tolerance,
                           major_days=major_days)
    progress(f"Reading {ledger.name} ...")
    result = read(ledger, "ledger", sheet=sheet, mapping=map_file)
    require_usable(result)  # nothing usable: exit 1 with the reasons, never an empty result
    calendar = load_calendar(calendar_spec)
    progress(f"Writing {out.name} ...")
    sources = [ledger] + ([map_file] if map_file else [])
    summary = write_report(result, month=month, out=out, as_of=as_of, settings=settings, lang=lang,
                           calendar=calendar, source_files=sources)
    if not quiet:
        otd = "—" if summary.otd is None else f"{summary.otd:.1%}"
        click.echo(t("msg.report_written", lang, out=out, month=summary.month, lines=summary.lines, otd=otd))
