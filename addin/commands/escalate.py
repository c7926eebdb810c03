"""``orderdesk escalate``: the escalation digest (SPEC section 11) — printed for a ledger, or
e-mailed to ``[escalation] to`` by the scheduled job (``--config``)."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from addin.commands.common import Command, echo as safe_echo
from addin.files.limits import MAX_DAY_COUNT

from addin.commands.common import (as_of_option, basis_option, config_option, default_lang, existing_file,
                                   format_option, lang_option, map_option, quiet_option, settings_from,
                                   sheet_option)


@click.command("escalate", cls=Command)
@click.argument("ledger", type=existing_file, required=False)
@as_of_option
@basis_option
@click.option("--major-days", type=click.IntRange(min=1, max=MAX_DAY_COUNT), default=None,
              help="A late line is a major exception from this many days late (default 3, or [otd] major_days).")
@format_option(("table", "json"))
@sheet_option
@map_option
@lang_option
@config_option
@click.option("--send", is_flag=True,
              help="The scheduled job: e-mail the digest of the [ledger] of --config to [escalation] to, once "
                   "per day and recipient.")
@click.option("--dry-run", is_flag=True, help="With --send: show who would get the digest; send nothing.")
@click.option("--force", is_flag=True, help="With --send: send again to recipients who already had today's digest.")
@quiet_option
def escalate(ledger: Path | None, as_of: dt.date | None, basis: str, major_days: int | None, fmt: str,
             sheet: str | None, map_file: Path | None, lang: str | None, config_file: Path | None, send: bool,
             dry_run: bool, force: bool, quiet: bool) -> None:
    """List what goes up to the department head: every open line late by major_days or more (a
    major exception) and every action past its deadline, with owner, problem, action and
    deadline. With --send --config, e-mail that digest to [escalation] to (once per day and
    recipient, recorded beside the config as for `monthly`; a day with nothing to escalate sends
    nothing). Run it every morning from a scheduler.

    \b
    Example:
      orderdesk escalate ledger.xlsx --as-of 2026-11-23
      orderdesk escalate --send --config orderdesk.toml

    \b
    Exit status: 0 done (or nothing to escalate), 1 input or configuration error,
    3 some digests were not delivered (run again to retry only those) or went out unrecorded.
    """
    from addin.i18n import t
    from addin.jobs.escalation import digest_json, escalation_digest

    ctx = click.get_current_context()
    as_of = as_of or dt.date.today()
    echo = (lambda _text: None) if quiet else safe_echo
    if send:
        if config_file is None:
            raise click.UsageError("--send needs --config (the [ledger], [mail] and [escalation] to send with)")
        if ledger is not None:
            raise click.UsageError("--send takes the ledger from [ledger] of --config: give no LEDGER")
        from addin.config import load_config
        from addin.errors import DeliveryError
        from addin.jobs.escalation import run_escalation
        config = load_config(config_file, require_password=not dry_run)
        outcome = run_escalation(config, as_of=as_of, dry_run=dry_run, force=force)
        lang = default_lang() if config.report.lang is None else config.report.lang
        if not outcome.deliveries:
            echo(t("esc.cli.not_due", lang, day=outcome.day))
            return
        for d in outcome.deliveries:
            echo(f"  {d.status:<13} {d.recipient}" + (f"  {d.reply}" if d.reply and d.status != "sent" else ""))
        failed = outcome.with_status("failed", "not_attempted")
        if failed:
            raise DeliveryError(t("esc.cli.failed", lang, day=outcome.day, n=len(failed),
                                  total=len(outcome.deliveries), recipient=failed[0].recipient,
                                  reply=failed[0].reply))
        unrecorded = outcome.with_status("unrecorded")
        if unrecorded:   # sent, but the record could not be written: exit 3, not an internal error
            raise DeliveryError(t("esc.cli.unrecorded", lang, day=outcome.day, n=len(unrecorded),
                                  total=len(outcome.deliveries), recipient=unrecorded[0].recipient,
                                  reply=unrecorded[0].reply))
        if not outcome.with_status("sent", "would_send"):
            echo(t("esc.cli.all_sent", lang, day=outcome.day))
        return
    if ledger is None:
        raise click.UsageError("give the LEDGER to list, or --send --config to e-mail the digest")
    from addin.jobs.inputs import read_ledger
    settings = settings_from(ctx, config_file, basis=basis, major_days=major_days, lang=lang)
    lang = settings.lang or default_lang()
    result = read_ledger(ledger, sheet=sheet, mapping=map_file)
    digest = escalation_digest(result, settings, as_of=as_of, lang=lang)
    if fmt == "json":
        safe_echo(json.dumps(digest_json(digest), ensure_ascii=False))
        return
    echo(digest.subject)
    echo(digest.body.rstrip("\n"))
