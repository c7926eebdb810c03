"""The monthly on-time-delivery workbook (SPEC section 5): ``write_report``.

Every figure comes from the engine (``addin.compute.otd``, ``addin.compute.risk``, ``addin.compute.rootcause``); this
module only arranges it. Pivots are live COUNTIFS formulas over the ``OrderData`` table on the
Data sheet, written with the engine's figure as the cached value, so a viewer that does not
recalculate (a phone, pandas, the e-mail preview) shows the same numbers Excel computes.
Above :data:`LIVE_FORMULA_LIMIT` formula-row evaluations Excel would crawl: pivots are then
written as values and the sheets say so.

The sheet layout lives in ``monthly_sheets.py``; the formulas in ``monthly_formulas.py``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from addin.defaults import LADDER_BASES, LANGS
from addin.errors import InputError

__all__ = ["write_report", "ReportSummary", "MonthFigures", "CauseCount", "build_model", "ReportModel",
           "LIVE_FORMULA_LIMIT"]

# Live formulas cost (COUNTIFS passes in the workbook) x (data lines). Measured with
# bench/bench_report.py (40 customers, 100 of 300 parts shown, 8 owners; LibreOffice 7.4 as a
# proxy for Excel, 2 cores): 10,000 lines = cost 8.8e7, recalculated in 42 s; 30,000 lines =
# 2.7e8, 98 s; 100,000 lines = 8.8e8, not finished after 600 s (values only: 56 s to open).
# That is ~3e6 per second plus ~14 s start-up. Excel is faster, but it recalculates the whole
# workbook on opening and after every edit of the Data sheet, so above 2e8 (~75 s in
# LibreOffice; about 20,000 such lines) the pivots are written as values and the sheets say so.
LIVE_FORMULA_LIMIT = 200_000_000



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


@dataclass(frozen=True)
class ReportSummary:
    """What ``write_report`` wrote, for a caller that e-mails it (figures of the report month)."""
    out: Path
    month: str                 # YYYY-MM
    as_of: dt.date
    lines: int
    on_time: int
    late: int
    early: int
    pending: int
    otd: float | None
    otif: float | None
    avg_days_late: float | None
    previous: MonthFigures     # the month before
    last_year: MonthFigures    # the same month a year earlier
    top_causes: list[CauseCount]
    ladder: dict[str, MonthFigures]   # basis -> figures of the month under that basis
    major: int = 0             # late lines of the month by severity
    general: int = 0
    live_formulas: bool = True


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
    # derived tables the sheets ask for more than once (the 12-month window, pivot groups)
    cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def month_key(self) -> str:
        return month_key(self.month)

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


_LADDER_INPUTS = ("requested_date", "first_promised_date", "promised_date", "ship_date", "status", "customer",
                  "qty", "shipped_qty", "unit_price", "exception_type", "exception_note", "source_row")


def build_model(ledger_result: Any, *, month: dt.date, as_of: dt.date, settings: Any = None,
                lang: str = "en", calendar: Any = None, source_files: Iterable[Path | str] | None = None,
                live: bool | None = None) -> ReportModel:
    """Run the engine for the report: classify under the chosen basis and the two others (the
    ladder), risk at the as-of date, root causes of the month. ``live`` None = decide by size."""
    from addin.compute.otd import OtdSettings, classify
    from addin.compute.risk import assess_risk
    from addin.compute.rootcause import pareto
    from addin.files.guard import sha256_file

    settings = settings or OtdSettings()
    data: pd.DataFrame = getattr(ledger_result, "data", ledger_result)
    month = dt.date(month.year, month.month, 1)
    classified = classify(data, as_of, settings)
    classified["month_start"] = _month_start(classified["month"])
    ladder: dict[str, dict[str, dict]] = {}
    # the other bases need only what classify and summarise read: joining their results to every
    # ledger column would copy a million-line frame twice for nothing
    slim = data[[c for c in _LADDER_INPUTS if c in data.columns]]
    for basis in LADDER_BASES:
        other = classified if basis == settings.basis else classify(slim, as_of, replace(settings, basis=basis))
        classified[f"month_{basis}"] = _month_start(other["month"])
        classified[f"outcome_{basis}"] = other["outcome"]
        ladder[basis] = summary_rows(other, ["month"], replace(settings, basis=basis))
    risk = assess_risk(data, as_of, calendar, settings.risk_horizon, basis=settings.basis, lang=lang)
    classified["risk"] = risk["risk"]
    classified["risk_reason"] = risk["risk_reason"]

    in_month = classified["month"] == month_key(month)
    causes = pareto(classified.loc[in_month], lang)
    files = list(source_files) if source_files is not None else (
        [ledger_result.path] if getattr(ledger_result, "path", None) else [])
    sources = [(Path(f).name, sha256_file(Path(f))) for f in files]
    has_shipped_qty = bool(pd.to_numeric(classified.get("shipped_qty", pd.Series(dtype=float)),
                                         errors="coerce").notna().any())
    model = ReportModel(
        lang=lang, month=month, as_of=as_of, settings=settings, classified=classified,
        months=[add_months(month, -i) for i in range(11, -1, -1)],
        by_month=summary_rows(classified, ["month"], settings), ladder=ladder, pareto=causes,
        has_shipped_qty=has_shipped_qty, ledger_fields=_ledger_fields(ledger_result, data),
        read_result=ledger_result, source_files=sources)
    # the risk horizon counted through a year without holiday data: About and Summary say so
    from addin.compute.risk import horizon_note
    model.cache["risk_calendar_note"] = horizon_note(as_of, calendar, settings.risk_horizon, lang)
    from addin.writers.monthly_sheets import formula_cost
    model.cost = formula_cost(model)
    model.live = (model.cost <= LIVE_FORMULA_LIMIT) if live is None else live
    return model


def _summary(model: ReportModel, out: Path) -> ReportSummary:
    this = model.figures(model.month)
    late = model.classified.loc[(model.classified["month"] == model.month_key) &
                                (model.classified["outcome"] == "late"), "severity"]
    top = [CauseCount(cause=r["cause"], label=r["label"], count=int(r["count"]), share=float(r["share"]),
                      scope=r["scope"] if isinstance(r["scope"], str) else None)
           for r in model.pareto.head(5).to_dict("records")]
    return ReportSummary(
        out=out, month=model.month_key, as_of=model.as_of, lines=this.lines, on_time=this.on_time,
        late=this.late, early=this.early, pending=this.pending, otd=this.otd, otif=this.otif,
        avg_days_late=this.avg_days_late, previous=model.figures(add_months(model.month, -1)),
        last_year=model.figures(add_months(model.month, -12)), top_causes=top,
        ladder={b: model.figures(model.month, b) for b in LADDER_BASES},
        major=int((late == "major").sum()), general=int((late == "general").sum()),
        live_formulas=model.live)


def write_report(ledger_result: Any, *, month: dt.date, out: Path | str, as_of: dt.date | None = None,
                 settings: Any = None, lang: str = "en", calendar: Any = None,
                 source_files: Iterable[Path | str] | None = None, live: bool | None = None) -> ReportSummary:
    """Write the monthly on-time-delivery workbook and return its headline figures.

    ``ledger_result``: what ``addin.readers.read(path, kind="ledger")`` returns (its ``.data``,
    ``.issues``, ``.rows``, ``.file``, ``.sheet``, ``.path``); a bare canonical DataFrame works
    too (no data-quality sheet then). ``month``: any date in the report month. ``out``: the
    .xlsx to write (atomically; never one of the inputs). ``as_of``: measurement date (default
    today). ``settings``: ``addin.compute.otd.OtdSettings`` (basis, tolerances, major days, risk horizon).
    ``lang``: ``zh`` or ``en``. ``calendar``: ``addin.compute.calendar.WorkingCalendar`` for the risk
    horizon (default ``cn``). ``source_files``: files hashed on the About sheet (default the
    ledger's path). ``live``: force live formulas (True) or values (False); None decides by size.

    Raises ``FileError`` when ``out`` cannot be written (open in Excel, is the input, missing
    folder) and ``InputError`` when the ledger cannot be measured.
    """
    from addin.files.atomic import atomic_write
    from addin.writers.monthly_sheets import write_workbook

    if lang not in LANGS:
        raise InputError(f"language '{lang}' is not supported: use zh or en", value=lang, expected="zh or en")
    out = Path(out)
    as_of = as_of or dt.date.today()
    if isinstance(as_of, dt.datetime):
        as_of = as_of.date()
    model = build_model(ledger_result, month=month, as_of=as_of, settings=settings, lang=lang,
                        calendar=calendar, source_files=source_files, live=live)
    inputs = [p for p in ([getattr(ledger_result, "path", None)] + list(source_files or [])) if p]
    atomic_write(out, lambda tmp: write_workbook(model, tmp), inputs=[Path(p) for p in inputs])
    return _summary(model, out)
