"""``orderdesk monthly``: the scheduled job (SPEC section 8)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from addin.commands.common import Command, InputFile, echo as safe_echo

from addin.commands.caching import no_cache_option
from addin.commands.common import as_of_option, default_lang, lang_option, month_option, quiet_option



@click.command("monthly", cls=Command)
@click.option("--config", "config_file", required=True, type=InputFile("configuration file", option_file=True),
              help="The job's configuration (orderdesk.toml).")
@month_option
@as_of_option
@lang_option
@click.option("--dry-run", is_flag=True, help="Build the workbook and show what would be sent to whom; send nothing.")
@click.option("--force", is_flag=True, help="Send again to recipients who already received this month's workbook.")
@no_cache_option
@quiet_option
def monthly(config_file: Path, month: dt.date | None, as_of: dt.date | None, lang: str | None, dry_run: bool,
            force: bool, quiet: bool) -> None:
    """Build the month's OTD workbook (OTD-YYYY-MM.xlsx in [report] out_dir) and e-mail it to each
    recipient in [mail] to who has not received it yet.

    The month defaults to the calendar month before the as-of date (default: today), so a run on
    the 1st reports the month just ended. What was sent is recorded beside the config file
    (.orderdesk-sent.sqlite): a second run for the same month sends nothing unless --force, and a
    run after a partial failure sends only to those who did not get it. A second run started while
    one is working waits for it (up to 10 minutes).

    \b
    Example:
      orderdesk monthly --config orderdesk.toml
      orderdesk monthly --config orderdesk.toml --month 2026-10 --dry-run

    \b
    Exit status: 0 all sent (or nothing to send), 1 input or configuration
    error, 3 some deliveries failed (run again to retry only those).
    """
    from addin.config import load_config
    from addin.errors import DeliveryError
    from addin.i18n import t
    from addin.jobs.monthly import run_monthly

    config = load_config(config_file, require_password=not dry_run)
    as_of = as_of or dt.date.today()
    lang = lang or config.report.lang or default_lang()
    echo = (lambda _text: None) if quiet else (lambda text: safe_echo(text))
    outcome = run_monthly(config, as_of=as_of, month=month, lang=lang, dry_run=dry_run, force=force,
                          echo=lambda text: safe_echo(text, err=True))

    def recipient_line(r) -> str:
        return f"  {_pad(t(f'monthly.status.{r.status}', lang), STATUS_WIDTH)} {r.recipient}"

    if outcome.dry_run:
        echo(t("monthly.dry_run", lang, month=outcome.month))
        echo(t("monthly.workbook", lang, path=outcome.workbook))
        echo(t("monthly.from", lang, sender=config.mail.sender))
        echo(t("monthly.subject", lang, subject=outcome.subject))
        for r in outcome.recipients:
            echo(recipient_line(r))
        return
    if outcome.workbook is None:
        echo(t("monthly.nothing_to_send", lang, month=outcome.month))
        return
    echo(f"{outcome.month}: {outcome.workbook}")
    for r in outcome.recipients:
        echo(recipient_line(r) + (f"  {r.reply}" if r.reply else ""))
    failed = outcome.with_status("failed", "not_attempted")
    if failed:
        first = failed[0]
        raise DeliveryError(t("monthly.failed", lang, n=len(failed), total=len(outcome.recipients),
                              month=outcome.month, first=first.recipient, reply=first.reply))
    unrecorded = outcome.with_status("unrecorded")
    if unrecorded:   # sent, but the record could not be written: exit 3, not an internal error
        first = unrecorded[0]
        raise DeliveryError(t("monthly.unrecorded", lang, n=len(unrecorded), total=len(outcome.recipients),
                              month=outcome.month, first=first.recipient, reply=first.reply))


STATUS_WIDTH = 13   # the status column: recipients line up under each other


def _pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal columns (a Chinese character takes two)."""
    from addin.files.text import display_width
    used = display_width(text)
    return text + " " * max(width - used, 0)
