"""The promise job: the date one order line (or a column of part / quantity / need date) can
ship. Capable-to-promise from the plan (stock, purchases, capacity) when there is one, else the
earliest date the quoted lead time allows (SPEC section 4). The Promise date button and
``OD_PROMISE`` run it."""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from addin.config import Settings
from addin.errors import InputError
from addin.jobs.inputs import Source, frame, working_calendar
from addin.jobs.review import ReviewInputs, calendar_years, contract_review, plan_of


@dataclass(frozen=True)
class Promise:
    """``day`` None: the line cannot be promised. ``method``: ``plan`` (capable to promise) or
    ``quote`` (lead time). ``reasons``: the plan's material and capacity reasons; ``note`` the
    quote path's calendar note; ``years``: years without holiday data the dates ran through."""
    day: _dt.date | None
    method: str
    reasons: tuple[str, ...] = ()
    note: str | None = None
    years: tuple[int, ...] = ()


def _date(value) -> _dt.date | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def promise_line(line: Source, settings: Settings, as_of: _dt.date, lang: str = "en", *,
                 plan_inputs: ReviewInputs | None = None, quotes: Source | None = None) -> Promise:
    """The promise for ``line`` (one canonical order line): from ``plan_inputs``' plan when it
    has material or capacity, else from ``quotes``. Raises InputError when there is neither."""
    from addin.compute.promise import promise_lines
    plan = plan_of(plan_inputs, settings) if plan_inputs is not None else None
    if plan is not None and (plan.has_material or plan.has_capacity):
        out = promise_lines(frame(line), plan, calendar=working_calendar(settings), as_of=as_of, lang=lang)
        reasons = tuple(str(out[c].iloc[0]) for c in ("material_reason", "capacity_reason")
                        if c in out and out[c].iloc[0] is not None and not pd.isna(out[c].iloc[0]))
        return Promise(_date(out["promise_date"].iloc[0]), "plan", reasons=reasons,
                       years=tuple(calendar_years(out)))
    if quotes is not None:
        reviewed = contract_review(ReviewInputs(orders=line, quotes=quotes), settings, as_of, lang)
        day = reviewed["earliest_date"].iloc[0] if "earliest_date" in reviewed else None
        note = reviewed["calendar_note"].iloc[0] if "calendar_note" in reviewed else None
        return Promise(_date(day), "quote", note=note if isinstance(note, str) and note else None,
                       years=tuple(calendar_years(reviewed)))
    raise InputError("no quotes, stock or capacity to promise from")


def promise_column(parts: list, qty: list, need: pd.Series, plan_inputs: ReviewInputs | None, settings: Settings,
                   as_of: _dt.date, lang: str = "en") -> list[tuple]:
    """(promise date, note) per line for bare columns (``OD_PROMISE``), planned against
    ``plan_inputs`` as :func:`promise_line` plans one line. The note joins the reasons of the
    material and capacity checks that did not pass (short by the need date, a year without
    holiday data the dates ran through); None when both passed."""
    from addin.compute.promise import promise_lines
    from addin.i18n import t
    from addin.readers.values import number_column
    plan = plan_of(plan_inputs, settings) if plan_inputs is not None else None
    if plan is None or not (plan.has_material or plan.has_capacity):
        raise InputError(t("udf.promise_no_plan", lang))
    quantities, problems = number_column(pd.Series(qty, dtype=object))
    bad = problems.notna()
    if bad.any():
        i = int(bad.idxmax())
        raise InputError(f"row {i + 1}: qty {qty[i]!r} is {problems[i]}", value=qty[i])
    orders = pd.DataFrame({
        "order_no": [f"row {i + 1}" for i in range(len(parts))],
        "line_no": None, "customer": None,
        "part_no": [None if p is None else str(p).strip() for p in parts],
        "qty": quantities.to_numpy(dtype="float64"),
        "requested_date": need.to_numpy(),
        "order_date": np.full(len(parts), np.datetime64("NaT", "ns")),
        "status": "open",
    })
    out = promise_lines(orders, plan, calendar=working_calendar(settings), as_of=as_of, lang=lang)
    notes: list[str | None] = []
    for i in range(len(out)):
        reasons = [str(out[f"{c}_reason"].iloc[i]) for c in ("material", "capacity")
                   if f"{c}_result" in out and out[f"{c}_result"].iloc[i] not in (None, "pass")
                   and not pd.isna(out[f"{c}_result"].iloc[i]) and isinstance(out[f"{c}_reason"].iloc[i], str)]
        notes.append("; ".join(reasons) or None)
    dates = [None if pd.isna(d) else pd.Timestamp(d).to_pydatetime() for d in out["promise_date"]]
    return list(zip(dates, notes))
