"""The ``orderdesk`` command. Subcommands live in ``addin/commands/<name>.py`` and are imported
only when run, so ``orderdesk --help`` starts fast."""
from __future__ import annotations

import importlib
import sys

import click

from addin.files.text import terminal_safe
from addin.version import __version__

# name -> (module, attribute, one-line help shown by `orderdesk --help` without importing it)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "demo": ("addin.commands.demo", "demo", "Write the sample workbooks and every output made from them."),
    "check": ("addin.commands.check", "check", "Read and validate an input workbook; print the row accounting and issues."),
    "map": ("addin.commands.map", "map_command", "Propose the column for each field (confidence, runner-up); write it as a --map file."),
    "otd": ("addin.commands.otd", "otd", "Print OTD/OTIF by customer, month, part, owner or priority."),
    "report": ("addin.commands.report", "report", "Write the monthly on-time-delivery workbook."),
    "risk": ("addin.commands.risk", "risk", "Write a copy of the ledger with a risk column and colours."),
    "backlog": ("addin.commands.backlog", "backlog", "Print the open order book: quantity and value still to deliver, overdue first."),
    "review": ("addin.commands.review", "review", "Review PO lines against quotes (and BOM, stock, capacity)."),
    "plan": ("addin.commands.plan", "plan", "The PMC plan: what to buy, what to expedite, load per line, orders blocked and by what."),
    "monthly": ("addin.commands.monthly", "monthly", "The scheduled job: build the month's workbook and e-mail it once."),
    "addin": ("addin.commands.addin", "addin", "Build, install or inspect the Excel add-in."),
    "changes": ("addin.commands.changes", "changes", "Compare two copies of the ledger: change log, change notices, re-promise."),
    "notice": ("addin.commands.notice", "notice", "Write one customer's weekly progress notice and its e-mail body."),
    "weekly": ("addin.commands.weekly", "weekly", "The scheduled job: e-mail each customer its weekly notice, once per week."),
    "escalate": ("addin.commands.escalate", "escalate", "Major exceptions and overdue actions for the department head; --send e-mails the digest."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name, (module, _, _) in COMMANDS.items() if _module_exists(module)]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attr, _ = COMMANDS[name]
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _module_exists(module: str) -> bool:
    import importlib.util
    return importlib.util.find_spec(module) is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="orderdesk")
def cli() -> None:
    """OrderDesk: contract review, on-time delivery and risk for factory order ledgers.

    Exit status: 0 success, 1 the input could not be used, 2 wrong usage, 3 some e-mail
    deliveries failed (monthly)."""


class _TerminalSafe:
    """A text stream whose writes go through ``terminal_safe`` (click's usage errors)."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text: str) -> int:
        return self.stream.write(terminal_safe(text))

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name: str):
        return getattr(self.stream, name)


def main(argv: list[str] | None = None) -> int:
    """Entry point: turns OrderDeskError into `Error: ...` and exit status 1 (SPEC section 6)."""
    from addin.errors import DeliveryError, OrderDeskError
    from addin.files.allocator import keep_freed_memory
    keep_freed_memory()          # a short-lived process: freed arrays' memory reused, not faulted in again
    try:
        status = cli.main(args=argv, prog_name="orderdesk", standalone_mode=False)
        if isinstance(status, int) and status:  # click returns ctx.exit(n) codes here
            return status
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 1
    except click.ClickException as exc:
        exc.show(file=_TerminalSafe(sys.stderr))   # a usage error repeats what was typed (SPEC 12)
        return exc.exit_code
    except DeliveryError as exc:
        click.echo(f"Error: {terminal_safe(str(exc))}", err=True)
        return 3
    except OrderDeskError as exc:
        click.echo(f"Error: {terminal_safe(str(exc))}", err=True)
        return 1
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return 130
    except Exception as exc:  # a bug of ours: one line for the user, the traceback on request
        import os
        if os.environ.get("ORDERDESK_DEBUG"):
            raise
        click.echo(f"Error: internal error ({type(exc).__name__}: {terminal_safe(str(exc)[:200])}) — please report it; "
                   f"set ORDERDESK_DEBUG=1 to see the details", err=True)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
