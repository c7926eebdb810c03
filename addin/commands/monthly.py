"""``orderdesk monthly``: the scheduled job (SPEC section 8)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from addin.commands.common import as_of_option, default_lang, lang_option, month_option, quiet_option

_STATUS = {"sent": "sent", "already_sent": "already sent", "failed": "FAILED",
           "not_attempted": "NOT SENT", "would_send": "would send"}


@click.command("monthly")
@click.option("--config", "config_file", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The job's configuration (orderdesk.toml).")
@month_option
@as_of_option
@lang_option
@click.option("--dry-run", is_flag=True, help="Build the workbook and show what would be sent to whom; send nothing.")
@click.option("--force", is_flag=True, help="Send again to recipients who already received this month's workbook.")
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
    from addin.jobs.monthly import run_monthly

    config = load_config(config_file, require_password=not dry_run)
    as_of = as_of or dt.date.today()
    echo = (lambda _text: None) if quiet else (lambda text: click.echo(text))
    outcome = run_monthly(config, as_of=as_of, month=month, lang=lang or config.report.lang or default_lang(),
                          dry_run=dry_run, force=force, echo=lambda text: click.echo(text, err=True))

    if outcome.dry_run:
        echo(f"Dry run for {outcome.month}: nothing was sent.")
        echo(f"Workbook: {outcome.workbook}")
        echo(f"From:     {config.mail.sender}")
        echo(f"Subject:  {outcome.subject}")
        for r in outcome.recipients:
            echo(f"  {_STATUS[r.status]:<13} {r.recipient}")
        return
    if outcome.workbook is None:
        echo(f"{outcome.month}: every recipient already has the workbook; nothing to send (use --force to resend).")
        return
    echo(f"{outcome.month}: {outcome.workbook}")
    for r in outcome.recipients:
        echo(f"  {_STATUS[r.status]:<13} {r.recipient}" + (f"  {r.reply}" if r.reply else ""))
    failed = outcome.with_status("failed", "not_attempted")
    if failed:
        first = failed[0]
        raise DeliveryError(f"{len(failed)} of {len(outcome.recipients)} deliveries of OTD-{outcome.month}.xlsx failed "
                            f"(first: {first.recipient}: {first.reply}) — run the same command again to retry "
                            f"only those")
