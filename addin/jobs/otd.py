"""The OTD job: read the ledger, classify every line, summarise by the groups asked for
(SPEC sections 3 and 6). The command line prints it (table, CSV, JSON), the Refresh OTD pivot
button writes it to the OTD sheet, ``OD_OTD`` spills it: the same figures from the same
settings (basis, tolerances per customer, weight, risk horizon)."""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from addin.config import Settings
from addin.errors import InputError
from addin.jobs.inputs import Source, frame, read_input, read_ledger, working_calendar
from addin.jobs.selection import selected

# supplier: the counterparty of a purchase ledger's lines (SPEC section 10)
GROUP_FIELDS = ("customer", "month", "part_no", "owner", "priority", "supplier")
OTD_COLUMNS = ("lines", "on_time", "late", "early", "pending", "otd", "otif", "avg_days_late")
TOTAL = "Total"


@dataclass(frozen=True)
class OpenRisk:
    """Open lines at the as-of date: overdue, and at risk within the horizon (working days of
    ``calendar``); ``note`` says when the horizon ran through a year without holiday data."""
    overdue: int
    at_risk: int
    horizon: int
    calendar: str
    note: str | None


LEVELS = ("line", "order")


def delivered_lines(ledger: Source, settings: Settings, as_of: _dt.date, *, sheet: str | None = None,
                    mapping: Any = None, deliveries: Source | None = None, deliveries_sheet: str | None = None,
                    deliveries_map: Any = None):
    """The ledger read and its lines measured from their deliveries (SPEC 13: a delivery export,
    or the ledger's own rows when it holds one row per delivery): an ``addin.jobs.deliveries.
    Delivered`` whose ``ledger`` the other jobs here take. The filters are not applied yet."""
    from addin.jobs.deliveries import with_deliveries
    return with_deliveries(read_ledger(ledger, sheet=sheet, mapping=mapping), deliveries, as_of, settings,
                           sheet=deliveries_sheet, mapping=deliveries_map)


def otd_figures(ledger: Source, settings: Settings, as_of: _dt.date, *, by: Sequence[str] = (),
                start: _dt.date | None = None, end: _dt.date | None = None, sheet: str | None = None,
                mapping: Any = None, level: str = "line", delivered: Any = None) -> dict:
    """The object of SPEC section 6 (``orderdesk otd --format json``); ``level`` order: each
    order counts once (SPEC 13, ``"level": "order"``). The settings' filters select the lines
    first; the object then says which (``"filter"``). ``delivered``: what :func:`delivered_lines`
    returned for ``ledger`` (None: found here); with deliveries the object has ``"deliveries"``."""
    from addin.compute.orders import order_json
    from addin.compute.otd import otd_json
    if delivered is None:
        delivered = delivered_lines(ledger, settings, as_of, sheet=sheet, mapping=mapping)
    result = selected(delivered.ledger, settings)
    figures = (order_json if level == "order" else otd_json)(result, as_of, settings.otd, list(by), start, end)
    if settings.filters:
        figures["filter"] = settings.filters.as_dict()
    if delivered.as_json() is not None:
        figures["deliveries"] = delivered.as_json()
    return figures


def lead_time_table(ledger: Source, settings: Settings, as_of: _dt.date, *, by: Sequence[str] | None = None,
                    quotes: Source | None = None, quotes_sheet: str | None = None, quotes_map: Any = None,
                    start: _dt.date | None = None, end: _dt.date | None = None) -> pd.DataFrame:
    """Lead times of the selected lines by customer and part (``addin.compute.leadtimes``), against
    the quote book's lead times when ``quotes`` is given (working days of the settings' calendar)."""
    from addin.compute.leadtimes import LEAD_BY, lead_times
    book = None if quotes is None else frame(read_input(quotes, "quotes", sheet=quotes_sheet, mapping=quotes_map))
    lines = frame(selected(ledger, settings))
    return lead_times(lines, as_of, list(LEAD_BY if by is None else by), quotes=book,
                      calendar=working_calendar(settings) if book is not None else None, start=start, end=end)


def otd_summary(ledger: Source, settings: Settings, as_of: _dt.date, *, by: Sequence[str] = (),
                start: _dt.date | None = None, end: _dt.date | None = None, level: str = "line",
                lines: bool = True) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int]]:
    """(classified lines of the period, summary per group with a total row, excluded counts);
    ``level`` order: the summary counts orders (the excluded counts stay lines); ``lines`` False:
    the lines carry only what the summary reads (``addin.compute.otd.FOR_SUMMARY``)."""
    from addin.compute.orders import order_report
    from addin.compute.otd import has_completion_column, otd_report
    ledger = selected(ledger, settings)
    completion = has_completion_column(ledger)      # the file's columns, not its filled cells
    if level == "order":
        return order_report(frame(ledger), as_of, settings.otd, list(by), start, end, completion=completion)
    return otd_report(frame(ledger), as_of, settings.otd, list(by), start, end, completion=completion, lines=lines)


def open_risk(ledger: Source, settings: Settings, as_of: _dt.date, lang: str = "en") -> OpenRisk:
    """Overdue and at-risk open lines with the settings' horizon, basis and calendar."""
    from addin.compute.risk import assess_risk, horizon_note
    cal = working_calendar(settings)
    horizon = settings.otd.risk_horizon
    risk = assess_risk(frame(selected(ledger, settings)), as_of, cal, horizon, basis=settings.otd.basis, lang=lang)["risk"]
    return OpenRisk(overdue=int((risk == "overdue").sum()), at_risk=int((risk == "at_risk").sum()),
                    horizon=horizon, calendar=cal.name, note=horizon_note(as_of, cal, horizon, lang))


def classified(ledger: Source, settings: Settings, as_of: _dt.date) -> pd.DataFrame:
    from addin.compute.otd import classify, has_completion_column
    # no completion column: OTD unknown (blank), never 0 % (SPEC 9), as the command line says;
    # a sheet with one row per delivery of a line is measured per line (SPEC 13)
    ledger = selected(delivered_lines(ledger, settings, as_of).ledger, settings)
    return classify(frame(ledger), as_of, settings.otd, completion=has_completion_column(ledger))


def otd_table(ledger: Source, by: Sequence[str], settings: Settings, as_of: _dt.date) -> pd.DataFrame:
    """OTD/OTIF per group and a total row labelled ``Total``, rates as fractions (the table a
    sheet shows: the OTD sheet's counts, ``OD_OTD``)."""
    from addin.compute.otd import summarise
    for field in by:
        if field not in GROUP_FIELDS:
            raise InputError(f"cannot group by '{field}': use {', '.join(GROUP_FIELDS)}", value=field)
    table = summarise(classified(ledger, settings, as_of), by=list(by), settings=settings.otd)
    out = table[list(by) + list(OTD_COLUMNS)].copy()
    for field in by:
        out[field] = out[field].astype(object)
    if by:
        out.loc[table["is_total"].to_numpy(), by[0]] = TOTAL
    else:
        out.insert(0, "group", [TOTAL] * len(out))
    return out


def otd_pivot(ledger: Source, settings: Settings, as_of: _dt.date) -> pd.DataFrame:
    """OTD % by customer (rows) and month (columns), with each customer's and each month's total."""
    by_month = otd_table(ledger, ["customer", "month"], settings, as_of)
    detail = by_month[by_month["customer"] != TOTAL]
    if detail.empty:
        return pd.DataFrame({"customer": [TOTAL], "lines": [0]})
    pivot = detail.pivot_table(index="customer", columns="month", values="otd", aggfunc="first", dropna=False)
    pivot = pivot.reindex(sorted(pivot.columns), axis=1)
    per_customer = otd_table(ledger, ["customer"], settings, as_of).set_index("customer")
    per_month = otd_table(ledger, ["month"], settings, as_of).set_index("month")
    pivot[TOTAL] = per_customer["otd"].reindex(pivot.index)
    pivot.loc[TOTAL] = [per_month["otd"].get(m, np.nan) for m in pivot.columns[:-1]] + \
        [per_customer.loc[TOTAL, "otd"]]
    pivot.columns = [str(c) for c in pivot.columns]
    return pivot.reset_index().rename(columns={"index": "customer"})


def pareto_table(ledger: Source, settings: Settings, as_of: _dt.date, lang: str = "en") -> pd.DataFrame:
    """Root causes of the late lines, most frequent first (the settings' keywords count)."""
    from addin.compute.rootcause import pareto
    return pareto(classified(ledger, settings, as_of), lang)
