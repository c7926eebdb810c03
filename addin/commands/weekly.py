"""``orderdesk weekly``: the scheduled weekly customer notices (SPEC section 11)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from addin.commands.common import Command, InputFile, echo as safe_echo

from addin.commands.common import as_of_option, quiet_option


@click.command("weekly", cls=Command)
@click.option("--config", "config_file", required=True, type=InputFile("configuration file", option_file=True),
              help="The job's configuration (orderdesk.toml with [ledger], [mail] and [notice]).")
@as_of_option
@click.option("--dry-run", is_flag=True, help="Write the notices and show who would get which; send nothing.")
@click.option("--force", is_flag=True,
              help="Send again to recipients who already had this week's notice, and before the weekday.")
@quiet_option
def weekly(config_file: Path, as_of: dt.date | None, dry_run: bool, force: bool, quiet: bool) -> None:
    """E-mail each customer in [notice.customers] its weekly progress notice (the workbook of
    `orderdesk notice`, attached, and the e-mail body in the customer's language), once per ISO
    week and recipient, from the [notice] weekday on. Run it every day from a scheduler: before
    the weekday it sends nothing, on it (or later that week, if the machine was off) it sends what
    is missing; a customer added mid-week gets this week's notice on the next run.

    What was sent is recorded beside the config file (.orderdesk-sent.sqlite, as for `monthly`);
    temporary SMTP failures are retried, permanent ones are not; a second run waits for the first.
    A notice holds only its customer's lines.

    \b
    Example:
      orderdesk weekly --config orderdesk.toml
      orderdesk weekly --config orderdesk.toml --as-of 2026-11-23 --dry-run

    \b
    Exit status: 0 all sent (or nothing to send), 1 input or configuration error,
    3 some deliveries failed (run again to retry only those) or went out unrecorded.
    """
    from addin.config import load_config
    from addin.errors import DeliveryError
    from addin.jobs.weekly import run_weekly

    config = load_config(config_file, require_password=not dry_run)
    outcome = run_weekly(config, as_of=as_of or dt.date.today(), dry_run=dry_run, force=force)
    echo = (lambda _text: None) if quiet else safe_echo
    if not outcome.due:
        echo(f"{outcome.week}: the notices go out later this week ([notice] weekday); nothing sent")
        return
    for d in outcome.deliveries:
        echo(f"  {d.status:<13} {d.customer}: {d.recipient}" + (f"  {d.reply}" if d.reply else ""))
    failed = outcome.with_status("failed", "not_attempted")
    if failed:
        first = failed[0]
        raise DeliveryError(f"{len(failed)} of {len(outcome.deliveries)} notices of {outcome.week} not delivered "
                            f"(first: {first.customer}, {first.recipient}: {first.reply}) — run again to retry them")
    unrecorded = outcome.with_status("unrecorded")
    if unrecorded:   # sent, but the record could not be written: exit 3, not an internal error
        first = unrecorded[0]
        raise DeliveryError(f"{len(unrecorded)} of {len(outcome.deliveries)} notices of {outcome.week} went out but "
                            f"could not be recorded (first: {first.customer}, {first.recipient}: {first.reply}) — "
                            f"check the record of sent mail beside the config")
    if not [d for d in outcome.deliveries if d.status in ("sent", "would_send")]:
        echo(f"{outcome.week}: every notice was already sent")
