"""The monthly report's model (SPEC section 5): every figure the monthly workbook shows, computed
once by the engines (``otd``, ``risk``, ``rootcause``) from a read ledger. Pure: the writer
(``addin.writers.monthly``) arranges it in sheets."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any, Sequence

import numpy as np
import pandas as pd

from addin.defaults import LADDER_BASES

__all__ = ["MonthFigures", "CauseCount", "ReportModel", "compute_month", "month_key", "add_months", "summary_rows"]


@dataclass(frozen=True)
class MonthFigures:
    """OTD figures of one month (the cohort of lines due in it, SPEC section 3)."""
    month: str                 # YYYY-MM
    lines: int = 0
    on_time: int = 0
    late: int = 0
    early: int = 0
    pending: int = 0
    otd: float | None = None   # None without measured lines
    otif: float | None = None  # None when unknown
    avg_days_late: float | None = None


@dataclass(frozen=True)
class CauseCount:
    cause: str                 # taxonomy code, e.g. "material"
    label: str                 # in the report's language
    count: int
    share: float
    scope: str | None          # internal / external / None


# --------------------------------------------------------------------------- the model

@dataclass
class ReportModel:
    """Everything the sheets show, computed once by the engine."""
    lang: str
    month: dt.date                     # first day of the report month
    as_of: dt.date
    settings: Any                      # addin.compute.otd.OtdSettings
    classified: pd.DataFrame           # classify() + ladder columns + risk
    months: list[dt.date]              # the 12 months ending with the report month
    by_month: dict[str, dict]          # YYYY-MM -> summarise row (chosen basis)
    ladder: dict[str, dict[str, dict]] # basis -> YYYY-MM -> summarise row
    pareto: pd.DataFrame               # root causes of the month's late lines
    has_shipped_qty: bool
    ledger_fields: list[str]           # canonical fields in the Data table, ledger order
    read_result: Any
    source_files: list[tuple[str, str]]  # (name, sha256)
    live: bool = True
    cost: int = 0
    # the supplier scorecard (addin.compute.suppliers) when a purchase ledger was given
    suppliers: pd.DataFrame | None = None
    orders: dict = field(default_factory=dict)         # YYYY-MM -> order-level summarise row (SPEC 13)
    backlog: pd.DataFrame | None = None                # the open order book (addin.compute.backlog)
    leadtimes: pd.DataFrame | None = None              # lead times of the 12 months (addin.compute.leadtimes)
    # what goes up to the department head at the as-of date (addin.compute.escalation: the digest's table)
    escalations: pd.DataFrame | None = None
    # derived tables the sheets ask for more than once (the 12-month window, pivot groups)
    cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def month_key(self) -> str:
        return month_key(self.month)

    def order_figures(self, month: dt.date) -> MonthFigures:
        """The month's figures at order level: an order on time only when all its lines are."""
        return _figures(month_key(month), self.orders.get(month_key(month)))

    def figures(self, month: dt.date, basis: str | None = None) -> MonthFigures:
        table = self.by_month if basis is None else self.ladder[basis]
        return _figures(month_key(month), table.get(month_key(month)))


def month_key(month: dt.date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def _none_if_nan(value: Any) -> float | None:
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return float(value)


def _figures(key: str, row: dict | None) -> MonthFigures:
    if row is None:
        return MonthFigures(month=key)
    return MonthFigures(month=key, lines=int(row["lines"]), on_time=int(row["on_time"]), late=int(row["late"]),
                        early=int(row["early"]), pending=int(row["pending"]), otd=_none_if_nan(row["otd"]),
                        otif=_none_if_nan(row["otif"]), avg_days_late=_none_if_nan(row["avg_days_late"]))


def summary_rows(classified: pd.DataFrame, by: Sequence[str], settings: Any) -> dict:
    """``addin.compute.otd.summarise`` as a dict: group key (a value, or a tuple for several fields) -> row."""
    from addin.compute.otd import summarise
    table = summarise(classified, by, settings)
    groups = table.loc[~table["is_total"]]
    out: dict = {}
    for row in groups.to_dict("records"):
        key = tuple(row[b] for b in by) if len(by) > 1 else row[by[0]]
        out[key] = row
    return out


def _month_start(keys: pd.Series) -> pd.Series:
    """The engine's ``YYYY-MM`` month as the first day of that month (a date Excel can compare).
    Parsed once per distinct month (a million lines hold ~120 of them)."""
    codes, uniques = pd.factorize(keys, use_na_sentinel=True)
    starts = pd.to_datetime(pd.Series(uniques, dtype=object), format="%Y-%m", errors="coerce")
    values = np.append(starts.to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT", "ns"))
    return pd.Series(values[np.where(codes < 0, len(uniques), codes)], index=keys.index)


def _ledger_fields(read_result: Any, data: pd.DataFrame) -> list[str]:
    from addin.schema import LEDGER
    found = set() if isinstance(read_result, pd.DataFrame) else set(getattr(read_result, "columns", None) or {})
    always = {"order_no", "line_no", "customer", "part_no", "qty", "requested_date", "promised_date",
              "ship_date", "status", "owner"}
    return [f for f in LEDGER if f in data.columns and (f in found or f in always)]


_LADDER_INPUTS = ("requested_date", "first_promised_date", "promised_date", "agreed_date", "ship_date", "status", "customer",
                  "qty", "shipped_qty", "unit_price", "exception_type", "exception_note", "source_row",
                  "delivery_dates", "delivery_qtys", "delivery_rows")    # a line's deliveries (SPEC 13)


def compute_month(ledger_result: Any, *, month: dt.date, as_of: dt.date, settings: Any = None,
                  lang: str = "en", calendar: Any = None,
                  source_files: Sequence[tuple[str, str]] = (), purchases: Any = None) -> ReportModel:
    """Run the engine for the report: classify under the chosen basis and the others (the
    ladder), risk at the as-of date, root causes of the month. ``source_files``: (name, sha256)
    pairs the About sheet lists (hashed by the caller: this module opens no file).
    ``purchases``: a purchase ledger (read result or frame) for the supplier scorecard."""
    from addin.compute.otd import OtdSettings, classify, has_completion_column
    from addin.compute.risk import assess_risk, horizon_note
    from addin.compute.rootcause import pareto

    settings = settings or OtdSettings()
    data: pd.DataFrame = getattr(ledger_result, "data", ledger_result)
    month = dt.date(month.year, month.month, 1)
    completion = has_completion_column(ledger_result)   # none: OTD unknown, never 0 % (SPEC 9)
    classified = classify(data, as_of, settings, completion=completion)
    classified["month_start"] = _month_start(classified["month"])
    ladder: dict[str, dict[str, dict]] = {}
    # the other bases need only what classify and summarise read: joining their results to every
    # ledger column would copy a million-line frame twice for nothing
    slim = data[[c for c in _LADDER_INPUTS if c in data.columns]]
    for basis in LADDER_BASES:
        other = classified if basis == settings.basis else classify(slim, as_of, replace(settings, basis=basis),
                                                                           completion=completion)
        classified[f"month_{basis}"] = _month_start(other["month"])
        classified[f"outcome_{basis}"] = other["outcome"]
        ladder[basis] = summary_rows(other, ["month"], replace(settings, basis=basis))
    risk = assess_risk(data, as_of, calendar, settings.risk_horizon, basis=settings.basis, lang=lang)
    classified["risk"] = risk["risk"]
    classified["risk_reason"] = risk["risk_reason"]

    in_month = classified["month"] == month_key(month)
    causes = pareto(classified.loc[in_month], lang)
    has_shipped_qty = bool(pd.to_numeric(classified.get("shipped_qty", pd.Series(dtype=float)),
                                         errors="coerce").notna().any())
    model = ReportModel(
        lang=lang, month=month, as_of=as_of, settings=settings, classified=classified,
        months=[add_months(month, -i) for i in range(11, -1, -1)],
        by_month=summary_rows(classified, ["month"], settings), ladder=ladder, pareto=causes,
        has_shipped_qty=has_shipped_qty, ledger_fields=_ledger_fields(ledger_result, data),
        read_result=ledger_result, source_files=list(source_files))
    from addin.compute.backlog import backlog
    from addin.compute.orders import order_summary
    orders = order_summary(classified, ["month"], settings)
    model.orders = {r["month"]: r for r in orders.loc[~orders["is_total"]].to_dict("records")}
    model.backlog = backlog(data, as_of, settings)
    from addin.compute.leadtimes import LEAD_BY, lead_times
    month_end = add_months(month, 1) - dt.timedelta(days=1)
    model.leadtimes = lead_times(data, as_of, LEAD_BY, start=add_months(month, -11), end=month_end)
    from addin.compute.escalation import escalations
    model.escalations = escalations(classified, as_of, settings.major_days, settings.cause_keywords)
    if purchases is not None:
        from addin.compute.suppliers import supplier_scorecard
        bought = classify(getattr(purchases, "data", purchases), as_of, settings,
                          completion=has_completion_column(purchases))
        model.suppliers = supplier_scorecard(bought, month, as_of, settings)
    # the risk horizon counted through a year without holiday data: About and Summary say so
    model.cache["risk_calendar_note"] = horizon_note(as_of, calendar, settings.risk_horizon, lang)
    return model
