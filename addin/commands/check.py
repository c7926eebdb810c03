"""`orderdesk check FILE`: read and validate an input; print the header found, the row
accounting and every issue (SPEC section 6)."""
from __future__ import annotations

import json
from pathlib import Path

import click

from addin.commands.common import Command, echo as safe_echo

from addin.commands.caching import no_cache_option
from addin.commands.common import existing_file, format_option, map_option, quiet_option, sheet_option

KINDS = ["ledger", "sales", "purchase_orders", "work_orders", "shipments", "bom", "quotes", "stock", "purchases",
         "capacity", "routing", "calendar", "deliveries"]


@click.command(cls=Command)
@click.argument("file", type=existing_file)
@click.option("--kind", type=click.Choice(KINDS),
              help="What the file is (default: found from the headers). sales, purchase_orders, work_orders and "
                   "shipments are order-line ledgers (ledger = sales); purchases are open purchase lines for a plan.")
@sheet_option
@map_option
@format_option()
@no_cache_option
@quiet_option
def check(file: Path, kind: str | None, sheet: str | None, map_file: Path | None, fmt: str, quiet: bool) -> None:
    """Read FILE and validate it: the header row found, the column matched to each field, the
    row accounting (read = valid + issues + blank_or_total) and every issue with its cell.

    \b
    Example:
      orderdesk check ledger.xlsx
      orderdesk check bom.csv --kind bom --format json
    """
    from addin.jobs.inputs import read_input
    result = read_input(file, kind, sheet=sheet, mapping=map_file)
    if fmt == "json":
        safe_echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=1, default=str))
        return
    if quiet:
        return
    r = result.rows
    kind = result.kind + (f" ({result.ledger_kind})" if result.ledger_kind else "")
    safe_echo(f"{result.file}  sheet '{result.sheet}'  kind {kind}  header row {result.header_row}")
    for fld, header in result.columns.items():
        choice = result.proposal.get(fld)
        how = ""
        if choice is not None and choice.chosen is not None:
            how = "  (mapping)" if choice.chosen.how == "mapping" else f"  ({choice.chosen.score:.2f}"
            if choice.chosen.how != "mapping":
                runner = choice.runner_up
                how += f"; runner-up {' '.join(runner.header.split())} {runner.score:.2f})" if runner else ")"
        safe_echo(f"  {fld:<22} <- {' '.join(str(header).split())}{how}")
    if result.other_sheets:
        safe_echo(f"other sheets: {', '.join(repr(s) for s in result.other_sheets)}")
    safe_echo(f"rows: read {r.read} = valid {r.valid} + issues {r.issues} + blank/total {r.blank_or_total}")
    for note in result.notes:
        safe_echo(f"note: {note}")
    for issue in result.issues:
        safe_echo(f"{issue.severity}: {issue}")
