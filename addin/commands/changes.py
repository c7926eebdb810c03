"""`orderdesk changes OLD NEW --out FILE`: what changed between two copies of the ledger, the
change notices, and the re-promise of what the changes move (SPEC section 11)."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from addin.commands.common import DAYS, Command, echo as safe_echo

from addin.commands.common import (apply, as_of_option, calendar_option, config_option, default_lang, existing_file,
                                   format_option, lang_option, map_option, progress, quiet_option, settings_from,
                                   sheet_option)
from addin.config import INSPECTION_DAYS, TRANSPORT_DAYS


@click.command(cls=Command)
@click.argument("old", type=existing_file)
@click.argument("new", type=existing_file)
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The change workbook to write (.xlsx); never OLD, NEW or another input.")
@click.option("--old-sheet", metavar="NAME",
              help="OLD's worksheet when it differs from --sheet (default: --sheet if OLD has it, else the "
                   "sheet found by its headers).")
@click.option("--bom", "bom_files", type=existing_file, multiple=True,
              help="BOM for the re-promise (repeat for several files; multi-level).")
@click.option("--bom-parent", metavar="PART", help="The product a BOM without a parent column builds.")
@click.option("--stock", "stock_file", type=existing_file,
              help="Stock for the re-promise. Its other sheets are searched for open purchase lines, capacity "
                   "and routing when those options are not given.")
@click.option("--purchases", "purchases_file", type=existing_file, help="Open purchase lines (part, qty, due date).")
@click.option("--capacity", "capacity_file", type=existing_file,
              help="Capacity: hours per working day per line (its other sheets are searched for routing).")
@click.option("--routing", "routing_file", type=existing_file, help="Routing: part, line, hours per unit.")
@calendar_option("the re-promise", "a date counted through a later year counts Mon-Fri")
@click.option("--inspection-days", type=DAYS, default=INSPECTION_DAYS, show_default=True,
              help="Outgoing inspection, working days after production.")
@click.option("--transport-days", type=DAYS, default=TRANSPORT_DAYS, show_default=True,
              help="Transport to the customer, working days.")
@apply(sheet_option, map_option, as_of_option, lang_option, format_option(("table", "json")), config_option,
       quiet_option)
def changes(old: Path, new: Path, out_file: Path, old_sheet: str | None, bom_files: tuple[Path, ...],
            bom_parent: str | None, stock_file: Path | None, purchases_file: Path | None,
            capacity_file: Path | None, routing_file: Path | None, calendar_spec: str, inspection_days: int,
            transport_days: int, sheet: str | None, map_file: Path | None, as_of: dt.date | None, lang: str | None,
            fmt: str, config_file: Path | None, quiet: bool) -> None:
    """Compare OLD and NEW, two copies of the same order ledger (last week's and today's), line by
    line, keyed by order number and line number, and write the change workbook: the change log
    (added, removed, cancelled, qty, requested_date — the customer moved the date —,
    promised_date — we re-committed —, part_no, revision, status), how the copies were matched,
    and per changed order the 客户订单变更通知单 (to the customer: that order only) and the
    生产任务通知变更单 (to production), ready to print.

    Rows may be in any order and the sheet may have been renamed. A line number met twice in a
    file and lines without a line number are never merged: they are matched by content, then part
    number, then file order, and listed on the Matching notes sheet. A status moving on (open to
    shipped) is logged but gets no notice.

    With --stock (and/or --capacity with --routing; --bom, --purchases) the open lines of both
    copies are promised from the as-of date, and the changed lines, every open line sharing a
    component or production line with them, and any line whose capable-to-promise date moves are
    listed with the old and new date. --sheet and --map apply to both ledgers.

    \b
    Example:
      orderdesk changes ledger-last-week.xlsx ledger.xlsx --out changes.xlsx
      orderdesk changes old.xlsx new.xlsx --bom bom.xlsx --stock stock.xlsx --capacity capacity.xlsx \\
          --format json --out changes.xlsx
    """
    from addin.i18n import t
    from addin.jobs.changes import changes_json, compare_ledgers, read_change_files, write_changes

    settings = settings_from(click.get_current_context(), config_file, calendar_spec=calendar_spec, lang=lang,
                             inspection_days=inspection_days, transport_days=transport_days)
    lang = settings.lang or default_lang()
    as_of = as_of or dt.date.today()
    progress(f"reading {old.name} and {new.name}")
    inputs = read_change_files(old, new, sheet=sheet, old_sheet=old_sheet, mapping=map_file, boms=bom_files,
                               bom_parent=bom_parent, stock=stock_file, purchases=purchases_file,
                               capacity=capacity_file, routing=routing_file)
    job = compare_ledgers(inputs, settings, as_of, lang)
    write_changes(out_file, job, inputs, lang=lang)
    if fmt == "json":
        safe_echo(json.dumps(changes_json(job), ensure_ascii=False, indent=1))
        return
    if quiet:
        return
    from addin.writers.changebook import kind_label, value_text
    for r in job.diff.changes.itertuples(index=False):
        what = ("" if r.kind == "added" else value_text(r.kind, r.old, lang)) + " → " + \
            ("" if r.kind == "removed" else value_text(r.kind, r.new, lang))
        safe_echo(f"{r.order_no or ''} / {r.line_no or ''}  {kind_label(r.kind, lang)}: {what}")
    moved = job.repromise.moved if job.repromise is not None else None
    if moved is not None:
        for r in moved.itertuples(index=False):
            was = "" if r.old_promise is None else r.old_promise.date().isoformat()
            now = "" if r.new_promise is None else r.new_promise.date().isoformat()
            safe_echo(f"{r.order_no or ''} / {r.line_no or ''}  {t('changes.promise_col', lang)}: {was} → {now}")
    for note in job.notes:
        safe_echo(note)
    safe_echo(t("changes.written", lang, out=out_file, n=len(job.diff.changes), orders=len(job.diff.changed_orders),
                 moved=0 if moved is None else len(moved)))
