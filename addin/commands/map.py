"""`orderdesk map FILE`: the column OrderDesk would read for each field, how sure it is and the
runner-up, the required fields it found no column for; ``--out`` writes it as a mapping file
to edit and pass back with ``--map`` (SPEC section 9)."""
from __future__ import annotations

import json
from pathlib import Path

import click

from addin.commands.common import Command, echo as safe_echo

from addin.commands.common import existing_file, format_option, map_option, sheet_option

KINDS = ["ledger", "sales", "purchase_orders", "work_orders", "shipments", "bom", "quotes", "stock",
         "purchases", "capacity", "routing", "calendar", "deliveries"]


@click.command("map", cls=Command)
@click.argument("file", type=existing_file)
@click.option("--kind", type=click.Choice(KINDS),
              help="What the file is (default: found from the headers). sales, purchase_orders, work_orders "
                   "and shipments are order-line ledgers; purchases are open purchase lines for a plan.")
@sheet_option
@map_option
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the proposal as a TOML mapping file (edit it, then pass it with --map).")
@format_option()
def map_command(file: Path, kind: str | None, sheet: str | None, map_file: Path | None, out: Path | None,
                fmt: str) -> None:
    """Propose how FILE's columns map to OrderDesk's fields: per field the column chosen, a
    confidence (1.00 = an exact known header) and the runner-up; each required field with no
    column is named with the closest headers found. Nothing is read but the header and a
    sample of values.

    \b
    Example:
      orderdesk map export.xlsx
      orderdesk map export.xlsx --out map.toml
      orderdesk check export.xlsx --map map.toml
    """
    from addin.files.atomic import atomic_write
    from addin.readers.proposal import propose
    proposal = propose(file, kind, sheet=sheet, mapping=map_file)
    if fmt == "json":
        safe_echo(json.dumps(proposal.as_dict(), ensure_ascii=False, indent=1))
    else:
        for line in proposal.lines():
            safe_echo(line)
    if out is not None:
        text = proposal.toml()
        atomic_write(out, lambda tmp: tmp.write_text(text, encoding="utf-8"), backup=False, inputs=[file])
        if fmt != "json":
            safe_echo(f"wrote {out}")
