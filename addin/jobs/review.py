"""The contract-review job (SPEC section 4): PO lines against the quote book and, when the
factory's plan is given (BOM, stock, open purchases, capacity, routing), material, capacity and
the capable-to-promise date; earlier POs (the order ledger) as history. ``orderdesk review``
takes files, the Contract review button the workbook's sheets, ``OD_REVIEW`` ranges: each fills
:class:`ReviewInputs` and runs :func:`contract_review`."""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import pandas as pd

from addin.config import Settings
from addin.errors import InputError
from addin.jobs.inputs import Source, frame, is_path, read_file, read_input, working_calendar

PLAN_KINDS = ("bom", "stock", "purchases", "capacity", "routing")


@dataclass(frozen=True)
class ReviewInputs:
    """Each input a path, a ``ReadResult`` or a canonical DataFrame; all but orders and quotes
    may be None. ``bom_parent`` names the product of a BOM without a parent column."""
    orders: Source
    quotes: Source
    bom: Source | None = None
    stock: Source | None = None
    purchases: Source | None = None
    capacity: Source | None = None
    routing: Source | None = None
    history: Source | None = None
    bom_parent: str | None = None
    sources: tuple[Path, ...] = ()   # the files the inputs came from, as given (the review record)

    @property
    def has_plan(self) -> bool:
        """A plan is made from a BOM, stock or capacity (purchases and routing only add to one)."""
        return any(x is not None for x in (self.bom, self.stock, self.capacity))

    def files(self) -> list[Path]:
        """The files the inputs came from: ``sources`` when given, else each input's path (for the
        review record; none of them may be the output)."""
        if self.sources:
            return list(self.sources)
        seen: list[Path] = []
        for f in fields(self):
            value = getattr(self, f.name)
            path = Path(value) if is_path(value) else getattr(value, "path", None)
            if path is not None and Path(path) not in seen:
                seen.append(Path(path))
        return seen


def _read_bom(bom: Path, bom_parent: str | None):
    """The BOM file; with ``bom_parent``, the assembly a file without a parent column (a KiCad,
    Altium or KiBoM export) builds — as ``orderdesk plan`` reads it (the file name otherwise)."""
    from addin.readers import read
    if bom_parent is None:
        return read(bom, "bom")
    from addin.readers.bom import read_bom
    return read_bom([Path(bom)], {Path(bom).name: bom_parent})


def read_review_files(orders: Path, quotes: Path, *, bom: Path | None = None, stock: Path | None = None,
                      purchases: Path | None = None, capacity: Path | None = None, routing: Path | None = None,
                      history: Path | None = None, bom_parent: str | None = None, sheet: str | None = None,
                      mapping: Any = None) -> ReviewInputs:
    """The inputs read from files. Stock, open purchases, capacity and routing may be sheets of
    one workbook: a kind not given on its own is looked for in the stock workbook (capacity and
    routing also in the capacity workbook), found by its headers. ``sheet`` and ``mapping`` apply
    to ``orders``."""
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

    plan = any(p is not None for p in (bom, stock, capacity))
    return ReviewInputs(
        orders=read(orders, "ledger", sheet=sheet, mapping=mapping), quotes=read(quotes, "quotes"),
        bom=_read_bom(bom, bom_parent) if bom is not None else None,
        stock=one_of("stock", None, stock) if plan else None,
        purchases=one_of("purchases", purchases, stock) if plan else None,
        capacity=one_of("capacity", None, capacity, stock) if plan else None,
        routing=one_of("routing", routing, capacity, stock) if plan else None,
        history=read(history, "ledger") if history is not None else None, bom_parent=bom_parent,
        sources=tuple(p for p in (orders, quotes, bom, stock, purchases, capacity, routing, history) if p is not None))


def plan_of(inputs: ReviewInputs, settings: Settings):
    """The ``addin.compute.promise.Plan`` of the inputs, None without BOM, stock and capacity."""
    from addin.compute.promise import Plan
    if not inputs.has_plan:
        return None
    return Plan(**{k: frame(read_input(getattr(inputs, k), k)) for k in PLAN_KINDS},
                open_orders=frame(read_input(inputs.history, "ledger")),
                inspection_days=settings.review.inspection_days, transport_days=settings.review.transport_days,
                bom_parent=inputs.bom_parent)


def contract_review(inputs: ReviewInputs, settings: Settings, as_of: _dt.date, lang: str = "en") -> pd.DataFrame:
    """One row per PO line: each check's result and reason, the verdict, the earliest date the
    quote allows, and with a plan the promise date (``addin.compute.review.review_lines``)."""
    from addin.compute.review import review_lines
    orders = frame(read_input(inputs.orders, "ledger"))
    quotes = frame(read_input(inputs.quotes, "quotes"))
    history = frame(read_input(inputs.history, "ledger"))
    return review_lines(orders, quotes, calendar=working_calendar(settings), lang=lang, history=history,
                        as_of=as_of, plan=plan_of(inputs, settings))


def write_review(out: Path, reviewed: pd.DataFrame, inputs: ReviewInputs, *, lang: str, as_of: _dt.date,
                 reviewer: str | None = None) -> None:
    """The review workbook with the review record (``addin.writers.reviewbook``)."""
    from addin.writers.reviewbook import write_review_book
    files = inputs.files()
    write_review_book(out, reviewed, lang=lang, reviewer=reviewer, review_date=as_of,
                      sources=[p.name for p in files], inputs=files)


def verdict_counts(reviewed: pd.DataFrame) -> dict[str, int]:
    counts = reviewed["verdict"].value_counts()
    return {k: int(counts.get(k, 0)) for k in ("pass", "warn", "fail")}


def day_text(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date().isoformat()


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(float(value), 4)


def review_json(reviewed: pd.DataFrame) -> dict:
    """SPEC section 6: one object per PO line, checks that ran only; ``split`` lists the part
    that can ship before ``promise_date`` (empty when the line ships in one go)."""
    from addin.compute.review import CHECKS
    lines = []
    for _, row in reviewed.iterrows():
        checks = {}
        for check in CHECKS:
            column = f"{check}_result"
            if column in reviewed.columns and isinstance(row[column], str):
                checks[check] = {"result": row[column], "reason": row[f"{check}_reason"]}
        split = row["split"] if "split" in reviewed.columns else None
        lines.append({
            "order_no": row.get("order_no"), "line_no": row.get("line_no"), "part_no": row.get("part_no"),
            "verdict": row["verdict"], "checks": checks,
            "promise_date": day_text(row["promise_date"]) if "promise_date" in reviewed.columns else None,
            "split": [{"qty": _number(p["qty"]), "date": day_text(p["date"])} for p in split[:-1]]
            if isinstance(split, list) else [],
        })
    return {"lines": lines, "summary": verdict_counts(reviewed)}


def review_columns(reviewed: pd.DataFrame) -> pd.DataFrame:
    """The columns a sheet shows: key, verdict, each check that ran (result and reason), the
    earliest date the quoted lead time allows, the promise date."""
    from addin.compute.review import CHECKS
    columns = ["order_no", "line_no", "part_no", "verdict"]
    for check in CHECKS:
        result = f"{check}_result"
        if result in reviewed and reviewed[result].notna().any():
            columns += [result, f"{check}_reason"]
    for extra in ("earliest_date", "promise_date"):
        if extra in reviewed:
            columns.append(extra)
    return reviewed[[c for c in columns if c in reviewed]].reset_index(drop=True)


def calendar_years(reviewed: pd.DataFrame) -> list[int]:
    """The years without holiday data some line's dates ran through."""
    if "calendar_years" not in reviewed.columns:
        return []
    return sorted({int(y) for years in reviewed["calendar_years"].tolist() if isinstance(years, tuple)
                   for y in years})


def plan_checks_ran(reviewed: pd.DataFrame) -> list[str]:
    """Which plan checks (material, capacity) ran on some line."""
    return [c for c in ("material", "capacity")
            if f"{c}_result" in reviewed.columns and reviewed[f"{c}_result"].notna().any()]


__all__ = ["ReviewInputs", "read_review_files", "plan_of", "contract_review", "write_review", "review_json",
           "review_columns", "verdict_counts", "calendar_years", "plan_checks_ran", "day_text"]
