"""The order-changes job (SPEC section 11): two copies of the same ledger compared, the change
log and the two notices per changed order written, and — given the factory's plan (BOM, stock,
open purchases, capacity, routing) — the lines whose capable-to-promise date the changes move.
``orderdesk changes`` takes files; each front end fills :class:`ChangeInputs` and runs
:func:`compare_ledgers`, then :func:`write_changes` / :func:`changes_json`."""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from addin.config import Settings
from addin.errors import InputError
from addin.jobs.inputs import Source, frame, read_file, read_input, working_calendar

__all__ = ["ChangeInputs", "ChangeJob", "read_change_files", "compare_ledgers", "write_changes", "changes_json",
           "PLAN_KINDS"]

PLAN_KINDS = ("bom", "stock", "purchases", "capacity", "routing")


@dataclass(frozen=True)
class ChangeInputs:
    """OLD and NEW (paths, ``ReadResult`` or canonical frames) and the optional plan inputs.
    ``notes``: what reading decided that the user should know (a renamed sheet)."""
    old: Source
    new: Source
    bom: Source | None = None
    stock: Source | None = None
    purchases: Source | None = None
    capacity: Source | None = None
    routing: Source | None = None
    bom_parent: str | None = None
    sources: tuple[Path, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def has_plan(self) -> bool:
        return self.stock is not None or (self.capacity is not None and self.routing is not None)


@dataclass(frozen=True)
class ChangeJob:
    """What :func:`compare_ledgers` returns: ``diff`` (``addin.compute.changes.LedgerDiff``),
    ``repromise`` (``Repromise`` or None without a plan), the two copies' frames, the read
    summaries shown on the workbook, the notes."""
    diff: Any
    repromise: Any
    old: Any
    new: Any
    as_of: _dt.date
    files: tuple[dict, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)


def _read_ledger_sheet(path: Path, sheet: str | None, mapping: Any, label: str) -> tuple[Any, list[str]]:
    """The ledger of ``path``; ``sheet`` when that workbook has it, else the sheet found by its
    headers (a renamed sheet), said in a note."""
    from addin.jobs.inputs import read_ledger
    from addin.readers.grid import sheet_names
    if sheet is not None and sheet not in sheet_names(path):
        result = read_ledger(path, mapping=mapping)
        return result, [f"{label} {path.name}: no sheet '{sheet}'; read sheet '{result.sheet}' (found by its headers)"]
    return read_ledger(path, sheet=sheet, mapping=mapping), []


def read_change_files(old: Path, new: Path, *, sheet: str | None = None, old_sheet: str | None = None,
                      mapping: Any = None, boms: Sequence[Path] = (), bom_parent: str | None = None,
                      stock: Path | None = None, purchases: Path | None = None, capacity: Path | None = None,
                      routing: Path | None = None) -> ChangeInputs:
    """Both ledgers and the plan inputs read from files. ``sheet`` names NEW's sheet and, unless
    ``old_sheet`` says otherwise, OLD's; a copy without that sheet is read from the sheet its
    headers point to. As for the review, open purchases, capacity and routing may be sheets of the
    stock workbook (capacity and routing also of the capacity workbook)."""
    from addin.readers import read
    new_result, notes = _read_ledger_sheet(Path(new), sheet, mapping, "NEW")
    old_result, old_notes = _read_ledger_sheet(Path(old), old_sheet or sheet, mapping, "OLD")
    notes += old_notes
    if old_result.sheet != new_result.sheet and not notes:
        notes.append(f"the ledger sheet is '{old_result.sheet}' in {Path(old).name} and '{new_result.sheet}' in "
                     f"{Path(new).name}: compared as the same ledger")

    def one_of(kind: str, own: Path | None, *others: Path | None):
        if own is not None:
            return read_file(own, kind)
        for other in others:
            if other is None:
                continue
            try:
                return read_file(other, kind)
            except InputError:
                continue  # that workbook has no sheet of this kind
        return None

    bom = None
    if boms:
        from addin.readers.bom import read_bom
        bom = read_bom([Path(b) for b in boms], {Path(boms[0]).name: bom_parent} if bom_parent else None)
    plan = bool(boms) or any(p is not None for p in (stock, capacity, routing))
    return ChangeInputs(
        old=old_result, new=new_result, bom=bom,
        stock=read(stock, "stock") if stock is not None else None,
        purchases=one_of("purchases", purchases, stock) if plan else None,
        capacity=one_of("capacity", capacity, stock) if plan else None,
        routing=one_of("routing", routing, capacity, stock) if plan else None,
        bom_parent=bom_parent,
        sources=tuple(Path(p) for p in (old, new, *boms, stock, purchases, capacity, routing) if p is not None),
        notes=tuple(notes))


def _factory(inputs: ChangeInputs, settings: Settings):
    from addin.compute.promise import Plan
    return Plan(bom=frame(read_input(inputs.bom, "bom")) if inputs.bom is not None else None,
                stock=frame(read_input(inputs.stock, "stock")) if inputs.stock is not None else None,
                purchases=frame(read_input(inputs.purchases, "purchases")) if inputs.purchases is not None else None,
                capacity=frame(read_input(inputs.capacity, "capacity")) if inputs.capacity is not None else None,
                routing=frame(read_input(inputs.routing, "routing")) if inputs.routing is not None else None,
                inspection_days=settings.review.inspection_days, transport_days=settings.review.transport_days,
                bom_parent=inputs.bom_parent)


def _summary(result: Any, label: str) -> dict:
    rows = getattr(result, "rows", None)
    return {"label": label, "file": getattr(result, "file", None), "sheet": getattr(result, "sheet", None),
            "rows": rows.as_dict() if rows is not None else None,
            "issues": [i.as_dict() for i in getattr(result, "issues", [])]}


def compare_ledgers(inputs: ChangeInputs, settings: Settings, as_of: _dt.date, lang: str = "en") -> ChangeJob:
    """The changes from OLD to NEW and, with a plan, the re-promise (``addin.compute.changes``)."""
    from addin.compute.changes import diff_ledgers, repromise
    old_result, new_result = read_input(inputs.old, "ledger"), read_input(inputs.new, "ledger")
    old, new = frame(old_result), frame(new_result)
    diff = diff_ledgers(old, new, old_fields=getattr(old_result, "columns", None),
                        new_fields=getattr(new_result, "columns", None))
    moved = None
    notes = list(inputs.notes)
    if inputs.capacity is not None and inputs.routing is None:
        notes.append("capacity not planned: no routing found (part, line, hours per unit) — give it with --routing")
    elif inputs.routing is not None and inputs.capacity is None:
        notes.append("capacity not planned: no capacity found (hours per day per line) — give it with --capacity")
    if inputs.has_plan:
        plan = _factory(inputs, settings)
        moved = repromise(old, new, diff, plan, calendar=working_calendar(settings), as_of=as_of, lang=lang)
    elif any(getattr(inputs, k) is not None for k in PLAN_KINDS):
        notes.append("no re-promise: it needs the stock (--stock) or the capacity and routing (--capacity, --routing)")
    return ChangeJob(diff, moved, old, new, as_of,
                     files=(_summary(old_result, "OLD"), _summary(new_result, "NEW")), notes=tuple(notes))


def write_changes(out: Path, job: ChangeJob, inputs: ChangeInputs, *, lang: str) -> Path:
    """The change workbook (``addin.writers.changebook``), written atomically, never over an input."""
    from addin.writers.changebook import write_change_book
    return write_change_book(out, job, lang=lang, inputs=list(inputs.sources))


def _day(value: Any) -> str | None:
    import pandas as pd
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date().isoformat()


def changes_json(job: ChangeJob) -> dict:
    """SPEC section 11: ``changes`` and ``moved``; with the issues met while matching, the row
    accounting of both copies and the notes."""
    from addin.compute.changes import json_value
    changes = [{"order_no": r.order_no, "line_no": r.line_no, "kind": r.kind, "old": json_value(r.old),
                "new": json_value(r.new)} for r in job.diff.changes.itertuples(index=False)]
    moved = []
    if job.repromise is not None:
        moved = [{"order_no": r.order_no, "line_no": r.line_no, "old_promise": _day(r.old_promise),
                  "new_promise": _day(r.new_promise)} for r in job.repromise.moved.itertuples(index=False)]
    issues = [{"kind": i.kind, "file": i.side, "order_no": i.order_no, "line_no": i.line_no, "rows": list(i.rows),
               **({"field": i.field} if i.field else {})} for i in job.diff.issues]
    return {"as_of": job.as_of.isoformat(), "changes": changes, "moved": moved,
            "repromised": job.repromise is not None, "issues": issues,
            "rows": {f["label"].lower(): f["rows"] for f in job.files}, "notes": list(job.notes)}
