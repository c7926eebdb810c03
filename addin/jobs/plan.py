"""The PMC plan job (SPEC section 10): the order ledger's open lines netted through the BOM(s)
against stock and open purchases, loaded on the production lines, written as the PMC workbook.
``orderdesk plan`` takes files; each front end fills :class:`PlanInputs` and runs
:func:`pmc_plan`, then :func:`write_plan` / :func:`plan_json`.

Several BOM files make one multi-level BOM (``addin.readers.bom.read_bom``). A file without a
parent column is the BOM of one assembly: the one ``--bom-parent FILE=PART`` names; else, for
the first file, a bare ``--bom-parent PART``; else, for a later file, the one sub-assembly of the
other files its file name names (``..._motherboard_mobo-bom.csv`` is the BOM of
``motherboard``, said in the notes); else its file name."""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from addin.config import Settings
from addin.errors import InputError
from addin.jobs.inputs import Source, frame, is_path, read_file, read_input, working_calendar

__all__ = ["PlanInputs", "read_plan_files", "read_bom_files", "pmc_plan", "write_plan", "plan_json", "PlanJob"]


@dataclass(frozen=True)
class PlanInputs:
    """Each input a path, a ``ReadResult`` (or ``BomSet``) or a canonical DataFrame; all but
    orders may be None. ``bom_children``: (file, assembly) of each BOM file taken as a
    sub-assembly's BOM because its file name names it (the user is told)."""
    orders: Source
    bom: Source | None = None
    stock: Source | None = None
    purchases: Source | None = None
    capacity: Source | None = None
    routing: Source | None = None
    bom_parent: str | None = None
    sources: tuple[Path, ...] = ()
    bom_children: tuple[tuple[str, str], ...] = ()

    def files(self) -> list[Path]:
        return list(self.sources)


@dataclass(frozen=True)
class PlanJob:
    """What :func:`pmc_plan` returns: the computed plan, the BOM files read as a sub-assembly's
    by their name, and the names of the files it was made from."""
    plan: Any                      # addin.compute.plan.PmcPlan
    bom_children: tuple[tuple[str, str], ...] = ()
    sources: tuple[str, ...] = field(default_factory=tuple)

    def notes(self, lang: str = "en") -> list[str]:
        from addin.i18n import t
        notes = [t("planbook.note_bom_child", lang, file=name, part=part) for name, part in self.bom_children]
        if self.plan.undated_lines:
            notes.append(t("planbook.undated", lang, n=self.plan.undated_lines))
        return notes


def read_bom_files(files: Sequence[Path], bom_parents: Sequence[str] = ()) -> tuple[Any, list[tuple[str, str]]]:
    """The BOM files as one multi-level ``BomSet`` and the (file, assembly) of each later file
    taken as a sub-assembly's BOM because its file name names it.
    ``bom_parents``: ``PART`` (the first file's assembly) or ``FILE=PART`` (FILE: a file's name,
    stem or path as given)."""
    from addin.readers.bom import read_bom
    files = [Path(f) for f in files]
    names = {k: f for f in files for k in (str(f), f.name, f.stem)}
    parents: dict[str, str] = {}
    bare: list[str] = []
    for value in bom_parents:
        left, sep, right = value.partition("=")
        if sep and left.strip() in names and right.strip():
            parents[names[left.strip()].name] = right.strip()
        else:
            bare.append(value.strip())
    if len(bare) > 1:
        raise InputError(f"--bom-parent given {len(bare)} times without a file ({', '.join(bare)}): name each "
                         f"file's assembly as FILE=PART", expected="one bare --bom-parent (the first BOM's product)")
    if bare and files:
        if files[0].name in parents:
            raise InputError(f"--bom-parent names {files[0].name} twice ({bare[0]}, {parents[files[0].name]})")
        parents[files[0].name] = bare[0]
    bom = read_bom(files, parents)
    guessed = _children_by_name(bom, files, parents) if len(files) > 1 else {}
    if guessed:
        parents.update(guessed)
        bom = read_bom(files, parents)
    return bom, list(guessed.items())


def _children_by_name(bom, files: list[Path], parents: dict[str, str]) -> dict[str, str]:
    """Later files without a parent column whose file name names exactly one component of the
    other files (a sub-assembly whose BOM it is)."""
    out: dict[str, str] = {}
    data = bom.data
    for result, path in zip(bom.results, files):
        if path == files[0] or path.name in parents or "parent" in result.columns:
            continue
        stem = path.stem.casefold()
        others = data.loc[data["source_file"] != result.file, "component"].dropna().unique().tolist()
        if path.stem in others:
            continue  # another file names it by its file name already
        found = {c for c in others if len(c) >= 3 and not c.isdigit()
                 and re.search(rf"(?<![0-9a-z]){re.escape(c.casefold())}(?![0-9a-z])", stem)}
        if len(found) == 1:
            out[path.name] = found.pop()
    return out


def read_plan_files(orders: Path, *, boms: Sequence[Path] = (), bom_parents: Sequence[str] = (),
                    stock: Path | None = None, purchases: Path | None = None, capacity: Path | None = None,
                    routing: Path | None = None, sheet: str | None = None, mapping: Any = None) -> PlanInputs:
    """The inputs read from files. As for the review, open purchases, capacity and routing may be
    sheets of the stock workbook (capacity and routing also of the capacity workbook), found by
    their headers; a file given for a kind wins. ``sheet`` and ``mapping`` apply to ``orders``."""
    from addin.jobs.inputs import read_ledger
    from addin.readers import read

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

    bom, children = read_bom_files(boms, bom_parents) if boms else (None, [])
    return PlanInputs(
        orders=read_ledger(orders, sheet=sheet, mapping=mapping), bom=bom,
        stock=read(stock, "stock") if stock is not None else None,
        purchases=one_of("purchases", purchases, stock),
        capacity=one_of("capacity", capacity, stock),
        routing=one_of("routing", routing, capacity, stock),
        sources=tuple(p for p in (orders, *boms, stock, purchases, capacity, routing) if p is not None),
        bom_children=tuple(children))


def pmc_plan(inputs: PlanInputs, settings: Settings, as_of: _dt.date) -> PlanJob:
    """The plan of the inputs (``addin.compute.plan.plan_orders``). Without stock the material
    part is empty, without capacity and routing the load; neither is an error (the notes say)."""
    from addin.compute.plan import plan_orders
    from addin.compute.promise import Plan
    if inputs.stock is None and (inputs.capacity is None or inputs.routing is None):
        raise InputError("nothing to plan with: give the stock (--stock) for material, or the capacity and "
                         "routing (--capacity, --routing) for the load", expected="--stock or --capacity")
    factory = Plan(bom=frame(_input(inputs.bom, "bom")), stock=frame(_input(inputs.stock, "stock")),
                   purchases=frame(_input(inputs.purchases, "purchases")),
                   capacity=frame(_input(inputs.capacity, "capacity")),
                   routing=frame(_input(inputs.routing, "routing")),
                   inspection_days=settings.review.inspection_days, transport_days=settings.review.transport_days,
                   bom_parent=inputs.bom_parent)
    orders = frame(read_input(inputs.orders, "ledger"))
    result = plan_orders(orders, factory, calendar=working_calendar(settings), as_of=as_of)
    return PlanJob(result, bom_children=inputs.bom_children, sources=tuple(p.name for p in inputs.files()))


def _input(source: Source | None, kind: str):
    if source is None:
        return None
    if is_path(source) and kind == "bom":
        return read_bom_files([Path(source)])[0]
    return read_input(source, kind)


def write_plan(out: Path, job: PlanJob, inputs: PlanInputs, *, lang: str) -> Path:
    """The PMC workbook (``addin.writers.planbook``), written atomically, never over an input."""
    from addin.writers.planbook import write_plan_book
    return write_plan_book(out, job.plan, lang=lang, sources=list(job.sources), notes=job.notes(lang),
                           inputs=inputs.files())


def _day(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date().isoformat()


def _number(value: Any) -> int | float | None:
    if value is None or pd.isna(value):
        return None
    value = float(value)
    return int(value) if value.is_integer() else round(value, 4)


def plan_json(job: PlanJob, lang: str = "en") -> dict:
    """SPEC section 10: shortages, blocked lines with what blocks them, the capacity load; and
    the late purchases, what was planned and the notes."""
    plan = job.plan
    shortages = [{"part_no": r.part_no, "need_date": _day(r.need_date), "short_qty": _number(r.short_qty),
                  "buy_qty": _number(r.buy_qty), "order_by": _day(r.order_by),
                  "alternates_used": list(r.alternates_used), "expedite": [{"po_no": po, "supplier": sup, "due_date": _day(due)} for po, sup, due in r.expedite]}
                 for r in plan.shortages.itertuples(index=False)]
    blocked = []
    for r in plan.blocked.itertuples(index=False):
        by = []
        for b in r.blocked_by:
            if b["action"] == "capacity":
                by.append({"line": b["line"], "action": "capacity", "date": _day(b["date"])})
            else:
                by.append({"part_no": b["part_no"], "po_no": b["po_no"], "supplier": b["supplier"],
                           "action": b["action"], "date": _day(b["date"]), "qty": _number(b["qty"])})
        blocked.append({"order_no": r.order_no, "line_no": r.line_no, "customer": r.customer, "part_no": r.part_no,
                        "due_date": _day(r.due_date), "promise_date": _day(r.promise_date), "blocked_by": by})
    capacity = [{"line": r.line, "week": r.week, "required_h": round(float(r.required_h), 2),
                 "available_h": None if pd.isna(r.available_h) else round(float(r.available_h), 2),
                 "overloaded": bool(r.overloaded)}
                for r in plan.capacity.itertuples(index=False) if r.required_h > 0 or r.overloaded]
    late = [{"po_no": r.po_no, "supplier": r.supplier, "part_no": r.part_no, "due_date": _day(r.due_date),
             "status": r.status, "days_late": int(r.days_late),
             "blocks": [{"order_no": o, "line_no": n} for o, n in r.blocks]}
            for r in plan.late_purchases.itertuples(index=False)]
    return {"as_of": plan.as_of.isoformat(), "shortages": shortages, "blocked": blocked, "capacity": capacity,
            "late_purchases": late, "open_lines": plan.open_lines, "notes": job.notes(lang)}
