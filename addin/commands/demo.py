"""`orderdesk demo`: the sample workbooks and every output OrderDesk makes from them."""
from __future__ import annotations

import json
from pathlib import Path

import click

from addin.commands.common import Command, echo as safe_echo

from addin.commands.common import lang_option, quiet_option


@click.command(cls=Command)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("orderdesk-demo"),
              show_default=True, help="Folder to write into (created if needed).")
@lang_option
@quiet_option
def demo(out_dir: Path, lang: str | None, quiet: bool) -> None:
    """Write the sample workbooks (a Chinese and an English order ledger, BOM, quote book,
    stock/capacity, a batch of new POs, empty templates) and every output made from them:
    the row check of each input, the monthly on-time-delivery workbook, the risk-coloured
    ledger and the contract review of the new POs. The samples describe 2026-11-20, which is
    the as-of date the demo measures at.

    \b
    Example:
      orderdesk demo --out demo
    """
    from addin.demo import run as demo_module
    root = click.get_current_context().find_root().command

    def command(args: list[str]) -> None:
        root.main(args=args, prog_name="orderdesk", standalone_mode=False)

    outputs = demo_module.run(out_dir, command, lang=lang)
    if not quiet:
        for kind, path in outputs:
            safe_echo(f"{kind:<10} {path}")
        safe_echo(json.dumps({"written": len(outputs), "folder": str(out_dir)}, ensure_ascii=False))
