"""Open purchase lines (SPEC section 2): part, open quantity, due date. A line that repeats an
earlier one exactly (same PO, part, quantity and due date) is most likely pasted twice: it
would double the supply, so it is an issue.

A planner keeps one purchase sheet, often the purchase LEDGER the supplier scorecard reads
(SPEC section 10: ordered quantity, promised/requested date, receipt date, received quantity).
A purchases input whose header carries receipt columns (a receipt date and/or a received
quantity) beside a promised or requested date and the PO number is read as that ledger, and its
open purchase lines are derived (one implementation, :func:`open_purchases`):

* open quantity = ordered − received, never below 0 (``addin.compute.backlog.open_lines``:
  every receipt the sheet records counts; without a received quantity a line with a receipt
  date, or a status saying received, is received in full);
* lines received in full, closed or cancelled are not open: left out, and a note says how many;
* due date = the promised date, else the requested date (SPEC section 3, basis ``promised``),
  never the receipt date; an open line with neither is an issue naming its cell;
* the PO number (``po_no``), line number and supplier are kept.

A plain open-PO list (``po_no, supplier, part_no, qty, due_date``) reads as it always did; so
does a sheet whose columns a mapping file names (the mapping says what each column is).
Every front end gets this: a sheet whose header matches the open-PO columns is turned into the
ledger's open lines by :func:`finish`; a ledger without a column the open-PO list needs
(``承诺交期`` / ``实际到货日期`` only) is read by :func:`read` (files) and :func:`read_grid` (an
Excel sheet), which the jobs and the workbook buttons call for purchases."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from addin.errors import InputError
from addin.readers import _rules, table
from addin.readers.grid import Grid

RECEIPT = ("ship_date", "shipped_qty")          # the receipt date, the received quantity
DUE = ("promised_date", "requested_date")       # the due date: promised, else requested
_RENAMED = {"order_no": "po_no"}                # ledger field -> open purchase line field
_SHOWN = ("order_no", "line_no", "supplier", "part_no", "qty", "promised_date", "requested_date",
          "ship_date", "shipped_qty", "open_qty", "status")


def is_ledger(columns) -> bool:
    """Whether a header read as a purchase ledger (its fields) is one: PO number, part, ordered
    quantity, a promised or requested date and a receipt column. A lone date column is the
    expected arrival of a plain open-PO list, not a receipt."""
    have = set(columns)
    return {"order_no", "part_no", "qty"} <= have and bool(have & set(RECEIPT)) and bool(have & set(DUE))


def _ledger_match(grid: Grid, header_row: int | None) -> table.HeaderMatch | None:
    match = table.find_header(table.unpasted(grid), "ledger", table.Mapping(header_row=header_row),
                              ledger_kind="purchases")
    return match if match is not None and is_ledger(match.columns) else None


def _by_mapping(match: table.HeaderMatch) -> bool:
    return any(c.chosen is not None and c.chosen.how == "mapping" for c in match.proposal.values())


def finish(result: table.ReadResult, grid: Grid, match: table.HeaderMatch) -> None:
    if not _by_mapping(match) and _ledger_match(grid, match.header_index + 1) is not None:
        ledger = table.read_grid(grid, "ledger", table.Mapping(header_row=match.header_index + 1),
                                 ledger_kind="purchases")
        derived = open_purchases(ledger)
        for f in dataclasses.fields(table.ReadResult):
            setattr(result, f.name, getattr(derived, f.name))
        # the reader takes the proposal from the match after this rule: the ledger's
        match.proposal.clear()
        match.proposal.update(derived.proposal)
        return
    d = result.data
    if "po_no" not in match.columns:
        return          # without PO numbers two equal lines may be two real orders
    new = [table.Issue(_rules.cell_of(result, grid, match, "po_no", row), "po_no",
                       d.loc[d["source_row"] == row, "po_no"].iat[0],
                       f"repeats row {first} (same PO, part, quantity and due date) — delete one")
           for row, first in _rules.duplicates(d, ["po_no", "part_no", "qty", "due_date"])]
    _rules.apply(result, new)


def open_purchases(ledger: table.ReadResult) -> table.ReadResult:
    """The open purchase lines of a purchase ledger's ReadResult (see the module's rules), as a
    ``purchases`` ReadResult: ``po_no, line_no, supplier, part_no, qty`` (the open quantity),
    ``due_date``, ``ordered_qty``, ``received_qty``, ``source_row``. The rows stay accounted
    as the ledger read them (a line received in full is a valid line, left out, in the note)."""
    from addin.compute.backlog import open_lines
    from addin.compute.columns import date_column, number_column, text_column
    from addin.compute.otd import codes_of
    from addin.schema import STATUS_WORDS
    data = ledger.data
    ship = date_column(data, "ship_date")
    # every receipt the sheet records counts: measured as of its latest receipt date
    as_of = ship.max().date() if ship.notna().any() else pd.Timestamp("2000-01-01").date()
    lines = open_lines(data, as_of)
    status = codes_of(text_column(data, "status"), STATUS_WORDS)
    finished = int(np.isin(status, [STATUS_WORDS.index("closed"), STATUS_WORDS.index("cancelled")]).sum())
    received = len(data) - len(lines) - finished
    ordered = number_column(lines, "qty").to_numpy(dtype="float64")
    out = pd.DataFrame({
        "po_no": text_column(lines, "order_no").to_numpy(dtype=object),
        "line_no": text_column(lines, "line_no").to_numpy(dtype=object),
        "supplier": text_column(lines, "supplier").to_numpy(dtype=object),
        "part_no": text_column(lines, "part_no").to_numpy(dtype=object),
        "qty": lines["open_qty"].to_numpy(dtype="float64"),
        "due_date": lines["due_date"].to_numpy(dtype="datetime64[ns]"),
        "ordered_qty": ordered,
        "received_qty": ordered - lines["open_qty"].to_numpy(dtype="float64"),
        "source_row": lines["source_row"].to_numpy(dtype="int64"),
    })
    columns = {_RENAMED.get(f, f): ledger.columns[f] for f in _SHOWN if f in ledger.columns}
    due_from = [ledger.columns[f] for f in DUE if f in ledger.columns]
    receipts = [ledger.columns[f] for f in RECEIPT if f in ledger.columns]
    result = dataclasses.replace(
        ledger, kind="purchases", columns=columns, data=out.reset_index(drop=True),
        issues=list(ledger.issues), rows=dataclasses.replace(ledger.rows), notes=list(ledger.notes),
        ledger_kind=None,
        proposal={_RENAMED.get(f, f): dataclasses.replace(c, field=_RENAMED.get(f, f))
                  for f, c in ledger.proposal.items() if f in columns or _RENAMED.get(f) in columns},
        column_letters={_RENAMED.get(f, f): c for f, c in ledger.column_letters.items()})
    undated = out.index[out["due_date"].isna()]
    if len(undated):
        where = next((f for f in DUE if f in ledger.column_letters), None)
        new = [table.Issue(f"{ledger.sheet}!{ledger.column_letters[where]}{int(out.at[i, 'source_row'])}"
                           if where else f"{ledger.sheet}!A{int(out.at[i, 'source_row'])}",
                           "due_date", None,
                           f"open ({_rules.fmt(out.at[i, 'qty'])} not received) but no promised or requested date "
                           f"— give its promised date")
               for i in undated]
        _rules.apply(result, new)
    dup_key = ["po_no", "line_no", "part_no"] if "line_no" in ledger.columns else ["po_no", "part_no", "qty", "due_date"]
    if len(result.data):
        letter = ledger.column_letters.get("order_no", "A")
        _rules.apply(result, [
            table.Issue(f"{ledger.sheet}!{letter}{row}", "po_no",
                        result.data.loc[result.data["source_row"] == row, "po_no"].iat[0],
                        f"repeats row {first} (same PO, {'line and part' if 'line_no' in ledger.columns else 'part, quantity and due date'}) — delete one")
            for row, first in _rules.duplicates(result.data, dup_key)])
    received_as = ledger.columns.get("shipped_qty", "received")
    note = (f"read as a purchase ledger (receipt columns {', '.join(receipts)}): open quantity = "
            f"{ledger.columns['qty']} − {received_as}, due {' else '.join(due_from)} (never the receipt date); "
            f"{len(result.data)} open line{'s' if len(result.data) != 1 else ''}, {received} received in full left out"
            + (f", {finished} closed or cancelled left out" if finished else ""))
    result.notes.append(note)
    return result


def _fallback(error: InputError, read_ledger, mapping: Any) -> table.ReadResult:
    """A sheet without a column the open-PO list needs: the purchase ledger's open lines when it
    is one (no mapping names its columns), else ``error``."""
    if isinstance(mapping, table.Mapping) and (mapping.columns or mapping.derived):
        raise error
    try:
        ledger = read_ledger()
    except InputError:
        raise error from None
    if not is_ledger(ledger.columns):
        raise error
    return open_purchases(ledger)


def read_grid(grid: Grid, mapping: table.Mapping | None = None) -> table.ReadResult:
    """A sheet (or range) of open purchase lines, or of a purchase ledger (its open lines)."""
    mapping = mapping or table.Mapping()
    try:
        return table.read_grid(grid, "purchases", mapping)
    except InputError as exc:
        return _fallback(exc, lambda: table.read_grid(grid, "ledger", mapping, ledger_kind="purchases"), mapping)


def read(path: Path | str, *, sheet: str | None = None, mapping: Any = None) -> table.ReadResult:
    """A file of open purchase lines, or a purchase ledger (its open lines)."""
    if not isinstance(mapping, table.Mapping):
        mapping = table.Mapping.load(mapping)
    try:
        return table.read(path, "purchases", sheet=sheet, mapping=mapping)
    except InputError as exc:
        return _fallback(exc, lambda: table.read(path, "purchase_orders", sheet=sheet, mapping=mapping), mapping)
