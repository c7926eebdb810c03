"""Options shared by several subcommands (SPEC section 6), defined once."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Callable

import click

from addin.defaults import BASES, LANGS


def parse_date_option(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date (expected YYYY-MM-DD)")


def _date_callback(ctx, param, value):
    return parse_date_option(value)


def _month_callback(ctx, param, value):
    if value is None:
        return None
    try:
        return dt.datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a month (expected YYYY-MM)")


existing_file = click.Path(exists=True, dir_okay=False, path_type=Path)

sheet_option = click.option("--sheet", help="Worksheet to read (default: the one whose header fits best; the others "
                                            "are named). all: every sheet with that same header, read together.")
map_option = click.option("--map", "map_file", type=existing_file, help="Header mapping file (TOML, SPEC section 2).")
as_of_option = click.option("--as-of", "as_of", callback=_date_callback, metavar="DATE",
                            help="Measurement date, YYYY-MM-DD (default: today).")
basis_option = click.option("--basis", type=click.Choice(list(BASES)),
                            default="promised", show_default=True, help="Which date a line is due on.")
late_tol_option = click.option("--late-tolerance", type=click.IntRange(min=0), default=0, show_default=True,
                               help="Days after the due date still counted on time.")
early_tol_option = click.option("--early-tolerance", type=click.IntRange(min=0), default=None,
                                help="Days before the due date still on time (default: early is on time).")
lang_option = click.option("--lang", type=click.Choice(list(LANGS)), default=None,
                           help="Language of sheets and messages (default: from the system locale).")
quiet_option = click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")


def calendar_option(used_for: str, gap: str):
    """``--calendar cn|mon-fri|FILE``: what it is ``used_for`` and what happens (``gap``) when the
    dates run into a year chinesecalendar has no holidays for."""
    return click.option("--calendar", "calendar_spec", default="cn", show_default=True, metavar="cn|mon-fri|FILE",
                        help=f"Working calendar for {used_for}. cn knows China's public holidays only for the "
                             f"years the chinesecalendar package publishes: {gap} until a calendar file (cn plus "
                             f"its rows) gives that year's holidays.")


def format_option(choices=("table", "json")):
    return click.option("--format", "fmt", type=click.Choice(list(choices)), default="table", show_default=True,
                        help="Output format.")


month_option = click.option("--month", callback=_month_callback, metavar="YYYY-MM", help="Month to measure.")


def default_lang() -> str:
    """The system's language (zh or en): what a command speaks when neither --lang nor the
    configuration says."""
    from addin.i18n import system_lang
    return system_lang()


config_option = click.option(
    "--config", "config_file", type=existing_file, metavar="FILE",
    help="Settings from orderdesk.toml ([otd] basis, tolerances per customer, risk horizon, calendar; "
         "[rootcause]; [report] lang; [review]); options given here win. Default: the SPEC defaults.")

# option name -> settings field, for the options a command may take
_SETTING_OPTIONS = {"basis": "basis", "late_tolerance": "late_tolerance", "early_tolerance": "early_tolerance",
                    "weight": "weight", "major_days": "major_days", "horizon": "risk_horizon",
                    "calendar_spec": "calendar", "lang": "lang", "inspection_days": "inspection_days",
                    "transport_days": "transport_days"}


def settings_from(ctx: click.Context, config_file: Path | None, **options):
    """The job settings: ``orderdesk.toml`` (``--config``) or the SPEC defaults, with every option
    the user gave on the command line applied over them (an option left at its default does not
    override the file)."""
    from click.core import ParameterSource
    from addin.config import Settings, load_settings
    settings = load_settings(config_file) if config_file is not None else Settings()
    given = {}
    for name, value in options.items():
        source = ctx.get_parameter_source(name)
        if source not in (None, ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP):
            given[_SETTING_OPTIONS[name]] = value
    return settings.with_options(**given)


def progress(message: str) -> None:
    """Progress on stderr, only when stderr is a terminal (SPEC section 6)."""
    if sys.stderr.isatty():
        click.echo(message, err=True)


def apply(*decorators: Callable) -> Callable:
    def wrap(f):
        for d in reversed(decorators):
            f = d(f)
        return f
    return wrap
