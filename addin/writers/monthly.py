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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from addin.compute.monthly import CauseCount, MonthFigures, ReportModel, add_months, compute_month
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
    measured: int = 0          # on time + late + early (SPEC 9: what was measured, what was not)
    unmeasurable: dict = field(default_factory=dict)   # reason -> lines (closed_without_date, ...)
    otd_unknown: str | None = None                     # why OTD is unknown (addin.compute.otd.unknown_reasons)


def build_model(ledger_result: Any, *, month: dt.date, as_of: dt.date, settings: Any = None,
                lang: str = "en", calendar: Any = None, source_files: Iterable[Path | str] | None = None,
                live: bool | None = None, purchases: Any = None) -> ReportModel:
    """The report's model (``addin.compute.monthly.compute_month``) with what the workbook adds:
    the source files' hashes for the About sheet and whether pivots are live formulas (``live``
    None = decide by the formula cost)."""
    from addin.files.guard import sha256_file
    from addin.writers.monthly_sheets import formula_cost

    files = list(source_files) if source_files is not None else (
        [ledger_result.path] if getattr(ledger_result, "path", None) else [])
    model = compute_month(ledger_result, month=month, as_of=as_of, settings=settings, lang=lang,
                          calendar=calendar, source_files=[(Path(f).name, sha256_file(Path(f))) for f in files],
                          purchases=purchases)
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
    from addin.writers.monthly_sheets import month_facts
    facts = month_facts(model, this)
    return ReportSummary(
        measured=facts["measured"], unmeasurable=facts["unmeasurable"], otd_unknown=facts["otd_unknown"],
        out=out, month=model.month_key, as_of=model.as_of, lines=this.lines, on_time=this.on_time,
        late=this.late, early=this.early, pending=this.pending, otd=this.otd, otif=this.otif,
        avg_days_late=this.avg_days_late, previous=model.figures(add_months(model.month, -1)),
        last_year=model.figures(add_months(model.month, -12)), top_causes=top,
        ladder={b: model.figures(model.month, b) for b in LADDER_BASES},
        major=int((late == "major").sum()), general=int((late == "general").sum()),
        live_formulas=model.live)


def write_report(ledger_result: Any, *, month: dt.date, out: Path | str, as_of: dt.date | None = None,
                 settings: Any = None, lang: str = "en", calendar: Any = None,
                 source_files: Iterable[Path | str] | None = None, live: bool | None = None,
                 purchases: Any = None) -> ReportSummary:
    """Write the monthly on-time-delivery workbook and return its headline figures.

    ``ledger_result``: what ``addin.readers.read(path, kind="ledger")`` returns (its ``.data``,
    ``.issues``, ``.rows``, ``.file``, ``.sheet``, ``.path``); a bare canonical DataFrame works
    too (no data-quality sheet then). ``month``: any date in the report month. ``out``: the
    .xlsx to write (atomically; never one of the inputs). ``as_of``: measurement date (default
    today). ``settings``: ``addin.compute.otd.OtdSettings`` (basis, tolerances, major days, risk horizon).
    ``lang``: ``zh`` or ``en``. ``calendar``: ``addin.compute.calendar.WorkingCalendar`` for the risk
    horizon (default ``cn``). ``source_files``: files hashed on the About sheet (default the
    ledger's path). ``live``: force live formulas (True) or values (False); None decides by size.
    ``purchases``: a purchase ledger (read result): the workbook then has a Suppliers sheet.

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
                        calendar=calendar, source_files=source_files, live=live, purchases=purchases)
    inputs = [p for p in ([getattr(ledger_result, "path", None), getattr(purchases, "path", None)] +
                          list(source_files or [])) if p]
    atomic_write(out, lambda tmp: write_workbook(model, tmp), inputs=[Path(p) for p in inputs])
    return _summary(model, out)
