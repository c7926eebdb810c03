"""`orderdesk check FILE`: read and validate an input; print the header found, the row
accounting and every issue (SPEC section 6)."""
from __future__ import annotations

import json
from pathlib import Path

import click

from addin.commands.common import existing_file, format_option, map_option, quiet_option, sheet_option

KINDS = ["ledger", "bom", "quotes", "stock", "purchases", "capacity", "routing", "calendar"]


@click.command()
@click.argument("file", type=existing_file)
@click.option("--kind", type=click.Choice(KINDS), help="What the file is (default: found from the headers).")
@sheet_option
@map_option
@format_option()
@quiet_option
def check(file: Path, kind: str | None, sheet: str | None, map_file: Path | None, fmt: str, quiet: bool) -> None:
    """Read FILE and validate it: the header row found, the column matched to each field, the
    row accounting (read = valid + issues + blank_or_total) and every issue with its cell.

    \b
    Example:
      orderdesk check ledger.xlsx
      orderdesk check bom.csv --kind bom --format json
    """
    from addin.readers import read
    result = read(file, kind, sheet=sheet, mapping=map_file)
    if fmt == "json":
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=1, default=str))
        return
    if quiet:
        return
    r = result.rows
    click.echo(f"{result.file}  sheet '{result.sheet}'  kind {result.kind}  header row {result.header_row}")
    for fld, header in result.columns.items():
        click.echo(f"  {fld:<22} <- {header}")
    click.echo(f"rows: read {r.read} = valid {r.valid} + issues {r.issues} + blank/total {r.blank_or_total}")
    for note in result.notes:
        click.echo(f"note: {note}")
    for issue in result.issues:
        click.echo(f"{issue.severity}: {issue}")
