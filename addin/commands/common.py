"""Options shared by several subcommands (SPEC section 6), defined once."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Callable

import click

from addin.defaults import BASES, LANGS
from addin.files.limits import FIRST_DATE, LAST_DATE, MAX_DAY_COUNT
from addin.files.text import terminal_safe


DATE_RANGE_TEXT = "{:04d}-{:02d}-{:02d} to {:04d}-{:02d}-{:02d}".format(*FIRST_DATE, *LAST_DATE)


def _in_range(day: dt.date, shown: str, what: str) -> dt.date:
    if not dt.date(*FIRST_DATE) <= day <= dt.date(*LAST_DATE):
        raise click.BadParameter(f"'{terminal_safe(shown)}' is outside the {what}s OrderDesk works with "
                                 f"({DATE_RANGE_TEXT})")
    return day


def parse_date_option(value: str | dt.date | None) -> dt.date | None:
    """A date option (YYYY-MM-DD) within ``FIRST_DATE`` .. ``LAST_DATE``, or a usage error."""
    if value is None or isinstance(value, dt.date):
        return value
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{terminal_safe(value)}' is not a date (expected YYYY-MM-DD)")
    return _in_range(day, value, "date")


class DateParam(click.ParamType):
    """Every date option (--as-of, --from, --to, --since): YYYY-MM-DD, in range (one check)."""
    name = "date"

    def convert(self, value, param, ctx):
        return parse_date_option(value)


class MonthParam(click.ParamType):
    """--month YYYY-MM (its first day), in range."""
    name = "month"

    def convert(self, value, param, ctx):
        if value is None or isinstance(value, dt.date):
            return value
        try:
            day = dt.datetime.strptime(value, "%Y-%m").date()
        except ValueError:
            raise click.BadParameter(f"'{terminal_safe(value)}' is not a month (expected YYYY-MM)")
        return _in_range(day, value, "month")


DATE = DateParam()
MONTH = MonthParam()
DAYS = click.IntRange(min=0, max=MAX_DAY_COUNT)   # every day-count option: 10**12 is refused as usage


def _date_callback(ctx, param, value):   # kept for callers outside this module
    return parse_date_option(value)


class InputFile(click.ParamType):
    """An input file argument or option: it must exist, be a file and be readable, else
    ``Error:`` and exit status 1 (SPEC 6: an unusable input is not wrong usage). ``option_file``
    (mapping, configuration) gets the option-file checks too (a pipe, a device, too big)."""
    name = "file"

    def __init__(self, what: str = "input file", option_file: bool = False):
        self.what, self.option_file = what, option_file

    def convert(self, value, param, ctx):
        path = value if isinstance(value, Path) else Path(value)
        if ctx is not None and ctx.resilient_parsing:
            return path
        if self.option_file:
            from addin.files.guard import check_option_file
            check_option_file(path, self.what)
        from addin.files.guard import check_input_path
        check_input_path(path, self.what)
        return path


existing_file = InputFile()


def _param_label(param: click.Parameter) -> str:
    if isinstance(param, click.Argument):
        return param.human_readable_name
    return max(param.opts, key=len)


def command_paths(ctx: click.Context) -> tuple[list[tuple[str, Path]], list[tuple[str, Path]]]:
    """The (label, path) outputs and inputs of the command being run, from its parameters: an
    ``InputFile`` is an input, a ``--calendar`` that names a file too; any other ``click.Path``
    is an output."""
    from addin.config import BUILTIN_CALENDARS
    outputs, inputs = [], []
    for param in ctx.command.params:
        value = ctx.params.get(param.name)
        if value is None:
            continue
        values = value if isinstance(value, (tuple, list)) else (value,)
        label = _param_label(param)
        if isinstance(param.type, InputFile):
            inputs += [(label, Path(v)) for v in values]
        elif param.name == "calendar_spec":
            inputs += [(label, Path(v)) for v in values if str(v).lower() not in BUILTIN_CALENDARS + ("mon_fri", "monfri")]
        elif isinstance(param.type, click.Path) and param.type.file_okay:
            outputs += [(label, Path(v)) for v in values]
    return outputs, inputs


class Command(click.Command):
    """Every OrderDesk command: before its body runs (so before anything is read), no output may
    name one of its inputs (SPEC 12)."""

    def invoke(self, ctx: click.Context):
        from addin.files.guard import refuse_output_over_inputs
        refuse_output_over_inputs(*command_paths(ctx))
        return super().invoke(ctx)


def echo(text: object = "", err: bool = False, nl: bool = True) -> None:
    """``click.echo`` through ``terminal_safe``: what a command prints cannot drive the terminal
    (a cell holding an OSC sequence would retitle it, SPEC 12)."""
    click.echo(terminal_safe(str(text)), err=err, nl=nl)


sheet_option = click.option("--sheet", help="Worksheet to read (default: the one whose header fits best; the others "
                                            "are named). all: every sheet with that same header, read together.")
map_option = click.option("--map", "map_file", type=InputFile("mapping file", option_file=True), help="Header mapping file (TOML, SPEC section 2).")
as_of_option = click.option("--as-of", "as_of", type=DATE, metavar="DATE",
                            help="Measurement date, YYYY-MM-DD (default: today).")
basis_option = click.option("--basis", type=click.Choice(list(BASES)),
                            default="promised", show_default=True, help="Which date a line is due on.")
late_tol_option = click.option("--late-tolerance", type=DAYS, default=0, show_default=True,
                               help="Days after the due date still counted on time.")
early_tol_option = click.option("--early-tolerance", type=DAYS, default=None,
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


month_option = click.option("--month", type=MONTH, metavar="YYYY-MM", help="Month to measure.")


def default_lang() -> str:
    """The system's language (zh or en): what a command speaks when neither --lang nor the
    configuration says."""
    from addin.i18n import system_lang
    return system_lang()


config_option = click.option(
    "--config", "config_file", type=InputFile("configuration file", option_file=True), metavar="FILE",
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
    if isinstance(settings.calendar, Path):   # [otd] calendar = a workbook: an input too (SPEC 12)
        from addin.files.guard import refuse_output_over_inputs
        refuse_output_over_inputs(command_paths(ctx)[0], [(f"{config_file.name} [otd] calendar", settings.calendar)])
    given = {}
    for name, value in options.items():
        source = ctx.get_parameter_source(name)
        if source not in (None, ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP):
            given[_SETTING_OPTIONS[name]] = value
    return settings.with_options(**given)


def progress(message: str) -> None:
    """Progress on stderr, only when stderr is a terminal (SPEC section 6)."""
    if sys.stderr.isatty():
        echo(message, err=True)


def apply(*decorators: Callable) -> Callable:
    def wrap(f):
        for d in reversed(decorators):
            f = d(f)
        return f
    return wrap


def aligned_table(header: list[str], rows: list[list[str]], keys: int, *, total: bool = True) -> list[str]:
    """The lines of a terminal table: the ``keys`` first columns (the groups) left-aligned, the
    figures right-aligned, widths in terminal columns (a Chinese character takes two), a rule
    under the header and, with ``total``, one above the last row (the total) when there are groups."""
    from addin.files.text import display_width
    widths = [max(display_width(row[i]) for row in [header] + rows) for i in range(len(header))]

    def line(row: list[str]) -> str:
        return "  ".join(c + " " * (widths[i] - display_width(c)) if i < keys else
                         " " * (widths[i] - display_width(c)) + c for i, c in enumerate(row)).rstrip()
    rule = "  ".join("-" * w for w in widths)
    if not total:
        return [line(header), rule] + [line(r) for r in rows]
    return [line(header), rule] + [line(r) for r in rows[:-1]] + ([rule] if keys else []) + [line(rows[-1])]
