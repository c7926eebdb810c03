"""`orderdesk notice LEDGER --customer C --out FILE`: one customer's weekly progress notice
(SPEC section 11)."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from addin.commands.common import DAYS, Command, echo as safe_echo

from addin.commands.common import (apply, as_of_option, basis_option, calendar_option, config_option, default_lang,
                                   existing_file, format_option, lang_option, map_option, parse_date_option,
                                   quiet_option, settings_from, sheet_option)
from addin.defaults import RISK_HORIZON


def _since(ctx, param, value):
    return parse_date_option(value)


@click.command(cls=Command)
@click.argument("ledger", type=existing_file)
@click.option("--customer", required=True, metavar="NAME",
              help="The customer, as the ledger writes it (case and spaces ignored).")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The notice workbook to write (.xlsx); never the ledger.")
@click.option("--body", "body_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the e-mail body (UTF-8 text) to this file.")
@click.option("--since", callback=_since, metavar="DATE",
              help="Date of the last notice: shipments after it are listed (default: as-of date − 7 days).")
@click.option("--horizon", type=DAYS, default=RISK_HORIZON, show_default=True,
              help="Working days ahead within which an open line is at risk.")
@calendar_option("the risk horizon", "a horizon counted through a later year counts Mon-Fri")
@apply(basis_option, sheet_option, map_option, as_of_option, lang_option, format_option(("table", "json")),
       config_option, quiet_option)
def notice(ledger: Path, customer: str, out_file: Path, body_file: Path | None, since: dt.date | None, horizon: int,
           calendar_spec: str, basis: str, sheet: str | None, map_file: Path | None, as_of: dt.date | None,
           lang: str | None, fmt: str, config_file: Path | None, quiet: bool) -> None:
    """Write the weekly progress notice for one CUSTOMER of LEDGER: their open lines with status
    and milestone progress, the lines at risk or late with cause, action and expected date
    ("交期可能延误2天：原因…，措施…，预计…"), and what shipped since the last notice; with
    --body also the e-mail body, in the language of --lang (the customer's).

    The notice holds that customer's lines only: no other customer's name, order number or
    figure, also not inside the action texts (replaced by …). The cause is the root-cause
    category of the exception, never the internal note. The action comes from the ledger's
    action column (改善措施/处理措施, Action), the expected date from the promised date when it
    is not past.

    \b
    Example:
      orderdesk notice ledger.xlsx --customer "Nordic Audio" --lang en --out notice.xlsx --body notice.txt
    """
    from addin.i18n import t
    from addin.jobs.notice import customer_progress, notice_json, write_notice

    settings = settings_from(click.get_current_context(), config_file, basis=basis, horizon=horizon,
                             calendar_spec=calendar_spec, lang=lang)
    lang = settings.lang or default_lang()
    as_of = as_of or dt.date.today()
    job = customer_progress(ledger, customer, settings, as_of=as_of, since=since, lang=lang, sheet=sheet,
                            mapping=map_file)
    inputs = [ledger, *([map_file] if map_file else []), *([config_file] if config_file else [])]
    write_notice(out_file, job, inputs=inputs, body=body_file)
    if fmt == "json":
        safe_echo(json.dumps(notice_json(job), ensure_ascii=False, indent=1))
    elif not quiet:
        c = job.notice.counts
        safe_echo(t("notice.written", lang, out=out_file, customer=job.notice.customer, open=c["open"],
                     risk=c["overdue"] + c["at_risk"], shipped=c["shipped"]))
